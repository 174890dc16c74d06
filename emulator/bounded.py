"""Caches of at most a given number of entries, emptied at once when full.

Used where keys come from requests (paths with ids in them, users, conversations): the ones in use
now come back after a clear, and nothing is kept per entry to decide what to evict. The caches stay
plain dicts (a subclass would lose the interpreter's fast paths for dict lookups, on every send).
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def keep(cache: dict[K, V], key: K, value: V, limit: int) -> V:
    """``cache[key] = value``, the cache emptied first when it holds ``limit`` entries; the value."""
    if len(cache) >= limit:
        cache.clear()
    cache[key] = value
    return value
