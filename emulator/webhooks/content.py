"""What the emulator pushes, as On-Premises webhook content (reference §8): statuses and inbound messages.

Content is the bare On-Premises object (``contacts``/``messages``/``statuses``/``errors``); the
payload builders wrap it for the configured wire format.
"""

from __future__ import annotations

from typing import Any

from emulator.errors import WhatsAppError

ERRORS_HREF = "https://developers.facebook.com/docs/whatsapp/api/errors/"


def timestamp(unix: float) -> str:
    """Webhook timestamps are strings of Unix seconds."""
    return str(int(unix))


def error_object(error: WhatsAppError) -> dict[str, Any]:
    """An error as it appears inside a webhook (with ``href``, as the real client adds)."""
    return {**error.as_dict(), "href": ERRORS_HREF}


def status_content(
    message_id: str,
    recipient: str,
    status: str,
    at: float,
    *,
    conversation: dict[str, Any] | None = None,
    errors: list[WhatsAppError] | None = None,
) -> dict[str, Any]:
    """A status notification: sent/delivered carry ``conversation`` and ``pricing``; failed carries ``errors``."""
    entry: dict[str, Any] = {
        "id": message_id,
        "recipient_id": recipient,
        "status": status,
        "timestamp": timestamp(at),
    }
    if conversation is not None:
        entry["conversation"] = {"id": conversation["id"], "origin": {"type": conversation["category"]}}
        if status == "sent":
            entry["conversation"]["expiration_timestamp"] = timestamp(conversation["expires_at"])
        entry["pricing"] = {"billable": True, "pricing_model": "CBP", "category": conversation["category"]}
    content: dict[str, Any] = {"statuses": [entry]}
    if errors:
        entry["errors"] = [error_object(e) for e in errors]
        entry["type"] = "message"
        entry["message"] = {"recipient_id": recipient}
        # Some clients read a failure from a top-level ``errors`` beside ``statuses``: give both.
        content["errors"] = [error_object(e) for e in errors]
    return content


def inbound_content(message: dict[str, Any], *, wa_id: str, name: str) -> dict[str, Any]:
    """An inbound message notification with the sender's profile."""
    return {"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [message]}


def contacts_content(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The results of a non-blocking contacts check."""
    return {"contacts": results}
