"""The application factory: builds the Starlette app from explicit parts; holds no state itself."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException

if TYPE_CHECKING:
    import httpx

from emulator.clock import EmulatorClock
from emulator.cloud.routes import routes as cloud_routes
from emulator.control.routes import routes as control_routes
from emulator.domain.reasons import Refusal
from emulator.errors import on_http_error, on_refusal, on_unexpected_error
from emulator.onprem.routes import routes as onprem_routes
from emulator.runtime import Emulator
from emulator.settings import Settings
from emulator.store import Store
from emulator.ui.routes import routes as ui_routes


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

    onprem, cloud = onprem_routes(), cloud_routes()
    app = Starlette(
        # each API's send route first (Starlette tries routes in order, and each miss costs a regex match);
        # Graph paths never match /v1 or /_emulator ones (their ids are digits), so the order is otherwise free
        routes=[onprem[0], cloud[0], *onprem[1:], *cloud[1:], *control_routes(), *ui_routes()],
        exception_handlers={
            Refusal: on_refusal,
            HTTPException: on_http_error,
            Exception: on_unexpected_error,
        },
        lifespan=lifespan,
    )
    app.state.emulator = emulator
    # Also a plain attribute of the State object: read on every request (several times), it is then found
    # directly instead of through State.__getattr__, which runs only after a failed lookup (~5k instructions).
    object.__setattr__(app.state, "emulator", emulator)
    return app
