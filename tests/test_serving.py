"""The HTTP protocol the emulator serves with (``emulator.serving``): writes corked until the end of the loop turn.

Each test feeds raw request bytes to the protocol over a transport that records every write, as
uvicorn's server would, and runs the loop until the answer is complete and the turn's writes are out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.types import Message, Receive, Scope, Send
from uvicorn.server import ServerState

from emulator.replay.server import ThreadedServer
from emulator.serving import JOIN_BYTES, CorkedProtocol, http_protocol
from emulator.settings import Settings

App = Callable[[Scope, Receive, Send], Awaitable[None]]
POST = b"POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}"


class Transport(asyncio.Transport):
    """What the protocol writes, and whether it closed the connection."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.events: list[str] = []

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 9000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))
        self.events.append("write")

    def writelines(self, parts: Any) -> None:
        self.writes.append(b"".join(parts))
        self.events.append("writelines")

    def close(self) -> None:
        self.closed = True
        self.events.append("close")

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def connect() -> tuple[CorkedProtocol, Transport]:
    """A protocol (on the running loop) serving ``app``, and the transport it writes to."""
    protocol = CorkedProtocol(CONFIG, ServerState(), app_state={})
    transport = Transport()
    protocol.connection_made(transport)
    return protocol, transport


async def turn() -> None:
    """Return once the callbacks due now have run (the writes corked this turn among them)."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    loop.call_soon(done.set_result, None)
    await done


async def finish(*protocols: CorkedProtocol) -> None:
    """Wait for the protocols' requests to be answered, then for the turn's writes."""
    for protocol in protocols:
        await asyncio.wait_for(asyncio.gather(*protocol.tasks), 5)
    await turn()


def serve(app: App, request: bytes = POST) -> Transport:
    """Feed ``request`` to a CorkedProtocol serving ``app``; the transport once its writes are out."""

    async def go() -> Transport:
        CONFIG.loaded_app = app
        protocol, transport = connect()
        protocol.data_received(request)
        await finish(protocol)
        protocol.connection_lost(None)
        return transport

    return asyncio.run(go())


def answering(*messages: Message) -> App:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        for message in messages:
            await send(message)

    return app


def start(status: int = 201, length: int | None = 2) -> Message:
    headers = [(b"content-type", b"application/json")]
    if length is not None:
        headers.insert(0, (b"content-length", b"%d" % length))
    return {"type": "http.response.start", "status": status, "headers": headers}


def body(data: bytes, more: bool = False) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


CONFIG = uvicorn.Config(answering(), http=CorkedProtocol, log_level="critical", lifespan="off")
CONFIG.load()


def test_an_answer_is_one_write_head_and_body() -> None:
    transport = serve(answering(start(), body(b"{}")))
    assert len(transport.writes) == 1
    head, _, rest = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201 Created\r\n")
    assert b"content-length: 2" in head and rest == b"{}"


def test_a_body_sent_in_pieces_in_one_turn_is_one_write() -> None:
    transport = serve(answering(start(length=4), body(b"ab", more=True), body(b"cd")))
    assert len(transport.writes) == 1 and transport.writes[0].endswith(b"\r\n\r\nabcd")


def test_a_large_body_goes_out_in_one_vectored_write_not_copied_into_one_buffer() -> None:
    large = b"x" * (JOIN_BYTES + 1)
    transport = serve(answering(start(length=len(large)), body(large)))
    assert transport.events[0] == "writelines" and "write" not in transport.events
    assert transport.writes[0].endswith(b"\r\n\r\n" + large)


def test_the_answers_of_one_turn_go_out_together_one_write_per_connection() -> None:
    async def go() -> list[Transport]:
        CONFIG.loaded_app = answering(start(), body(b"{}"))
        connections = [connect() for _ in range(3)]
        for protocol, _ in connections:
            protocol.data_received(POST)
        await finish(*(protocol for protocol, _ in connections))
        return [transport for _, transport in connections]

    assert [len(t.writes) for t in asyncio.run(go())] == [1, 1, 1]


def test_a_stream_head_goes_out_at_the_end_of_its_turn_not_with_its_first_event() -> None:
    """An event stream's client sees the head while the stream waits for its first event."""

    async def go() -> tuple[list[bytes], list[bytes]]:
        release = asyncio.get_running_loop().create_future()

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await send(start(200, length=None))
            await release  # no event yet
            await send(body(b"data: 1\n\n", more=True))
            await send(body(b""))

        CONFIG.loaded_app = app
        protocol, transport = connect()
        protocol.data_received(POST)
        await turn()  # the app runs, sends its head and waits
        await turn()  # the turn's writes go out
        before = list(transport.writes)
        release.set_result(None)
        await finish(protocol)
        return before, transport.writes

    before, after = asyncio.run(go())
    assert len(before) == 1 and before[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert before[0].endswith(b"transfer-encoding: chunked\r\n\r\n")
    assert b"".join(after[1:]) == b"9\r\ndata: 1\n\n\r\n0\r\n\r\n"


def test_a_close_waits_for_the_answer_and_writes_in_order() -> None:
    request = POST.replace(b"host: x\r\n", b"host: x\r\nconnection: close\r\n")
    transport = serve(answering(start(), body(b"{}")), request)
    assert transport.events[:2] == ["write", "close"] and transport.events.count("write") == 1
    assert transport.writes[0].endswith(b"\r\n\r\n{}")


def test_a_peer_gone_before_the_end_of_the_turn_gets_no_write() -> None:
    async def go() -> Transport:
        protocol, transport = connect()

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await send(start())
            await send(body(b"{}"))
            transport.closed = True  # the peer went in the same turn: the answer is still corked

        protocol.app = app
        protocol.data_received(POST)
        await finish(protocol)
        return transport

    assert asyncio.run(go()).writes == []


def test_a_connection_whose_write_fails_is_aborted_and_the_others_still_get_their_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(Transport):
        aborted = False

        def write(self, data: bytes | bytearray | memoryview) -> None:
            raise OSError("broken pipe")

        def abort(self) -> None:
            self.aborted = True

    async def go() -> tuple[Broken, Transport]:
        CONFIG.loaded_app = answering(start(), body(b"{}"))
        first = Broken()
        broken = CorkedProtocol(CONFIG, ServerState(), app_state={})
        broken.connection_made(first)  # first: its answer is the first corked this turn
        protocol, healthy = connect()
        broken.data_received(POST)
        protocol.data_received(POST)
        await finish(broken, protocol)
        return first, healthy

    first, healthy = asyncio.run(go())
    assert first.aborted and len(healthy.writes) == 1
    assert "could not write to a connection" in caplog.text


def test_head_requests_write_the_head_alone() -> None:
    request = POST.replace(b"POST", b"HEAD", 1)
    transport = serve(answering(start(length=2), body(b"")), request)
    assert len(transport.writes) == 1 and transport.writes[0].endswith(b"\r\n\r\n")


def test_the_protocol_is_the_one_the_emulator_serves_with() -> None:
    assert http_protocol() is CorkedProtocol


@pytest.mark.parametrize("path", ["/v1/health", "/_emulator/health"])
def test_a_served_emulator_answers_through_it(path: str) -> None:
    """The replay server (and ``serve``) run uvicorn with this protocol: answers arrive whole."""
    from emulator.app import create_app

    server = ThreadedServer(create_app(Settings()))
    base = server.start()
    try:
        answer = httpx.get(base + path)
    finally:
        server.stop()
    assert answer.status_code in (200, 401) and answer.headers["content-length"] == str(len(answer.content))
