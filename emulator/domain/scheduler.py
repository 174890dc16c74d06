"""Work due at a time on the emulator clock (delayed statuses); run when due or when the clock moves."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.domain.outbox import JobScheduled, Outbox


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    action: Callable[[], None] = field(compare=False)


class Scheduler:
    """A heap of actions keyed by emulator time; ``run_due`` runs those whose time has come."""

    def __init__(self, now: Callable[[], float], outbox: Outbox) -> None:
        self._now = now
        self._jobs: list[_Job] = []
        self._seq = itertools.count()
        self._outbox = outbox

    def at(self, due: float, action: Callable[[], None]) -> None:
        """Run ``action`` once the emulator clock reaches ``due``."""
        heapq.heappush(self._jobs, _Job(due, next(self._seq), action))
        self._outbox.emit(JobScheduled())

    def run_due(self) -> int:
        """Run every due action (in due order); actions may schedule more. Returns how many ran."""
        ran = 0
        while self._jobs and self._jobs[0].due <= self._now():
            heapq.heappop(self._jobs).action()
            ran += 1
        return ran

    def next_due_in(self) -> float | None:
        """Seconds of emulator time until the next action, or None if nothing is scheduled."""
        return None if not self._jobs else max(0.0, self._jobs[0].due - self._now())

    def clear(self) -> None:
        """Forget every scheduled action (reset)."""
        self._jobs.clear()

    def __len__(self) -> int:
        return len(self._jobs)
