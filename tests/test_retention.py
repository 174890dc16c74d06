"""Bounded memory and paged control listings: --max-messages, ``?limit=`` and ``next``."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import release, runtime
from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.domain import retention as retention_module
from emulator.domain.messages import INBOUND, KIND
from emulator.settings import Settings
from emulator.store import MemoryStore
from tests.conftest import assert_error, bearer

USER = "15550001111"
TOKEN = bearer("wa-emulator-token")


def start(clock: EmulatorClock, **settings: Any) -> TestClient:
    client = TestClient(create_app(Settings(seed=7, **settings), store=MemoryStore(), clock=clock))
    client.headers.update(TOKEN)
    return client


def say(client: TestClient, body: str = "hi", wa_id: str = USER) -> str:
    """The simulated user writes (which opens the 24-hour window); the inbound message id."""
    response = client.post(f"/_emulator/users/{wa_id}/messages", json={"type": "text", "text": {"body": body}})
    assert response.status_code == 200, response.text
    message_id: str = response.json()["message"]["id"]
    return message_id


def send(client: TestClient, body: str = "hello", to: str = USER) -> str:
    response = client.post("/v1/messages", json={"to": to, "type": "text", "text": {"body": body}})
    assert response.status_code == 201, response.text
    message_id: str = response.json()["messages"][0]["id"]
    return message_id


def health(client: TestClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/_emulator/health").json()
    return body


def test_past_max_messages_the_oldest_are_forgotten_and_counted(clock: EmulatorClock) -> None:
    with start(clock, max_messages=10) as client:
        say(client)
        sent = [send(client, f"m{n}") for n in range(15)]
        kept = [m["id"] for m in client.get("/_emulator/messages").json()["messages"]]
        assert kept == sent[5:]
        assert_error(client.get(f"/_emulator/messages/{sent[0]}"), 404, 1006)
        assert health(client)["messages"] == {"stored": 10, "forgotten": 5, "max": 10}


def test_inbound_messages_are_kept_to_max_messages_too(clock: EmulatorClock) -> None:
    with start(clock, max_messages=3) as client:
        ids = [say(client, f"in {n}") for n in range(5)]
        view = client.get(f"/_emulator/conversations/{USER}").json()
        assert [m["id"] for m in view["messages"]] == ids[2:]
        assert health(client)["inbound"] == {"stored": 3, "forgotten": 2, "max": 3}


def test_a_cursor_that_was_forgotten_is_refused_with_a_clear_404(clock: EmulatorClock) -> None:
    with start(clock, max_messages=2) as client:
        say(client)
        first = send(client)
        send(client)
        send(client)
        error = assert_error(client.get(f"/_emulator/messages?after={first}"), 404, 1006)
        assert "forgotten" in error["details"]


def test_message_listing_is_paged_with_limit_and_next(clock: EmulatorClock) -> None:
    with start(clock) as client:
        say(client)
        sent = [send(client, f"m{n}") for n in range(5)]
        first = client.get("/_emulator/messages?limit=2").json()
        assert [m["id"] for m in first["messages"]] == sent[:2] and first["next"] == sent[1]
        second = client.get(f"/_emulator/messages?limit=2&after={first['next']}").json()
        assert [m["id"] for m in second["messages"]] == sent[2:4]
        last = client.get(f"/_emulator/messages?limit=2&after={second['next']}").json()
        assert [m["id"] for m in last["messages"]] == sent[4:] and "next" not in last


def test_a_filtered_page_has_next_only_when_another_match_follows(clock: EmulatorClock) -> None:
    with start(clock) as client:
        say(client)
        say(client, wa_id="15550002222")
        mine = [send(client, to=USER), send(client, to="15550002222"), send(client, to=USER)]
        page = client.get(f"/_emulator/messages?to={USER}&limit=1").json()
        assert [m["id"] for m in page["messages"]] == [mine[0]] and page["next"] == mine[0]
        page = client.get(f"/_emulator/messages?to={USER}&limit=1&after={page['next']}").json()
        assert [m["id"] for m in page["messages"]] == [mine[2]] and "next" not in page


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "10001"])
def test_a_bad_limit_is_refused_with_1009(clock: EmulatorClock, limit: str) -> None:
    with start(clock) as client:
        for path in ("/_emulator/messages", "/_emulator/webhooks", f"/_emulator/conversations/{USER}"):
            error = assert_error(client.get(f"{path}?limit={limit}"), 400, 1009)
            assert error["details"].startswith("limit:")


def test_a_scan_goes_on_from_the_oldest_kept_when_its_cursor_is_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retention_module, "CHUNK", 2)
    store = MemoryStore()
    retention = retention_module.Retention(store, "t", 100, (KIND, INBOUND))
    for n in range(6):
        store.put("t", KIND, f"m{n}", {"id": f"m{n}"})
    chunks = retention.chunks(KIND, None)
    assert [d["id"] for d in next(chunks)] == ["m0", "m1"]
    store.trim("t", KIND, 3)  # m0, m1 (the cursor) and m2 are forgotten meanwhile
    assert [d["id"] for chunk in chunks for d in chunk] == ["m3", "m4", "m5"]


def test_reset_empties_a_large_record_a_slice_at_a_time(clock: EmulatorClock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "RESET_SLICE", 2)
    with start(clock) as client:
        say(client)
        for n in range(7):
            send(client, f"m{n}")
        assert client.post("/_emulator/reset").status_code == 200
        assert client.get("/_emulator/messages").json() == {"messages": []}
        assert health(client)["messages"]["stored"] == 0 and client.get("/_emulator/webhooks").json()["webhooks"] == []


@pytest.mark.parametrize("keep", [[], ["users"], ["templates"], ["users", "templates"]])
def test_a_reset_of_a_large_record_keeps_what_keep_says_and_nothing_else(
    clock: EmulatorClock, monkeypatch: pytest.MonkeyPatch, keep: list[str]
) -> None:
    monkeypatch.setattr(release, "CHUNK", 2)  # every cleared kind is let go a chunk at a time
    template = {
        "name": "kept_or_not",
        "language": "en_US",
        "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hi"}],
    }
    with start(clock) as client:
        client.put("/_emulator/users/4915123456789", json={"name": "Extra"})
        assert client.post("/_emulator/templates", json=template).status_code == 201
        before = [say(client)] + [send(client, f"m{n}") for n in range(7)] + [say(client, wa_id="15550002222")]
        journal = client.get("/_emulator/requests").json()["requests"]
        assert client.post("/_emulator/reset", json={"keep": keep}).status_code == 200
        assert client.get("/_emulator/messages").json() == {"messages": []}
        assert client.get(f"/_emulator/conversations/{USER}").json()["messages"] == []
        assert health(client)["messages"]["stored"] == 0 and client.get("/_emulator/webhooks").json()["webhooks"] == []
        assert client.get("/_emulator/requests").json()["requests"] == []
        users = {u["wa_id"]: u for u in client.get("/_emulator/users").json()["users"]}
        assert ("4915123456789" in users) == ("users" in keep)
        names = {t["name"] for t in client.get("/_emulator/templates").json()["templates"]}
        assert ("kept_or_not" in names) == ("templates" in keep) and "hello_world" in names
        after = [say(client), send(client, "again")]
        assert not set(after) & set(before)  # ids never come again
        assert [m["id"] for m in client.get(f"/_emulator/conversations/{USER}").json()["messages"]] == after
        assert client.get("/_emulator/requests").json()["requests"][0]["id"] > journal[-1]["id"]  # journal ids go on


def test_every_schema_compiles_for_the_fast_validator() -> None:
    app = create_app(Settings())
    schemas = app.state.emulator.schemas
    for name in schemas.schemas:
        schemas.is_valid(name, {})  # compiled on first use: a broken schema fails here, not in a request


def test_the_sidebar_finds_each_users_latest_message_after_a_restart(clock: EmulatorClock, tmp_path: Any) -> None:
    def started() -> TestClient:
        client = TestClient(create_app(Settings(seed=7, store=f"sqlite:{tmp_path / 'e.sqlite'}"), clock=clock))
        client.headers.update(TOKEN)
        return client

    with started() as client:
        say(client, "from ann")
        say(client, "from bob", wa_id="15550002222")
        last = send(client, "to ann")
    with started() as client:  # the index of latest messages is rebuilt from the store on first use
        chats = {c["wa_id"]: c["last"] for c in client.get("/_emulator/ui/chats").json()["chats"]}
        assert chats[USER]["id"] == last
        assert chats["15550002222"]["message"]["text"]["body"] == "from bob"
        assert chats["447700900123"] is None  # a fixture user who never wrote


def test_the_sidebar_shows_each_users_newest_kept_message(clock: EmulatorClock) -> None:
    with start(clock, max_messages=5) as client:
        say(client, "a")
        send(client, "b")
        say(client, "c", wa_id="15550002222")
        for n in range(6):  # past max_messages: the oldest outbound are forgotten
            send(client, f"n{n}")
        say(client, "d", wa_id="15550002222")
        listed = client.get("/_emulator/ui/chats").json()["chats"]
        assert [c["wa_id"] for c in listed[:2]] == ["15550002222", USER]
        chats = {c["wa_id"]: c["last"] for c in listed}
        for wa_id in (USER, "15550002222"):
            newest = client.get(f"/_emulator/conversations/{wa_id}").json()["messages"][-1]
            assert chats[wa_id] == newest  # the record as it is now (its latest status), as shown
        assert client.post("/_emulator/reset").status_code == 200
        assert all(c["last"] is None for c in client.get("/_emulator/ui/chats").json()["chats"])
