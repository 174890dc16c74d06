"""Work due at a time on the emulator clock (delayed statuses), kept as data so it survives a restart.

A job is a kind and a document (``{"kind": "status", "data": {"message_id", "expected", "next"}, "due"}``),
put in the store when scheduled and removed when run; whoever owns a kind registers its handler.
A SQLite store thus carries scheduled jobs over a restart, as it carries pending webhook deliveries.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.domain.outbox import JobScheduled, Outbox
from emulator.store import Doc, Store

KIND = "jobs"
Handler = Callable[[Doc], None]


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    kind: str = field(compare=False)
    data: Doc = field(compare=False)


class Scheduler:
    """A heap of jobs keyed by emulator time; ``run_due`` runs those whose time has come."""

    def __init__(self, store: Store, tenant: str, now: Callable[[], float], outbox: Outbox) -> None:
        self._store = store
        self._tenant = tenant
        self._now = now
        self._outbox = outbox
        self._handlers: dict[str, Handler] = {}
        self._jobs = [_Job(d["due"], d["seq"], d["kind"], d["data"]) for d in store.items(tenant, KIND)]
        heapq.heapify(self._jobs)
        self._seq = max((job.seq for job in self._jobs), default=0)

    def handle(self, kind: str, handler: Handler) -> None:
        """Run ``handler(data)`` for each job of ``kind`` when it comes due."""
        self._handlers[kind] = handler

    def at(self, due: float, kind: str, data: Doc) -> None:
        """Run the ``kind`` handler with ``data`` once the emulator clock reaches ``due``."""
        self._seq += 1
        job = _Job(due, self._seq, kind, data)
        self._store.put(self._tenant, KIND, str(job.seq), {"due": due, "seq": job.seq, "kind": kind, "data": data})
        heapq.heappush(self._jobs, job)
        self._outbox.emit(JobScheduled())

    def run_due(self) -> int:
        """Run every due job (in due order); handlers may schedule more. Returns how many ran."""
        ran = 0
        while self._jobs and self._jobs[0].due <= self._now():
            job = heapq.heappop(self._jobs)
            self._store.delete(self._tenant, KIND, str(job.seq))
            handler = self._handlers.get(job.kind)
            if handler is not None:  # a kind nobody handles (any more) is dropped
                handler(job.data)
            ran += 1
        return ran

    def next_due_in(self) -> float | None:
        """Seconds of emulator time until the next job, or None if nothing is scheduled."""
        return None if not self._jobs else max(0.0, self._jobs[0].due - self._now())

    def clear(self) -> None:
        """Forget every scheduled job (reset)."""
        self._jobs.clear()
        self._store.clear(self._tenant, [KIND])

    def __len__(self) -> int:
        return len(self._jobs)
