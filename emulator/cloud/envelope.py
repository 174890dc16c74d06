"""The Cloud API (Graph) response envelope: ``{"error": {...}}`` for failures (cloud-api.md §8.1)."""

from __future__ import annotations

import base64
import hashlib
import itertools
from typing import Any

from starlette.requests import Request

from emulator.cloud.codes import TABLE
from emulator.domain.reasons import Reason, Refusal
from emulator.web import JSONResponse

GRAPH_DOCS = "https://developers.facebook.com/docs/graph-api"
_UNKNOWN_NODE = (
    "Unsupported {method} request. Object with ID '{node}' does not exist, cannot be loaded due to missing "
    "permissions, or does not support this operation. Please read the Graph API documentation at " + GRAPH_DOCS
)
_BAD_TOKEN = "Invalid OAuth access token - Cannot parse access token"
_traces = itertools.count(1)


def unknown_node(method: str, node: str) -> Refusal:
    """Graph's answer for an id it does not know (HTTP 400, code 100, subcode 33)."""
    return Refusal(Reason.ENDPOINT_NOT_FOUND, _UNKNOWN_NODE.format(method=method.lower(), node=node))


def error_body(refusal: Refusal) -> dict[str, Any]:
    """``{"error": {message, type, code, error_data, error_subcode?, fbtrace_id}}`` for a refusal."""
    code, title = TABLE.code(refusal.reason), TABLE.title(refusal.reason)
    details = TABLE.details(refusal.reason, refusal.details)
    error: dict[str, Any] = {"message": f"({code}) {title}", "type": "OAuthException", "code": code}
    if refusal.reason is Reason.ENDPOINT_NOT_FOUND:
        error.update(message=details, type="GraphMethodException", error_subcode=33)
    elif refusal.reason in (Reason.ACCESS_DENIED, Reason.PASSWORD_CHANGE_REQUIRED):
        error["message"] = details or _BAD_TOKEN
    else:
        return code_body(code, details)
    error["fbtrace_id"] = _trace_id()
    return {"error": error}


def code_body(code: int, details: str = "") -> dict[str, Any]:
    """The envelope of an error given by its code (a refusal's, or a fault rule's)."""
    title = TABLE.of_code(code)["title"]
    error: dict[str, Any] = {"message": f"(#{code}) {title}", "type": "OAuthException", "code": code}
    error["error_data"] = {"messaging_product": "whatsapp", "details": details or title}
    error["fbtrace_id"] = _trace_id()
    return {"error": error}


def error_response(request: Request, refusal: Refusal) -> JSONResponse:
    """The Cloud error answer with the headers Graph puts on it."""
    status = TABLE.http(refusal.reason)
    if refusal.reason in (Reason.ACCESS_DENIED, Reason.PASSWORD_CHANGE_REQUIRED):
        status = request.app.state.emulator.settings.cloud_auth_status
    return _answer(request, error_body(refusal), status)


def code_response(request: Request, code: int, details: str, status: int) -> JSONResponse:
    """An error given by its code (a fault rule's), with Graph's headers."""
    return _answer(request, code_body(code, details), status)


def _answer(request: Request, body: dict[str, Any], status: int) -> JSONResponse:
    # a header holds Latin-1 only: a path with other characters in the message would make the answer itself fail
    message = body["error"]["message"].replace('"', "'").encode("ascii", "replace").decode()
    headers = {
        "www-authenticate": f'OAuth "Facebook Platform" "invalid_request" "{message}"',
        "x-fb-trace-id": body["error"]["fbtrace_id"],
    }
    version = request.path_params.get("version")
    if version:
        headers["facebook-api-version"] = version
    return JSONResponse(body, status_code=status, headers=headers)


def _trace_id() -> str:
    """An fbtrace_id-looking string (a count hashed, so no randomness outside ids.py)."""
    digest = hashlib.sha256(f"trace:{next(_traces)}".encode()).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode().rstrip("=")
