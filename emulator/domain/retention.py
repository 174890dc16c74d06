"""The bounds of the record (``--max-messages``) and the walks over it that control calls make.

Each kind of message record keeps its newest ``limit``; past it the oldest go first, 1 % at a time.
``latest`` indexes each user's newest message (either direction) for the page's sidebar: it is
kept in memory as records are admitted and, after a restart on a persistent store, rebuilt a
chunk at a time (``rebuild``) the first time it is needed.
"""

from __future__ import annotations

from collections.abc import Iterator

from emulator.store import Doc, Store, walk

CHUNK = 500  # records read per step of a walk: a few ms, after which a control call lets others run


class Retention:
    """Counts, bounds and walks the message records of one tenant."""

    def __init__(self, store: Store, tenant: str, limit: int, kinds: tuple[str, ...]) -> None:
        self._store = store
        self._tenant = tenant
        self.limit = limit
        self.stored = {kind: store.count(tenant, kind) for kind in kinds}
        self.forgotten = dict.fromkeys(kinds, 0)
        self.latest: dict[str, tuple[int, str, str]] = {}  # wa_id -> (seq, kind, id) of their newest message
        self.indexed = not any(self.stored.values())  # else ``rebuild`` before ``latest`` is read

    def admit(self, kind: str, wa_id: str, message_id: str, seq: int) -> None:
        """A new record of ``kind`` is about to be put: make room, and index it as its user's newest."""
        self.latest[wa_id] = (seq, kind, message_id)
        stored = self.stored[kind] = self.stored[kind] + 1
        if stored > self.limit:
            gone = self._store.trim(self._tenant, kind, self.limit - max(1, self.limit // 100))
            self.stored[kind] = self._store.count(self._tenant, kind) + 1
            self.forgotten[kind] += len(gone)

    def cleared(self) -> None:
        """Everything was reset: nothing is stored."""
        self.stored = dict.fromkeys(self.stored, 0)
        self.latest.clear()
        self.indexed = True

    def rebuild(self) -> Iterator[None]:
        """Index every kept record's user, a chunk per step (records admitted meanwhile stay newest)."""
        for kind in self.stored:
            for chunk in self.chunks(kind, None):
                for record in chunk:
                    wa_id = record["to"] if record.get("direction") == "outbound" else record["from"]
                    if wa_id not in self.latest or self.latest[wa_id][0] < record["seq"]:
                        self.latest[wa_id] = (record["seq"], kind, record["id"])
                yield
        self.indexed = True

    def chunks(self, kind: str, after: str | None) -> Iterator[list[Doc]]:
        """Records of ``kind`` after ``after`` a chunk at a time, safe while older ones are being forgotten."""
        return walk(self._store, self._tenant, kind, after, CHUNK)
