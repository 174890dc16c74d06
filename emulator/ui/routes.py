"""Every route of the page, one line each."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from emulator.ui import handlers as h


def routes() -> list[BaseRoute]:
    """The page, its static files, the sidebar's summary and the live event stream."""
    return [
        Route("/", h.to_page, methods=["GET"]),
        Route("/_emulator", h.to_page, methods=["GET"]),
        Route("/_emulator/ui", h.page, methods=["GET"]),
        Route("/_emulator/ui/api", h.api_reference, methods=["GET"]),
        Route("/_emulator/ui/chats", h.chats, methods=["GET"]),
        Mount("/_emulator/ui/static", StaticFiles(directory=h.STATIC), name="ui-static"),
        Route("/_emulator/events", h.events, methods=["GET"]),
    ]
