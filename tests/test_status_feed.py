"""A send's statuses are one event that also tells the change feed of its record (in a runtime or not)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from tests.conftest import T0

USER = "15550001111"


def _listen(api: TestClient) -> tuple[Any, list[tuple[str, str, list[str]]]]:
    tenant = api.app.state.emulator.tenant()  # type: ignore[attr-defined]
    heard: list[tuple[str, str, list[str]]] = []
    tenant.feed.listeners.append(
        lambda topic, doc: heard.append((topic, doc.get("status", ""), [s["status"] for s in doc.get("statuses", [])]))
    )
    return tenant, heard


def _send(api: TestClient, to: str = USER) -> str:
    response = api.post("/v1/messages", json={"to": to, "type": "text", "text": {"body": "hello"}})
    assert response.status_code == 201, response.text
    message_id: str = response.json()["messages"][0]["id"]
    return message_id


def test_the_feed_hears_a_sends_record_once_with_every_status_it_reached(api: TestClient) -> None:
    api.post(f"/_emulator/users/{USER}/messages", json={"type": "text", "text": {"body": "hi"}})
    tenant, heard = _listen(api)
    message_id = _send(api)
    assert heard == [("message", "read", ["sent", "delivered", "read"])]
    record = tenant.messages.get(message_id)
    assert [s["timestamp"] for s in record["statuses"]] == [T0, T0, T0] == [record["created_at"]] * 3


def test_a_failed_send_is_heard_by_the_feed_too(api: TestClient) -> None:
    _, heard = _listen(api)
    _send(api, "15550002222")  # never wrote: outside the window
    assert heard == [("message", "failed", ["failed"])]


def test_a_tenant_outside_a_runtime_tells_its_feed_of_statuses(api: TestClient) -> None:
    tenant, heard = _listen(api)
    tenant.outbox.connect(tenant.publish)  # as a tenant used on its own is connected
    api.post(f"/_emulator/users/{USER}/messages", json={"type": "text", "text": {"body": "hi"}})
    _send(api)
    assert [h for h in heard if h[0] == "message"] == [("message", "read", ["sent", "delivered", "read"])]
