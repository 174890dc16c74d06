"""The status lifecycle of an accepted message: sent, delivered, read, or failed (470, 1026).

What happens follows the recipient: an incapable user (or one whose app cannot show the type)
gets ``failed`` 1026; a free-form message outside the 24-hour window gets ``failed`` 470; an
offline phone stops at ``sent``; read receipts off stop at ``delivered``. Delays per user are on
the emulator clock (``delivery_delay_s``, ``read_delay_s``); zero, the default, is immediate.
"""

from __future__ import annotations

import functools
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
        elif user["incapable"] or record["type"] in user.get("unsupported_types", []):
            self._fail(record, errors.ReceiverIncapable(_incapable_details(record, user)))
        else:
            self._continue(record, user, "sent")

    def seen(self, message_id: str) -> None:
        """The user replied to a message: a phone that replies has read it (if receipts are on)."""
        record = self._messages.find(message_id)
        if record is not None and record["status"] == "delivered":
            user = self._users.get_or_create(record["to"])
            if user["read_receipts"]:
                self._advance(record, ["read"])

    def _continue(self, record: Doc, user: Doc, status: str) -> None:
        """Apply ``status`` and every later one that is due now (saved once); schedule the first delayed one."""
        due: list[str] = [status]
        while True:
            following = _next_step(due[-1], user)
            if following is None:
                break
            step, delay = following
            if delay > 0:
                self._scheduler.at(self._now() + delay, functools.partial(self._resume, record["id"], due[-1], step))
                break
            due.append(step)
        self._advance(record, due)

    def _resume(self, message_id: str, expected: str, step: str) -> None:
        """A delayed step came due: apply it if the message is still where it was (not reset, not moved on)."""
        record = self._messages.find(message_id)
        if record is not None and record["status"] == expected:
            self._continue(record, self._users.get_or_create(record["to"]), step)

    def _advance(self, record: Doc, statuses: list[str]) -> None:
        now = self._now()
        billed = any(status in ("sent", "delivered") for status in statuses)
        conversation = self._billing.conversation_for(record) if billed else None
        content = []
        for status in statuses:
            record["statuses"].append({"status": status, "timestamp": now})
            if self._webhook_wanted(status):
                billing = conversation if status in ("sent", "delivered") else None
                content.append(status_content(record["id"], record["to"], status, now, conversation=billing))
        record["status"] = statuses[-1]
        self._messages.save(record)
        for each in content:
            self._notify(each, record["to"])

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


def _next_step(status: str, user: Doc) -> tuple[str, float] | None:
    """The status after ``status`` for this user, with its delay; None where the lifecycle stops."""
    if status == "sent" and user["online"]:
        return "delivered", float(user.get("delivery_delay_s", 0))
    if status == "delivered" and user["read_receipts"]:
        return "read", float(user.get("read_delay_s", 0))
    return None


def _incapable_details(record: Doc, user: Doc) -> str:
    if user["incapable"]:
        return f"Receiver {record['to']} is incapable of receiving this message"
    return f"Receiver {record['to']} cannot receive {record['type']} messages"
