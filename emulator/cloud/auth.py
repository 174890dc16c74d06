"""Static access tokens for every Cloud API route (cloud-api.md §2)."""

from __future__ import annotations

from starlette.requests import Request

from emulator.domain.reasons import Reason, Refusal
from emulator.web import OWNER, Endpoint, guarded, header, secret_in

MISSING = "An active access token must be used to query information about the current user."
INVALID = "Invalid OAuth access token - Cannot parse access token"


def access_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer``, or of ``?access_token=`` as Meta's examples pass it."""
    scheme, _, value = (header(request, b"authorization") or b"").decode("latin-1").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query_params.get("access_token") or None


def check_token(request: Request) -> None:
    """Refuse (190) a missing or unknown token."""
    token = access_token(request)
    if token is None:
        raise Refusal(Reason.ACCESS_DENIED, MISSING)
    tokens = request.app.state.emulator.settings.access_tokens
    if not secret_in(token, tokens):
        raise Refusal(Reason.ACCESS_DENIED, INVALID)
    request.scope[OWNER] = "access token " + token


def authorized(endpoint: Endpoint) -> Endpoint:
    """Wrap a Cloud endpoint so it runs only with a known access token."""
    return guarded(check_token, endpoint)
