"""The Graph nodes a Cloud path names: the business phone number and the WhatsApp Business Account."""

from __future__ import annotations

from starlette.requests import Request

from emulator.cloud.envelope import unknown_node
from emulator.domain.tenant import Tenant
from emulator.web import tenant_of


def phone_number(request: Request) -> Tenant:
    """The tenant whose business phone number id is in the path (else Graph's unknown node)."""
    tenant = tenant_of(request)
    if request.path_params["node"] != tenant.settings.phone_number_id:
        raise unknown_node(request.method, request.path_params["node"])
    return tenant


def waba(request: Request) -> Tenant:
    """The tenant whose WhatsApp Business Account id is in the path (else Graph's unknown node)."""
    tenant = tenant_of(request)
    if request.path_params["node"] != tenant.settings.waba_id:
        raise unknown_node(request.method, request.path_params["node"])
    return tenant
