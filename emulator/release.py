"""Letting go of large containers a chunk at a time, so that freeing them stalls no request.

Freeing 100 000 stored records at once holds the event loop for tens of milliseconds (more once the
allocator has much to give back). A container nothing else refers to any more (a store's kind just
cleared, a journal just emptied) is handed to ``let_go``: it is emptied ``CHUNK`` items per turn of
the event loop, other requests running between turns. Off the event loop it is dropped at once.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

CHUNK = 2000  # items freed per turn of the event loop: about a millisecond for stored records

Container = dict[Any, Any] | list[Any] | deque[Any]


def let_go(*containers: Container) -> None:
    """Free ``containers`` (which nothing else uses now) a chunk at a time on the running event loop.

    The containers are emptied in place: pass only ones no one else still reads. Without a running
    loop (a script, a worker thread) they are simply dropped.
    """
    large = [c for c in containers if len(c) > CHUNK]
    if not large:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    loop.call_soon(_step, loop, large)


def _step(loop: asyncio.AbstractEventLoop, left: list[Container]) -> None:
    """Free up to CHUNK items of the last container left; come again on the next turn if any remain."""
    while left:
        container = left[-1]
        if len(container) > CHUNK:
            _shrink(container, CHUNK)
            loop.call_soon(_step, loop, left)
            return
        left.pop()  # small enough to go at once


def _shrink(container: Container, count: int) -> None:
    if isinstance(container, dict):
        for _ in range(count):
            container.popitem()
    elif isinstance(container, deque):
        for _ in range(count):
            container.pop()
    else:
        del container[-count:]
