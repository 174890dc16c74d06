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
from emulator.cloud.nodes import node_tenant, phone_number, waba, waba_tenants
from emulator.cloud.templates import graph_template, paging
from emulator.domain.reasons import Channel, Reason, Refusal
from emulator.domain.tenant import Tenant
from emulator.ids import is_user_id
from emulator.tenancy import tenant_prefix
from emulator.web import JSONResponse, is_prefixed, read_json, tenant_of, validate_body

APP_ID = "1000000000000001"  # the emulated Meta app that owns the webhook subscription
SUCCESS = {"success": True}
# Mark as read within 30 days (§4); the optional send limits (pair rate, throughput, marketing cap) are Cloud's.
CHANNEL = dataclasses.replace(TABLE.channel, read_within_s=30 * 86400.0, limited=True)


@functools.lru_cache(maxsize=64)
def _versioned(version: str) -> Channel:
    return dataclasses.replace(CHANNEL, version=version)


def channel(request: Request) -> Channel:
    """The Cloud channel, with the API version the bot called (it shapes status webhooks)."""
    version = request.path_params.get("version", "")
    return _versioned(version) if version else CHANNEL


# --- messages ----------------------------------------------------------------------------------------


@authorized
async def messages(request: Request) -> Response:
    """POST /{phone_number_id}/messages: a send, or mark-as-read (with a typing indicator)."""
    tenant = phone_number(request)
    body = await read_json(request)
    if "status" in body and "type" not in body:
        await validate_body(request, "cloud/mark_read.json", body)
        tenant.mark_read(body["message_id"], channel(request))
        return JSONResponse(SUCCESS)
    await validate_body(request, "cloud/messages/message.json", body)
    record = tenant.send_message(body, channel(request))
    contact: dict[str, Any] = {"input": record["input"], "wa_id": record["to"]}
    if is_user_id(record["input"]):  # in `to` or `recipient`, a BSUID is answered without the phone number
        contact.update(wa_id="", user_id=record["input"])
    sent: dict[str, Any] = {"id": record["id"]}
    if record["type"] == "template":
        sent["message_status"] = "accepted"
    return JSONResponse({"messaging_product": "whatsapp", "contacts": [contact], "messages": [sent]})


# --- media ---------------------------------------------------------------------------------------------


@authorized
async def upload_media(request: Request) -> Response:
    """POST /{phone_number_id}/media: multipart ``file`` (with its MIME type), ``type``, ``messaging_product``."""
    tenant = phone_number(request)
    limit = tenant.settings.media_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise Refusal(Reason.REQUEST_TOO_LARGE, f"Request body is larger than {limit} bytes")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Refusal(Reason.INVALID_PARAMETER, "media upload must be multipart/form-data with a 'file' part")
    async with request.form(max_part_size=limit) as form:
        fields = {k: v for k, v in form.items() if not isinstance(v, UploadFile)}
        upload = form.get("file")
        await validate_body(request, "cloud/media_upload.json", {**fields, **({"file": "file"} if upload else {})})
        if not isinstance(upload, UploadFile):
            raise Refusal(Reason.MISSING_PARAMETER, "file: the media file is required (a multipart file part)")
        data = await upload.read()
        mime = str(fields.get("type") or upload.content_type or "")
    media = tenant.media.upload(mime, data, api=TABLE.api)
    return JSONResponse({"id": media["id"]})


def _media_url(request: Request, tenant: Tenant, media_id: str) -> str:
    base = str(request.base_url).rstrip("/")
    if is_prefixed(request):  # the base URL ends with the prefix: the tenant's own goes back on below
        base = base.removesuffix(tenant_prefix(tenant.name))
    return f"{base}{tenant_prefix(tenant.name)}/whatsapp_business/attachments/?mid={media_id}"


async def download_media(request: Request) -> Response:
    """GET <media url>: the bytes, with the bearer token (a wrong or missing one is refused like Graph)."""
    from emulator.cloud.auth import check_token

    check_token(request)
    media_id = request.query_params.get("mid", "")
    blob = tenant_of(request).store.get_blob(tenant_of(request).name, media_id) if media_id else None
    if blob is None:  # in Graph's envelope, as every error of this API
        raise unknown_node(request.method, media_id)
    mime, data = blob
    return Response(data, media_type=mime)


# --- nodes: GET/POST/DELETE /{id} ----------------------------------------------------------------------


@authorized
async def get_node(request: Request) -> Response:
    """GET /{id}: the phone number, the WABA, an uploaded media or a template."""
    tenant, node = node_tenant(request), request.path_params["node"]
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
                "url": _media_url(request, tenant, node),
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
    tenant, node = node_tenant(request), request.path_params["node"]
    if tenant.media.find(node) is None:
        raise unknown_node(request.method, node)
    tenant.media.delete(node)
    return JSONResponse(SUCCESS)


@authorized
async def post_node(request: Request) -> Response:
    """POST /{phone_number_id} ``{"webhook_configuration": {...}}``: the phone number's callback override."""
    tenant = phone_number(request)
    body = await read_json(request)
    await validate_body(request, "cloud/webhook_configuration.json", body)
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
    """GET /{waba_id}/phone_numbers: every tenant's number under the WABA (under a prefix: the tenant's)."""
    views = [_phone_view(tenant, None) for tenant in waba_tenants(request)]
    return JSONResponse({"data": views, "paging": paging()})


@authorized
async def get_subscribed_apps(request: Request) -> Response:
    """GET /{waba_id}/subscribed_apps."""
    tenant = waba(request)
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
    tenant = waba(request)
    body = await read_json(request, optional=True)
    await validate_body(request, "cloud/subscribed_apps.json", body)
    await _set_override(request, tenant, "waba", body.get("override_callback_uri", ""), body)
    return JSONResponse(SUCCESS)


@authorized
async def unsubscribe_app(request: Request) -> Response:
    """DELETE /{waba_id}/subscribed_apps: also clears the WABA override."""
    tenant = waba(request)
    tenant.callbacks.set("waba", "", "")
    return JSONResponse(SUCCESS)


async def _set_override(request: Request, tenant: Tenant, level: str, url: str, body: dict[str, Any]) -> None:
    """Verify a new callback with the §9.1 handshake, then use it; ``""`` clears the override."""
    token = str(body.get("verify_token", ""))
    if url:
        problem = await request.app.state.emulator.verify_callback(tenant, url, token)
        if problem is not None:
            raise Refusal(Reason.CALLBACK_VERIFICATION_FAILED, f"Callback verification failed: {problem}")
    tenant.callbacks.set(level, url, token)
