"""Conversation-based pricing: the ``conversation`` and ``pricing`` objects of sent/delivered statuses."""

from __future__ import annotations

from collections.abc import Callable

from emulator.ids import IdFactory
from emulator.store import Doc, Store

KIND = "billing"
CONVERSATION_S = 24 * 3600
KEPT = 10_000  # conversations kept in memory (all forgotten at once when full)
CATEGORIES = frozenset({"marketing", "utility", "authentication"})


def category_of(record: Doc) -> str:
    """A template's category (lower case) opens a business-initiated conversation; others are service."""
    hydrated = record.get("hydrated") or {}
    category = str(hydrated.get("category") or "").lower()
    if category in CATEGORIES:
        return category
    return "utility" if record["type"] in ("template", "hsm") else "service"


class BillingService:
    """One open conversation per user and category, 24 h long, as conversation-based pricing counts them."""

    def __init__(self, store: Store, tenant: str, ids: IdFactory, now: Callable[[], float]) -> None:
        self._store = store
        self._tenant = tenant
        self._ids = ids
        self._now = now
        self._open: dict[str, Doc] = {}  # read on every send: kept (written only here)

    def conversation_for(self, record: Doc) -> Doc:
        """The conversation a message is billed in, opened on first use: ``{id, expires_at, category}``."""
        category = category_of(record)
        key = f"{record['to']}:{category}"
        conversation = self._open.get(key) or self._store.get(self._tenant, KIND, key)
        if conversation is None or conversation["expires_at"] <= self._now():
            conversation = {
                "id": self._ids.conversation_id(),
                "expires_at": int(self._now()) + CONVERSATION_S,
                "category": category,
            }
            self._store.put(self._tenant, KIND, key, conversation)
        if len(self._open) >= KEPT:
            self._open.clear()
        self._open[key] = conversation
        return conversation

    def cleared(self) -> None:
        """Every conversation was reset."""
        self._open.clear()
