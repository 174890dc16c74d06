"""SQLite store (WAL): everything survives a restart of the emulator."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

import orjson

from emulator.store.base import Doc

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    tenant TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL,
    UNIQUE (tenant, kind, key)
);
CREATE TABLE IF NOT EXISTS blobs (
    tenant TEXT NOT NULL, key TEXT NOT NULL, content_type TEXT NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (tenant, key)
);
"""


class SqliteStore:
    """Documents in one table ordered by rowid; an upsert keeps the rowid, so updates keep their place."""

    persistent = True

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # The app runs on one event loop, but test clients call it from a worker thread: one
        # connection shared behind a lock is simplest and fast enough for an emulator.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.Error:  # not a database, read-only, locked: the caller says which file
            self._db.close()
            raise

    def get(self, tenant: str, kind: str, key: str) -> Doc | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM docs WHERE tenant=? AND kind=? AND key=?", (tenant, kind, key)
            ).fetchone()
        return None if row is None else _loads(row[0])

    def put(self, tenant: str, kind: str, key: str, doc: Doc) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO docs (tenant, kind, key, body) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (tenant, kind, key) DO UPDATE SET body=excluded.body",
                (tenant, kind, key, orjson.dumps(doc).decode()),
            )

    def delete(self, tenant: str, kind: str, key: str) -> bool:
        with self._lock:
            cur = self._db.execute("DELETE FROM docs WHERE tenant=? AND kind=? AND key=?", (tenant, kind, key))
        return cur.rowcount > 0

    def items(self, tenant: str, kind: str, *, after: str | None = None, limit: int | None = None) -> list[Doc]:
        sql = "SELECT body FROM docs WHERE tenant=? AND kind=?"
        args: tuple[str | int, ...] = (tenant, kind)
        if after is not None:
            sql += (
                " AND rowid > COALESCE((SELECT rowid FROM docs WHERE tenant=? AND kind=? AND key=?),"
                " (SELECT MAX(rowid) FROM docs))"
            )
            args += (tenant, kind, after)
        sql += " ORDER BY rowid"
        if limit is not None:
            sql += " LIMIT ?"
            args += (limit,)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_loads(r[0]) for r in rows]

    def count(self, tenant: str, kind: str) -> int:
        with self._lock:
            row = self._db.execute("SELECT COUNT(*) FROM docs WHERE tenant=? AND kind=?", (tenant, kind)).fetchone()
        return int(row[0])

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
            self._db.executemany("DELETE FROM docs WHERE tenant=? AND kind=?", [(tenant, k) for k in kinds])
            if blobs:
                self._db.execute("DELETE FROM blobs WHERE tenant=?", (tenant,))

    def drop(self, tenant: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM docs WHERE tenant=?", (tenant,))
            self._db.execute("DELETE FROM blobs WHERE tenant=?", (tenant,))

    def reset(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM docs")
            self._db.execute("DELETE FROM blobs")

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _loads(text: str | bytes) -> Doc:
    doc: Doc = orjson.loads(text)
    return doc
