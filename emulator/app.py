"""The application factory: builds the Starlette app from explicit parts; holds no state itself."""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from starlette._utils import get_route_path
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    import httpx
    from starlette.types import ASGIApp

from emulator.bounded import keep
from emulator.clock import EmulatorClock
from emulator.cloud.routes import routes as cloud_routes
from emulator.control.routes import routes as control_routes
from emulator.domain.reasons import Refusal
from emulator.errors import ErrorBoundary, endpoint, on_http_error, on_refusal
from emulator.faults.middleware import FaultInjector
from emulator.faults.rules import FaultBook
from emulator.onprem.routes import routes as onprem_routes
from emulator.requestlog import RequestLog
from emulator.runtime import Emulator
from emulator.settings import Settings
from emulator.store import Store
from emulator.tenancy import PREFIX, TenantPrefix
from emulator.ui.routes import routes as ui_routes


class EmulatorApp(Starlette):
    """Starlette, with the request log outermost (it also sees the answer a bug or a fault gets), then the
    tenant prefix, the API fault rules and the error boundary around the routes."""

    _direct: ASGIApp | None = None
    _book: FaultBook

    def build_middleware_stack(self) -> ASGIApp:
        """The fault rules outside the error boundary: a fault may close the server's connection
        (faults/middleware.py). ``ErrorBoundary`` stands for Starlette's own error middleware.

        Also builds the stack without the tenant prefix and the fault rules, for a request neither
        would act on (``__call__``): most requests, and each layer costs every request they pass.
        """
        app: ASGIApp = self.router
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        if app is self.router:
            app = KnownRoutes(self.router)
        emulator = self.state.emulator
        bounded = ErrorBoundary(app, self.exception_handlers)
        self._direct, self._book = RequestLog(bounded, emulator), emulator.faults
        return RequestLog(TenantPrefix(FaultInjector(bounded, emulator)), emulator)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        if self.middleware_stack is None:
            self.middleware_stack = self.build_middleware_stack()
        if self._direct is not None and PREFIX not in scope.get("path", PREFIX) and not self._book.request_rules:
            await self._direct(scope, receive, send)
        else:
            await self.middleware_stack(scope, receive, send)


class KnownRoutes:
    """The router, remembering which route a method and path went to: each send would otherwise try its
    route's pattern and those before it again (~2 µs). Starlette's router takes the first route that matches
    fully, which depends on nothing but the method and the path; anything else (a method not allowed, an
    unknown path) is left to it every time. At most ``LIMIT`` paths are remembered (ids are in paths)."""

    LIMIT = 1024

    def __init__(self, router: Router) -> None:
        self.router = router
        self.known: dict[tuple[str, str], tuple[Route, dict[str, Any]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "path_params" in scope:  # (a Mount's own router would set them)
            await self.router(scope, receive, send)
            return
        key = (scope["method"], get_route_path(scope))
        found = self.known.get(key)
        if found is None:
            found = self._learn(scope, key)
            if found is None:
                await self.router(scope, receive, send)
                return
        route, params = found
        # what Router.app and then Route.handle do with the route it found (a full match: its method is allowed)
        scope.setdefault("router", self.router)
        scope["route"] = route
        scope["endpoint"] = route.endpoint
        scope["path_params"] = dict(params)
        await route.app(scope, receive, send)

    def _learn(self, scope: Scope, key: tuple[str, str]) -> tuple[Route, dict[str, Any]] | None:
        for route in self.router.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                if not isinstance(route, Route):  # a Mount: its own router goes on from there
                    return None
                return keep(self.known, key, (route, dict(child["path_params"])), self.LIMIT)
        return None


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    clock: EmulatorClock | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> Starlette:
    """A ready-to-serve emulator; pass a store, clock or HTTP client to control them from tests."""
    settings = settings or Settings()
    logging.getLogger("wa_emulator").setLevel(settings.log_level.upper())
    emulator = Emulator(settings, store=store, clock=clock, http_client=http_client)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await emulator.start()
        try:
            yield
        finally:
            await emulator.stop()

    routes = [*onprem_routes(), *control_routes(), *ui_routes(), *cloud_routes()]
    for route in routes:
        if isinstance(route, Route) and inspect.iscoroutinefunction(route.endpoint):
            route.app = endpoint(route.endpoint)  # ErrorBoundary handles their exceptions
    app = EmulatorApp(
        routes=routes,
        exception_handlers={Refusal: on_refusal, HTTPException: on_http_error},
        lifespan=lifespan,
    )
    app.state.emulator = emulator
    # Also a plain attribute of the State object: read on every request (several times), it is then found
    # directly instead of through State.__getattr__, which runs only after a failed lookup (~5k instructions).
    object.__setattr__(app.state, "emulator", emulator)
    return app
