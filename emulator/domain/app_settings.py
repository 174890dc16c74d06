"""Application settings (``/v1/settings/application``): the webhook URL and the callback knobs."""

from __future__ import annotations

import copy
from typing import Any

from emulator.domain.outbox import Outbox, SettingsChanged
from emulator.store import Doc, Store

KIND = "settings"
KEY = "application"


def default_settings(*, webhook_url: str, wa_id: str) -> Doc:
    """A fresh client's settings, as ``GET /v1/settings/application`` shows them (reference §8.1)."""
    return {
        "callback_backoff_delay_ms": 3000,
        "callback_persist": True,
        "garbagecollector_enable": {"media": False, "messages": True},
        "heartbeat_interval": 5,
        "max_callback_backoff_delay_ms": 900000,
        "media": {"auto_download": ["image", "video", "voice", "sticker", "audio", "document"]},
        "notify_user_change_number": True,
        "pass_through": False,
        "sent_status": False,
        "show_security_notifications": True,
        "unhealthy_interval": 30,
        "wa_id": wa_id,
        "webhooks": {
            "url": webhook_url,
            "max_concurrent_requests": 6,
            "message": {"sent": False, "delivered": True, "read": True},
        },
        "verbose_logging": False,
        "log_level": "info",
    }


class AppSettingsService:
    """Reads, patches and resets the application settings; tells listeners when they change."""

    def __init__(self, store: Store, tenant: str, defaults: Doc, outbox: Outbox) -> None:
        self._store = store
        self._tenant = tenant
        self._defaults = defaults
        self._cache: Doc | None = None
        self._outbox = outbox

    def get(self) -> Doc:
        """The current settings (a copy; callers may not change the stored ones by accident)."""
        return copy.deepcopy(self._current())

    def peek(self) -> Doc:
        """The current settings without a copy, for hot paths that only read them."""
        return self._current()

    def _current(self) -> Doc:
        if self._cache is None:
            self._cache = self._store.get(self._tenant, KIND, KEY) or copy.deepcopy(self._defaults)
        return self._cache

    def patch(self, changes: dict[str, Any]) -> Doc:
        """Change only the fields present (nested objects merge), as the real PATCH does."""
        merged = _merge(copy.deepcopy(self._current()), changes)
        self._save(merged)
        return self.get()

    def reset(self) -> Doc:
        """Back to the defaults (``DELETE /v1/settings/application``); ``--webhook-url`` is a default."""
        self._save(copy.deepcopy(self._defaults))
        return self.get()

    def _save(self, settings: Doc) -> None:
        self._store.put(self._tenant, KIND, KEY, settings)
        self._cache = settings
        self._outbox.emit(SettingsChanged())


def _merge(base: Doc, changes: dict[str, Any]) -> Doc:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base
