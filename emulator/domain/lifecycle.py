"""The status lifecycle of an accepted message: sent, delivered, read, or failed.

What happens follows the recipient: a number that is no WhatsApp user (where the API reports that
later), media by a link that cannot be downloaded (a host in the reserved ``.invalid`` domain), an
incapable user (or one whose app cannot show the type) and a free-form message outside the 24-hour
window fail; an offline phone stops at ``sent``; read receipts off stop at ``delivered``.
Delays per user are on the emulator clock (``delivery_delay_s``, ``read_delay_s``); zero, the
default, is immediate. Every status reached is an event in the outbox, with the record and the user.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.domain.billing import BillingService
from emulator.domain.messages import MAY_NAME_MEDIA, MessagesService, undownloadable_link
from emulator.domain.outbox import Outbox, StatusesReached
from emulator.domain.reasons import Failure, Reason
from emulator.domain.scheduler import Scheduler
from emulator.domain.users import UsersService
from emulator.domain.window import WindowService
from emulator.store import Doc

RECEIVED = frozenset({"delivered", "read"})
BILLED = frozenset({"sent", "delivered"})  # statuses that carry the conversation and pricing
ONLY_SENT = frozenset({"reaction"})  # a reaction gets a sent status and nothing after it
STATUS_JOB = "status"  # a delayed status: {"message_id", "expected" (its status now), "next"}


class StatusLifecycle:
    """Moves records through their statuses, records the history and emits each status."""

    def __init__(
        self,
        *,
        messages: MessagesService,
        users: UsersService,
        window: WindowService,
        billing: BillingService,
        scheduler: Scheduler,
        outbox: Outbox,
        now: Callable[[], float],
    ) -> None:
        self._messages = messages
        self._users = users
        self._window = window
        self._billing = billing
        self._scheduler = scheduler
        self._outbox = outbox
        self._now = now
        scheduler.handle(STATUS_JOB, self._resume)

    def accepted(self, record: Doc, user: Doc, cap: Callable[[Doc], Failure | None] | None = None) -> None:
        """Start the lifecycle of a message the API just accepted (``user`` is its recipient).

        ``cap`` (the optional marketing cap) is asked last, about a message that would go out.
        Everything here happens at the time of acceptance (``created_at``): the window and billing
        are asked about that instant, and the statuses reached now are at it.
        """
        now = record["created_at"]
        # most sends are text: no call to learn that they name no media
        broken = undownloadable_link(record["payload"]) if record["type"] in MAY_NAME_MEDIA else None
        if user["status"] != "valid":
            failure = Failure(Reason.USER_NOT_VALID, f"{record['to']} is not a WhatsApp user")
        elif broken is not None:
            path, link = broken
            failure = Failure(Reason.MEDIA_DOWNLOAD_FAILED, f"{path}: could not download {link}")
        elif not self._window.allows(record["to"], record["type"], now):
            failure = Failure(Reason.WINDOW_CLOSED, self._window.closed_details(record["to"]))
        elif user["incapable"] or record["type"] in user.get("unsupported_types", ()):
            failure = Failure(Reason.RECEIVER_INCAPABLE, _incapable_details(record, user))
        elif cap is None or (capped := cap(record)) is None:
            self._continue(record, user, "sent", now)
            return
        else:
            failure = capped
        self._fail(record, user, failure, now)

    def seen(self, message_id: str) -> None:
        """The user replied to a message: a phone that replies has read it (if receipts are on)."""
        record = self._messages.find(message_id)
        if record is not None and record["status"] == "delivered":
            user = self._users.get_or_create(record["to"])
            if user["read_receipts"]:
                self._advance(record, user, ("read",), self._now())

    def _continue(self, record: Doc, user: Doc, status: str, now: float) -> None:
        """Apply ``status`` and every later one that is due ``now`` (saved once); schedule the first delayed one."""
        due = [status]
        while record["type"] not in ONLY_SENT:
            # the status after the last one for this user (none: the lifecycle stops there), and its delay
            if due[-1] == "sent" and user["online"]:
                step, delay = "delivered", float(user.get("delivery_delay_s", 0))
            elif due[-1] == "delivered" and user["read_receipts"]:
                step, delay = "read", float(user.get("read_delay_s", 0))
            else:
                break
            if delay > 0:
                job = {"message_id": record["id"], "expected": due[-1], "next": step}
                self._scheduler.at(now + delay, STATUS_JOB, job)
                break
            due.append(step)
        self._advance(record, user, tuple(due), now)

    def _resume(self, job: Doc) -> None:
        """A delayed step came due: apply it if the message is still where it was (not reset, not moved on)."""
        record = self._messages.find(job["message_id"])
        if record is not None and record["status"] == job["expected"]:
            self._continue(record, self._users.get_or_create(record["to"]), job["next"], self._now())

    def _advance(self, record: Doc, user: Doc, statuses: tuple[str, ...], now: float) -> None:
        conversation = None if BILLED.isdisjoint(statuses) else self._billing.conversation_for(record, now)
        for status in statuses:
            entry = {"status": status, "timestamp": now}
            billing = conversation if status in BILLED else None
            if billing is not None:
                # kept (not shown) so a status webhook can be built when it is sent, from the record alone
                kept = record.setdefault("conversation", billing)
                if kept is not billing and kept != billing:
                    entry["conversation"] = billing  # a later status billed in a new conversation
            record["statuses"].append(entry)
        record["status"] = statuses[-1]
        self._reached(record, user, statuses, now)

    def _fail(self, record: Doc, user: Doc, failure: Failure, now: float) -> None:
        record["status"] = "failed"
        record["statuses"].append({"status": "failed", "timestamp": now, "errors": [failure.as_doc()]})
        record["errors"].append(failure.as_doc())
        self._reached(record, user, ("failed",), now)

    def _reached(self, record: Doc, user: Doc, statuses: tuple[str, ...], now: float) -> None:
        """Keep the record and emit the statuses (``MessagesService.save`` would also emit a ``Changed``).

        ``StatusesReached`` tells the change feed too (see its docstring): one event a send, not two.
        """
        self._messages.keep(record)
        self._outbox.emit(StatusesReached(record, user, statuses, now))


def _incapable_details(record: Doc, user: Doc) -> str:
    if user["incapable"]:
        return f"Receiver {record['to']} is incapable of receiving this message"
    return f"Receiver {record['to']} cannot receive {record['type']} messages"
