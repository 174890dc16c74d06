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
    token = access_token(request)
    if token is None:
        raise Refusal(Reason.ACCESS_DENIED, MISSING)
    owner = _owner(token, request.app.state.emulator.settings.access_tokens)
    if owner is None:
        raise Refusal(Reason.ACCESS_DENIED, INVALID)
    request.scope[OWNER] = owner


def authorized(endpoint: Endpoint) -> Endpoint:
    """Wrap a Cloud endpoint so it runs only with a known access token."""
    return guarded(check_token, endpoint)


@functools.lru_cache(maxsize=256)
def _owner(token: str, tokens: frozenset[str]) -> str | None:
    """Who ``token`` is (``access token …``) if it is one of ``tokens``, else None.

    Remembered (a bot sends the same token every time), keyed by the token set too: another set (other
    settings) is never answered from this one's results.
    """
    return "access token " + token if secret_in(token, tokens) else None
