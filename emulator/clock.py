"""The emulator's clock: real time moved by an offset, or frozen, and controllable at run time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the time in Unix seconds."""

    def now(self) -> float: ...


class EmulatorClock:
    """Real time plus an offset; ``advance``/``set`` move it, ``freeze`` stops it.

    Every timestamp the emulator writes (webhooks, token expiry, the 24-hour window) comes from
    here, so moving this clock moves all of them together.
    """

    def __init__(self, base: Callable[[], float] = time.time, *, offset: float = 0.0) -> None:
        self._base = base
        self.offset = offset
        self.frozen_at: float | None = None

    def sibling(self) -> EmulatorClock:
        """A clock of its own (another tenant's) on the same real time, not moved."""
        return EmulatorClock(self._base)

    def now(self) -> float:
        """Current emulator time in Unix seconds."""
        if self.frozen_at is not None:
            return self.frozen_at
        return self._base() + self.offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward (or back, with a negative value) and return the new time."""
        if self.frozen_at is not None:
            self.frozen_at += seconds
        else:
            self.offset += seconds
        return self.now()

    def set(self, unix: float) -> float:
        """Jump to ``unix``; time keeps flowing from there unless frozen."""
        if self.frozen_at is not None:
            self.frozen_at = unix
        else:
            self.offset = unix - self._base()
        return self.now()

    def freeze(self, frozen: bool) -> None:
        """Stop time where it is (True) or let it flow again from there (False)."""
        if frozen and self.frozen_at is None:
            self.frozen_at = self.now()
        elif not frozen and self.frozen_at is not None:
            self.offset = self.frozen_at - self._base()
            self.frozen_at = None

    def reset(self) -> None:
        """Back to real time."""
        self.offset = 0.0
        self.frozen_at = None
