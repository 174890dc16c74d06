"""Conversation-based pricing: the ``conversation`` and ``pricing`` objects of sent/delivered statuses.

A free entry point (pricing docs, cloud-api.md §10): when the user arrived from a click-to-WhatsApp
ad and the business answers within 24 hours, a free ``referral_conversion`` conversation opens for
72 hours, and every message to the user in it (templates too) is billed to it.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.bounded import keep
from emulator.ids import IdFactory
from emulator.store import Doc, Store

KIND = "billing"
KNOWN = 10_000  # conversations kept decoded (all forgotten at once when full)
CONVERSATION_S = 24 * 3600
ENTRY_POINT_REPLY_S = 24 * 3600  # the business must answer an ad's message within this to open one
ENTRY_POINT_S = 72 * 3600
FREE_ENTRY = "referral_conversion"
CATEGORIES = frozenset({"marketing", "utility", "authentication"})


def category_of(record: Doc) -> str:
    """A template's category (lower case) opens a business-initiated conversation; others are service."""
    hydrated = record.get("hydrated")
    if hydrated:  # (only templates are hydrated)
        category = str(hydrated.get("category") or "").lower()
        if category in CATEGORIES:
            return category
    return "utility" if record["type"] in ("template", "hsm") else "service"


class BillingService:
    """One open conversation per user and category, 24 h long, as conversation-based pricing counts them."""

    def __init__(
        self,
        store: Store,
        tenant: str,
        ids: IdFactory,
        entry_point_at: Callable[[str], float | None] = lambda _: None,
    ) -> None:
        self._store = store
        self._tenant = tenant
        self._ids = ids
        self._entry_point_at = entry_point_at  # when the user last arrived from an ad
        # Every send reads a conversation: those read are kept decoded (None: none was started). Every
        # write goes through ``_start``, and the tenant's reset, the only other change, calls ``cleared``.
        self._known: dict[str, Doc | None] = {}

    def cleared(self) -> None:
        """Every conversation was removed from the store (a reset)."""
        self._known.clear()

    def conversation_for(self, record: Doc, now: float) -> Doc:
        """The conversation a message is billed in at ``now``, opened on first use: ``{id, expires_at, category}``.

        Every comparison of one send is at the same instant, the status's time. A free entry
        point conversation is looked for only when the user ever arrived from an ad: only then can
        one have been started (windows and conversations are cleared together), and most users never
        did, so most sends read two documents here, not three.
        """
        to = record["to"]
        arrived = self._entry_point_at(to)
        if arrived is not None:
            free_key = f"{to}:{FREE_ENTRY}"
            free = self._open(free_key, now)
            if free is not None:
                return free
            if now < arrived + ENTRY_POINT_REPLY_S:
                return self._start(free_key, FREE_ENTRY, ENTRY_POINT_S, now)
        category = category_of(record)
        key = f"{to}:{category}"
        return self._open(key, now) or self._start(key, category, CONVERSATION_S, now)

    def _open(self, key: str, now: float) -> Doc | None:
        if key in self._known:
            conversation = self._known[key]
        else:
            conversation = keep(self._known, key, self._store.get(self._tenant, KIND, key), KNOWN)
        return conversation if conversation is not None and conversation["expires_at"] > now else None

    def _start(self, key: str, category: str, length_s: int, now: float) -> Doc:
        conversation = {
            "id": self._ids.conversation_id(),
            "expires_at": int(now) + length_s,
            "category": category,
        }
        self._store.put(self._tenant, KIND, key, conversation)
        keep(self._known, key, conversation, KNOWN)
        return conversation
