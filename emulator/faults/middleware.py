"""API faults: an ASGI middleware that answers a matching request as the fault rule says.

It runs outside the app's own middleware, so that ``send`` is the server's: a dropped connection is
then a real one (the socket is closed without an answer). What a rule's action does:

* ``latency_ms``: wait that long first (alone: then answer as usual);
* ``error`` (a code of the API's table) or ``status`` (an HTTP status, answered with the API's code
  for it): the error in the API's own envelope, with ``x-wa-emulator-fault`` naming the rule;
* ``drop``: close the connection without an answer;
* ``timeout``: answer nothing until the client gives up (at most ``timeout_s``, default 60), then
  close the connection.

With ``processed: true`` a dropped or timed-out request is handled first (the message is recorded
and goes out) and only its answer is lost: what a bot's retry must not send twice. The control API
and the page are never faulted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.cloud.routes import api_of, graph_node
from emulator.errors import render_code
from emulator.faults.rules import APIS, FaultRule, effect
from emulator.phone import normalize
from emulator.tenancy import DEFAULT_TENANT, route_path, tenant_in

if TYPE_CHECKING:
    from emulator.runtime import Emulator

log = logging.getLogger("wa_emulator")
DEFAULT_TIMEOUT_S = 60.0
PEEK_LIMIT = 1024 * 1024  # bodies larger than this are not read for ``type``/``to`` matching
FAULT_HEADER = "x-wa-emulator-fault"


class DroppedConnection(ConnectionError):
    """Raised where the server gives no way to close the connection (an in-process test client)."""


class FaultInjector:
    """ASGI middleware applying the emulator's API fault rules."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        book = self.emulator.faults
        if scope["type"] != "http" or not book.request_rules:
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        api = api_of(path)
        if api is None:
            await self.app(scope, receive, send)
            return
        tenant = self._tenant(scope, api, path)
        message_type = to = None
        if scope["method"] in ("POST", "PUT") and book.wants_body(tenant, api):
            body, receive = await _buffered(receive)
            message_type, to = _peek(body)
        rule = book.for_request(tenant, api, scope["method"], path, message_type, to)
        if rule is None:
            await self.app(scope, receive, send)
            return
        log.info("fault rule %s of %s: %s %s -> %s", rule.id, rule.owner, scope["method"], path, effect(rule.action))
        await self._apply(rule, api, scope, receive, send)

    def _tenant(self, scope: Scope, api: str, path: str) -> str:
        """The tenant of the request: its prefix, else (Cloud) the tenant of the phone_number_id in the path."""
        named = tenant_in(scope)
        if named is not None or api != "cloud":
            return named or DEFAULT_TENANT
        node = graph_node(path)
        found = None if node is None else self.emulator.directory.by_phone_number_id(node)
        return found or DEFAULT_TENANT

    async def _apply(self, rule: FaultRule, api: str, scope: Scope, receive: Receive, send: Send) -> None:
        action = rule.action
        if "latency_ms" in action:
            await asyncio.sleep(float(action["latency_ms"]) / 1000.0)
        if "error" in action or "status" in action:
            table, statuses = APIS[api]
            code = int(action["error"]) if "error" in action else statuses[int(action["status"])]
            status = int(action["status"]) if "status" in action else _http(table.codes, code)
            details = str(action.get("details") or f"Injected by wa-emulator fault rule {rule.id}.")
            response = render_code(Request(scope, receive), code, details, status)
            response.headers[FAULT_HEADER] = rule.id
            await response(scope, receive, send)
            return
        if "drop" in action or "timeout" in action:
            if action.get("processed"):
                await self.app(scope, receive, _discard)
            if "timeout" in action:
                await _until_disconnect(receive, float(action.get("timeout_s", DEFAULT_TIMEOUT_S)))
            await _drop(send)
            return
        await self.app(scope, receive, send)


def _http(codes: Any, code: int) -> int:
    known = codes.get(code)
    return int(known.http) if known is not None else 500


async def _buffered(receive: Receive) -> tuple[bytes | None, Receive]:
    """The request body (None if too large to peek at) and a ``receive`` that hands it on unchanged."""
    messages: list[Message] = []
    size = 0
    complete = False
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            complete = True
            break
        if size > PEEK_LIMIT:
            break
    body = b"".join(m.get("body", b"") for m in messages) if complete else None

    async def replay() -> Message:
        if messages:
            return messages.pop(0)
        return await receive()

    return body, replay


def _peek(body: bytes | None) -> tuple[str | None, str | None]:
    """The message type and the recipient (digits) a send names, if the body is one."""
    if not body:
        return None, None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(data, dict):
        return None, None
    given = data.get("to") or data.get("recipient")
    to = normalize(str(given)) if given else None
    kind = data.get("type") or ("text" if given else None)
    return (str(kind) if kind is not None else None), to


async def _discard(message: Message) -> None:
    """A ``send`` that loses the answer of a processed request."""


async def _until_disconnect(receive: Receive, limit: float) -> None:
    """Wait until the client hangs up (or ``limit`` seconds pass)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(limit):
            while (await receive())["type"] != "http.disconnect":
                pass


async def _drop(send: Send) -> None:
    """Close the connection without an answer.

    ASGI has no message for this. uvicorn's ``send`` is a method of its request cycle, which holds
    the transport: closing it is exactly a dropped connection, and uvicorn, seeing the client gone,
    writes nothing more. Elsewhere (an in-process test client) the request fails with an exception.
    """
    transport: Any = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None and callable(getattr(transport, "close", None)):
        transport.close()
        for _ in range(3):  # let the event loop run connection_lost, so uvicorn knows the client is gone
            await asyncio.sleep(0)
        return
    raise DroppedConnection("connection dropped by a wa-emulator fault rule")
