"""The page's routes and its event stream, without a browser.

The stream never ends by itself, so TestClient (which reads a response to its end) cannot read it:
these tests drive the ASGI app directly, or a real emulator process over HTTP.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.onprem.codes import TABLE as ONPREM
from emulator.settings import Settings
from emulator.store import MemoryStore
from emulator.ui.live import MAX_BACKLOG, Stream
from tests.conftest import T0, assert_error
from tests.process import running_emulator

ALICE = "15550001111"
HI = {"type": "text", "text": {"body": "hi"}}


# -- the page and the sidebar ---------------------------------------------------------------------


def test_the_page_is_served_with_its_modules_and_styles(client: TestClient) -> None:
    page = client.get("/_emulator/ui")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="ui/static/app.js">' in page.text
    script = client.get("/_emulator/ui/static/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/_emulator/ui/static/style.css").headers["content-type"].startswith("text/css")


def test_an_unknown_static_file_is_404_with_the_error_envelope(client: TestClient) -> None:
    assert_error(client.get("/_emulator/ui/static/nope.js"), 404, 1006)


def test_chats_list_every_user_latest_conversation_first_with_window_and_last_message(client: TestClient) -> None:
    assert client.post(f"/_emulator/users/{ALICE}/messages", json=HI).status_code == 200
    assert client.post("/_emulator/users/15550003333/messages", json=HI).status_code == 200
    body = client.get("/_emulator/ui/chats").json()
    assert body["now"] == T0
    chats = body["chats"]
    assert [c["wa_id"] for c in chats[:2]] == ["15550003333", ALICE]
    assert chats[0]["last"]["message"]["text"] == {"body": "hi"}
    assert chats[0]["window"] == {"open": True, "expires_at": T0 + 86400, "remaining_s": 86400.0}
    bruno = next(c for c in chats if c["wa_id"] == "15550002222")
    assert bruno["last"] is None and bruno["window"]["open"] is False and bruno["user"]["name"] == "Bruno Costa"


def test_the_control_token_guards_the_page_data_as_a_header_or_in_the_query() -> None:
    app = create_app(Settings(seed=7, control_token="s3cret"), store=MemoryStore())
    with TestClient(app) as client:
        assert client.get("/_emulator/ui").status_code == 200  # the page holds no data
        assert_error(client.get("/_emulator/ui/chats"), 401, 1005)
        assert_error(client.get("/_emulator/events"), 401, 1005)
        assert_error(client.get("/_emulator/events?token=wrong"), 401, 1005)
        assert client.get("/_emulator/ui/chats?token=s3cret").status_code == 200  # as EventSource must send it
        assert client.get("/_emulator/ui/chats", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_the_download_script_link_works_with_a_control_token() -> None:
    app = create_app(Settings(seed=7, control_token="s3cret"), store=MemoryStore())
    with TestClient(app) as client:
        link = "/_emulator/conversations/15550001111?format=script&token="  # as api.controlUrl builds it
        assert client.get(link + "s3cret").status_code == 200  # was 401: the route read only the header
        assert_error(client.get(link + "wrong"), 401, 1005)
        assert_error(client.post("/_emulator/reset?token=s3cret"), 401, 1005)  # a change still needs the header


# -- the event stream, in process -----------------------------------------------------------------


class Driven:
    """An ``GET /_emulator/events`` request driven by hand: what it sent, and a way to hang up."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.hang_up = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.parsed: deque[tuple[str, Any]] = deque()

    async def receive(self) -> dict[str, Any]:
        await self.hang_up.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        await self.sent.put(message)

    async def event(self, name: str, timeout: float = 5.0) -> Any:
        """The data of the next event called ``name`` (others are skipped)."""
        async with asyncio.timeout(timeout):
            while True:
                while self.parsed:
                    event, data = self.parsed.popleft()
                    if event == name:
                        return data
                message = await self.sent.get()
                for block in message.get("body", b"").split(b"\n\n"):
                    lines = dict(line.split(b": ", 1) for line in block.split(b"\n") if b": " in line)
                    if b"event" in lines:
                        self.parsed.append((lines[b"event"].decode(), orjson.loads(lines[b"data"])))


@asynccontextmanager
async def stream_of(app: Starlette) -> AsyncIterator[Driven]:
    scope = {"type": "http", "method": "GET", "path": "/_emulator/events", "headers": [], "query_string": b""}
    scope |= {"http_version": "1.1", "scheme": "http", "server": ("test", 80), "client": ("test", 1), "root_path": ""}
    driven = Driven(app)
    driven.task = asyncio.create_task(app(scope, driven.receive, driven.send))
    try:
        yield driven
    finally:
        driven.hang_up.set()
        await asyncio.wait_for(driven.task, 5)


@asynccontextmanager
async def started() -> AsyncIterator[Starlette]:
    app = create_app(Settings(seed=7), store=MemoryStore(), clock=EmulatorClock(base=lambda: T0))
    await app.state.emulator.start()
    try:
        yield app
    finally:
        await app.state.emulator.stop()


def test_the_stream_sends_changes_and_unsubscribes_when_the_client_hangs_up() -> None:
    async def scenario() -> None:
        async with started() as app:
            tenant = app.state.emulator.tenant()
            queue = app.state.emulator.webhooks(tenant)
            listeners = len(tenant.feed.listeners)
            interrupt = signal.getsignal(signal.SIGINT)
            async with stream_of(app) as stream:
                start = await stream.sent.get()
                assert start["status"] == 200
                assert (b"content-type", b"text/event-stream; charset=utf-8") in start["headers"]
                assert await stream.event("clock") == {"now": T0, "offset": 0.0, "frozen": False}
                assert len(tenant.feed.listeners) == listeners + 1 and len(queue.on_change) == 1
                tenant.actions.send(ALICE, HI)
                inbound = await stream.event("inbound")
                assert inbound["from"] == ALICE and inbound["message"]["text"] == {"body": "hi"}
                assert (await stream.event("webhook"))["state"] == "pending"  # queued: no URL set
                record = tenant.send_message({"to": ALICE, "type": "text", "text": {"body": "yo"}}, ONPREM.channel)
                assert (await stream.event("message"))["id"] == record["id"]
                await app.state.emulator.reset(tenant)
                assert await stream.event("reset") == {}
            assert len(tenant.feed.listeners) == listeners and queue.on_change == []
            assert signal.getsignal(signal.SIGINT) is interrupt  # hooked only while a stream is open
            assert not [t for t in asyncio.all_tasks() if t.get_name() == "events:disconnect"]

    asyncio.run(scenario())


def test_the_stream_tells_when_the_clock_is_moved() -> None:
    async def scenario() -> None:
        async with started() as app, stream_of(app) as stream:
            tenant = app.state.emulator.tenant()
            await stream.event("clock")
            tenant.clock.advance(3600)
            assert await stream.event("clock") == {"now": T0 + 3600, "offset": 3600.0, "frozen": False}

    asyncio.run(scenario())


def test_no_page_open_means_no_listener_on_the_send_path(client: TestClient) -> None:
    tenant = client.app.state.emulator.tenant()
    before = list(tenant.feed.listeners)
    client.get("/_emulator/ui")
    client.get("/_emulator/ui/chats")
    assert client.post(f"/_emulator/users/{ALICE}/messages", json=HI).status_code == 200
    assert tenant.feed.listeners == before


def test_a_stream_too_far_behind_is_closed_so_that_the_page_reconnects_and_reloads() -> None:
    async def scenario() -> None:
        stream = Stream()
        for _ in range(MAX_BACKLOG):
            stream.push(b"event: x\ndata: {}\n\n")
        assert not stream.closed
        stream.push(b"one too many")
        assert stream.closed
        assert (await stream.next(0)).count(b"event: x") == MAX_BACKLOG

    asyncio.run(scenario())


# -- the event stream over HTTP, from a real process ----------------------------------------------


@pytest.fixture
def served() -> Iterator[Any]:
    with running_emulator(["--seed", "3"]) as running:
        yield running


def _events(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    name = ""
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield name, orjson.loads(line.removeprefix("data: "))


def test_over_http_the_stream_carries_what_the_user_sends(served: Any) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as client, client.stream("GET", "/_emulator/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["cache-control"] == "no-store"
        events = _events(stream.iter_lines())
        assert next(events)[0] == "clock"
        assert client.post(f"/_emulator/users/{ALICE}/messages", json=HI).status_code == 200
        name, data = next(events)
        assert name == "inbound" and data["message"]["text"] == {"body": "hi"}


def test_a_stopping_server_ends_open_streams_instead_of_waiting_on_them(served: Any) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as client, client.stream("GET", "/_emulator/events") as stream:
        lines = stream.iter_lines()
        assert next(lines) == "retry: 1000"
        stopped_at = time.monotonic()
        served.process.send_signal(signal.SIGTERM)
        rest = list(lines)  # ends when the server ends the stream (the read timeout would fail this)
        assert all(not line.startswith("event: ") or line == "event: clock" for line in rest)
    served.process.wait(timeout=10)  # uvicorn re-raises the signal once it has shut down gracefully
    assert time.monotonic() - stopped_at < 5  # without the stream ending, uvicorn would wait on it for ever


@pytest.mark.parametrize("path", ["/", "/_emulator", "/_emulator/"])
def test_the_root_and_the_control_prefix_lead_to_the_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and response.url.path == "/_emulator/ui"
    assert response.history[-1].headers["location"].endswith("_emulator/ui")


def test_the_api_reference_page_is_served_without_a_token(client: TestClient) -> None:
    page = client.get("/_emulator/ui/api")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="static/reference.js">' in page.text
