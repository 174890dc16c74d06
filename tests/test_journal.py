"""The request journal: every call to /v1 and the Cloud API, accepted or refused, listed by GET /_emulator/requests."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.journal import Journal
from emulator.requestlog import RequestLog
from emulator.settings import Settings
from emulator.store import MemoryStore
from tests.conftest import T0, assert_error, basic, bearer

ALICE = "15550001111"
TEXT = {"to": ALICE, "type": "text", "text": {"body": "hi"}}
CLOUD = "/v22.0/106540352242922/messages"
CLOUD_TOKEN = bearer("wa-emulator-token")


def journal(client: TestClient, query: str = "") -> list[dict[str, Any]]:
    response = client.get("/_emulator/requests" + query)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["requests"]
    return entries


def test_an_accepted_send_is_journaled_with_its_body_answer_owner_and_message_id(api: TestClient) -> None:
    answer = api.post("/v1/messages", json=TEXT).json()
    entry = journal(api, "?path=/v1/messages")[-1]
    assert {k: entry[k] for k in ("method", "path", "api", "status", "owner", "error")} == {
        "method": "POST",
        "path": "/v1/messages",
        "api": "onprem",
        "status": 201,
        "owner": "admin",
        "error": None,
    }
    assert entry["message_id"] == answer["messages"][0]["id"]
    assert json.loads(entry["request"]["body"]) == TEXT
    assert json.loads(entry["response"]["body"]) == answer
    assert entry["request"]["content_type"] == "application/json" and not entry["request"]["truncated"]
    assert entry["at"] == T0 and entry["duration_ms"] >= 0


def test_a_refused_send_is_journaled_with_its_code_title_and_details(api: TestClient) -> None:
    api.post("/v1/messages", json={"to": ALICE, "type": "text", "text": {}})
    entry = journal(api)[-1]
    assert entry["status"] == 400 and entry["message_id"] is None
    assert entry["error"] == {
        "code": 1008,
        "title": "Required parameter is missing",
        "details": "$.text: 'body' is required",
    }
    assert json.loads(entry["response"]["body"])["errors"][0]["code"] == 1008


def test_a_call_refused_before_its_body_was_read_still_shows_the_body(client: TestClient) -> None:
    client.post("/v1/messages", json=TEXT, headers=bearer("not-a-token"))
    entry = journal(client)[-1]
    assert (entry["status"], entry["error"]["code"], entry["owner"]) == (401, 1005, None)
    assert json.loads(entry["request"]["body"]) == TEXT


def test_a_chunked_body_is_journaled_as_the_app_reads_it(api: TestClient) -> None:
    parts = [b'{"to": "15550001111", ', b'"type": "text", "text": {"body": "hi"}}']
    assert api.post("/v1/messages", content=iter(parts)).status_code == 201  # no Content-Length: chunked
    entry = journal(api)[-1]
    assert entry["request"]["body"] == b"".join(parts).decode() and entry["request"]["size"] == sum(map(len, parts))


def test_cloud_calls_are_journaled_with_the_static_token_that_made_them(client: TestClient) -> None:
    body = {"messaging_product": "whatsapp", "to": ALICE, "type": "text", "text": {"body": "hi"}}
    sent = client.post(CLOUD, json=body, headers=CLOUD_TOKEN).json()
    client.post(CLOUD, json={"messaging_product": "whatsapp", "to": ALICE, "type": "text"}, headers=CLOUD_TOKEN)
    client.get("/v22.0/999/phone_numbers", headers=CLOUD_TOKEN)
    accepted, refused, unknown = journal(client, "?api=cloud")
    assert (accepted["owner"], accepted["message_id"]) == ("access token wa-emulator-token", sent["messages"][0]["id"])
    assert (refused["status"], refused["error"]["code"]) == (400, 131008)
    assert (unknown["path"], unknown["status"], unknown["error"]["code"]) == ("/v22.0/999/phone_numbers", 400, 100)


def test_login_is_journaled_under_the_username_it_tried(client: TestClient) -> None:
    client.post("/v1/users/login", headers=basic("admin", "wrong"))
    entry = journal(client)[-1]
    assert (entry["path"], entry["status"], entry["owner"]) == ("/v1/users/login", 401, "admin")


def test_control_calls_and_the_page_are_not_journaled(client: TestClient) -> None:
    client.get("/_emulator/users")
    client.get("/_emulator/ui")
    client.post("/_emulator/users/15550001111/messages", json={"type": "text", "text": {"body": "hi"}})
    assert journal(client) == []


def test_filters_by_status_class_exact_status_path_api_after_and_limit(api: TestClient) -> None:
    api.post("/v1/messages", json=TEXT)
    api.post("/v1/messages", json={"to": ALICE})
    api.get("/v1/nope")
    api.get("/v1/health")
    ids = [e["id"] for e in journal(api)]
    statuses = [e["status"] for e in journal(api)]
    assert statuses[-4:] == [201, 400, 404, 200]
    assert [e["status"] for e in journal(api, "?status=4xx")] == [400, 404]
    assert [e["status"] for e in journal(api, "?status=404,2xx")] == [s for s in statuses if s in (200, 201, 404)]
    assert [e["path"] for e in journal(api, "?path=/v1/messages")] == ["/v1/messages", "/v1/messages"]
    assert [e["id"] for e in journal(api, f"?after={ids[-2]}")] == ids[-1:]
    assert [e["id"] for e in journal(api, "?limit=2")] == ids[-2:]
    assert journal(api, "?api=cloud") == []


@pytest.mark.parametrize(
    "query", ["status=4x", "status=600", "status=abc", "after=-1", "limit=x", "api=graph", "wait=61"]
)
def test_a_bad_filter_is_refused_with_1009(client: TestClient, query: str) -> None:
    assert_error(client.get("/_emulator/requests?" + query), 400, 1009)


def test_wait_long_polls_until_a_matching_call_arrives(api: TestClient) -> None:
    last = journal(api)[-1]["id"]
    result: dict[str, Any] = {}

    def poll() -> None:
        result["body"] = api.get(f"/_emulator/requests?after={last}&status=4xx&wait=10").json()

    poller = threading.Thread(target=poll)
    poller.start()
    api.get("/v1/health")  # accepted: does not match, the poll keeps waiting
    api.post("/v1/messages", json={"to": ALICE})
    poller.join(timeout=10)
    assert not poller.is_alive()
    assert [e["status"] for e in result["body"]["requests"]] == [400]


def test_one_entry_by_id_and_an_unknown_one_is_404(api: TestClient) -> None:
    api.get("/v1/health")
    entry = journal(api)[-1]
    assert api.get(f"/_emulator/requests/{entry['id']}").json() == entry
    assert_error(api.get("/_emulator/requests/999999"), 404, 1006)
    assert_error(api.get("/_emulator/requests/abc"), 404, 1006)


def test_reset_empties_the_journal_and_ids_go_on(api: TestClient) -> None:
    api.get("/v1/health")
    before = journal(api)[-1]["id"]
    assert api.post("/_emulator/reset").status_code == 200
    assert journal(api) == []
    api.get("/v1/health")
    assert journal(api)[0]["id"] > before


def small_journal(**changes: Any) -> TestClient:
    settings = Settings(seed=7, **changes)
    return TestClient(create_app(settings, store=MemoryStore(), clock=EmulatorClock(base=lambda: T0)))


def test_the_journal_is_bounded_and_says_how_many_it_dropped() -> None:
    with small_journal(journal_size=3) as client:
        for _ in range(5):
            client.get("/v1/health")
        body = client.get("/_emulator/requests").json()
        assert [e["id"] for e in body["requests"]] == [3, 4, 5]
        assert (body["dropped"], body["size"]) == (2, 3)


def test_bodies_are_capped_at_the_journal_body_bytes() -> None:
    body = {"messaging_product": "whatsapp", "to": ALICE, "type": "text", "text": {"body": "hi"}}
    with small_journal(journal_body_bytes=10) as client:
        assert client.post(CLOUD, json=body, headers=CLOUD_TOKEN).status_code == 200
        entry = client.get("/_emulator/requests").json()["requests"][-1]
        assert entry["request"]["body"] == json.dumps(body, separators=(",", ":"))[:10]
        assert entry["request"]["truncated"] and entry["request"]["size"] > 10
        assert len(entry["response"]["body"]) == 10 and entry["response"]["truncated"]


def test_a_media_upload_is_journaled_without_its_binary_body(api: TestClient) -> None:
    api.post("/v1/media", content=b"\x89PNG\r\n\x1a\n\xff\xfe", headers={"Content-Type": "image/png"})
    entry = journal(api)[-1]
    assert entry["request"] == {"content_type": "image/png", "size": 10, "truncated": False, "body": None}


def test_a_bug_is_journaled_as_500_with_1014(api: TestClient, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(app.state.emulator.tenant().contacts, "results", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.headers.update(api.headers)
        assert client.post("/v1/contacts", json={"contacts": ["+15550001111"]}).status_code == 500
        entry = journal(client)[-1]
    assert (entry["status"], entry["error"]["code"], entry["error"]["title"]) == (500, 1014, "Internal error")
    assert "boom" not in entry["response"]["body"]


def test_each_tenant_has_its_own_journal_and_reset_clears_only_its_own() -> None:
    with TestClient(create_app(Settings(seed=3))) as client:
        token = {"Authorization": "Bearer wa-emulator-token"}
        body = {"to": "16505551234", "type": "text", "text": {"body": "hi"}}
        assert client.post("/v1/messages", json=body, headers=token).status_code == 201
        assert client.post("/t/shop/v1/messages", json=body, headers=token).status_code == 201
        assert client.post("/t/shop/v1/messages", json={}, headers=token).status_code == 400
        default = client.get("/_emulator/requests").json()["requests"]
        shop = client.get("/t/shop/_emulator/requests").json()["requests"]
        assert [(r["tenant"], r["status"]) for r in default] == [("default", 201)]
        assert [(r["tenant"], r["status"]) for r in shop] == [("shop", 201), ("shop", 400)]
        assert client.get(f"/t/shop/_emulator/requests/{default[0]['id']}").status_code == 404
        client.post("/t/shop/_emulator/reset")
        assert client.get("/t/shop/_emulator/requests").json()["requests"] == []
        assert len(client.get("/_emulator/requests").json()["requests"]) == 1


def test_the_journal_tells_a_listener_of_each_call_and_builds_nothing_for_nobody() -> None:
    journal = Journal(10, 100)
    heard: list[tuple[str, dict[str, Any]]] = []
    journal.add("default", *[None] * 15)
    assert not journal.feed.heard
    journal.feed.listeners.append(lambda topic, doc: heard.append((topic, doc)))
    assert journal.feed.heard
    journal.add("acme", *[None] * 15)
    assert heard == [("request", {"id": 2, "tenant": "acme"})]


def test_paths_past_the_remembered_limit_are_journaled_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RequestLog, "LIMIT", 2)
    with TestClient(create_app(Settings(seed=3))) as client:
        calls = ["/v1/health", "/t/shop/v1/health", CLOUD.replace("106540352242922", "999"), "/v1/health", CLOUD]
        for _ in range(2):  # learnt, then (some) remembered
            for path in calls:
                client.get(path, headers=CLOUD_TOKEN)
        seen = [(r["api"], r["path"]) for r in journal(client, "?limit=10")]
        shop = [(r["api"], r["path"]) for r in client.get("/t/shop/_emulator/requests").json()["requests"]]
        unprefixed = [("onprem" if p.startswith("/v1") else "cloud", p) for p in calls if not p.startswith("/t/")]
        assert (seen, shop) == (unprefixed * 2, [("onprem", "/t/shop/v1/health")] * 2)
