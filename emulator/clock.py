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
    here, so moving this clock moves all of them together. ``moves`` counts the changes (a page
    showing the clock redraws it when the count changes). The range a move may reach and what a
    move back changes are the domain's rules (``Tenant.move_clock``).
    """

    def __init__(self, base: Callable[[], float] = time.time, *, offset: float = 0.0) -> None:
        self._base = base
        self._offset = offset  # while time flows: emulator time minus real time
        self.frozen_at: float | None = None
        self.moves = 0

    def sibling(self) -> EmulatorClock:
        """A clock of its own (another tenant's) on the same real time, not moved."""
        return EmulatorClock(self._base)

    def now(self) -> float:
        """Current emulator time in Unix seconds."""
        if self.frozen_at is not None:
            return self.frozen_at
        return self._base() + self._offset

    @property
    def offset(self) -> float:
        """Emulator time minus real time, now (while frozen it shrinks as real time goes on)."""
        return self._offset if self.frozen_at is None else self.frozen_at - self._base()

    def advance(self, seconds: float) -> float:
        """Move the clock forward (or back, with a negative value) and return the new time."""
        if self.frozen_at is not None:
            self.frozen_at += seconds
        else:
            self._offset += seconds
        self.moves += 1
        return self.now()

    def set(self, unix: float) -> float:
        """Jump to ``unix``; time keeps flowing from there unless frozen."""
        if self.frozen_at is not None:
            self.frozen_at = unix
        else:
            self._offset = unix - self._base()
        self.moves += 1
        return self.now()

    def freeze(self, frozen: bool) -> None:
        """Stop time where it is (True) or let it flow again from there (False)."""
        if frozen and self.frozen_at is None:
            self.frozen_at = self.now()
        elif not frozen and self.frozen_at is not None:
            self._offset = self.frozen_at - self._base()
            self.frozen_at = None
        self.moves += 1

    def restore(self, offset: float, frozen_at: float | None) -> None:
        """Put back a saved state (``offset`` as the property gave it, ``frozen_at``)."""
        self._offset = offset
        self.frozen_at = frozen_at
        self.moves += 1

    def reset(self) -> None:
        """Back to real time."""
        self._offset = 0.0
        self.frozen_at = None
        self.moves += 1
