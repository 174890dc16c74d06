"""State behind one protocol: an in-memory store (default) and a SQLite store that survives restarts."""

from __future__ import annotations

import sqlite3

from emulator.store.base import Doc, Page, Store, pages, walk
from emulator.store.memory import MemoryStore
from emulator.store.sqlite import SqliteStore

__all__ = ["Doc", "MemoryStore", "Page", "SqliteStore", "Store", "open_store", "pages", "walk"]


def open_store(url: str) -> Store:
    """Open the store named by the ``--store`` setting: ``memory`` or ``sqlite:PATH``; ValueError naming the flag."""
    if url == "memory":
        return MemoryStore()
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:")
        try:
            return SqliteStore(path)
        except (OSError, sqlite3.Error) as exc:
            raise ValueError(f"--store / WA_EMULATOR_STORE: cannot open the SQLite database {path!r}: {exc}") from None
    raise ValueError(f"--store / WA_EMULATOR_STORE: unknown store {url!r}")
