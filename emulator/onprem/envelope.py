"""The On-Premises response envelope: ``meta`` on every answer, ``errors`` for failures."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from emulator.domain.reasons import Refusal
from emulator.onprem.codes import TABLE
from emulator.web import JSONResponse


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


def code_response(request: Request, code: int, details: str, status: int) -> JSONResponse:
    """An error given by its code (a fault rule's), in this envelope."""
    body = {"errors": [TABLE.of_code(code, details)], "meta": meta(request)}
    return JSONResponse(body, status_code=status)
