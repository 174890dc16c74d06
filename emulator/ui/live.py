"""Live changes for the page: a tenant's changes fanned out to the open event streams.

The hub subscribes to the tenant's change feed and to the webhook log only while at least one
stream is open, so ``POST /v1/messages`` does no work for the page when no page is open. Each change
is encoded once, when it happens (records are mutated in place later), and queued on every stream.

A process told to stop ends its streams: uvicorn's graceful shutdown waits for open responses before
it runs the app's lifespan shutdown, so the server closes the tenant's change feed first
(``emulator.serving``) and the hub ends every stream when the feed says ``closed``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from emulator.domain.tenant import Tenant
from emulator.journal import Journal, entry_view
from emulator.views import record_view

if TYPE_CHECKING:
    from emulator.webhooks.queue import DeliveryQueue

# A stream that falls this far behind is closed; the page reconnects and reloads what it shows.
MAX_BACKLOG = 1000
# The feed's topics and the event names the page gets for them.
FEED_EVENTS = {"message": "message", "inbound": "inbound", "reset": "reset", "faults": "faults", "deleted": "deleted"}


def encode(event: str, data: Any) -> bytes:
    """One Server-Sent Event: its name and one line of JSON (orjson never writes a newline)."""
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class Stream:
    """One open event stream: the encoded events not yet sent, and whether it should end."""

    def __init__(self) -> None:
        self._backlog: deque[bytes] = deque()
        self._wake = asyncio.Event()
        self.closed = False

    def push(self, chunk: bytes) -> None:
        """Queue an encoded event; a stream too far behind is closed instead."""
        if self.closed:
            return
        if len(self._backlog) >= MAX_BACKLOG:
            self.close()
            return
        self._backlog.append(chunk)
        self._wake.set()

    def close(self) -> None:
        """Ask the stream to end (client gone, process stopping, or too far behind)."""
        self.closed = True
        self._wake.set()

    async def next(self, timeout: float) -> bytes:
        """Every event queued so far, waiting up to ``timeout`` seconds for one (b"" if none came)."""
        if not self._backlog and not self.closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()
        chunk = b"".join(self._backlog)
        self._backlog.clear()
        return chunk


class LiveHub:
    """A tenant's changes for its open streams; subscribed to the feed only while one is open."""

    def __init__(self, tenant: Tenant, webhooks: Callable[[], DeliveryQueue], journal: Journal) -> None:
        self.tenant = tenant
        self._webhooks = webhooks
        self._journal = journal
        self._streams: set[Stream] = set()

    def open(self) -> Stream:
        """A new stream; the first one subscribes the hub to the tenant's changes."""
        stream = Stream()
        if not self._streams:
            self.tenant.feed.listeners.append(self._on_change)
            self._webhooks().on_change.append(self._on_webhook)
            self._journal.feed.listeners.append(self._on_request)
        self._streams.add(stream)
        if self.tenant.feed.closed:  # opened while the process is stopping
            stream.close()
        return stream

    def close(self, stream: Stream) -> None:
        """Forget a stream; the last one unsubscribes the hub."""
        stream.close()
        self._streams.discard(stream)
        if not self._streams:
            _remove(self.tenant.feed.listeners, self._on_change)
            _remove(self._webhooks().on_change, self._on_webhook)
            _remove(self._journal.feed.listeners, self._on_request)

    def close_all(self) -> None:
        """End every open stream (the process is stopping)."""
        for stream in list(self._streams):
            stream.close()

    def clock(self) -> dict[str, Any]:
        """The emulator clock as ``GET /_emulator/clock`` shows it."""
        clock = self.tenant.clock
        return {"now": clock.now(), "offset": clock.offset, "frozen": clock.frozen_at is not None}

    def _on_change(self, topic: str, doc: dict[str, Any]) -> None:
        if topic == "closed":
            self.close_all()
            return
        event = FEED_EVENTS.get(topic)
        if event is None:
            return
        chunk = encode(event, record_view(doc) if topic in ("message", "inbound") else doc)
        if topic == "reset":  # a reset puts the clock back too, perhaps between two of a stream's clock checks
            chunk += encode("clock", self.clock())
        self._broadcast(chunk)
        if topic == "deleted":  # the tenant is gone: its streams end (the page says so)
            self.close_all()

    def _on_webhook(self, delivery: dict[str, Any]) -> None:
        self._broadcast(encode("webhook", delivery))

    def _on_request(self, topic: str, doc: dict[str, Any]) -> None:
        if doc.get("tenant") != self.tenant.name:
            return
        entry = self._journal.find(doc["id"])
        if entry is not None:
            self._broadcast(encode("request", entry_view(entry)))

    def _broadcast(self, chunk: bytes) -> None:
        for stream in list(self._streams):
            stream.push(chunk)


def _remove(listeners: list[Any], listener: Any) -> None:
    if listener in listeners:
        listeners.remove(listener)
