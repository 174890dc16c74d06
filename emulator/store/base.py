"""The store protocol: JSON documents by (tenant, kind, key) in insertion order, plus media blobs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

import orjson

Doc = dict[str, Any]
Page = list[Doc]  # an alias: inside a class with a ``list`` method, ``list`` names the method


def compact(doc: Doc) -> bytes:
    """A document as compact JSON bytes, in a block of its own size.

    ``orjson.dumps`` answers bytes inside a 4 KiB allocation; kept as they are, every stored document
    would cost 4 KiB of memory whatever its length. The copy costs ~0.1 µs.
    """
    return bytes(memoryview(orjson.dumps(doc)))


class Store(Protocol):
    """Holds all state and nothing else; no rules live here.

    Documents are grouped by tenant (one emulated business number) and kind (``messages``,
    ``users``, ``tokens``, ...). ``items`` returns them in the order they were first put;
    updating a document keeps its place.
    """

    persistent: bool

    def get(self, tenant: str, kind: str, key: str) -> Doc | None:
        """The document, or None."""
        ...

    def put(self, tenant: str, kind: str, key: str, doc: Doc) -> None:
        """Insert or replace a document (a replaced one keeps its place in the order)."""
        ...

    def put_encoded(self, tenant: str, kind: str, key: str, text: bytes) -> None:
        """``put`` of a document the caller already encoded as compact JSON (a JSON object, in bytes of its size)."""
        ...

    def delete(self, tenant: str, kind: str, key: str) -> bool:
        """Remove a document; True if it existed."""
        ...

    def items(self, tenant: str, kind: str, *, after: str | None = None, limit: int | None = None) -> list[Doc]:
        """Documents of a kind, oldest first; with ``after``, only those put after that key (none if it is
        unknown); at most ``limit`` of them."""
        ...

    def latest(self, tenant: str, kind: str, limit: int) -> list[Doc]:
        """The ``limit`` newest documents of a kind, newest first."""
        ...

    def count(self, tenant: str, kind: str) -> int:
        """How many documents of a kind there are."""
        ...

    def trim(self, tenant: str, kind: str, keep: int) -> list[str]:
        """Remove the oldest documents of a kind until at most ``keep`` remain; the keys removed, oldest first."""
        ...

    def put_blob(self, tenant: str, key: str, content_type: str, data: bytes) -> None:
        """Store media bytes with their MIME type."""
        ...

    def get_blob(self, tenant: str, key: str) -> tuple[str, bytes] | None:
        """(MIME type, bytes), or None."""
        ...

    def delete_blob(self, tenant: str, key: str) -> bool:
        """Remove media bytes; True if they existed."""
        ...

    def clear(self, tenant: str, kinds: Iterable[str], *, blobs: bool = False) -> None:
        """Remove every document of the given kinds (and the tenant's blobs if asked)."""
        ...

    def drop(self, tenant: str) -> None:
        """Remove every document and blob of a tenant (it is deleted)."""
        ...

    def reset(self) -> None:
        """Remove everything, for every tenant."""
        ...

    def flush(self) -> None:
        """Make every change so far durable (a persistent store writes in batches; see ``SqliteStore``)."""
        ...

    def close(self) -> None:
        """Flush, then release files and connections."""
        ...


def walk(store: Store, tenant: str, kind: str, after: str | None, chunk: int) -> Iterator[list[Doc]]:
    """Documents (each with its key as ``id``) after ``after``, oldest first, ``chunk`` at a time.

    Safe while the oldest are being removed (``trim``): if the document the walk stands on is
    removed meanwhile, everything left is newer than it, so the walk goes on from the oldest kept.
    """
    cursor = after
    while True:
        found = store.items(tenant, kind, after=cursor, limit=chunk)
        if not found and cursor != after and store.get(tenant, kind, cursor or "") is None:
            found = store.items(tenant, kind, limit=chunk)
        if not found:
            return
        yield found
        if len(found) < chunk:
            return
        cursor = found[-1]["id"]


PAGE = 500  # documents read from a store at a time: a listing yields to other requests between pages


def pages(
    store: Store, tenant: str, kind: str, key: Callable[[Doc], str], *, after: str | None = None, size: int = PAGE
) -> Iterator[Page]:
    """Every document of a kind after ``after``, read ``size`` at a time (``key`` names a document's key)."""
    while True:
        page = store.items(tenant, kind, after=after, limit=size)
        if page:
            yield page
        if len(page) < size:
            return
        after = key(page[-1])
