"""SQLite store (WAL): everything survives a restart of the emulator.

Writes are batched: ``put`` buffers the document; every ``CHUNK`` writes the buffer goes into the
open transaction (one ``executemany`` of prepared upserts), and the transaction is committed when it
holds ``BATCH`` writes or when ``flush`` is called (the runtime does so every ``FLUSH_S`` seconds, and
``close`` on a clean stop). A commit writes each page the batch changed to the WAL once, however
many rows changed it (a page of the key index takes many random message ids), so fewer, larger
commits write fewer pages: committing every 50 ms or 1,000 writes cost a send ~10 % more CPU. The
changed pages wait in SQLite's page cache (``CACHE_KIB``). With ``synchronous=NORMAL`` a commit is
not fsynced: a clean stop loses nothing; ``kill -9`` (or a crash) loses at most the writes since the
last commit, i.e. the last batch. Reads see buffered writes; documents read or written recently are
kept (as bytes) for the next read.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

import orjson

from emulator.bounded import keep
from emulator.store.base import Doc, compact

CHUNK = 1000  # buffered writes that go into the open transaction at once
BATCH = 5000  # writes in the open transaction that make the store commit at once
FLUSH_S = 0.2  # how often the runtime commits what is buffered
CACHE_KIB = 32768  # SQLite's page cache: a batch's changed pages stay in it until the commit
CACHE = 8192  # recently read or written documents kept for reads (all dropped when full)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    tenant TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,
    UNIQUE (tenant, kind, key)
);
CREATE INDEX IF NOT EXISTS docs_by_kind ON docs (tenant, kind);
CREATE TABLE IF NOT EXISTS blobs (
    tenant TEXT NOT NULL, key TEXT NOT NULL, content_type TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (tenant, key)
);
"""
_GET = "SELECT body FROM docs WHERE tenant=? AND kind=? AND key=?"
_UPSERT = (
    "INSERT INTO docs (tenant, kind, key, body) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (tenant, kind, key) DO UPDATE SET body=excluded.body"
)
_ITEMS = "SELECT body FROM docs WHERE tenant=? AND kind=?"
_AFTER = " AND rowid > (SELECT rowid FROM docs WHERE tenant=? AND kind=? AND key=?)"
Key = tuple[str, str, str]


class SqliteStore:
    """Documents in one table ordered by rowid; an upsert keeps the rowid, so updates keep their place."""

    persistent = True

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # The app runs on one event loop, but test clients call it from a worker thread: one
        # connection shared behind a lock is simplest and fast enough for an emulator.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error:  # not a database, read-only, locked: the caller says which file
            self._db.close()
            raise
        self._dirty: dict[Key, bytes] = {}  # written, not yet in the database
        self._cache: dict[Key, bytes | str] = {}  # in the database, kept for reads (older rows are str)
        self._uncommitted = 0  # writes in the open transaction

    def get(self, tenant: str, kind: str, key: str) -> Doc | None:
        k = (tenant, kind, key)
        with self._lock:
            text: bytes | str | None = self._dirty.get(k) or self._cache.get(k)
            if text is None:
                row = self._db.execute(_GET, k).fetchone()
                if row is None:
                    return None
                text = self._remember(k, row[0])
        return _loads(text)

    def put(self, tenant: str, kind: str, key: str, doc: Doc) -> None:
        self.put_encoded(tenant, kind, key, compact(doc))

    def put_encoded(self, tenant: str, kind: str, key: str, text: bytes) -> None:
        with self._lock:
            self._dirty[(tenant, kind, key)] = text
            if len(self._dirty) >= CHUNK:
                self._write()
                if self._uncommitted >= BATCH:
                    self.flush()

    def delete(self, tenant: str, kind: str, key: str) -> bool:
        with self._lock:
            self._write()
            self._cache.pop((tenant, kind, key), None)
            cur = self._db.execute("DELETE FROM docs WHERE tenant=? AND kind=? AND key=?", (tenant, kind, key))
        return cur.rowcount > 0

    def items(self, tenant: str, kind: str, *, after: str | None = None, limit: int | None = None) -> list[Doc]:
        sql, args = _ITEMS, list[str | int]([tenant, kind])
        if after is not None:  # an unknown key makes the subquery NULL: no rows, as the protocol says
            sql, args = sql + _AFTER, [*args, tenant, kind, after]
        sql += " ORDER BY rowid"
        if limit is not None:
            sql, args = sql + " LIMIT ?", [*args, limit]
        with self._lock:
            self._write()
            rows = self._db.execute(sql, args).fetchall()
        return [_loads(r[0]) for r in rows]

    def latest(self, tenant: str, kind: str, limit: int) -> list[Doc]:
        with self._lock:
            self._write()
            rows = self._db.execute(_ITEMS + " ORDER BY rowid DESC LIMIT ?", (tenant, kind, limit)).fetchall()
        return [_loads(r[0]) for r in rows]

    def count(self, tenant: str, kind: str) -> int:
        with self._lock:
            self._write()
            row = self._db.execute("SELECT COUNT(*) FROM docs WHERE tenant=? AND kind=?", (tenant, kind)).fetchone()
        return int(row[0])

    def trim(self, tenant: str, kind: str, keep: int) -> list[str]:
        with self._lock:
            excess = self.count(tenant, kind) - keep
            if excess <= 0:
                return []
            self._begin()
            sql = "SELECT key, rowid FROM docs WHERE tenant=? AND kind=? ORDER BY rowid LIMIT ?"
            rows = self._db.execute(sql, (tenant, kind, excess)).fetchall()
            sql = "DELETE FROM docs WHERE tenant=? AND kind=? AND rowid <= ?"
            self._db.execute(sql, (tenant, kind, rows[-1][1]))
            for key, _ in rows:
                self._cache.pop((tenant, kind, key), None)
        return [str(key) for key, _ in rows]

    def put_blob(self, tenant: str, key: str, content_type: str, data: bytes) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO blobs (tenant, key, content_type, data) VALUES (?, ?, ?, ?)",
                (tenant, key, content_type, data),
            )

    def get_blob(self, tenant: str, key: str) -> tuple[str, bytes] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT content_type, data FROM blobs WHERE tenant=? AND key=?", (tenant, key)
            ).fetchone()
        return None if row is None else (str(row[0]), bytes(row[1]))

    def delete_blob(self, tenant: str, key: str) -> bool:
        with self._lock:
            cur = self._db.execute("DELETE FROM blobs WHERE tenant=? AND key=?", (tenant, key))
        return cur.rowcount > 0

    def clear(self, tenant: str, kinds: Iterable[str], *, blobs: bool = False) -> None:
        with self._lock:
            self._write()
            self._cache.clear()
            self._db.executemany("DELETE FROM docs WHERE tenant=? AND kind=?", [(tenant, k) for k in kinds])
            if blobs:
                self._db.execute("DELETE FROM blobs WHERE tenant=?", (tenant,))

    def drop(self, tenant: str) -> None:
        with self._lock:
            self._write()
            self._cache.clear()
            self._db.execute("DELETE FROM docs WHERE tenant=?", (tenant,))
            self._db.execute("DELETE FROM blobs WHERE tenant=?", (tenant,))

    def reset(self) -> None:
        with self._lock:
            self._dirty.clear()
            self._cache.clear()
            self._db.execute("DELETE FROM docs")
            self._db.execute("DELETE FROM blobs")

    def flush(self) -> None:
        """Write the buffer and commit: what is flushed survives ``kill -9``."""
        with self._lock:
            self._write()
            if self._db.in_transaction:
                self._db.execute("COMMIT")
            self._uncommitted = 0

    def close(self) -> None:
        with self._lock:
            self.flush()
            self._db.close()

    def _begin(self) -> None:
        if not self._db.in_transaction:
            self._db.execute("BEGIN")

    def _write(self) -> None:
        """The buffered writes into the open transaction (one prepared statement, many rows)."""
        if not self._dirty:
            return
        dirty, self._dirty = self._dirty, {}
        self._begin()
        self._db.executemany(_UPSERT, [(t, k, key, body) for (t, k, key), body in dirty.items()])
        self._uncommitted += len(dirty)
        if len(self._cache) + len(dirty) > CACHE:
            self._cache.clear()
        self._cache.update(dirty)

    def _remember(self, key: Key, text: bytes | str) -> bytes | str:
        return keep(self._cache, key, text, CACHE)


def _loads(text: str | bytes) -> Doc:
    doc: Doc = orjson.loads(text)
    return doc
