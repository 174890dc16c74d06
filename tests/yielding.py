"""Whether one big request lets other requests run: a store that starts a second request mid-way.

``BusyStore.arm(kind, start)`` calls ``start()`` the first time a document of ``kind`` is read
(``items``) or written (``put``); ``start`` creates the second request's task. A request that holds
the event loop until it is done finishes first; one that yields lets the second one finish first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from emulator.store import Doc, MemoryStore


class BusyStore(MemoryStore):
    """A memory store with a trip wire on one kind of document."""

    def __init__(self) -> None:
        super().__init__()
        self._armed: tuple[str, Callable[[], None]] | None = None

    def arm(self, kind: str, start: Callable[[], None]) -> None:
        """Call ``start`` once, on the next read or write of ``kind``."""
        self._armed = (kind, start)

    def _trip(self, kind: str) -> None:
        if self._armed is not None and self._armed[0] == kind:
            start, self._armed = self._armed[1], None
            start()

    def put(self, tenant: str, kind: str, key: str, doc: Doc) -> None:
        super().put(tenant, kind, key, doc)
        self._trip(kind)

    def items(self, tenant: str, kind: str, *, after: str | None = None, limit: int | None = None) -> list[Doc]:
        found = super().items(tenant, kind, after=after, limit=limit)
        self._trip(kind)
        return found


async def finishing_order(
    client: httpx.AsyncClient, store: BusyStore, kind: str, big: Callable[[], Awaitable[Any]]
) -> list[str]:
    """Run ``big()``; once it touches ``kind``, a health check starts. Which finished first."""
    order: list[str] = []
    started: list[asyncio.Task[None]] = []

    async def health() -> None:
        assert (await client.get("/_emulator/health")).status_code == 200
        order.append("health")

    store.arm(kind, lambda: started.append(asyncio.ensure_future(health())))
    await big()
    order.append("big")
    await asyncio.gather(*started)
    return order
