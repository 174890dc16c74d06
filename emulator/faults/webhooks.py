"""Webhook faults: what the fault rules do to one tenant's deliveries, asked by its delivery queue.

Decided when a delivery is enqueued (in the order deliveries are made, so the same run gets the same
faults): ``duplicate`` (N more copies right after it), ``delay_s`` (its first attempt not before
then), ``reorder`` (held back until the next delivery to the same recipient has gone ahead of it),
``drop_first`` (its first N attempts fail without reaching the receiver, then it is retried as
usual). Decided at each attempt: ``outage_s`` (a window on the emulator clock in which every
attempt fails as if the receiver were down). Every faulted delivery names its rules in ``faults``;
every injected attempt has ``injected: true`` and says which rule in its ``error``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.clock import Clock
from emulator.faults.rules import FaultBook, effect

Doc = dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """What happens to a new delivery: extra copies, and whether it is held for reordering."""

    copies: int = 0
    reorder: bool = False


@dataclass(frozen=True)
class Wait:
    """The delivery's first attempt is not due yet: wait this many seconds."""

    seconds: float


@dataclass(frozen=True)
class Fail:
    """Record this attempt as failed with ``error``, without contacting the receiver."""

    error: str


class WebhookFaults:
    """The fault rules as one tenant's delivery queue sees them."""

    def __init__(self, book: FaultBook, tenant: str, clock: Clock) -> None:
        self._book = book
        self._tenant = tenant
        self._clock = clock

    @property
    def armed(self) -> bool:
        """Whether any webhook rule exists (else ``plan`` has nothing to do, and needs no content)."""
        return self._book.webhook_rules > 0

    def plan(self, doc: Doc) -> Plan | None:
        """Apply the first rule that fires on a new delivery to its document; what the queue must do."""
        rule = self._book.for_delivery(self._tenant, doc["recipient"], doc["content"])
        if rule is None:
            return None
        action = rule.action
        doc["faults"] = [{"rule": rule.id, "effect": effect(action), "action": dict(action)}]
        if "delay_s" in action:
            doc["hold_until"] = doc["created_at"] + float(action["delay_s"])
        if "drop_first" in action:
            drop = action["drop_first"]
            doc["drop_attempts"] = 1 if drop is True else int(drop)
        copies = int(action.get("duplicate", 0))
        return Plan(copies=copies, reorder=bool(action.get("reorder")))

    def before_attempt(self, doc: Doc) -> Wait | Fail | None:
        """What a fault does to the attempt about to be made: hold it, fail it, or nothing."""
        now = self._clock.now()
        hold_until = doc.get("hold_until")
        if hold_until is not None and not doc["attempts"] and now < hold_until:
            return Wait(hold_until - now)
        if doc.get("drop_attempts", 0) > 0:
            doc["drop_attempts"] -= 1
            rule = doc["faults"][0]["rule"]
            return Fail(f"fault rule {rule}: attempt dropped before it reached the receiver (injected)")
        rule = self._book.outage(self._tenant, doc["recipient"], doc["content"], now)
        if rule is not None:
            listed = doc.setdefault("faults", [])
            if not any(f["rule"] == rule.id and f["effect"] == "outage_s" for f in listed):
                listed.append({"rule": rule.id, "effect": "outage_s", "action": dict(rule.action)})
            return Fail(f"fault rule {rule.id}: receiver outage until {rule.until:.0f} (injected)")
        return None
