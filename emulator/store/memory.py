"""In-memory store: documents kept as compact JSON bytes, so a large record costs no GC time."""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from emulator.store.base import Doc


class MemoryStore:
    """The default store; gone when the process ends."""

    persistent = False

    def __init__(self) -> None:
        # bytes, not dicts: a large record of compact JSON costs no garbage-collection time
        self._docs: dict[tuple[str, str], dict[str, bytes]] = {}
        self._blobs: dict[tuple[str, str], tuple[str, bytes]] = {}

    def get(self, tenant: str, kind: str, key: str) -> Doc | None:
        text = self._docs.get((tenant, kind), {}).get(key)
        return None if text is None else _loads(text)

    def put(self, tenant: str, kind: str, key: str, doc: Doc) -> None:
        self._docs.setdefault((tenant, kind), {})[key] = orjson.dumps(doc)

    def delete(self, tenant: str, kind: str, key: str) -> bool:
        return self._docs.get((tenant, kind), {}).pop(key, None) is not None

    def items(self, tenant: str, kind: str, *, after: str | None = None, limit: int | None = None) -> list[Doc]:
        docs = self._docs.get((tenant, kind), {})
        texts: Iterable[bytes] = docs.values()
        if after is not None or limit is not None:
            keys = list(docs)
            start = 0 if after is None else keys.index(after) + 1 if after in docs else len(keys)
            texts = [docs[k] for k in keys[start : None if limit is None else start + limit]]
        return [_loads(t) for t in texts]

    def count(self, tenant: str, kind: str) -> int:
        return len(self._docs.get((tenant, kind), {}))

    def put_blob(self, tenant: str, key: str, content_type: str, data: bytes) -> None:
        self._blobs[(tenant, key)] = (content_type, data)

    def get_blob(self, tenant: str, key: str) -> tuple[str, bytes] | None:
        return self._blobs.get((tenant, key))

    def delete_blob(self, tenant: str, key: str) -> bool:
        return self._blobs.pop((tenant, key), None) is not None

    def clear(self, tenant: str, kinds: Iterable[str], *, blobs: bool = False) -> None:
        for kind in kinds:
            self._docs.pop((tenant, kind), None)
        if blobs:
            for key in [k for k in self._blobs if k[0] == tenant]:
                del self._blobs[key]

    def drop(self, tenant: str) -> None:
        for key in [k for k in self._docs if k[0] == tenant]:
            del self._docs[key]
        self.clear(tenant, (), blobs=True)

    def reset(self) -> None:
        self._docs.clear()
        self._blobs.clear()

    def close(self) -> None:
        """Nothing to release."""


def _loads(text: str | bytes) -> Doc:
    doc: Doc = orjson.loads(text)
    return doc
