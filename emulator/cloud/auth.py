"""Static access tokens for every Cloud API route (cloud-api.md §2)."""

from __future__ import annotations

import functools

from starlette.requests import Request

from emulator.domain.reasons import Reason, Refusal
from emulator.web import OWNER, Endpoint, bearer_in, guarded, header, secret_in

MISSING = "An active access token must be used to query information about the current user."
INVALID = "Invalid OAuth access token - Cannot parse access token"


def access_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer``, or of ``?access_token=`` as Meta's examples pass it."""
    token = bearer_in(header(request, b"authorization") or b"")
    return token if token is not None else request.query_params.get("access_token") or None


def check_token(request: Request) -> None:
    """Refuse (190) a missing or unknown token."""
    tokens = request.app.state.emulator.settings.access_tokens
    raw = header(request, b"authorization")
    # A header seen before with a known token is answered from memory: a bot sends the same one every time.
    owner = None if raw is None else _owner(raw, tokens)
    if owner is None:  # no header, another scheme, an unknown token: the full check
        token = access_token(request)
        if token is None:
            raise Refusal(Reason.ACCESS_DENIED, MISSING)
        if not secret_in(token, tokens):
            raise Refusal(Reason.ACCESS_DENIED, INVALID)
        owner = "access token " + token
    request.scope[OWNER] = owner


def authorized(endpoint: Endpoint) -> Endpoint:
    """Wrap a Cloud endpoint so it runs only with a known access token."""
    return guarded(check_token, endpoint)


@functools.lru_cache(maxsize=256)
def _owner(raw: bytes, tokens: frozenset[str]) -> str | None:
    """Who an ``Authorization`` header's bearer token is (``access token …``) if it is one of ``tokens``, else None.

    Keyed by the token set too: another set (other settings) is never answered from this one's results.
    """
    token = bearer_in(raw)
    return None if token is None or not secret_in(token, tokens) else "access token " + token
