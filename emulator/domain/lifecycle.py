"""The status lifecycle of an accepted message: sent, delivered, read, or failed (470, 1026).

What happens follows the recipient: an incapable user (or one whose app cannot show the type)
gets ``failed`` 1026; a free-form message outside the 24-hour window gets ``failed`` 470; an
offline phone stops at ``sent``; read receipts off stop at ``delivered``. Delays per user are on
the emulator clock (``delivery_delay_s``, ``read_delay_s``); zero, the default, is immediate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator import errors
from emulator.domain.app_settings import AppSettingsService
from emulator.domain.billing import BillingService
from emulator.domain.messages import MessagesService
from emulator.domain.scheduler import Scheduler
from emulator.domain.users import UsersService
from emulator.domain.window import WindowService
from emulator.store import Doc
from emulator.webhooks.content import status_content

Notify = Callable[[dict[str, Any], str], None]
RECEIVED = frozenset({"delivered", "read"})


class StatusLifecycle:
    """Moves records through their statuses, records the history and notifies the webhook."""

    def __init__(
        self,
        *,
        messages: MessagesService,
        users: UsersService,
        window: WindowService,
        billing: BillingService,
        scheduler: Scheduler,
        app_settings: AppSettingsService,
        notify: Notify,
        now: Callable[[], float],
    ) -> None:
        self._messages = messages
        self._users = users
        self._window = window
        self._billing = billing
        self._scheduler = scheduler
        self._settings = app_settings
        self._notify = notify
        self._now = now

    def accepted(self, record: Doc) -> None:
        """Start the lifecycle of a message the API just accepted."""
        user = self._users.get_or_create(record["to"])
        if not self._window.allows(record["to"], record["type"]):
            self._fail(record, errors.ReEngagementMessage())
            return
        if user["incapable"] or record["type"] in user.get("unsupported_types", []):
            self._fail(record, errors.ReceiverIncapable(_incapable_details(record, user)))
            return
        self._advance(record, "sent")
        if user["online"]:
            self._later(user.get("delivery_delay_s", 0), record["id"], self._delivered)

    def seen(self, message_id: str) -> None:
        """The user replied to a message: a phone that replies has read it (if receipts are on)."""
        record = self._messages.find(message_id)
        if record is not None and record["status"] == "delivered":
            user = self._users.get_or_create(record["to"])
            if user["read_receipts"]:
                self._advance(record, "read")

    def _delivered(self, message_id: str) -> None:
        record = self._messages.find(message_id)
        if record is None or record["status"] != "sent":
            return  # reset meanwhile, or already moved on
        self._advance(record, "delivered")
        user = self._users.get_or_create(record["to"])
        if user["read_receipts"]:
            self._later(user.get("read_delay_s", 0), message_id, self._read)

    def _read(self, message_id: str) -> None:
        record = self._messages.find(message_id)
        if record is not None and record["status"] == "delivered":
            self._advance(record, "read")

    def _later(self, delay_s: float, message_id: str, step: Callable[[str], None]) -> None:
        if delay_s <= 0:
            step(message_id)
        else:
            self._scheduler.at(self._now() + delay_s, lambda: step(message_id))

    def _advance(self, record: Doc, status: str) -> None:
        now = self._now()
        conversation = self._billing.conversation_for(record) if status in ("sent", "delivered") else None
        record["status"] = status
        record["statuses"].append({"status": status, "timestamp": now})
        self._messages.save(record)
        if self._webhook_wanted(status):
            self._notify(
                status_content(record["id"], record["to"], status, now, conversation=conversation),
                record["to"],
            )

    def _fail(self, record: Doc, error: errors.WhatsAppError) -> None:
        now = self._now()
        record["status"] = "failed"
        record["statuses"].append({"status": "failed", "timestamp": now, "errors": [error.as_dict()]})
        record["errors"].append(error.as_dict())
        self._messages.save(record)
        self._notify(status_content(record["id"], record["to"], "failed", now, errors=[error]), record["to"])

    def _webhook_wanted(self, status: str) -> bool:
        settings = self._settings.peek()
        toggles = settings["webhooks"].get("message", {})
        if status == "sent":
            return bool(settings.get("sent_status") or toggles.get("sent"))
        return bool(toggles.get(status, True))


def _incapable_details(record: Doc, user: Doc) -> str:
    if user["incapable"]:
        return f"Receiver {record['to']} is incapable of receiving this message"
    return f"Receiver {record['to']} cannot receive {record['type']} messages"
