"""A journaled call's messages as the request log sees them (``emulator.exchange``), and the layers that use it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from emulator.domain.reasons import Reason, Refusal
from emulator.errors import ErrorBoundary, endpoint
from emulator.exchange import Exchange, exchange_of
from emulator.journal import Query
from emulator.requestlog import RequestLog
from emulator.runtime import Emulator
from emulator.settings import Settings
from emulator.web import JSONResponse, read_body

SCOPE: Scope = {"type": "http", "method": "POST", "path": "/v1/messages", "headers": [], "query_string": b""}


def server(*messages: Message) -> tuple[Receive, Send, list[Message]]:
    """A server's receive (these messages, then a disconnect) and send (into the list returned)."""
    incoming = list(messages)
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    return receive, send, sent


def chunk(body: bytes, *, more: bool) -> Message:
    return {"type": "http.request", "body": body, "more_body": more}


def test_a_body_past_the_cap_is_noted_up_to_the_cap_and_handed_on_whole() -> None:
    receive, send, _ = server(chunk(b"abc", more=True), chunk(b"defg", more=True), chunk(b"hi", more=False))
    exchange = Exchange(receive, send, 5, 9)

    async def run() -> list[Message]:
        await exchange.read_ahead()
        return [await exchange.receive() for _ in range(4)]

    messages = asyncio.run(run())
    assert [m.get("body") for m in messages] == [b"abc", b"defg", b"hi", None]
    assert (exchange.asked_body, exchange.asked_size, exchange.whole_body()) == (b"abcde", 9, None)


def test_read_body_takes_a_whole_body_read_ahead_without_receiving_again() -> None:
    receive, send, _ = server(chunk(b'{"a": 1}', more=False))
    exchange = Exchange(receive, send, 100, 8)

    async def run() -> tuple[bytes, Message]:
        await exchange.read_ahead()
        request = Request(SCOPE, exchange.receive, exchange.send)
        return await read_body(request, 100), await exchange.receive()

    assert asyncio.run(run()) == (b'{"a": 1}', {"type": "http.disconnect"})
    assert exchange_of(exchange.receive) is exchange and exchange_of(receive) is None


def test_read_body_refuses_a_whole_body_read_ahead_past_its_limit() -> None:
    receive, send, _ = server(chunk(b"x" * 11, more=False))
    exchange = Exchange(receive, send, 100, 11)

    async def run() -> bytes:
        await exchange.read_ahead()
        return await read_body(Request(SCOPE, exchange.receive, exchange.send), 10)

    with pytest.raises(Refusal):
        asyncio.run(run())


def boundary_run(app: Any) -> tuple[Exchange, list[Message]]:
    """``app`` below the error boundary, given an exchange's receive and send as the request log gives them."""

    async def refused(request: Request, exc: Exception) -> Response:
        return Response(b"refused", status_code=400)

    receive, send, sent = server()
    exchange = Exchange(receive, send, 100, 0)
    asyncio.run(ErrorBoundary(app, {Refusal: refused})(SCOPE, exchange.receive, exchange.send))
    return exchange, sent


def test_the_boundary_answers_a_refusal_raised_before_the_answer_started() -> None:
    async def fail(scope: Scope, receive: Receive, send: Send) -> None:
        raise Refusal(Reason.INVALID_PARAMETER)

    exchange, sent = boundary_run(fail)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert (exchange.status, exchange.answer_body) == (400, b"refused")


def test_the_boundary_asks_the_exchange_whether_the_answer_started() -> None:
    async def start_then_fail(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise Refusal(Reason.INVALID_PARAMETER)

    with pytest.raises(RuntimeError, match="response already started"):
        boundary_run(start_then_fail)


def test_an_endpoint_sends_a_json_answer_through_the_exchange_as_send_would_note_it() -> None:
    async def send_json(request: Request) -> Response:
        return JSONResponse({"text": "x" * 200}, status_code=201)

    receive, send, sent = server()
    exchange = Exchange(receive, send, 100, 0)
    asyncio.run(endpoint(send_json)(SCOPE, exchange.receive, exchange.send))
    body = sent[1]["body"]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert (sent[0]["status"], exchange.status, exchange.answer_headers) == (201, 201, sent[0]["headers"])
    assert (exchange.answer_body, exchange.answer_size) == (body[:100], len(body))


def logged_run(app: Any, emulator: Emulator) -> list[Message]:
    """``app`` below the error boundary below the request log (as the app is built), journaled in ``emulator``."""

    async def refused(request: Request, exc: Exception) -> Response:
        return Response(b"refused", status_code=400)

    receive, send, sent = server(chunk(b"{}", more=False))
    log = RequestLog(ErrorBoundary(app, {Refusal: refused}), emulator)
    asyncio.run(log({**SCOPE, "headers": [(b"content-length", b"2")]}, receive, send))
    return sent


def test_the_request_log_recovers_as_the_boundary_below_it_would() -> None:
    async def fail(scope: Scope, receive: Receive, send: Send) -> None:
        raise Refusal(Reason.INVALID_PARAMETER)

    async def start_then_fail(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise Refusal(Reason.INVALID_PARAMETER)

    emulator = Emulator(Settings(seed=1))
    sent = logged_run(fail, emulator)
    entry = emulator.journal.select(Query())[-1]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert (entry.status, entry.response_body, entry.request_body) == (400, b"refused", b"{}")
    with pytest.raises(RuntimeError, match="response already started"):
        logged_run(start_then_fail, emulator)
    assert emulator.journal.select(Query())[-1].status == 200
