"""The 24-hour customer-care window: free-form messages only within 24 h of the user's last message."""

from __future__ import annotations

from collections.abc import Callable

from emulator.store import Doc, Store

KIND = "windows"
WINDOW_S = 24 * 3600
KEPT = 10_000  # users whose window is kept in memory (all forgotten at once when full)
TEMPLATE_TYPES = frozenset({"template", "hsm"})


class WindowService:
    """Remembers each user's last inbound message on the emulator clock."""

    def __init__(self, store: Store, tenant: str, now: Callable[[], float]) -> None:
        self._store = store
        self._tenant = tenant
        self._now = now
        self._last: dict[str, float | None] = {}  # read on every send: kept (all writes go through renew)

    def renew(self, wa_id: str) -> None:
        """An inbound message opens (or renews) the window."""
        now = self._now()
        self._store.put(self._tenant, KIND, wa_id, {"wa_id": wa_id, "last_inbound_at": now})
        self._keep(wa_id, now)

    def expires_at(self, wa_id: str) -> float | None:
        """When the window closes, or None if the user never wrote."""
        if wa_id in self._last:
            last = self._last[wa_id]
        else:
            doc = self._store.get(self._tenant, KIND, wa_id)
            last = None if doc is None else float(doc["last_inbound_at"])
            self._keep(wa_id, last)
        return None if last is None else last + WINDOW_S

    def cleared(self) -> None:
        """Every window was reset."""
        self._last.clear()

    def _keep(self, wa_id: str, last: float | None) -> None:
        if len(self._last) >= KEPT:
            self._last.clear()
        self._last[wa_id] = last

    def is_open(self, wa_id: str) -> bool:
        """True within 24 h of the user's last message."""
        expires = self.expires_at(wa_id)
        return expires is not None and self._now() < expires

    def allows(self, wa_id: str, message_type: str) -> bool:
        """Templates go through at any time; anything else needs an open window."""
        return message_type in TEMPLATE_TYPES or self.is_open(wa_id)

    def view(self, wa_id: str) -> Doc:
        """``{"open", "expires_at", "remaining_s"}`` for the control API and the page."""
        expires = self.expires_at(wa_id)
        remaining = max(0.0, expires - self._now()) if expires is not None else 0.0
        return {"open": remaining > 0, "expires_at": expires, "remaining_s": remaining}
