"""Tenants in paths: ``/t/{tenant}/rest`` is ``/rest`` of that tenant; an unprefixed path is the default one.

One small ASGI middleware instead of a second copy of every route: it moves ``/t/{tenant}`` from
the path being routed into ``root_path`` (as a Starlette ``Mount`` would) and puts the name in
``scope["state"]["tenant"]``, where ``emulator.web.tenant_of`` finds it. URLs the app builds from
``request.base_url`` keep the prefix, so links and the page work under it unchanged.
"""

from __future__ import annotations

import re

from starlette._utils import get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.settings import TENANT_NAME

DEFAULT_TENANT = "default"
PREFIX = "/t/"
_PREFIXED = re.compile(r"/t/(" + TENANT_NAME.pattern + r")(?=/)")


def tenant_prefix(name: str) -> str:
    """The path prefix of a tenant: ``""`` for the default one, else ``/t/{name}``."""
    return "" if name == DEFAULT_TENANT else PREFIX + name


def route_path(scope: Scope) -> str:
    """The app's path of a request: below the app's root and any tenant prefix (not below a ``Mount``)."""
    root = scope.get("app_root_path", scope.get("root_path", ""))
    path: str = scope["path"]
    return path[len(root) :] if root and path.startswith(root + "/") else path


def tenant_in(scope: Scope) -> str | None:
    """The tenant a path names with its prefix, or None for an unprefixed path."""
    state = scope.get("state") or {}
    name = state.get("tenant")
    return str(name) if name is not None else None


class TenantPrefix:
    """ASGI middleware: ``/t/{tenant}/rest`` is routed as ``/rest`` with the tenant in the scope's state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = get_route_path(scope)
            if path.startswith(PREFIX):
                match = _PREFIXED.match(path)
                if match is not None:
                    name = match.group(1)
                    scope = {
                        **scope,
                        "root_path": scope.get("root_path", "") + PREFIX + name,
                        "state": {**(scope.get("state") or {}), "tenant": name},
                    }
        await self.app(scope, receive, send)
