"""Which tenant a Graph node id in a path belongs to: a phone number, a WABA, an uploaded media, a template.

Under ``/t/{tenant}`` every node is that tenant's (a number or WABA of another is Graph's unknown
node); unprefixed, a phone_number_id finds the tenant that has it, a WABA the first tenant under it,
and a media or template id the tenant that holds it (ids never collide across tenants).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

from emulator.cloud.envelope import unknown_node
from emulator.domain.tenant import Tenant
from emulator.tenancy import tenant_in
from emulator.web import is_prefixed, tenant_of

if TYPE_CHECKING:
    from emulator.runtime import Emulator


def phone_number(request: Request) -> Tenant:
    """The tenant whose business phone number id is in the path (else Graph's unknown node).

    Under ``/t/{tenant}`` it must be that tenant's; unprefixed, every tenant's number is its own node.
    """
    number = request.path_params["node"]
    emulator: Emulator = request.app.state.emulator
    name = tenant_in(request.scope)  # (is_prefixed and tenant_of in one: this runs for every send)
    if name is None:
        tenant: Tenant | None = emulator.tenant_for_number(number)
    else:
        tenant = emulator.tenant(name)
        if number != tenant.settings.phone_number_id:
            tenant = None
    if tenant is None:
        raise unknown_node(request.method, number)
    return tenant


def waba(request: Request) -> Tenant:
    """The tenant under the WhatsApp Business Account in the path (unprefixed: the first tenant under it)."""
    return waba_tenants(request)[0]


def waba_tenants(request: Request) -> list[Tenant]:
    waba = request.path_params["node"]
    emulator: Emulator = request.app.state.emulator
    names = [tenant_of(request).name] if is_prefixed(request) else emulator.directory.with_waba(waba)
    tenants: list[Tenant] = [emulator.tenant(name) for name in names]
    tenants = [t for t in tenants if t.settings.waba_id == waba]
    if not tenants:
        raise unknown_node(request.method, waba)
    return tenants


def node_tenant(request: Request) -> Tenant:
    """The tenant a bare node id belongs to: the prefix's, else the one owning that number, WABA, media or template."""
    if is_prefixed(request):
        return tenant_of(request)
    node = request.path_params["node"]
    emulator: Emulator = request.app.state.emulator
    owner = emulator.tenant_for_number(node)
    if owner is not None:
        return owner
    names = emulator.directory.with_waba(node)
    if names:
        return emulator.tenant(names[0])
    for tenant in list(emulator.tenants.values()):
        if tenant.media.find(node) is not None or tenant.templates.find_id(node) is not None:
            return tenant
    return tenant_of(request)
