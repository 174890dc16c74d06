"""The store protocol: JSON documents by (tenant, kind, key) in insertion order, plus media blobs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

Doc = dict[str, Any]
Page = list[Doc]  # an alias: inside a class with a ``list`` method, ``list`` names the method


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

    def delete(self, tenant: str, kind: str, key: str) -> bool:
        """Remove a document; True if it existed."""
        ...

    def items(self, tenant: str, kind: str, *, after: str | None = None, limit: int | None = None) -> list[Doc]:
        """Documents of a kind, oldest first; with ``after``, only those put after that key; at most ``limit``."""
        ...

    def count(self, tenant: str, kind: str) -> int:
        """How many documents of a kind there are."""
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

    def close(self) -> None:
        """Release files and connections."""
        ...


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
