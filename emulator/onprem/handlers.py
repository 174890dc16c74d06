"""Handlers of the On-Premises ``/v1`` API: parse, validate, call one service method, render."""

from __future__ import annotations

import dataclasses

from starlette.requests import Request
from starlette.responses import Response

from emulator.onprem.auth import authenticated, basic_credentials, bearer_token
from emulator.onprem.codes import TABLE
from emulator.onprem.envelope import respond
from emulator.web import in_slices, read_body, read_json, tenant_of, validate_body

DAY_S = 86400.0
# Mark as read: inbound messages are kept 7 days, and not at all while pass_through is on (reference §5.9).
CHANNEL = dataclasses.replace(TABLE.channel, read_within_s=7 * DAY_S, pass_through_applies=True)


async def login(request: Request) -> Response:
    """POST /v1/users/login: Basic auth in, bearer token out."""
    username, password = basic_credentials(request)
    body = await read_json(request, optional=True)
    await validate_body(request, "onprem/login.json", body)
    result = tenant_of(request).auth.login(username, password, body.get("new_password"))
    return respond(request, {"users": [{"token": result.token, "expires_after": result.expires_after}]})


@authenticated
async def logout(request: Request) -> Response:
    """POST /v1/users/logout: revoke the token used."""
    tenant_of(request).auth.logout(bearer_token(request) or "")
    return respond(request)


@authenticated
async def check_contacts(request: Request) -> Response:
    """POST /v1/contacts: which numbers are WhatsApp users."""
    body = await read_json(request)
    await validate_body(request, "onprem/contacts.json", body)
    contacts = tenant_of(request).contacts
    results = await in_slices(body["contacts"], contacts.results)  # new numbers cost a profile each
    return respond(request, {"contacts": contacts.answer(results, blocking=body.get("blocking", "no_wait"))})


@authenticated
async def get_application_settings(request: Request) -> Response:
    """GET /v1/settings/application."""
    return respond(request, {"settings": {"application": tenant_of(request).app_settings.get()}})


@authenticated
async def patch_application_settings(request: Request) -> Response:
    """PATCH /v1/settings/application: change only the fields present."""
    body = await read_json(request)
    await validate_body(request, "onprem/settings_application.json", body)
    tenant_of(request).app_settings.patch(body)
    return respond(request)


@authenticated
async def delete_application_settings(request: Request) -> Response:
    """DELETE /v1/settings/application: back to the defaults."""
    tenant_of(request).app_settings.reset()
    return respond(request)


@authenticated
async def health(request: Request) -> Response:
    """GET /v1/health: a single connected instance."""
    return respond(request, {"health": {"gateway_status": "connected"}})


@authenticated
async def send_message(request: Request) -> Response:
    """POST /v1/messages: validate every rule, record, answer 201 with the id and the contacts echo."""
    body = await read_json(request)
    await validate_body(request, "onprem/messages/message.json", body)
    record = tenant_of(request).send_message(body, CHANNEL)
    return respond(
        request,
        {"messages": [{"id": record["id"]}], "contacts": [{"input": record["input"], "wa_id": record["to"]}]},
        status=201,
    )


@authenticated
async def mark_read(request: Request) -> Response:
    """PUT /v1/messages/{id}: mark an inbound message as read."""
    body = await read_json(request)
    await validate_body(request, "onprem/mark_read.json", body)
    tenant_of(request).mark_read(request.path_params["message_id"], CHANNEL)
    return respond(request)


@authenticated
async def upload_media(request: Request) -> Response:
    """POST /v1/media: raw bytes with their MIME type as Content-Type."""
    data = await read_body(request, tenant_of(request).settings.media_max_bytes)
    media = tenant_of(request).media.upload(request.headers.get("content-type", ""), data, api=TABLE.api)
    return respond(request, {"media": [{"id": media["id"]}]}, status=201)


@authenticated
async def download_media(request: Request) -> Response:
    """GET /v1/media/{id}: the same bytes and type that were uploaded."""
    mime, data = tenant_of(request).media.download(request.path_params["media_id"])
    return Response(data, media_type=mime)


@authenticated
async def delete_media(request: Request) -> Response:
    """DELETE /v1/media/{id}."""
    tenant_of(request).media.delete(request.path_params["media_id"])
    return respond(request)
