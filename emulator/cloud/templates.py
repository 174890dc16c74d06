"""Template management on the Cloud façade: ``GET|POST|DELETE /{waba_id}/message_templates`` (reference §7.2)."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from emulator.cloud.auth import authorized
from emulator.cloud.nodes import waba
from emulator.domain.reasons import Reason, Refusal
from emulator.web import JSONResponse, read_json

SUCCESS = {"success": True}
FILTERS = ("name", "status", "language", "category")
TEMPLATE_LIMIT = 250  # Meta's limit for a WABA whose business is not verified (reference §7.2)


@authorized
async def list_templates(request: Request) -> Response:
    """GET /{waba_id}/message_templates[?name=&status=&language=&category=&summary=]: ``data`` + ``paging``.

    Filters take comma-separated values, as pywa sends them; ``summary`` names the counts wanted.
    """
    registry = waba(request).templates
    query = request.query_params
    every = [graph_template(d) for d in registry.list()]
    found = every
    for key in FILTERS:
        if query.get(key):
            wanted = {value.strip().upper() for value in query[key].split(",")}
            found = [t for t in found if str(t.get(key, "")).upper() in wanted]
    answer: dict[str, Any] = {"data": found, "paging": paging()}
    if query.get("summary"):
        counts = {
            "total_count": len(found),
            "message_template_count": len(every),
            "message_template_limit": TEMPLATE_LIMIT,
            "are_translations_complete": True,
        }
        answer["summary"] = {k: counts[k] for k in query["summary"].split(",") if k in counts}
    return JSONResponse(answer)


@authorized
async def create_template(request: Request) -> Response:
    """POST /{waba_id}/message_templates: registered and approved at once (README: judgement calls)."""
    tenant = waba(request)
    body = await read_json(request)
    request.app.state.emulator.schemas.validate("control/template.json", body)
    if "data" in body:
        raise Refusal(Reason.UNEXPECTED_PARAMETER, "data: create one template per call")
    added = tenant.templates.add({k: v for k, v in body.items() if k not in ("allow_category_change",)})
    return JSONResponse({"id": added["id"], "status": added["status"], "category": added["category"]})


@authorized
async def delete_template(request: Request) -> Response:
    """DELETE /{waba_id}/message_templates?name=X[&hsm_id=ID]: every language of it, or one by id."""
    tenant = waba(request)
    name = request.query_params.get("name")
    if not name:
        raise Refusal(Reason.MISSING_PARAMETER, "name: the template name is required")
    tenant.templates.delete(name, request.query_params.get("hsm_id"))
    return JSONResponse(SUCCESS)


def graph_template(definition: dict[str, Any]) -> dict[str, Any]:
    """A registry definition as Meta's template management API shows it (no emulator-only fields)."""
    out = {k: v for k, v in definition.items() if k != "namespace"}
    out.setdefault("parameter_format", _parameter_format(definition))
    return out


def _parameter_format(definition: dict[str, Any]) -> str:
    texts = [str(c.get("text", "")) for c in definition.get("components", [])]
    names = re.findall(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}", " ".join(texts))
    return "NAMED" if any(not n.isdigit() for n in names) else "POSITIONAL"


def paging() -> dict[str, Any]:
    """Graph's cursor paging of a one-page answer."""
    return {"cursors": {"before": "QVFIUmVmb3Jl", "after": "QVFIUmFmdGVy"}}
