"""Handlers of the control API (``/_emulator``): inspect and drive the emulator."""

from __future__ import annotations

import functools
import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from emulator import __version__
from emulator.control.paging import collect, limit_of, page, views
from emulator.domain.messages import INBOUND, matcher
from emulator.domain.reasons import Reason, Refusal
from emulator.domain.templates import definitions_in
from emulator.onprem.auth import bearer_token
from emulator.views import record_view, records_view
from emulator.web import JSONResponse, read_json, read_json_value, tenant_of
from emulator.webhooks.log import matcher as webhook_matcher

Endpoint = Callable[[Request], Awaitable[Response]]


def control(endpoint: Endpoint) -> Endpoint:
    """Guard a control endpoint with the control token, when one is configured."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        expected = request.app.state.emulator.settings.control_token
        if expected and not hmac.compare_digest(bearer_token(request) or "", expected):
            raise Refusal(Reason.ACCESS_DENIED, "This control API needs 'Authorization: Bearer <control token>'.")
        return await endpoint(request)

    return guarded


def _validate(request: Request, schema: str, body: object) -> None:
    request.app.state.emulator.schemas.validate(schema, body)


async def health(request: Request) -> Response:
    """GET /_emulator/health: answers as soon as the server accepts requests (never guarded)."""
    state = request.app.state.emulator
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "api_version": state.settings.api_version,
            "store": state.settings.store.split(":")[0],
            "uptime_s": round(time.monotonic() - state.started, 3),
            "now": tenant_of(request).clock.now(),
            **state.counts(tenant_of(request)),
        }
    )


@control
async def reset(request: Request) -> Response:
    """POST /_emulator/reset: back to the fixture state, keeping tokens and application settings."""
    body = await read_json(request, optional=True)
    _validate(request, "control/reset.json", body)
    await request.app.state.emulator.reset(tenant_of(request), keep=frozenset(body.get("keep", [])))
    return JSONResponse({"status": "reset"})


@control
async def get_clock(request: Request) -> Response:
    """GET /_emulator/clock."""
    return JSONResponse(_clock_view(request))


@control
async def move_clock(request: Request) -> Response:
    """POST /_emulator/clock: ``advance`` seconds, ``set`` a Unix time, or ``freeze``."""
    body = await read_json(request)
    _validate(request, "control/clock.json", body)
    tenant = tenant_of(request)
    if "freeze" in body:
        tenant.clock.freeze(body["freeze"])
    if "advance" in body:
        tenant.clock.advance(body["advance"])
    if "set" in body:
        tenant.clock.set(body["set"])
    tenant.save_clock()
    await request.app.state.emulator.clock_moved(tenant)
    return JSONResponse(_clock_view(request))


def _clock_view(request: Request) -> dict[str, Any]:
    clock = tenant_of(request).clock
    return {"now": clock.now(), "offset": clock.offset, "frozen": clock.frozen_at is not None}


@control
async def list_users(request: Request) -> Response:
    """GET /_emulator/users."""
    return JSONResponse({"users": tenant_of(request).users.list()})


@control
async def put_user(request: Request) -> Response:
    """PUT /_emulator/users/{wa_id}: create or update a simulated user."""
    wa_id = request.path_params["wa_id"]
    body = await read_json(request)
    _validate(request, "control/user.json", {**body, "wa_id": wa_id})
    if body.get("wa_id", wa_id) != wa_id:
        raise Refusal(Reason.INVALID_PARAMETER, "$.wa_id: must match the wa_id in the path")
    return JSONResponse({"user": tenant_of(request).users.upsert(wa_id, body)})


@control
async def get_user(request: Request) -> Response:
    """GET /_emulator/users/{wa_id}: one user (created on first use, like any number)."""
    wa_id = request.path_params["wa_id"]
    _validate(request, "control/user.json", {"wa_id": wa_id})
    return JSONResponse({"user": tenant_of(request).users.get_or_create(wa_id)})


MAX_WAIT_S = 60.0


@control
async def list_messages(request: Request) -> Response:
    """GET /_emulator/messages: filters ``to``, ``type``, ``status``, ``after``; ``wait`` long-polls; paged."""
    query = request.query_params
    keep = matcher(to=query.get("to"), type=query.get("type"), status=query.get("status"))
    after, limit = query.get("after"), limit_of(request)
    wait = _seconds(query.get("wait"), "wait")
    tenant = tenant_of(request)
    deadline = time.monotonic() + wait
    while True:
        tenant.messages.check_cursor(after)
        found, more = await collect(tenant.messages.chunks(after), keep, limit)
        remaining = deadline - time.monotonic()
        if found or remaining <= 0:
            return JSONResponse(page("messages", records_view(found), more))
        await tenant.feed.wait(remaining)


def _seconds(raw: str | None, name: str) -> float:
    if raw is None:
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= MAX_WAIT_S:
        raise Refusal(Reason.INVALID_PARAMETER, f"{name}: must be a number of seconds from 0 to {MAX_WAIT_S:g}")
    return value


@control
async def get_message(request: Request) -> Response:
    """GET /_emulator/messages/{id}: one record with its status history."""
    return JSONResponse(record_view(tenant_of(request).messages.get(request.path_params["message_id"])))


@control
async def list_templates(request: Request) -> Response:
    """GET /_emulator/templates: the approved-template registry."""
    return JSONResponse({"templates": tenant_of(request).templates.list()})


@control
async def add_templates(request: Request) -> Response:
    """POST /_emulator/templates: one definition, a list, or Meta's ``{"data": [...]}`` answer."""
    body = await read_json_value(request)
    _validate(request, "control/template.json", body)
    registry = tenant_of(request).templates
    added = [registry.add(d) for d in definitions_in(body)]
    return JSONResponse({"templates": added}, status_code=201)


@control
async def user_sends(request: Request) -> Response:
    """POST /_emulator/users/{wa_id}/messages: the simulated user sends a message to the business."""
    wa_id = request.path_params["wa_id"]
    _validate(request, "control/user.json", {"wa_id": wa_id})
    body = await read_json(request)
    _validate(request, "control/inbound.json", body)
    tenant = tenant_of(request)
    record = tenant.actions.send(wa_id, body)
    return JSONResponse({"message": request.app.state.emulator.as_delivered(tenant, record)})


@control
async def conversation(request: Request) -> Response:
    """GET /_emulator/conversations/{wa_id}: both directions in order; ``?format=script`` as a replay script."""
    wa_id = request.path_params["wa_id"]
    _validate(request, "control/user.json", {"wa_id": wa_id})
    found, cursor = await _conversation_page(request, wa_id)
    view = tenant_of(request).conversation(wa_id, records_view(found))
    if cursor is not None:
        view["next"] = cursor
    output = request.query_params.get("format", "json")
    if output == "script":
        from emulator.replay.export import conversation_yaml  # only this format needs yaml and the replay code

        return Response(conversation_yaml(view), media_type="application/yaml")
    if output != "json":
        raise Refusal(Reason.INVALID_PARAMETER, f"format: must be 'json' or 'script' (got {output!r})")
    return JSONResponse(view)


async def _conversation_page(request: Request, wa_id: str) -> tuple[list[dict[str, Any]], str | None]:
    """A page of both directions in order; the cursor ``OUTBOUND_ID,INBOUND_ID`` of the next, if any."""
    messages, limit = tenant_of(request).messages, limit_of(request)
    out_after, _, in_after = (request.query_params.get("after") or "").partition(",")
    cursors = [out_after or None, in_after or None]
    messages.check_cursor(cursors[0])
    messages.check_cursor(cursors[1], INBOUND)
    outbound, more_out = await collect(messages.chunks(cursors[0]), lambda r: r["to"] == wa_id, limit)
    inbound, more_in = await collect(messages.chunks(cursors[1], kind=INBOUND), lambda r: r["from"] == wa_id, limit)
    merged = sorted(outbound + inbound, key=lambda m: m["seq"])
    found = merged[:limit]
    if not (more_out or more_in or len(merged) > limit):
        return found, None
    for n, kind in enumerate(("outbound", "inbound")):
        cursors[n] = next((m["id"] for m in reversed(found) if m["direction"] == kind), cursors[n])
    return found, f"{cursors[0] or ''},{cursors[1] or ''}"


@control
async def list_webhooks(request: Request) -> Response:
    """GET /_emulator/webhooks: the delivery log; filters ``state`` and ``recipient``; ``after``; paged."""
    query = request.query_params
    after, limit = query.get("after"), limit_of(request)
    queue = request.app.state.emulator.webhooks(tenant_of(request))
    if after is not None and queue.get(after) is None:
        raise Refusal(Reason.NOT_FOUND, f"after: no webhook delivery {after} (was the emulator reset?)")
    found, more = await collect(queue.chunks(after), webhook_matcher(query.get("state"), query.get("recipient")), limit)
    return JSONResponse(page("webhooks", await views(found, queue.show), more))


@control
async def get_webhook(request: Request) -> Response:
    """GET /_emulator/webhooks/{id}: one delivery with every attempt."""
    delivery = request.app.state.emulator.webhooks(tenant_of(request)).get(request.path_params["delivery_id"])
    if delivery is None:
        raise Refusal(Reason.NOT_FOUND, f"Webhook delivery {request.path_params['delivery_id']} not found")
    return JSONResponse(delivery)


@control
async def redeliver_webhook(request: Request) -> Response:
    """POST /_emulator/webhooks/{id}/redeliver: send the same content again as a new delivery."""
    delivery_id = request.path_params["delivery_id"]
    try:
        delivery = request.app.state.emulator.webhooks(tenant_of(request)).redeliver(delivery_id)
    except KeyError:
        raise Refusal(Reason.NOT_FOUND, f"Webhook delivery {delivery_id} not found") from None
    return JSONResponse(delivery, status_code=201)


@control
async def drain_webhooks(request: Request) -> Response:
    """POST /_emulator/webhooks/drain?timeout=S: wait until due statuses ran and deliveries settled."""
    timeout = _seconds(request.query_params.get("timeout", "5"), "timeout")
    emulator = request.app.state.emulator
    tenant = tenant_of(request)
    try:
        await emulator.drain(tenant, timeout)
    except TimeoutError as exc:
        raise Refusal(Reason.NOT_READY, str(exc)) from None
    counts = emulator.webhooks(tenant).counts()
    states = {state: counts[state] for state in ("pending", "delivered", "failed") if counts[state]}
    return JSONResponse({"settled": True, "states": states})
