"""Handlers of the control API's fault rules (``/_emulator/faults``): add, list, show, delete."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from emulator.control.handlers import control
from emulator.control.tenants import emulator_of
from emulator.tenants import check_name
from emulator.web import JSONResponse, read_json, tenant_of


@control
async def add_fault(request: Request) -> Response:
    """POST /_emulator/faults: add a fault rule (``schemas/control/fault.json``)."""
    body = await read_json(request)
    request.app.state.emulator.schemas.validate("control/fault.json", body)
    tenant = tenant_of(request)
    named = (body.get("match") or {}).get("tenant")
    if named not in (None, "*"):
        check_name(named)
    rule = emulator_of(request).faults.add(tenant.name, body, tenant.clock.now())
    return JSONResponse({"fault": rule.view()}, status_code=201)


@control
async def list_faults(request: Request) -> Response:
    """GET /_emulator/faults: the rules added through this tenant's control API, with their counts."""
    rules = emulator_of(request).faults.list(tenant_of(request).name)
    return JSONResponse({"faults": [rule.view() for rule in rules]})


@control
async def get_fault(request: Request) -> Response:
    """GET /_emulator/faults/{id}."""
    rule = emulator_of(request).faults.get(tenant_of(request).name, request.path_params["fault_id"])
    return JSONResponse({"fault": rule.view()})


@control
async def delete_fault(request: Request) -> Response:
    """DELETE /_emulator/faults/{id}: remove one rule."""
    rule_id = request.path_params["fault_id"]
    emulator_of(request).faults.remove(tenant_of(request).name, rule_id)
    return JSONResponse({"deleted": [rule_id]})


@control
async def clear_faults(request: Request) -> Response:
    """DELETE /_emulator/faults: remove every rule of this tenant."""
    book, owner = emulator_of(request).faults, tenant_of(request).name
    ids = [rule.id for rule in book.list(owner)]
    book.clear(owner)
    return JSONResponse({"deleted": ids})
