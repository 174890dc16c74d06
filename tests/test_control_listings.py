"""Control listings: at most ``limit`` a call with a ``next`` cursor, read without holding up other requests."""

from __future__ import annotations

import httpx
import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.settings import Settings
from tests.conftest import T0, assert_error
from tests.receiver import drain, emulator_with_receiver
from tests.yielding import BusyStore, finishing_order

USER = "15550001111"


def _say(client: TestClient, n: int) -> None:
    for i in range(n):
        client.post(f"/_emulator/users/{USER}/messages", json={"type": "text", "text": {"body": f"m{i}"}})


def _send(api: TestClient, n: int) -> list[str]:
    sent = [api.post("/v1/messages", json={"to": USER, "type": "text", "text": {"body": f"r{i}"}}) for i in range(n)]
    return [r.json()["messages"][0]["id"] for r in sent]


def test_messages_come_a_page_at_a_time_with_a_next_cursor(api: TestClient) -> None:
    _say(api, 1)
    ids = _send(api, 5)
    first = api.get("/_emulator/messages?limit=2").json()
    assert [m["id"] for m in first["messages"]] == ids[:2] and first["next"] == ids[1]
    second = api.get(f"/_emulator/messages?limit=2&after={first['next']}").json()
    assert [m["id"] for m in second["messages"]] == ids[2:4]
    last = api.get(f"/_emulator/messages?limit=2&after={second['next']}").json()
    assert [m["id"] for m in last["messages"]] == ids[4:] and "next" not in last
    assert "next" not in api.get("/_emulator/messages").json()  # all of them fit the default limit


@pytest.mark.parametrize("limit", ["0", "10001", "ten", "-1", "1.5"])
def test_a_limit_outside_1_to_10000_is_refused_with_1009(client: TestClient, limit: str) -> None:
    for path in ("/_emulator/messages", "/_emulator/users", "/_emulator/webhooks", f"/_emulator/conversations/{USER}"):
        error = assert_error(client.get(f"{path}?limit={limit}"), 400, 1009)
        assert error["details"].startswith("limit: must be a whole number from 1 to 10000")


def test_users_and_webhooks_come_a_page_at_a_time(clock: EmulatorClock) -> None:
    with emulator_with_receiver(clock=clock) as (client, _):
        _say(client, 3)
        drain(client)
        users = client.get("/_emulator/users?limit=2").json()
        assert len(users["users"]) == 2 and users["next"] == users["users"][-1]["wa_id"]
        rest = client.get(f"/_emulator/users?after={users['next']}").json()["users"]
        assert len(users["users"]) + len(rest) == len(client.get("/_emulator/users").json()["users"])
        hooks = client.get("/_emulator/webhooks?limit=2").json()
        assert [d["id"] for d in hooks["webhooks"]] == ["1", "2"] and hooks["next"] == "2"
        assert [d["id"] for d in client.get("/_emulator/webhooks?after=2").json()["webhooks"]] == ["3"]


def test_a_conversation_comes_a_page_at_a_time(api: TestClient) -> None:
    _say(api, 1)
    ids = _send(api, 3)
    page = api.get(f"/_emulator/conversations/{USER}?limit=2").json()
    assert [m["direction"] for m in page["messages"]] == ["inbound", "outbound"] and page["next"] == ids[0]
    rest = api.get(f"/_emulator/conversations/{USER}?after={ids[0]}").json()
    assert [m["id"] for m in rest["messages"]] == ids[1:] and "next" not in rest
    assert_error(api.get(f"/_emulator/conversations/{USER}?after=nope"), 404, 1006)
    script = api.get(f"/_emulator/conversations/{USER}?format=script&limit=2").text
    assert "r0" in script and "r1" not in script


def test_conversation_pages_walk_both_directions_in_order(api: TestClient) -> None:
    """Pages of any size, in turn, give what one large page gives: in order, each message once, then no ``next``."""
    for i in range(7):
        _say(api, 1)
        _send(api, i % 3)
    api.post("/v1/messages", json={"to": "15550002222", "type": "text", "text": {"body": "elsewhere"}})
    whole = api.get(f"/_emulator/conversations/{USER}?limit=10000").json()
    assert "next" not in whole and len(whole["messages"]) == 13
    seqs = [m["seq"] for m in whole["messages"]]
    assert seqs == sorted(seqs) and {m["direction"] for m in whole["messages"]} == {"inbound", "outbound"}
    for size in (1, 3, 5, 12, 13):
        walked, after = [], None
        while True:
            page = api.get(
                f"/_emulator/conversations/{USER}?limit={size}" + (f"&after={after}" if after else "")
            ).json()
            assert 0 < len(page["messages"]) <= size and page["wa_id"] == USER and "window" in page
            walked += page["messages"]
            if "next" not in page:
                break
            assert page["next"] == page["messages"][-1]["id"] and len(page["messages"]) == size
            after = page["next"]
        assert walked == whole["messages"]


def test_a_conversation_cursor_must_be_one_of_its_messages(api: TestClient) -> None:
    _send(api, 1)
    sent = api.post("/v1/messages", json={"to": "15550002222", "type": "text", "text": {"body": "x"}})
    assert_error(api.get(f"/_emulator/conversations/{USER}?after={sent.json()['messages'][0]['id']}"), 404, 1006)
    last = api.get(f"/_emulator/conversations/{USER}").json()["messages"][-1]["id"]
    after_last = api.get(f"/_emulator/conversations/{USER}?after={last}").json()
    assert after_last["messages"] == [] and "next" not in after_last


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/_emulator/messages?limit=10000", "messages"),
        (f"/_emulator/messages?to={USER}&wait=0", "messages"),
        (f"/_emulator/conversations/{USER}", "messages"),
        ("/_emulator/ui/chats", "messages"),
    ],
)
async def test_listing_a_large_store_lets_other_requests_run(path: str, kind: str) -> None:
    store = BusyStore()
    # records as the emulator keeps them, put straight in (as a restart on a persistent store finds them):
    # more than two store pages; the sidebar then rebuilds its index of latest messages from them
    for n in range(1200):
        record = {
            "id": f"m{n}",
            "direction": "outbound",
            "to": "15550002222",
            "type": "text",
            "payload": {},
            "status": "sent",
            "statuses": [],
            "errors": [],
            "seq": n + 1,
            "created_at": T0,
        }
        store.put("default", "messages", record["id"], record)
    app = create_app(Settings(seed=7), store=store, clock=EmulatorClock(base=lambda: T0))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as client:

        async def listing() -> None:
            assert (await client.get(path)).status_code == 200

        assert await finishing_order(client, store, kind, listing) == ["health", "big"]
