"""The On-Premises response envelope: ``meta`` on every answer, ``errors`` for failures."""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from emulator.domain.reasons import Reason, Refusal
from emulator.onprem.codes import TABLE
from emulator.web import JSONResponse

log = logging.getLogger("wa_emulator")


def meta(request: Request) -> dict[str, str]:
    """The ``meta`` object the real client puts on every response."""
    return {"api_status": "stable", "version": request.app.state.emulator.settings.api_version}


def respond(request: Request, payload: dict[str, Any] | None = None, status: int = 200) -> JSONResponse:
    """A success body: the resource payload plus ``meta``."""
    return JSONResponse({**(payload or {}), "meta": meta(request)}, status_code=status)


def error_response(request: Request, refusal: Refusal) -> JSONResponse:
    """The envelope for one refusal: its On-Premises code, title and details."""
    body = {"errors": [TABLE.of_refusal(refusal)], "meta": meta(request)}
    return JSONResponse(body, status_code=TABLE.http(refusal.reason))


async def on_refusal(request: Request, exc: Exception) -> Response:
    """Render a refusal raised anywhere below the routes."""
    if not isinstance(exc, Refusal):  # registered for this type only
        return await on_unexpected_error(request, exc)
    return error_response(request, exc)


async def on_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's 404/405 (unknown path, wrong method) in the WhatsApp envelope."""
    if not isinstance(exc, HTTPException):  # registered for this type only
        return await on_unexpected_error(request, exc)
    if exc.status_code == 404:
        refusal = Refusal(Reason.ENDPOINT_NOT_FOUND, f"Unknown path: {request.method} {request.url.path}")
    elif exc.status_code == 405:
        refusal = Refusal(Reason.METHOD_NOT_ALLOWED, f"Method {request.method} is not allowed on {request.url.path}")
    else:
        refusal = Refusal(Reason.MALFORMED_REQUEST, str(exc.detail))
    response = error_response(request, refusal)
    if exc.status_code not in (404, 405):
        response.status_code = exc.status_code
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def on_unexpected_error(request: Request, exc: Exception) -> Response:
    """Any bug: logged with its traceback, answered 500/1014 with no trace in the body."""
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, Refusal(Reason.INTERNAL))
