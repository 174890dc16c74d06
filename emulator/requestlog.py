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

from emulator.bounded import keep
from emulator.cloud.routes import api_of as api_below_prefix
from emulator.cloud.routes import graph_node
from emulator.errors import ErrorBoundary
from emulator.exchange import Exchange
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


Route = tuple[str | None, str | None, str | None]  # (api, tenant named by a prefix, Graph node)


def route_of(path: str) -> Route:
    """What a path tells the journal: its API (None: not journaled), the tenant its prefix names, its Graph node."""
    api = api_of(path)
    if path.startswith(PREFIX):
        return api, path[len(PREFIX) :].split("/", 1)[0], None
    return api, None, graph_node(path) if api == "cloud" else None


class RequestLog:
    """Logs one line per request and journals every call to ``/v1`` and the Cloud API.

    What a path tells it (``route_of``) is remembered for at most ``LIMIT`` paths (ids are in paths):
    a bot calls the same few over and over.
    """

    LIMIT = 1024

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator
        # an error boundary right below: a journaled call runs what is below it and recovers as it would
        self.boundary = app if type(app) is ErrorBoundary else None
        self.routes: dict[str, Route] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope["path"]
        route = self.routes.get(path)
        if route is None:
            route = keep(self.routes, path, route_of(path), self.LIMIT)
        api = route[0]
        if api is None:
            seen = [500]  # the status answered: 500 if the app answers nothing at all
            try:
                await self.app(scope, receive, _watch(send, seen))
            finally:
                _log_line(scope, seen[0], started)
            return
        # the journaled call, here rather than in a method of its own: one coroutine fewer per call
        journal = self.emulator.journal
        tenant, found = self._tenant_of(route)
        at = (found or self.emulator.tenant()).clock.now()
        exchange = Exchange(receive, send, journal.body_bytes, _declared_length(scope["headers"]))
        await exchange.read_ahead()
        try:
            if self.boundary is None:
                await self.app(scope, exchange.receive, exchange.send)
            else:  # the boundary's work done here: one coroutine fewer per call
                try:
                    await self.boundary.app(scope, exchange.receive, exchange.send)
                except Exception as exc:
                    await self.boundary.recover(scope, exchange.receive, exchange.send, exc, exchange.status != 0)
        finally:
            status = exchange.status or 500  # 500 if the app answers nothing at all
            journal.add(
                tenant,
                at,
                scope["method"],
                scope["path"],
                scope["query_string"],
                api,
                status,
                time.perf_counter() - started,
                scope.get(OWNER),
                scope.get(ERROR),
                scope["headers"],
                exchange.asked_body,
                max(exchange.asked_size, exchange.declared),
                exchange.answer_headers,
                exchange.answer_body,
                exchange.answer_size,
            )
            _log_line(scope, status, started)

    def _tenant_of(self, route: Route) -> tuple[str, Tenant | None]:
        """The tenant a call addresses (its ``/t/{tenant}`` prefix, else the owner of the Cloud number in it),
        and the tenant itself if it exists."""
        _, name, node = route
        tenants = self.emulator.tenants
        if name is not None:
            return name, tenants.get(name)
        owner = None if node is None else self.emulator.tenant_for_number(node)
        if owner is not None:
            return owner.name, owner
        return DEFAULT_TENANT, tenants.get(DEFAULT_TENANT)


def _watch(send: Send, status: list[int]) -> Send:
    async def watched(message: Message) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]
        await send(message)

    return watched


def _declared_length(headers: Any) -> int:
    """The request's declared body length: its first ``content-length``, 0 if none or not a number."""
    for key, value in headers:
        if key == b"content-length":
            raw = value if type(value) is bytes else bytes(value)
            # int() reads the ASCII digits of bytes as they are
            return int(raw) if raw.isdigit() and len(raw) < 19 else 0
    return 0


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
