"""The domain's one way out: events put in an outbox, taken by whoever runs the tenant.

The domain never calls up into webhooks, the change feed or background tasks; it emits an event
and the runtime (``emulator.runtime``) routes it: statuses, inbound messages and contact results
are rendered into webhooks by ``emulator.webhooks``, record changes wake the change feed, settings
changes refresh the delivery config, a scheduled job wakes the scheduler. Each event carries the
record and the user it is about, so nobody has to read them again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.domain.reasons import Failure

Doc = dict[str, Any]


# The event of every send is a plain (slotted) dataclass: a frozen one costs three times as much to
# create. Nobody changes an event after it is emitted.
@dataclass(slots=True)
class StatusesReached:
    """An outbound message reached one or more statuses at once, in order (sent, delivered, read, failed).

    The record holds each status with its time, billing conversation and failure, which is all a status
    webhook is built from (``emulator.webhooks.sources``). The record was just saved with them: this is
    also its ``Changed("message", record)`` (the feed hears of it first, then the webhooks are queued).
    """

    record: Doc
    user: Doc
    statuses: tuple[str, ...]
    at: float  # when they were reached (their ``timestamp`` in the record)


@dataclass(slots=True)
class StatusReached:
    """One status of an outbound message, as a status webhook renders it (``emulator.webhooks.render``)."""

    record: Doc
    user: Doc
    status: str
    at: float
    conversation: Doc | None = None  # the billing conversation, on sent and delivered
    failure: Failure | None = None  # why, on failed


@dataclass(frozen=True)
class MessageReceived:
    """A simulated user sent the business a message (``message`` is wire-neutral, see simulate.py)."""

    record: Doc
    user: Doc


@dataclass(frozen=True)
class MessageDeleted:
    """A simulated user deleted (for everyone) a message they had sent; ``record`` is its inbound record."""

    record: Doc
    user: Doc
    at: float


@dataclass(frozen=True)
class ContactsChecked:
    """The results of a contacts check the caller did not wait for."""

    results: list[Doc]


@dataclass(slots=True)
class Changed:
    """State changed: ``topic`` is message, inbound, reset, faults or deleted (for long-polls and the page)."""

    topic: str
    doc: Doc


@dataclass(frozen=True)
class SettingsChanged:
    """The application settings (webhook URL and delivery options) changed."""


@dataclass(frozen=True)
class JobScheduled:
    """Something was scheduled on the emulator clock (a delayed status)."""


Event = StatusesReached | MessageReceived | MessageDeleted | ContactsChecked | Changed | SettingsChanged | JobScheduled
Sink = Callable[[Event], None]


class Outbox:
    """Events in emission order, handed at once to the one sink the runtime connected."""

    def __init__(self) -> None:
        self._sink: Sink | None = None
        self.dropped = 0  # events emitted with no sink connected (a tenant used outside a runtime)

    def connect(self, sink: Sink) -> None:
        """Route every later event to ``sink``."""
        self._sink = sink

    def emit(self, event: Event) -> None:
        """Hand ``event`` on; it must not raise into the domain."""
        if self._sink is None:
            self.dropped += 1
            return
        self._sink(event)
