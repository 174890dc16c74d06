"""The 24-hour customer-care window: free-form messages only within 24 h of the user's last message.

A message that arrives from a click-to-WhatsApp ad (with a ``referral``) also opens a free entry
point: see ``emulator.domain.billing``.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.bounded import keep
from emulator.store import Doc, Store

KIND = "windows"
KNOWN = 10_000  # users' windows kept decoded (all forgotten at once when full)
WINDOW_S = 24 * 3600
TEMPLATE_TYPES = frozenset({"template", "hsm"})
LAPSED = "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
NEVER_WROTE = (
    LAPSED[:-1] + ": the customer never wrote to this number. Only a template can start the conversation; any "
    "message from the customer opens the 24-hour window."
)


class WindowService:
    """Remembers each user's last inbound message on the emulator clock."""

    def __init__(self, store: Store, tenant: str, now: Callable[[], float]) -> None:
        self._store = store
        self._tenant = tenant
        self._now = now
        # A send reads its recipient's window twice (the window, then billing's entry point): windows
        # read are kept decoded, None for a user who never wrote. Every write goes through here, and
        # the tenant's reset, the only other change to the kind, calls ``cleared``.
        self._known: dict[str, Doc | None] = {}

    def renew(self, wa_id: str, *, entry_point: bool = False) -> None:
        """An inbound message opens (or renews) the window; one from an ad also marks a free entry point."""
        doc = self._doc(wa_id) or {"wa_id": wa_id}
        doc["last_inbound_at"] = self._now()
        if entry_point:
            doc["entry_point_at"] = self._now()
        self._store.put(self._tenant, KIND, wa_id, doc)
        keep(self._known, wa_id, doc, KNOWN)

    def cleared(self) -> None:
        """Every window was removed from the store (a reset)."""
        self._known.clear()

    def entry_point_at(self, wa_id: str) -> float | None:
        """When the user last arrived from an ad (None if never)."""
        doc = self._doc(wa_id)
        return None if doc is None or doc.get("entry_point_at") is None else float(doc["entry_point_at"])

    def expires_at(self, wa_id: str) -> float | None:
        """When the window closes (at most 24 h from now), or None if the user never wrote."""
        doc = self._doc(wa_id)
        if doc is None:
            return None
        return min(float(doc["last_inbound_at"]), self._now()) + WINDOW_S

    def moved_back(self) -> None:
        """The clock went back: a message from the future counts as sent now (no window longer than 24 h)."""
        now = self._now()
        self._known.clear()
        for doc in self._store.items(self._tenant, KIND):
            if doc["last_inbound_at"] > now:
                self._store.put(self._tenant, KIND, doc["wa_id"], {**doc, "last_inbound_at": now})

    def is_open(self, wa_id: str, now: float | None = None) -> bool:
        """True within 24 h of the user's last message (at ``now``, the clock's time if None).

        ``now < min(last, now) + 24 h`` (``expires_at``) is ``now < last + 24 h``: one clock read at most.
        """
        doc = self._doc(wa_id)
        if doc is None:
            return False
        return (self._now() if now is None else now) < float(doc["last_inbound_at"]) + WINDOW_S

    def allows(self, wa_id: str, message_type: str, now: float | None = None) -> bool:
        """Templates go through at any time; anything else needs an open window (at ``now``, see ``is_open``)."""
        return message_type in TEMPLATE_TYPES or self.is_open(wa_id, now)

    def closed_details(self, wa_id: str) -> str:
        """Why a free-form message to ``wa_id`` cannot go now: Meta's sentence, and "never wrote" when that is so."""
        if self.expires_at(wa_id) is None:
            return NEVER_WROTE
        return LAPSED

    def view(self, wa_id: str) -> Doc:
        """``{"open", "expires_at", "remaining_s"}`` for the control API and the page."""
        expires = self.expires_at(wa_id)
        remaining = max(0.0, expires - self._now()) if expires is not None else 0.0
        return {"open": remaining > 0, "expires_at": expires, "remaining_s": remaining}

    def _doc(self, wa_id: str) -> Doc | None:
        """The user's window as stored (kept decoded: see ``_known``), or None if they never wrote."""
        if wa_id in self._known:
            return self._known[wa_id]
        return keep(self._known, wa_id, self._store.get(self._tenant, KIND, wa_id), KNOWN)
