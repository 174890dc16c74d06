"""Handlers of the control API's tenants (``/_emulator/tenants``): list, create, show, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from emulator.control.handlers import control
from emulator.domain.reasons import Reason, Refusal
from emulator.domain.tenant import Tenant
from emulator.tenancy import tenant_prefix
from emulator.tenants import check_name
from emulator.web import JSONResponse, is_prefixed, read_json, tenant_of

if TYPE_CHECKING:
    from emulator.runtime import Emulator


def emulator_of(request: Request) -> Emulator:
    """The running emulator, typed."""
    emulator: Emulator = request.app.state.emulator
    return emulator


def _root(request: Request) -> str:
    """The server's base URL, without the prefix of the tenant the request named."""
    base = str(request.base_url).rstrip("/")
    return base.removesuffix(tenant_prefix(tenant_of(request).name)) if is_prefixed(request) else base


def tenant_view(request: Request, tenant: Tenant) -> dict[str, Any]:
    """A tenant as the control API shows it: its ids, its URLs, where its webhooks go."""
    settings, config = tenant.settings, emulator_of(request).webhook_config(tenant)
    base = _root(request) + tenant_prefix(tenant.name)
    return {
        "name": tenant.name,
        "prefix": tenant_prefix(tenant.name),
        "phone_number_id": settings.phone_number_id,
        "waba_id": settings.waba_id,
        "business_wa_id": settings.business_wa_id,
        "display_phone_number": settings.display_number,
        "verified_name": settings.verified_name,
        "urls": {"onprem": base, "cloud": base, "control": base + "/_emulator", "ui": base + "/_emulator/ui"},
        "webhook": {"url": config.url, "format": config.format},
        "clock": {"offset": tenant.clock.offset, "frozen": tenant.clock.frozen_at is not None},
        "messages": tenant.store.count(tenant.name, "messages"),
    }


@control
async def list_tenants(request: Request) -> Response:
    """GET /_emulator/tenants: every tenant, and which one the path named (``current``)."""
    current = tenant_of(request).name
    views = [tenant_view(request, t) for t in list(emulator_of(request).tenants.values())]
    return JSONResponse({"tenants": views, "current": current})


@control
async def create_tenant(request: Request) -> Response:
    """POST /_emulator/tenants: make a tenant with chosen ids or webhook (an existing one is answered as it is)."""
    body = await read_json(request)
    request.app.state.emulator.schemas.validate("control/tenant.json", body)
    emulator = emulator_of(request)
    existed = body["name"] in emulator.tenants
    tenant = emulator.create_tenant(body["name"], {k: v for k, v in body.items() if k != "name"})
    return JSONResponse({"tenant": tenant_view(request, tenant)}, status_code=200 if existed else 201)


@control
async def get_tenant(request: Request) -> Response:
    """GET /_emulator/tenants/{tenant}: one tenant (404 if it was never used)."""
    return JSONResponse({"tenant": tenant_view(request, _existing(request))})


@control
async def delete_tenant(request: Request) -> Response:
    """DELETE /_emulator/tenants/{tenant}: stop its work and forget everything it held."""
    tenant = _existing(request)
    await emulator_of(request).delete_tenant(tenant.name)
    return JSONResponse({"deleted": tenant.name})


def _existing(request: Request) -> Tenant:
    name = request.path_params["tenant"]
    check_name(name)
    tenant = emulator_of(request).tenants.get(name)
    if tenant is None:
        raise Refusal(Reason.NOT_FOUND, f"Tenant {name} not found")
    return tenant
