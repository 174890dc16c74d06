"""One ASGI middleware around the whole app: a log line for every request, a journal entry for every API call.

It sits outside Starlette's error middleware, so it sees the answer a bug gets too. Handlers and the
error handler note what only they know in the request's scope (who the token belongs to, which
error was answered); nothing here knows a route.

Request bodies are captured as the app reads them, and their first ``--journal-body-bytes`` read
before the app runs, so that a body the app never reads (refused before it got that far: a bad
token, say) is journaled too.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from emulator.cloud.routes import api_of as api_below_prefix
from emulator.cloud.routes import graph_node
from emulator.tenancy import DEFAULT_TENANT, PREFIX
from emulator.web import ERROR, OWNER

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from emulator.domain.tenant import Tenant
    from emulator.runtime import Emulator

access = logging.getLogger("wa_emulator.access")
QUIET_PATHS = frozenset({"/_emulator/health"})  # polled by health checks: logged at debug only


def api_of(path: str) -> str | None:
    """The emulated API a path as requested belongs to (its ``/t/{tenant}`` prefix, if any, set aside)."""
    if path.startswith(PREFIX):  # /t/{tenant}/...: the API of the rest
        rest = path[len(PREFIX) :].partition("/")[2]
        return api_below_prefix("/" + rest) if rest else None
    return api_below_prefix(path)


class _Seen:
    """What went by in one direction: the start of the answer, and a body up to the cap."""

    __slots__ = ("body", "cap", "content_type", "size", "status")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.status = 500  # if the app answers nothing at all
        self.content_type = ""
        self.body = b""
        self.size = 0

    def chunk(self, data: bytes) -> None:
        self.size += len(data)
        room = self.cap - len(self.body)
        if room > 0 and data:
            self.body += data[:room]


class RequestLog:
    """Logs one line per request and journals every call to ``/v1`` and the Cloud API."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        api = api_of(scope["path"])
        if api is None:
            answer = _Seen(0)
            try:
                await self.app(scope, receive, _watch(send, answer, capture=False))
            finally:
                _log_line(scope, answer.status, started)
            return
        # the journaled call, here rather than in a method of its own: one coroutine fewer per call
        journal = self.emulator.journal
        tenant, found = self._tenant_of(scope["path"], api)
        at = (found or self.emulator.tenant()).clock.now()
        asked, answer = _Seen(journal.body_bytes), _Seen(journal.body_bytes)
        request_type, declared = _request_headers(scope["headers"])
        receive = await _read_ahead(receive, asked) if declared and asked.cap else _capture(receive, asked)
        try:
            await self.app(scope, receive, _watch(send, answer, capture=True))
        finally:
            duration = time.perf_counter() - started
            journal.add(
                tenant,
                at,
                scope["method"],
                scope["path"],
                scope["query_string"].decode("latin-1"),
                api,
                answer.status,
                duration,
                scope.get(OWNER),
                scope.get(ERROR),
                request_type,
                asked.body,
                max(asked.size, declared),
                answer.content_type,
                answer.body,
                answer.size,
            )
            _log_line(scope, answer.status, started)

    def _tenant_of(self, path: str, api: str) -> tuple[str, Tenant | None]:
        """The tenant a call addresses (its ``/t/{tenant}`` prefix, else the owner of the Cloud number in it),
        and the tenant itself if it exists."""
        tenants = self.emulator.tenants
        if path.startswith(PREFIX):
            name = path[len(PREFIX) :].split("/", 1)[0]
            return name, tenants.get(name)
        node = graph_node(path) if api == "cloud" else None
        owner = None if node is None else self.emulator.tenant_for_number(node)
        if owner is not None:
            return owner.name, owner
        return DEFAULT_TENANT, tenants.get(DEFAULT_TENANT)


def _watch(send: Send, answer: _Seen, *, capture: bool) -> Send:
    async def watched(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            if capture:
                answer.content_type = _header(message.get("headers", []), b"content-type")
        elif capture and message["type"] == "http.response.body":
            answer.chunk(message.get("body", b""))
        await send(message)

    return watched


def _capture(receive: Receive, asked: _Seen) -> Receive:
    async def captured() -> Message:
        message = await receive()
        if message["type"] == "http.request":
            asked.chunk(message.get("body", b""))
        return message

    return captured


async def _read_ahead(receive: Receive, asked: _Seen) -> Receive:
    """Read the body up to the cap now (journaled even if the app never reads it), then hand it all on."""
    pending: list[Message] = []
    complete = False
    while len(asked.body) < asked.cap:
        message = await receive()
        pending.append(message)
        if message["type"] != "http.request":
            break
        asked.chunk(message.get("body", b""))
        if not message.get("more_body", False):
            complete = True
            break
    # once the whole body is in, only http.disconnect can follow: nothing more to capture
    rest = receive if complete else _capture(receive, asked)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await rest()

    return replayed


def _request_headers(headers: Any) -> tuple[str, int]:
    """The request's content type and declared length (0 if none or not a number), in one pass."""
    content_type = length = None
    for key, value in headers:  # the first of each, as _header finds
        if key == b"content-type":
            content_type = value if content_type is None else content_type
        elif key == b"content-length":
            length = value if length is None else length
    raw = b"" if length is None else length if type(length) is bytes else bytes(length)
    return ("" if content_type is None else _text(content_type)), (
        int(raw) if raw.isdigit() and len(raw) < 19 else 0  # int() reads the ASCII digits of bytes as they are
    )


def _header(headers: Any, name: bytes) -> str:
    """A header's value; ``name`` in lower case, as ASGI gives names (a response's are ours: lower case too)."""
    for key, value in headers:
        if key == name:
            return _text(value)
    return ""


def _text(value: Any) -> str:
    return value.decode("latin-1") if type(value) is bytes else bytes(value).decode("latin-1")


def _log_line(scope: Scope, status: int, started: float) -> None:
    """``POST /v1/messages 400 [1009 Parameter value is not valid] 0.8 ms``: the access log, one line per request."""
    path = scope["path"]
    level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
    if not access.isEnabledFor(level):
        return
    ms = (time.perf_counter() - started) * 1000
    error = scope.get(ERROR)
    code = error[0] if error else None
    shown = f" [{error[0]} {error[1]}]" if error else ""
    fields = {"method": scope["method"], "path": path, "status": status, "code": code, "ms": round(ms, 3)}
    # made and handled directly: Logger.log would also look up the calling frame, a third of a line's cost
    args = (scope["method"], path, status, shown, ms)
    record = access.makeRecord(
        access.name, level, __file__, 0, "%s %s %d%s %.1f ms", args, None, extra={"http": fields}
    )
    access.handle(record)
