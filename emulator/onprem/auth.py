"""Bearer-token guard for every ``/v1`` route but login."""

from __future__ import annotations

import base64

from starlette.requests import Request

from emulator.domain.auth import ADMIN
from emulator.domain.reasons import Reason, Refusal
from emulator.web import OWNER, Endpoint, bearer_in, guarded, header, tenant_of


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or None."""
    raw = header(request, b"authorization")
    return None if raw is None else bearer_in(raw)


def basic_credentials(request: Request) -> tuple[str, str]:
    """(username, password) of an ``Authorization: Basic`` header; 401/1005 if there is none."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        raise Refusal(Reason.ACCESS_DENIED)
    try:
        username, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except ValueError:  # not base64, not ASCII (binascii.Error), or not UTF-8 (UnicodeDecodeError)
        raise Refusal(Reason.ACCESS_DENIED) from None
    if not sep:
        raise Refusal(Reason.ACCESS_DENIED)
    request.scope[OWNER] = username  # who the call claims to be, even when the password is wrong
    return username, password


def is_static_token(request: Request, token: str | None) -> bool:
    """Whether ``token`` is one of the static access tokens (``--access-token``), which need no login."""
    # a set lookup, not a constant-time compare: these tokens are configuration, not secrets to guard
    return bool(token) and token in request.app.state.emulator.settings.access_tokens


def authenticated(endpoint: Endpoint) -> Endpoint:
    """Wrap an endpoint so it runs only with a static access token (the admin) or a valid login token."""
    return guarded(_authenticate, endpoint)


def _authenticate(request: Request) -> None:
    token = bearer_token(request)
    if token is not None and token in request.app.state.emulator.settings.access_tokens:
        owner = ADMIN  # a long-lived access token skips the login (as turn-python does)
    else:
        owner = tenant_of(request).auth.authenticate(token)
    # noted in the scope only: request.state would build a State object per request, and nothing reads it
    request.scope[OWNER] = owner
