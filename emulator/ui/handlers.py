"""Handlers of the page: the page itself, the sidebar's summary and the live event stream."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from emulator.domain.reasons import Reason, Refusal
from emulator.onprem.auth import bearer_token
from emulator.ui import views
from emulator.ui.live import LiveHub
from emulator.ui.sse import EventStreamResponse
from emulator.web import JSONResponse, secret_matches, tenant_of

STATIC = Path(__file__).resolve().parent / "static"


def _guard(request: Request) -> None:
    """The control token, when one is set: as a bearer header or, for EventSource (no headers), ``?token=``."""
    expected = request.app.state.emulator.settings.control_token
    given = bearer_token(request) or request.query_params.get("token") or ""
    if expected and not secret_matches(given, expected):
        raise Refusal(
            Reason.ACCESS_DENIED, "The page's data needs the control token: open /_emulator/ui?token=<control token>."
        )


def _hub(request: Request) -> LiveHub:
    """The tenant's hub, made on first use and kept on the app (so it lives and dies with it)."""
    state = request.app.state
    hubs: dict[str, LiveHub] | None = getattr(state, "ui_hubs", None)
    if hubs is None:
        hubs = state.ui_hubs = {}
    tenant = tenant_of(request)
    hub = hubs.get(tenant.name)
    if hub is None or hub.tenant is not tenant:  # (a tenant deleted and made again is another tenant)
        emulator = state.emulator
        hub = hubs[tenant.name] = LiveHub(tenant, lambda: emulator.webhooks(tenant), emulator.journal)
    return hub


async def page(request: Request) -> Response:
    """GET /_emulator/ui: the page (static; it holds no data, so it needs no token)."""
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def to_page(request: Request) -> Response:
    """GET / and GET /_emulator: to the page (a relative address, so it works behind a path prefix too)."""
    return RedirectResponse("_emulator/ui", status_code=302)


async def api_reference(request: Request) -> Response:
    """GET /_emulator/ui/api: the OpenAPI documents, readable (a static page that fetches them)."""
    return FileResponse(STATIC / "api.html", headers={"Cache-Control": "no-cache"})


async def chats(request: Request) -> Response:
    """GET /_emulator/ui/chats: every user with the window and the latest message, for the sidebar."""
    _guard(request)
    tenant = tenant_of(request)
    return JSONResponse({"now": tenant.clock.now(), "chats": await views.chats(tenant)})


async def events(request: Request) -> Response:
    """GET /_emulator/events: the tenant's changes as Server-Sent Events (see ``emulator.ui.sse``)."""
    _guard(request)
    return EventStreamResponse(_hub(request))
