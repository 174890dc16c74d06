"""Paged control listings: ``?limit=`` (default 1000, at most 10 000) and a ``next`` cursor.

A listing walks the store a chunk at a time and lets the event loop run between chunks, so even a
filter that matches nothing among 100 000 records holds other requests up for a few ms at most.
``next`` is present only when more documents match: pass it back as ``?after=`` for the next page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from starlette.requests import Request

from emulator.domain.reasons import Reason, Refusal

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
VIEW_CHUNK = 500  # documents turned into their view between two yields to the event loop

Doc = dict[str, Any]


def limit_of(request: Request) -> int:
    """The page size asked for (``?limit=``), or the default."""
    raw = request.query_params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise Refusal(Reason.INVALID_PARAMETER, f"limit: must be a whole number from 1 to {MAX_LIMIT} (got {raw!r})")
    return int(raw)


async def collect(chunks: Iterator[list[Doc]], keep: Callable[[Doc], bool], limit: int) -> tuple[list[Doc], bool]:
    """The first ``limit`` documents that ``keep``, and whether another one follows them."""
    found: list[Doc] = []
    for chunk in chunks:
        for doc in chunk:
            if keep(doc):
                if len(found) == limit:
                    return found, True
                found.append(doc)
        await asyncio.sleep(0)
    return found, False


async def views(docs: Iterable[Doc], view: Callable[[Doc], Doc]) -> list[Doc]:
    """``view`` of each document, yielding to the event loop every few hundred."""
    out: list[Doc] = []
    for n, doc in enumerate(docs, 1):
        out.append(view(doc))
        if n % VIEW_CHUNK == 0:
            await asyncio.sleep(0)
    return out


def page(name: str, docs: list[Doc], more: bool, cursor: str | None = None) -> Doc:
    """``{name: docs}``, with ``next`` (``cursor``, or the id of the last one) when more follow."""
    out: Doc = {name: docs}
    if more:
        out["next"] = cursor if cursor is not None else docs[-1]["id"]
    return out
