"""Scheduling state of the delivery queue, without I/O: one FIFO lane per recipient.

Only the head of a lane may be attempted, so a recipient's deliveries go out strictly in order.
A head is in exactly one place: ``ready`` (may go now), ``waiting`` (backing off), or busy (an
attempt is in flight). Waiting heads carry two due times and become ready at whichever comes
first: ``real_due`` on the event loop's monotonic clock (a timer fires for it) and ``emu_due`` on
the emulator clock (checked when ``promote`` is given the emulator time, i.e. after a ``kick``).
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Iterator, Sequence


class Lanes:
    """Per-recipient lanes of delivery ids, a ready queue of recipients and backoff timers."""

    def __init__(self) -> None:
        self._lanes: dict[str, deque[str]] = {}
        self._ready: deque[str] = deque()
        self._waiting: dict[str, tuple[float, float, int]] = {}  # recipient -> real_due, emu_due, token
        self._timers: list[tuple[float, int, str]] = []  # heap of (real_due, token, recipient), lazy
        self._tokens = itertools.count()
        self._busy: set[str] = set()  # recipients whose head has an attempt in flight
        self._held: dict[str, list[str]] = {}  # recipient -> deliveries held back to go after the next one
        self.busy = 0
        self.size = 0  # deliveries in every lane (pending ones)

    def add(
        self, recipient: str, delivery_id: str, *, wait: tuple[float, float] | None = None, hold: bool = False
    ) -> None:
        """Append a delivery to its recipient's lane; a new head is ready, or waits until ``wait``.

        With ``hold`` it is kept out of the lane until the next delivery to the same recipient has
        been added (it then goes right after that one), or until ``release_held``.
        """
        if hold:
            self._held.setdefault(recipient, []).append(delivery_id)
            return
        self._put(recipient, (delivery_id,), wait)
        if self._held:  # (seldom: a fault rule reordered one)
            self._put(recipient, self._held.pop(recipient, ()), None)

    def extend(self, recipient: str, delivery_ids: Sequence[str]) -> None:
        """``add`` each of ``delivery_ids`` in order (ready, none held): one lane look-up for a send's statuses."""
        if self._held:  # (seldom) a held delivery goes right after the first one added
            for delivery_id in delivery_ids:
                self.add(recipient, delivery_id)
        else:
            self._put(recipient, delivery_ids, None)

    def release_held(self) -> int:
        """Put every held delivery in its lane; how many there were."""
        held, self._held = self._held, {}
        for recipient, ids in held.items():
            self._put(recipient, ids, None)
        return sum(len(ids) for ids in held.values())

    def _put(self, recipient: str, delivery_ids: Sequence[str], wait: tuple[float, float] | None) -> None:
        """Append ``delivery_ids`` to the recipient's lane; a new lane's head is ready, or waits until ``wait``."""
        if not delivery_ids:
            return
        self.size += len(delivery_ids)
        lane = self._lanes.get(recipient)
        if lane is not None:
            lane.extend(delivery_ids)
            return
        self._lanes[recipient] = deque(delivery_ids)
        if wait is None:
            self._ready.append(recipient)
        else:
            self.backoff(recipient, *wait)

    def take(self) -> tuple[str, str] | None:
        """The next ready (recipient, head delivery id), now busy; None if nothing is ready."""
        if not self._ready:
            return None
        recipient = self._ready.popleft()
        self.busy += 1
        self._busy.add(recipient)
        return recipient, self._lanes[recipient][0]

    def done(self, recipient: str) -> None:
        """The busy head is finished for good: the next delivery of that recipient becomes ready."""
        self.busy -= 1
        self._busy.discard(recipient)
        self.size -= 1
        lane = self._lanes[recipient]
        lane.popleft()
        if lane:
            self._ready.append(recipient)
        else:
            del self._lanes[recipient]

    def retry(self, recipient: str, real_due: float, emu_due: float) -> None:
        """The busy head failed an attempt and backs off until the first of the two due times."""
        self.busy -= 1
        self._busy.discard(recipient)
        self.backoff(recipient, real_due, emu_due)

    def backoff(self, recipient: str, real_due: float, emu_due: float) -> None:
        """Park a lane's head until ``real_due`` (loop time) or ``emu_due`` (emulator time)."""
        token = next(self._tokens)
        self._waiting[recipient] = (real_due, emu_due, token)
        heapq.heappush(self._timers, (real_due, token, recipient))

    def promote(self, real_now: float, emu_now: float | None = None) -> None:
        """Make every waiting head that is due on either clock ready (emulator clock only if given)."""
        while self._timers and self._timers[0][0] <= real_now:
            _, token, recipient = heapq.heappop(self._timers)
            waiting = self._waiting.get(recipient)
            if waiting is not None and waiting[2] == token:
                del self._waiting[recipient]
                self._ready.append(recipient)
        if emu_now is not None:
            for recipient, (_, emu_due, _) in list(self._waiting.items()):
                if emu_due <= emu_now:
                    del self._waiting[recipient]
                    self._ready.append(recipient)

    def drop(self, gone: set[str]) -> tuple[int, list[str]]:
        """Forget deliveries pushed out of the log (the oldest, so each lane loses a prefix).

        Answers how many pending deliveries were dropped, and the busy heads among ``gone``: their
        attempt is in flight and finishes (``done``/``retry``) as usual.
        """
        dropped, busy, ready = 0, [], set(self._ready)
        for recipient, lane in list(self._lanes.items()):
            first = 1 if recipient in self._busy else 0
            if first and lane[0] in gone:
                busy.append(lane[0])
            while len(lane) > first and lane[first] in gone:
                del lane[first]
                dropped += 1
                if not first:  # the head went: its backoff goes with it
                    self._waiting.pop(recipient, None)
            if not lane:
                del self._lanes[recipient]
            elif not first and recipient not in self._waiting and recipient not in ready:
                self._ready.append(recipient)
                ready.add(recipient)
        self._ready = deque(r for r in self._ready if r in self._lanes)
        self.size -= dropped
        return dropped, busy

    def next_real_due(self) -> float | None:
        """When the earliest backoff ends on the loop clock, or None if no head is waiting."""
        while self._timers:
            _, token, recipient = self._timers[0]
            waiting = self._waiting.get(recipient)
            if waiting is not None and waiting[2] == token:
                return self._timers[0][0]
            heapq.heappop(self._timers)  # stale: that head was promoted by the emulator clock
        return None

    @property
    def held(self) -> int:
        """How many deliveries are held back for reordering (not in a lane yet)."""
        return sum(len(ids) for ids in self._held.values())

    def ids(self) -> Iterator[str]:
        """Every pending delivery's id: those in the lanes, then those held back (chained in C: 100 k are walked)."""
        return itertools.chain(
            itertools.chain.from_iterable(self._lanes.values()), itertools.chain.from_iterable(self._held.values())
        )

    @property
    def ready(self) -> int:
        """How many recipients have a head that may go now."""
        return len(self._ready)

    @property
    def waiting(self) -> int:
        """How many recipients have a head backing off."""
        return len(self._waiting)
