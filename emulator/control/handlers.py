"""Handlers of the control API (``/_emulator``): inspect and drive the emulator."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from emulator import __version__
from emulator.control import listing
from emulator.control.listing import limit_of
from emulator.domain.messages import INBOUND
from emulator.domain.reasons import Reason, Refusal
from emulator.domain.templates import definitions_in
from emulator.domain.users import usual_traits
from emulator.durations import parse_duration
from emulator.errors import render
from emulator.onprem.auth import bearer_token
from emulator.views import record_view, records_view
from emulator.web import (
    JSONResponse,
    collect,
    in_slices,
    read_json,
    read_json_value,
    secret_matches,
    tenant_of,
    validate_body,
)
from emulator.webhooks import settling

Endpoint = Callable[[Request], Awaitable[Response]]


def control(endpoint: Endpoint) -> Endpoint:
    """Guard a control endpoint with the control token, when one is configured.

    A GET may give it as ``?token=`` too: a link (the page's "Download script") cannot send a header.
    """

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        expected = request.app.state.emulator.settings.control_token
        given = bearer_token(request) or (request.query_params.get("token") if request.method == "GET" else None)
        if expected and not secret_matches(given or "", expected):
            raise Refusal(Reason.ACCESS_DENIED, "This control API needs 'Authorization: Bearer <control token>'.")
        return await endpoint(request)

    return guarded


async def _validate(request: Request, schema: str, body: object) -> None:
    await validate_body(request, schema, body)


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
async def config(request: Request) -> Response:
    """GET /_emulator/config: what a bot needs to connect (Cloud ids, token, secrets) and where webhooks go."""
    from emulator.runtime import webhook_config

    tenant = tenant_of(request)
    settings = tenant.settings
    hooks = webhook_config(tenant)
    cloud = {
        "phone_number_id": settings.phone_number_id,
        "waba_id": settings.waba_id,
        "display_phone_number": settings.display_number,
        "verified_name": settings.verified_name,
        "access_token": settings.access_token.split(",")[0],
        "app_secret": settings.app_secret,
        "verify_token": settings.verify_token,
    }
    return JSONResponse({"cloud": cloud, "webhooks": {"url": hooks.url, "format": hooks.format}})


@control
async def reset(request: Request) -> Response:
    """POST /_emulator/reset: back to the fixture state, keeping tokens and application settings."""
    body = await read_json(request, optional=True)
    await _validate(request, "control/reset.json", body)
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
    await _validate(request, "control/clock.json", body)
    tenant = tenant_of(request)
    advance = parse_duration(body["advance"]) if "advance" in body else None
    tenant.move_clock(advance=advance, to=body.get("set"), freeze=body.get("freeze"))
    await request.app.state.emulator.clock_moved(tenant)
    return JSONResponse(_clock_view(request))


def _clock_view(request: Request) -> dict[str, Any]:
    clock = tenant_of(request).clock
    return {"now": clock.now(), "offset": clock.offset, "frozen": clock.frozen_at is not None}


@control
async def list_users(request: Request) -> Response:
    """GET /_emulator/users: in order of first appearance; ``limit``, ``after`` (a wa_id)."""
    pages = tenant_of(request).users.pages(after=request.query_params.get("after"))
    found, more = await collect(pages, limit_of(request))
    return JSONResponse(listing.answer("users", found, more, "wa_id"))


@control
async def put_user(request: Request) -> Response:
    """PUT /_emulator/users/{wa_id}: create or update a simulated user."""
    wa_id = request.path_params["wa_id"]
    body = await read_json(request)
    await _validate(request, "control/user.json", {**body, "wa_id": wa_id})
    if body.get("wa_id", wa_id) != wa_id:
        raise Refusal(Reason.INVALID_PARAMETER, "$.wa_id: must match the wa_id in the path")
    return JSONResponse({"user": tenant_of(request).users.upsert(wa_id, body)})


@control
async def get_user(request: Request) -> Response:
    """GET /_emulator/users/{wa_id}: one user (created on first use, like any number)."""
    wa_id = request.path_params["wa_id"]
    await _validate(request, "control/user.json", {"wa_id": wa_id})
    return JSONResponse({"user": tenant_of(request).users.get_or_create(wa_id)})


MAX_WAIT_S = 60.0


@control
async def list_messages(request: Request) -> Response:
    """GET /_emulator/messages: filters ``to``, ``type``, ``status``, ``after``; ``limit``; ``wait`` long-polls."""
    query = request.query_params
    filters = {k: query.get(k) for k in ("to", "type", "status", "after")}
    wait = _seconds(query.get("wait"), "wait")
    limit = limit_of(request)
    tenant = tenant_of(request)
    deadline = time.monotonic() + wait
    while True:
        found, more = await collect(tenant.messages.pages(**filters), limit)
        remaining = deadline - time.monotonic()
        if found or remaining <= 0 or tenant.feed.closed:  # closed: the process is stopping
            # shown a slice at a time: 10 000 records in one go held the loop ~40 ms
            return JSONResponse(listing.answer("messages", await in_slices(found, records_view), more, "id"))
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
    await _validate(request, "control/template.json", body)
    registry = tenant_of(request).templates
    added = [registry.add(d) for d in definitions_in(body)]
    return JSONResponse({"templates": added}, status_code=201)


@control
async def user_sends(request: Request) -> Response:
    """POST /_emulator/users/{wa_id}/messages: the simulated user sends a message to the business."""
    wa_id = request.path_params["wa_id"]
    await _validate(request, "control/user.json", {"wa_id": wa_id})
    body = await read_json(request)
    await _validate(request, "control/inbound.json", body)
    tenant = tenant_of(request)
    record = tenant.actions.send(wa_id, body)
    return JSONResponse({"message": request.app.state.emulator.as_delivered(tenant, record)})


@control
async def conversation(request: Request) -> Response:
    """GET /_emulator/conversations/{wa_id}: both directions in order; ``?format=script`` as a replay script."""
    wa_id = request.path_params["wa_id"]
    await _validate(request, "control/user.json", {"wa_id": wa_id})
    output = request.query_params.get("format", "json")
    if output not in ("json", "script"):
        raise Refusal(Reason.INVALID_PARAMETER, f"format: must be 'json' or 'script' (got {output!r})")
    limit = limit_of(request)
    tenant = tenant_of(request)
    after = request.query_params.get("after")
    anchor = None
    if after is not None:
        found = tenant.messages.find(after) or tenant.store.get(tenant.name, INBOUND, after)
        if found is None:
            raise Refusal(Reason.NOT_FOUND, f"after: no message {after} in this conversation")
        anchor = (after, int(found["seq"]))
    # only the page shown is kept while every record is read: 100 k of them held at once cost ~300 ms of collection
    shown, more = await listing.next_by(tenant.conversation_pages(wa_id), anchor, limit, "id", "seq")
    view = tenant.conversation(wa_id, shown)
    view = {**view, **listing.answer("messages", await in_slices(view["messages"], records_view), more, "id")}
    if output == "script":
        from emulator.transcripts.export import conversation_yaml  # only this format needs yaml

        text = await run_in_threadpool(conversation_yaml, view, usual_traits)  # the view is this request's own
        return Response(text, media_type="application/yaml")
    return JSONResponse(view)


@control
async def list_webhooks(request: Request) -> Response:
    """GET /_emulator/webhooks: the delivery log; filters ``state`` and ``recipient``; ``limit``, ``after``."""
    query = request.query_params
    queue = request.app.state.emulator.webhooks(tenant_of(request))
    pages = queue.pages(query.get("state"), query.get("recipient"), query.get("after"))
    found, more = await collect(pages, limit_of(request))
    return JSONResponse(listing.answer("webhooks", found, more, "id"))


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
    except ValueError as exc:  # a status whose message is no longer kept: nothing to build it from
        raise Refusal(Reason.NOT_FOUND, str(exc)) from None
    return JSONResponse(delivery, status_code=201)


@control
async def drain_webhooks(request: Request) -> Response:
    """POST /_emulator/webhooks/drain?timeout=S&lenient=B: wait until due statuses ran and every delivery went out."""
    timeout = _seconds(request.query_params.get("timeout", "5"), "timeout")
    lenient = _flag(request.query_params.get("lenient"), "lenient")
    emulator = request.app.state.emulator
    tenant = tenant_of(request)
    try:
        unsettled = await emulator.drain(tenant, timeout, lenient=lenient)
    except (TimeoutError, RuntimeError) as exc:  # RuntimeError: the process is stopping
        raise Refusal(Reason.NOT_READY, str(exc)) from None
    queue = emulator.webhooks(tenant)
    counts = queue.counts()
    if not unsettled:
        return JSONResponse({"settled": True, "states": counts})
    no_url = any(item["why"] == settling.NO_URL for item in unsettled)
    why = settling.explain(unsettled, tenant.clock.now(), total=queue.pending)
    refusal = Refusal(Reason.WEBHOOK_URL_MISSING if no_url else Reason.NOT_READY, why)
    answer = render(request, refusal)
    # the first UNSETTLED_SHOWN pending deliveries are named; ``unsettled_total`` counts them all
    body = {
        **orjson.loads(answer.body),
        "settled": False,
        "states": counts,
        "unsettled": unsettled,
        "unsettled_total": queue.pending,
    }
    return JSONResponse(body, status_code=answer.status_code)


def _flag(raw: str | None, name: str) -> bool:
    if raw is None or raw.lower() in ("false", "0", ""):
        return False
    if raw.lower() in ("true", "1"):
        return True
    raise Refusal(Reason.INVALID_PARAMETER, f"{name}: must be true or false (got {raw!r})")
