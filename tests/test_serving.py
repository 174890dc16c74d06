"""The HTTP protocol the emulator serves with (``emulator.serving``): each answer of known length in one write.

Each test feeds raw request bytes to the protocol over a transport that records every write, as
uvicorn's server would, and runs the loop until the answer is complete.
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
from emulator.serving import OneWriteProtocol, http_protocol
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

    def close(self) -> None:
        self.closed = True
        self.events.append("close")

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def serve(app: App, request: bytes = POST) -> Transport:
    """Feed ``request`` to a OneWriteProtocol serving ``app``; the transport once the app is done."""

    async def go() -> Transport:
        config = uvicorn.Config(app, http=OneWriteProtocol, log_level="critical", lifespan="off")
        config.load()
        protocol = OneWriteProtocol(config, ServerState(), app_state={})
        transport = Transport()
        protocol.connection_made(transport)
        protocol.data_received(request)
        deadline = asyncio.get_running_loop().time() + 5
        while protocol.tasks and asyncio.get_running_loop().time() < deadline:
            await asyncio.gather(*protocol.tasks, return_exceptions=True)
        protocol.connection_lost(None)
        return transport

    return asyncio.run(go())


def answering(*messages: Message, fail: bool = False) -> App:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        for message in messages:
            await send(message)
        if fail:
            raise RuntimeError("after the head")

    return app


def start(status: int = 201, length: int | None = 2) -> Message:
    headers = [(b"content-type", b"application/json")]
    if length is not None:
        headers.insert(0, (b"content-length", b"%d" % length))
    return {"type": "http.response.start", "status": status, "headers": headers}


def body(data: bytes, more: bool = False) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


def test_an_answer_of_known_length_is_one_write_head_and_body() -> None:
    transport = serve(answering(start(), body(b"{}")))
    assert len(transport.writes) == 1
    head, _, rest = transport.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201 Created\r\n")
    assert b"content-length: 2" in head and rest == b"{}"


def test_a_body_in_pieces_sends_its_first_piece_with_the_head() -> None:
    transport = serve(answering(start(length=4), body(b"ab", more=True), body(b"cd")))
    assert len(transport.writes) == 2
    assert transport.writes[0].endswith(b"\r\n\r\nab") and transport.writes[1] == b"cd"


def test_a_stream_of_unknown_length_writes_its_head_at_once() -> None:
    """An event stream's client sees the head before the first event, as uvicorn would write it."""
    transport = serve(answering(start(200, length=None), body(b"data: 1\n\n", more=True), body(b"")))
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.writes[0].endswith(b"transfer-encoding: chunked\r\n\r\n")
    assert b"".join(transport.writes[1:]) == b"9\r\ndata: 1\n\n\r\n0\r\n\r\n"


def test_connection_close_closes_after_the_one_write() -> None:
    request = POST.replace(b"host: x\r\n", b"host: x\r\nconnection: close\r\n")
    transport = serve(answering(start(), body(b"{}")), request)
    assert transport.events[:2] == ["write", "close"] and transport.events.count("write") == 1
    assert transport.writes[0].endswith(b"\r\n\r\n{}")


def test_an_app_failing_after_its_held_head_answers_500_not_a_cut_connection() -> None:
    """The held head never went out: uvicorn's own 500 replaces it (uvicorn alone would cut the connection)."""
    transport = serve(answering(start(), fail=True))
    assert len(transport.writes) == 1
    assert transport.writes[0].startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert transport.writes[0].endswith(b"Internal Server Error")


def test_head_requests_write_the_head_alone() -> None:
    request = POST.replace(b"POST", b"HEAD", 1)
    transport = serve(answering(start(length=2), body(b"")), request)
    assert len(transport.writes) == 1 and transport.writes[0].endswith(b"\r\n\r\n")


def test_the_protocol_is_the_one_the_emulator_serves_with() -> None:
    assert http_protocol() is OneWriteProtocol


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
