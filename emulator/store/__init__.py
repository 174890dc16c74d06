"""State behind one protocol: an in-memory store (default) and a SQLite store that survives restarts."""

from __future__ import annotations

from emulator.store.base import Doc, Store, walk
from emulator.store.memory import MemoryStore
from emulator.store.sqlite import SqliteStore

__all__ = ["Doc", "MemoryStore", "SqliteStore", "Store", "open_store", "walk"]


def open_store(url: str) -> Store:
    """Open the store named by the ``--store`` setting: ``memory`` or ``sqlite:PATH``."""
    if url == "memory":
        return MemoryStore()
    if url.startswith("sqlite:"):
        return SqliteStore(url.removeprefix("sqlite:"))
    raise ValueError(f"unknown store {url!r}")
