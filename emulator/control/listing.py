"""Listings of the control API: at most ``limit`` documents a call, read without holding up the server.

``?limit=`` (1 to 10 000, default 1000) caps what one call answers, oldest first; when more match,
the answer carries ``"next"``: the ``?after=`` value that gives the next page. The store is read a
page at a time and other requests run between pages, so listing a large store stalls no one.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Iterable
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


async def next_by(
    pages: Iterable[list[Doc]], anchor: tuple[str, int] | None, limit: int, key: str, order: str
) -> tuple[list[Doc], bool]:
    """The ``limit`` documents of ``pages`` that come next by ``order``, and whether more follow.

    ``pages`` may come in any order. ``anchor``: ``(key, order)`` of the document to start after (``?after=``),
    refused (404/1006) if none of ``pages`` is that one. Only the ``limit`` + 1 best candidates are kept while
    the pages are read, other requests running between pages: a walk over 100 k records holds on to no more
    than a page of them, so building the answer neither stalls the server nor feeds the garbage collector.
    """
    floor = None if anchor is None else anchor[1]
    seen = anchor is None
    best: list[tuple[int, int, Doc]] = []  # (-order, -arrival, doc): a heap whose top is the worst kept
    matched = 0
    for page in pages:
        for doc in page:
            rank = doc[order]
            if floor is not None and rank <= floor:
                seen = seen or (anchor is not None and doc[key] == anchor[0])
                continue
            matched += 1
            item = (-rank, -matched, doc)  # equal ranks: the one that came first is kept first (a stable sort)
            if len(best) <= limit:
                heapq.heappush(best, item)
            elif item > best[0]:
                heapq.heapreplace(best, item)
        await asyncio.sleep(0)
    if not seen:
        raise Refusal(Reason.NOT_FOUND, f"after: no message {anchor[0] if anchor else ''} in this conversation")
    shown = [doc for _, _, doc in sorted(best, reverse=True)[:limit]]
    return shown, matched > limit
