"""The webhook log under load: status payloads built when sent, a bounded log, a drain that names a few."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from emulator.clock import EmulatorClock
from emulator.settings import Settings
from emulator.store import MemoryStore
from emulator.webhooks.queue import GONE, UNSETTLED_SHOWN
from tests.conftest import assert_error
from tests.receiver import HOOK, drain, emulator_on_sqlite, emulator_with_receiver

USER = "15550001111"


def send(client: TestClient, body: str) -> str:
    """The bot sends a text to USER (whose window is open); the message id."""
    response = client.post("/v1/messages", json={"to": USER, "type": "text", "text": {"body": body}})
    assert response.status_code == 201, response.text
    message_id: str = response.json()["messages"][0]["id"]
    return message_id


def open_window(client: TestClient) -> None:
    response = client.post(f"/_emulator/users/{USER}/messages", json={"type": "text", "text": {"body": "hi"}})
    assert response.status_code == 200, response.text


def set_url(client: TestClient) -> None:
    assert client.patch("/v1/settings/application", json={"webhooks": {"url": HOOK}}).status_code == 200


def test_a_status_is_queued_as_a_short_row_and_built_as_shown_and_sent(clock: EmulatorClock) -> None:
    store = MemoryStore()
    with emulator_with_receiver(store=store, clock=clock, webhook_url="") as (client, receiver):
        open_window(client)
        message_id = send(client, "hello")
        stored = [d for d in store.items("default", "deliveries") if "source" in d]
        assert [d["source"] for d in stored] == [[message_id, "delivered"], [message_id, "read"]]
        assert all("content" not in d and "payload" not in d for d in stored)  # no payload kept while it waits
        shown = client.get("/_emulator/webhooks?state=pending").json()["webhooks"]
        statuses = [d["content"]["statuses"][0] for d in shown if "statuses" in d["content"]]
        assert [(s["id"], s["status"]) for s in statuses] == [(message_id, "delivered"), (message_id, "read")]
        assert all("source" not in d for d in shown)
        set_url(client)
        drain(client)
        assert [s["status"] for s in receiver.statuses(message_id)] == ["delivered", "read"]
        assert receiver.statuses(message_id) == statuses  # sent as it was shown while it waited


def test_a_status_whose_message_was_forgotten_fails_and_says_why(clock: EmulatorClock) -> None:
    with emulator_with_receiver(Settings(seed=7, max_messages=10), clock=clock, webhook_url="") as (client, receiver):
        open_window(client)
        first = send(client, "first")
        for n in range(12):  # past --max-messages: the first message is forgotten
            send(client, f"m{n}")
        assert client.get(f"/_emulator/messages/{first}").status_code == 404
        set_url(client)
        drain(client, lenient=True)
        failed = client.get("/_emulator/webhooks?state=failed").json()["webhooks"]
        assert failed and {d["error"] for d in failed} == {GONE}
        assert receiver.statuses(first) == []
        assert [s["status"] for s in receiver.statuses()][-2:] == ["delivered", "read"]  # the rest went out
        assert client.post("/_emulator/webhooks/drain?lenient=true").status_code == 200


def test_the_log_is_bounded_and_what_it_drops_is_counted(clock: EmulatorClock) -> None:
    with emulator_with_receiver(Settings(seed=7, max_webhooks=100), clock=clock, webhook_url="") as (client, _):
        open_window(client)
        for n in range(80):  # two status deliveries each (delivered, read): 160 with no URL to go to
            send(client, f"m{n}")
        health = client.get("/_emulator/health").json()["webhooks"]
        assert health["stored"] <= 100 and health["max"] == 100
        assert health["pending"] == health["stored"] and health["dropped"] == 161 - health["stored"]
        listed = client.get("/_emulator/webhooks?limit=1000").json()["webhooks"]
        assert len(listed) == health["stored"] and listed[-1]["content"]["statuses"][0]["status"] == "read"


def test_a_strict_drain_names_the_first_pending_deliveries_and_counts_them_all(clock: EmulatorClock) -> None:
    with emulator_with_receiver(clock=clock, webhook_url="") as (client, _):
        open_window(client)
        for n in range(60):
            send(client, f"m{n}")
        response = client.post("/_emulator/webhooks/drain")
        error = assert_error(response, 400, 1022)
        assert error["details"].startswith("121 webhook deliveries have not reached the bot; #1 to")
        body = response.json()
        assert body["unsettled_total"] == 121 and body["states"] == {"pending": 121}
        assert [u["id"] for u in body["unsettled"]] == [str(n) for n in range(1, UNSETTLED_SHOWN + 1)]


def test_queued_statuses_survive_a_restart_with_the_sqlite_store(tmp_path: Path) -> None:
    path = str(tmp_path / "e.sqlite")
    with emulator_on_sqlite(path, webhook_url="") as (client, _):
        open_window(client)
        message_id = send(client, "kept")
        drain(client, lenient=True)
    with emulator_on_sqlite(path) as (client, receiver):
        drain(client)
        assert [s["status"] for s in receiver.statuses(message_id)] == ["delivered", "read"]
        health = client.get("/_emulator/health").json()["webhooks"]
        assert health["pending"] == 0 and health["stored"] == 3  # the user's message and two statuses


def test_a_queued_status_can_be_redelivered_with_its_content(clock: EmulatorClock) -> None:
    with emulator_with_receiver(clock=clock, webhook_url="") as (client, receiver):
        open_window(client)
        message_id = send(client, "again")
        [delivered] = [d for d in client.get("/_emulator/webhooks").json()["webhooks"] if "statuses" in d["content"]][
            :1
        ]
        response = client.post(f"/_emulator/webhooks/{delivered['id']}/redeliver")
        assert response.status_code == 201, response.text
        copy = response.json()
        assert copy["redelivery_of"] == delivered["id"] and copy["content"] == delivered["content"]
        assert client.get(f"/_emulator/webhooks/{copy['id']}").json()["content"] == delivered["content"]
        set_url(client)
        drain(client)
        assert [s["status"] for s in receiver.statuses(message_id)] == ["delivered", "read", "delivered"]


def test_a_status_whose_message_was_forgotten_cannot_be_redelivered(clock: EmulatorClock) -> None:
    with emulator_with_receiver(Settings(seed=7, max_messages=10), clock=clock, webhook_url="") as (client, _):
        open_window(client)
        send(client, "first")
        first_status = client.get("/_emulator/webhooks?limit=2").json()["webhooks"][1]
        for n in range(12):  # past --max-messages: the first message is forgotten
            send(client, f"m{n}")
        response = client.post(f"/_emulator/webhooks/{first_status['id']}/redeliver")
        error = assert_error(response, 404, 1006)  # was a 500: the refusal names why
        assert GONE in error["details"]
        assert client.get("/_emulator/health").status_code == 200
