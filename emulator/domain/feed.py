"""A change feed: waiters (long-polls, live pages) wake when recorded state changes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

Listener = Callable[[str, dict[str, Any]], None]


class ChangeFeed:
    """Publishes ``(topic, document)`` changes; ``wait`` lets a coroutine sleep until the next one.

    ``close()`` (the process is stopping) wakes every waiter, and later waits return at once;
    listeners get a last ``closed`` change.
    """

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None
        self.listeners: list[Listener] = []
        self.closed = False

    @property
    def heard(self) -> bool:
        """Whether a change published now would reach anyone (a listener or a waiter): else it need not be built."""
        return bool(self.listeners) or self._event is not None

    def publish(self, topic: str, doc: dict[str, Any]) -> None:
        """Tell listeners and wake every waiter."""
        if self.listeners:  # (none while no page is open: every send comes through here)
            for listener in list(self.listeners):
                listener(topic, doc)
        if self._event is not None:
            self._event.set()
            self._event = None

    def close(self) -> None:
        """No more waiting: wake every waiter and tell the listeners (``closed``)."""
        self.closed = True
        self.publish("closed", {})

    async def wait(self, timeout: float) -> bool:
        """Sleep until the next change or ``timeout`` seconds; True if something changed (False once closed)."""
        if self.closed:
            return False
        if self._event is None:
            self._event = asyncio.Event()
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            return False
        return True
