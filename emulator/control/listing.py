"""Listings of the control API: at most ``limit`` documents a call, read without holding up the server.

``?limit=`` (1 to 10 000, default 1000) caps what one call answers, oldest first; when more match,
the answer carries ``"next"``: the ``?after=`` value that gives the next page. The store is read a
page at a time and other requests run between pages, so listing a large store stalls no one.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from emulator.domain.reasons import Reason, Refusal

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
Doc = dict[str, Any]


def limit_of(request: Request) -> int:
    """``?limit=``: 1 to MAX_LIMIT, DEFAULT_LIMIT if not given; 1009 otherwise."""
    raw = request.query_params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not (raw.isdigit() and 1 <= int(raw) <= MAX_LIMIT):
        raise Refusal(Reason.INVALID_PARAMETER, f"limit: must be a whole number from 1 to {MAX_LIMIT} (got {raw!r})")
    return int(raw)


def answer(name: str, found: list[Doc], more: bool, key: str) -> Doc:
    """``{name: found}``, with ``next`` (the key of the last one, for ``?after=``) when more matched."""
    body: Doc = {name: found}
    if more:
        body["next"] = found[-1][key]
    return body


def window(docs: list[Doc], after: str | None, limit: int, key: str) -> tuple[list[Doc], bool]:
    """The ``limit`` documents after the one whose ``key`` is ``after`` (404/1006 if none is), and if more follow."""
    start = 0
    if after is not None:
        keys = [doc[key] for doc in docs]
        if after not in keys:
            raise Refusal(Reason.NOT_FOUND, f"after: no message {after} in this conversation")
        start = keys.index(after) + 1
    shown = docs[start : start + limit]
    return shown, start + limit < len(docs)
