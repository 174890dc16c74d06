"""Optional send limits, off by default: the pair rate limit, the throughput limit and a marketing cap.

Real numbers are limited in ways a bot must survive (cloud-api.md §11): one message every few
seconds to one user (the pair rate limit), so many messages per second from one number (the
throughput limit), and a number of marketing templates per user a day beyond which Meta does not
deliver them. Each is a switch; all count on the emulator clock, so a test moves the clock to get past
one. Only sends through an API that has these limits are counted (``Channel.limited``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from emulator.domain.billing import category_of
from emulator.domain.reasons import Failure, Reason, Refusal
from emulator.store import Doc

DAY_S = 24 * 3600.0


class SendLimits:
    """What the switches allow, and the sends counted against them (in memory: reset clears them)."""

    def __init__(self, *, pair_s: float, per_second: int, marketing_cap: int, now: Callable[[], float]) -> None:
        self._pair_s = pair_s
        self._per_second = per_second
        self._cap = marketing_cap
        self._now = now
        self._last: dict[str, float] = {}  # wa_id -> time of the last send to them
        self._recent: deque[float] = deque()  # times of the sends in the last second
        self._marketing: dict[str, deque[float]] = {}  # wa_id -> times of marketing templates in the last day

    @property
    def on(self) -> bool:
        """Whether any limit is switched on."""
        return bool(self._pair_s or self._per_second or self._cap)

    def check(self, wa_id: str) -> None:
        """Refuse a send that the throughput or pair rate limit does not allow now."""
        now = self._now()
        if self._per_second:
            while self._recent and self._recent[0] <= now - 1.0:
                self._recent.popleft()
            if len(self._recent) >= self._per_second:
                raise Refusal(Reason.THROUGHPUT_LIMITED)
        last = self._last.get(wa_id)
        if self._pair_s and last is not None and now - last < self._pair_s:
            raise Refusal(
                Reason.PAIR_RATE_LIMITED,
                f"Message failed to send because there were too many messages sent from this phone number to "
                f"{wa_id} in a short period of time: one every {self._pair_s:g} s (the last was {now - last:g} s ago).",
            )

    def sent(self, wa_id: str) -> None:
        """Count an accepted send."""
        now = self._now()
        self._last[wa_id] = now
        if self._per_second:
            self._recent.append(now)

    def marketing(self, record: Doc) -> Failure | None:
        """The failure of a marketing template over the user's cap (else it is counted and None)."""
        if not self._cap or category_of(record) != "marketing":
            return None
        now = self._now()
        times = self._marketing.setdefault(record["to"], deque())
        while times and times[0] <= now - DAY_S:
            times.popleft()
        if len(times) >= self._cap:
            return Failure(Reason.MARKETING_CAPPED)
        times.append(now)
        return None

    def clear(self) -> None:
        """Forget every counted send (reset)."""
        self._last.clear()
        self._recent.clear()
        self._marketing.clear()
