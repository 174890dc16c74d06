"""One error handler for the whole server, rendering each refusal in the envelope of the API called.

``/v1`` and the control API answer in the On-Premises envelope; every other path is the Cloud
(Graph) API's. Starlette's own 404/405 and any bug become refusals first, so nothing escapes as
a bare 500 or a stack trace.

A bug is caught by ``ErrorBoundary`` rather than by a Starlette handler for ``Exception``: that
one re-raises after answering, and uvicorn then drops the connection (with no ``Connection:
close`` to warn the client) and logs the traceback a second time.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.cloud import envelope as cloud
from emulator.cloud.codes import TABLE as CLOUD_TABLE
from emulator.cloud.routes import is_cloud_path
from emulator.domain.reasons import Reason, Refusal
from emulator.exchange import exchange_of
from emulator.onprem import envelope as onprem
from emulator.onprem.codes import TABLE as ONPREM_TABLE
from emulator.tenancy import PREFIX, route_path
from emulator.tenants import NAME_RULE
from emulator.web import ERROR, GUARD, Check, Endpoint, JSONResponse

log = logging.getLogger("wa_emulator")
Handler = Callable[[Request, Exception], Awaitable[Response]]


def render(request: Request, refusal: Refusal) -> Response:
    """The refusal in the envelope of the API the request addressed (noted for the access log and journal)."""
    cloud_path = is_cloud_path(route_path(request.scope))
    table = CLOUD_TABLE if cloud_path else ONPREM_TABLE
    reason = refusal.reason
    request.scope[ERROR] = (table.code(reason), table.title(reason), table.details(reason, refusal.details))
    if cloud_path:
        return cloud.error_response(request, refusal)
    return onprem.error_response(request, refusal)


def render_code(request: Request, code: int, details: str, status: int) -> Response:
    """An error given by its code (a fault rule's) in the envelope of the API the request addressed."""
    if is_cloud_path(route_path(request.scope)):
        return cloud.code_response(request, code, details, status)
    return onprem.code_response(request, code, details, status)


async def on_refusal(request: Request, exc: Exception) -> Response:
    """A refusal raised anywhere below the routes."""
    if not isinstance(exc, Refusal):  # registered for this type only
        return await on_unexpected_error(request, exc)
    return render(request, exc)


async def on_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's 404/405 (unknown path, wrong method), in the API's envelope."""
    if not isinstance(exc, HTTPException):  # registered for this type only
        return await on_unexpected_error(request, exc)
    path = route_path(request.scope)
    cloud_path = is_cloud_path(path)
    if exc.status_code == 404:
        if cloud_path:
            node = path.strip("/").split("/")[-1] or "/"
            refusal = cloud.unknown_node(request.method, node)
        else:
            unknown = f"Unknown path: {request.method} {request.url.path}{_hint(path)}"
            refusal = Refusal(Reason.ENDPOINT_NOT_FOUND, unknown)
    elif exc.status_code == 405:
        refusal = Refusal(Reason.METHOD_NOT_ALLOWED, f"Method {request.method} is not allowed on {request.url.path}")
    else:
        refusal = Refusal(Reason.MALFORMED_REQUEST, str(exc.detail))
    response = render(request, refusal)
    if exc.status_code not in (404, 405) or (exc.status_code == 405 and not cloud_path):
        response.status_code = exc.status_code
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _hint(path: str) -> str:
    if path.startswith(PREFIX):
        return f" ({NAME_RULE}: /t/{{tenant}}/v1/..., /t/{{tenant}}/_emulator/...)"
    return ""


async def on_unexpected_error(request: Request, exc: Exception) -> Response:
    """Any bug: logged with its traceback, answered 500 in the API's envelope with no trace in the body."""
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return render(request, Refusal(Reason.INTERNAL))


class ErrorBoundary:
    """ASGI middleware: every exception below it answered in the API's envelope, the connection left usable.

    One layer doing what Starlette's three would (``ServerErrorMiddleware``, ``ExceptionMiddleware`` and
    the wrapper ``request_response`` puts around each route, see ``endpoint``), each of which wraps
    ``send`` again on every request: a refusal or an HTTP error goes to its handler, anything else (a
    handler's own failure too) is a bug answered 500; should even that fail, a plain 500 as Starlette's.
    """

    def __init__(self, app: ASGIApp, handlers: Mapping[Any, Handler]) -> None:
        self.app = app
        self.handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        # the request log's send already knows whether the answer started: no second wrapper then
        exchange = exchange_of(send)
        if exchange is None:

            async def watched(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

        try:
            await self.app(scope, receive, send if exchange is not None else watched)
        except Exception as exc:
            await self.recover(scope, receive, send, exc, exchange.status != 0 if exchange is not None else started)

    async def recover(self, scope: Scope, receive: Receive, send: Send, exc: Exception, started: bool) -> None:
        """What the boundary does with an exception from below (called while it is being handled): answer it in
        the API's envelope, or, once the answer ``started``, raise again (the request log calls this itself)."""
        if not started:
            await self._answer(scope, receive, send, exc)
        elif self._handler(exc) is not None:  # as Starlette says it
            raise RuntimeError("Caught handled exception, but response already started.") from exc
        else:  # half an answer is out: only dropping the connection tells the client
            raise exc

    async def _answer(self, scope: Scope, receive: Receive, send: Send, exc: Exception) -> None:
        request = Request(scope, receive)
        handler = self._handler(exc)
        try:
            response = None
            if handler is not None:
                try:
                    response = await handler(request, exc)
                    exc.__traceback__ = None  # a reused exception would pile up tracebacks across requests
                except Exception as error:
                    exc = error
            if response is None:
                response = await on_unexpected_error(request, exc)
        except Exception:
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
            raise
        await response(scope, receive, send)

    def _handler(self, exc: Exception) -> Handler | None:
        for cls in type(exc).__mro__:
            if cls in self.handlers:
                return self.handlers[cls]
        return None


def endpoint(func: Endpoint) -> ASGIApp:
    """A route's ASGI app for an async endpoint: Starlette's ``request_response`` without its exception
    wrapper (``ErrorBoundary`` has the same handlers: a second wrapper costs every request and adds nothing).

    A guarded endpoint's check and endpoint are called in turn (``answer``), rather than through the
    guard's wrapper; the app is a ``functools.partial`` of ``answer``, so calling it adds no coroutine.
    """
    app: ASGIApp = functools.partial(answer, getattr(func, GUARD, (None, func)))
    return app


async def answer(runs: tuple[Check | None, Endpoint], scope: Scope, receive: Receive, send: Send) -> None:
    """Run an endpoint (after its check, if any) and send its answer: a JSON one to a journaled call goes
    straight to its exchange (``Exchange.answer``), not as two messages through ``Response.__call__``."""
    check, inner = runs
    request = Request(scope, receive, send)
    if check is not None:
        check(request)
    response = await inner(request)
    exchange = exchange_of(send)
    if exchange is not None and type(response) is JSONResponse and response.background is None:
        await exchange.answer(response.status_code, response.raw_headers, response.body)
    else:
        await response(scope, receive, send)
