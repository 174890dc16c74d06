"""In-memory store: documents kept as compact JSON text, so a large record costs no GC time."""

from __future__ import annotations

import json
from collections.abc import Iterable

from emulator.store.base import Doc

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


class MemoryStore:
    """The default store; gone when the process ends."""

    persistent = False

    def __init__(self) -> None:
        self._docs: dict[tuple[str, str], dict[str, str]] = {}
        self._blobs: dict[tuple[str, str], tuple[str, bytes]] = {}

    def get(self, tenant: str, kind: str, key: str) -> Doc | None:
        text = self._docs.get((tenant, kind), {}).get(key)
        return None if text is None else _loads(text)

    def put(self, tenant: str, kind: str, key: str, doc: Doc) -> None:
        self._docs.setdefault((tenant, kind), {})[key] = _dumps(doc)

    def delete(self, tenant: str, kind: str, key: str) -> bool:
        return self._docs.get((tenant, kind), {}).pop(key, None) is not None

    def items(self, tenant: str, kind: str, *, after: str | None = None) -> list[Doc]:
        docs = self._docs.get((tenant, kind), {})
        texts: Iterable[str] = docs.values()
        if after is not None:
            keys = list(docs)
            start = keys.index(after) + 1 if after in docs else len(keys)
            texts = [docs[k] for k in keys[start:]]
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

    def reset(self) -> None:
        self._docs.clear()
        self._blobs.clear()

    def close(self) -> None:
        """Nothing to release."""


def _loads(text: str) -> Doc:
    doc: Doc = json.loads(text)
    return doc
