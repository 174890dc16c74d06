"""Webhook callback overrides set through the Graph API: per phone number and per WABA (cloud-api.md §7.3).

Only what was set is kept here; which callback a webhook goes to (phone override, then WABA override,
then the application's URL) is decided where deliveries are configured (``emulator.runtime``).
"""

from __future__ import annotations

from emulator.domain.outbox import Outbox, SettingsChanged
from emulator.store import Doc, Store

KIND = "callbacks"
LEVELS = ("phone_number", "waba")


class CallbackOverrides:
    """The override callback URL and verify token of each level, verified before they are set."""

    def __init__(self, store: Store, tenant: str, outbox: Outbox) -> None:
        self._store = store
        self._tenant = tenant
        self._outbox = outbox

    def get(self, level: str) -> Doc | None:
        """``{"url", "verify_token"}`` of a level, or None when it has no override."""
        return self._store.get(self._tenant, KIND, level)

    def set(self, level: str, url: str, verify_token: str) -> None:
        """Set (a verified) override; an empty URL clears it."""
        if url:
            self._store.put(self._tenant, KIND, level, {"url": url, "verify_token": verify_token})
        else:
            self._store.delete(self._tenant, KIND, level)
        self._outbox.emit(SettingsChanged())

    def effective(self) -> Doc | None:
        """The override that wins: the phone number's, else the WABA's, else None."""
        for level in LEVELS:
            found = self.get(level)
            if found is not None:
                return {**found, "level": level}
        return None
