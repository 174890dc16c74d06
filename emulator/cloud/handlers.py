"""Handlers of the Cloud API (Graph) façade: parse, validate, call one service method, render.

Every id in a path is a Graph node: the business phone number, the WhatsApp Business Account, an
uploaded media or a template. An id the emulator does not know is Graph's 400 / 100 / subcode 33.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from emulator.cloud.auth import authorized
from emulator.cloud.codes import TABLE
from emulator.cloud.envelope import unknown_node
from emulator.domain.reasons import Channel, Reason, Refusal
from emulator.domain.tenant import Tenant
from emulator.web import JSONResponse, read_json, tenant_of

APP_ID = "1000000000000001"  # the emulated Meta app that owns the webhook subscription
SUCCESS = {"success": True}


def channel(request: Request) -> Channel:
    """The Cloud channel, with the API version the bot called (it shapes status webhooks)."""
    version = request.path_params.get("version", "")
    return _versioned(version) if version else TABLE.channel


@functools.lru_cache(maxsize=64)
def _versioned(version: str) -> Channel:
    return dataclasses.replace(TABLE.channel, version=version)


def _validate(request: Request, schema: str, body: object) -> None:
    request.app.state.emulator.schemas.validate(schema, body)


def _phone_number(request: Request, node: str = "node") -> Tenant:
    """The tenant whose business phone number id is in the path (else Graph's unknown node)."""
    tenant = tenant_of(request)
    if request.path_params[node] != tenant.settings.phone_number_id:
        raise unknown_node(request.method, request.path_params[node])
    return tenant


def _waba(request: Request) -> Tenant:
    tenant = tenant_of(request)
    if request.path_params["node"] != tenant.settings.waba_id:
        raise unknown_node(request.method, request.path_params["node"])
    return tenant


# --- messages ----------------------------------------------------------------------------------------


@authorized
async def messages(request: Request) -> Response:
    """POST /{phone_number_id}/messages: a send, or mark-as-read (with a typing indicator)."""
    tenant = _phone_number(request)
    body = await read_json(request)
    if "status" in body and "type" not in body:
        _validate(request, "cloud/mark_read.json", body)
        tenant.messages.mark_read(body["message_id"])
        return JSONResponse(SUCCESS)
    _validate(request, "cloud/messages/message.json", body)
    record = tenant.send_message(body, channel(request))
    contact: dict[str, Any] = {"input": record["input"], "wa_id": record["to"]}
    if "to" not in body and "recipient" in body:
        contact.update(wa_id="", user_id=body["recipient"])
    sent: dict[str, Any] = {"id": record["id"]}
    if record["type"] == "template":
        sent["message_status"] = "accepted"
    return JSONResponse({"messaging_product": "whatsapp", "contacts": [contact], "messages": [sent]})


# --- media ---------------------------------------------------------------------------------------------


@authorized
async def upload_media(request: Request) -> Response:
    """POST /{phone_number_id}/media: multipart ``file`` (with its MIME type), ``type``, ``messaging_product``."""
    tenant = _phone_number(request)
    limit = tenant.settings.media_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise Refusal(Reason.REQUEST_TOO_LARGE, f"Request body is larger than {limit} bytes")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Refusal(Reason.INVALID_PARAMETER, "media upload must be multipart/form-data with a 'file' part")
    async with request.form(max_part_size=limit) as form:
        fields = {k: v for k, v in form.items() if not isinstance(v, UploadFile)}
        upload = form.get("file")
        _validate(request, "cloud/media_upload.json", {**fields, **({"file": "file"} if upload else {})})
        if not isinstance(upload, UploadFile):
            raise Refusal(Reason.MISSING_PARAMETER, "file: the media file is required (a multipart file part)")
        data = await upload.read()
        mime = str(fields.get("type") or upload.content_type or "")
    media = tenant.media.upload(mime, data, api=TABLE.api)
    return JSONResponse({"id": media["id"]})


def _media_url(request: Request, media_id: str) -> str:
    base = str(request.base_url).rstrip("/")
    return f"{base}/whatsapp_business/attachments/?mid={media_id}"


async def download_media(request: Request) -> Response:
    """GET <media url>: the bytes, with the bearer token (a wrong or missing one is refused like Graph)."""
    from emulator.cloud.auth import check_token

    check_token(request)
    media_id = request.query_params.get("mid", "")
    blob = tenant_of(request).store.get_blob(tenant_of(request).name, media_id) if media_id else None
    if blob is None:
        return Response(status_code=404)
    mime, data = blob
    return Response(data, media_type=mime)


# --- nodes: GET/POST/DELETE /{id} ----------------------------------------------------------------------


@authorized
async def get_node(request: Request) -> Response:
    """GET /{id}: the phone number, the WABA, an uploaded media or a template."""
    tenant, node = tenant_of(request), request.path_params["node"]
    if node == tenant.settings.phone_number_id:
        return JSONResponse(_phone_view(tenant, request.query_params.get("fields")))
    if node == tenant.settings.waba_id:
        return JSONResponse({"id": node, "name": tenant.settings.verified_name, "currency": "USD"})
    media = tenant.media.find(node)
    if media is not None:
        owner = request.query_params.get("phone_number_id")
        if owner and owner != tenant.settings.phone_number_id:
            raise Refusal(Reason.INVALID_PARAMETER, f"phone_number_id: media {node} was not uploaded by {owner}")
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": _media_url(request, node),
                "mime_type": media["mime_type"],
                "sha256": media["sha256"],
                "file_size": media["size"],
                "id": node,
            }
        )
    template = tenant.templates.find_id(node)
    if template is not None:
        return JSONResponse(graph_template(template))
    raise unknown_node(request.method, node)


@authorized
async def delete_node(request: Request) -> Response:
    """DELETE /{media_id}."""
    tenant, node = tenant_of(request), request.path_params["node"]
    if tenant.media.find(node) is None:
        raise unknown_node(request.method, node)
    tenant.media.delete(node)
    return JSONResponse(SUCCESS)


@authorized
async def post_node(request: Request) -> Response:
    """POST /{phone_number_id} ``{"webhook_configuration": {...}}``: the phone number's callback override."""
    tenant = _phone_number(request)
    body = await read_json(request)
    _validate(request, "cloud/webhook_configuration.json", body)
    config = body["webhook_configuration"]
    await _set_override(request, tenant, "phone_number", config.get("override_callback_uri", ""), config)
    return JSONResponse(SUCCESS)


def _phone_view(tenant: Tenant, fields: str | None) -> dict[str, Any]:
    settings = tenant.settings
    full: dict[str, Any] = {
        "id": settings.phone_number_id,
        "display_phone_number": settings.display_number,
        "verified_name": settings.verified_name,
        "quality_rating": "GREEN",
        "code_verification_status": "VERIFIED",
        "name_status": "APPROVED",
        "status": "CONNECTED",
        "platform_type": "CLOUD_API",
        "throughput": {"level": "STANDARD"},
        "messaging_limit_tier": "TIER_1K",
        "whatsapp_business_manager_messaging_limit": "TIER_1K",
        "webhook_configuration": _webhook_configuration(tenant),
    }
    wanted = (
        [f.strip() for f in fields.split(",")]
        if fields
        else ["display_phone_number", "verified_name", "quality_rating"]
    )
    return {"id": settings.phone_number_id, **{f: full[f] for f in wanted if f in full}}


def _webhook_configuration(tenant: Tenant) -> dict[str, Any]:
    out: dict[str, Any] = {}
    phone, waba = tenant.callbacks.get("phone_number"), tenant.callbacks.get("waba")
    if phone:
        out["phone_number"] = phone["url"]
    if waba:
        out["whatsapp_business_account"] = waba["url"]
    app_url = tenant.app_settings.peek()["webhooks"].get("url", "")
    if app_url:
        out["application"] = app_url
    return out


# --- WABA edges ------------------------------------------------------------------------------------------


@authorized
async def phone_numbers(request: Request) -> Response:
    """GET /{waba_id}/phone_numbers."""
    tenant = _waba(request)
    return JSONResponse({"data": [_phone_view(tenant, None)], "paging": _paging()})


@authorized
async def list_templates(request: Request) -> Response:
    """GET /{waba_id}/message_templates[?name=&status=&language=&limit=]: Meta's shape, ``data`` + ``paging``."""
    tenant = _waba(request)
    query = request.query_params
    found = [graph_template(d) for d in tenant.templates.list()]
    for key in ("name", "status", "language", "category"):
        if query.get(key):
            found = [t for t in found if str(t.get(key, "")).upper() == query[key].upper()]
    return JSONResponse({"data": found, "paging": _paging()})


@authorized
async def create_template(request: Request) -> Response:
    """POST /{waba_id}/message_templates: registered and approved at once (README: judgement calls)."""
    tenant = _waba(request)
    body = await read_json(request)
    _validate(request, "control/template.json", body)
    if "data" in body:
        raise Refusal(Reason.UNEXPECTED_PARAMETER, "data: create one template per call")
    added = tenant.templates.add({k: v for k, v in body.items() if k not in ("allow_category_change",)})
    return JSONResponse({"id": added["id"], "status": added["status"], "category": added["category"]})


@authorized
async def delete_template(request: Request) -> Response:
    """DELETE /{waba_id}/message_templates?name=X[&hsm_id=ID]: every language of it, or one by id."""
    tenant = _waba(request)
    name = request.query_params.get("name")
    if not name:
        raise Refusal(Reason.MISSING_PARAMETER, "name: the template name is required")
    tenant.templates.delete(name, request.query_params.get("hsm_id"))
    return JSONResponse(SUCCESS)


@authorized
async def get_subscribed_apps(request: Request) -> Response:
    """GET /{waba_id}/subscribed_apps."""
    tenant = _waba(request)
    app: dict[str, Any] = {
        "whatsapp_business_api_data": {
            "id": APP_ID,
            "link": f"https://www.facebook.com/games/?app_id={APP_ID}",
            "name": "wa-emulator",
        }
    }
    override = tenant.callbacks.get("waba")
    if override:
        app["override_callback_uri"] = override["url"]
    return JSONResponse({"data": [app]})


@authorized
async def subscribe_app(request: Request) -> Response:
    """POST /{waba_id}/subscribed_apps: subscribe; with ``override_callback_uri`` set the WABA override."""
    tenant = _waba(request)
    body = await read_json(request, optional=True)
    _validate(request, "cloud/subscribed_apps.json", body)
    await _set_override(request, tenant, "waba", body.get("override_callback_uri", ""), body)
    return JSONResponse(SUCCESS)


@authorized
async def unsubscribe_app(request: Request) -> Response:
    """DELETE /{waba_id}/subscribed_apps: also clears the WABA override."""
    tenant = _waba(request)
    tenant.callbacks.set("waba", "", "")
    return JSONResponse(SUCCESS)


async def _set_override(request: Request, tenant: Tenant, level: str, url: str, body: dict[str, Any]) -> None:
    """Verify a new callback with the §9.1 handshake, then use it; ``""`` clears the override."""
    token = str(body.get("verify_token", ""))
    if url:
        problem = await request.app.state.emulator.verify_callback(url, token)
        if problem is not None:
            raise Refusal(Reason.CALLBACK_VERIFICATION_FAILED, f"Callback verification failed: {problem}")
    tenant.callbacks.set(level, url, token)


def graph_template(definition: dict[str, Any]) -> dict[str, Any]:
    """A registry definition as Meta's template management API shows it (no emulator-only fields)."""
    out = {k: v for k, v in definition.items() if k != "namespace"}
    out.setdefault("parameter_format", _parameter_format(definition))
    return out


def _parameter_format(definition: dict[str, Any]) -> str:
    import re

    texts = [str(c.get("text", "")) for c in definition.get("components", [])]
    names = re.findall(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}", " ".join(texts))
    return "NAMED" if any(not n.isdigit() for n in names) else "POSITIONAL"


def _paging() -> dict[str, Any]:
    return {"cursors": {"before": "QVFIUmVmb3Jl", "after": "QVFIUmFmdGVy"}}
