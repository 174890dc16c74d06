"""What a status webhook says, built when it is sent or shown, from its message's record.

A status delivery is enqueued with a *source*, ``[message_id, status]``, not with its content: the
record keeps every status it reached with its time (and the failure, on ``failed``), and the
billing conversation of its ``sent``/``delivered`` statuses, so the webhook comes out as it would
have when the status was reached. The recipient's profile (Cloud ``contacts``) is the user's as it
is when the webhook is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.domain.outbox import StatusReached
from emulator.domain.reasons import Failure
from emulator.webhooks.render import cloud_status, onprem_status

if TYPE_CHECKING:
    from emulator.domain.tenant import Tenant

BILLED = ("sent", "delivered")  # the statuses that carry the conversation (see domain/lifecycle.py)


def status_source(event: StatusReached) -> list[Any]:
    """The source of the webhook for a status the lifecycle reached."""
    return [event.record["id"], event.status]


def status_content(tenant: Tenant, source: list[Any], fmt: str) -> dict[str, Any] | None:
    """The webhook content for ``source`` in format ``fmt``; None if its message is no longer kept."""
    message_id, status = source
    record = tenant.messages.find(message_id)
    if record is None:
        return None
    entry = next((s for s in record["statuses"] if s["status"] == status), None)
    if entry is None:
        return None
    conversation = (entry.get("conversation") or record.get("conversation")) if status in BILLED else None
    errors = entry.get("errors")
    failure = Failure.from_doc(errors[0]) if errors else None
    user = tenant.users.peek(record["to"])
    event = StatusReached(record, user, status, entry["timestamp"], conversation=conversation, failure=failure)
    return cloud_status(event) if fmt == "cloud" else onprem_status(event)
