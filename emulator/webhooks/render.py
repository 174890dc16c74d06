"""Webhook content rendered from domain events, per wire format (the domain builds none of it).

``onprem`` content is the bare On-Premises object (onprem-api.md §8.2); ``cloud`` content is the
``value`` of a Cloud change (cloud-api.md §9.3-9.7) without ``messaging_product`` and ``metadata``,
which ``payloads.build`` adds with the envelope. Error codes in a failed status are those of the API
the message was sent through (its record's ``api``); inbound errors are those of the bot's format.
What users send is rendered by ``emulator.webhooks.inbound``. A free entry point conversation (the
user came from an ad) is free: ``referral_conversion``, Cloud pricing type ``free_entry_point``.
"""

from __future__ import annotations

from typing import Any

from emulator.cloud.codes import TABLE as CLOUD_TABLE
from emulator.codes import ErrorTable
from emulator.domain.outbox import ContactsChecked, Event, MessageDeleted, MessageReceived, StatusReached
from emulator.domain.reasons import Failure
from emulator.ids import is_user_id
from emulator.onprem.codes import TABLE as ONPREM_TABLE
from emulator.webhooks.config import WebhookConfig
from emulator.webhooks.inbound import (
    ONPREM_HREF,
    cloud_contact,
    cloud_inbound,
    onprem_deleted,
    onprem_inbound,
    reported,
)

Doc = dict[str, Any]

TABLES: dict[str, ErrorTable] = {"onprem": ONPREM_TABLE, "cloud": CLOUD_TABLE}
# Errors whose failed status follows a documented example exactly: that example's title, no details.
ONPREM_EXAMPLE_TITLES = {1026: "Receiver Incapable"}
CLOUD_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
LAST_VERSION_WITH_CONVERSATION = 23  # from v24.0 status webhooks drop ``conversation`` (§9.6)
FREE_ENTRY = "referral_conversion"  # the category of a free entry point conversation
__all__ = ["cloud_inbound", "onprem_inbound", "render"]


def render(fmt: str, event: Event, how: WebhookConfig) -> tuple[Doc, str] | None:
    """``(content, recipient)`` for an event in format ``fmt``, or None when that format sends nothing."""
    if isinstance(event, StatusReached):
        if fmt == "cloud":
            return cloud_status(event), event.record["to"]
        if not _onprem_wanted(event.status, how):
            return None
        return onprem_status(event), event.record["to"]
    if isinstance(event, MessageReceived):
        wa_id, message = event.record["from"], event.record["message"]
        if not reported(fmt, message, how):
            return None
        if fmt == "cloud":
            return cloud_inbound(message, event.user, how), wa_id
        return onprem_inbound(message, event.user), wa_id
    if isinstance(event, MessageDeleted) and fmt == "onprem":  # Cloud reports no deletion
        return onprem_deleted(event.record, event.at), event.record["from"]
    if isinstance(event, ContactsChecked) and fmt == "onprem":
        return {"contacts": event.results}, "contacts"
    return None


def timestamp(unix: float) -> str:
    """Webhook timestamps are strings of Unix seconds."""
    return str(int(unix))


def failure_error(table: ErrorTable, failure: Failure | Doc, href: str) -> Doc:
    """An error as it appears inside a webhook: code, title, details and ``href``."""
    if isinstance(failure, dict):
        failure = Failure.from_doc(failure)
    return {**table.of_failure(failure), "href": href}


# --- On-Premises ---------------------------------------------------------------------------------


def status_wanted(fmt: str, status: str, how: WebhookConfig) -> bool:
    """Whether format ``fmt`` sends a webhook for ``status`` (On-Premises: per the application settings)."""
    return fmt == "cloud" or _onprem_wanted(status, how)


def _onprem_wanted(status: str, how: WebhookConfig) -> bool:
    toggles = how.toggles or {}
    if status == "sent":
        return bool(how.sent_status or toggles.get("sent"))
    return bool(toggles.get(status, True))


def onprem_status(event: StatusReached) -> Doc:
    """A status notification: sent/delivered carry ``conversation`` and ``pricing``; failed carries ``errors``."""
    record, conversation = event.record, event.conversation
    entry: Doc = {
        "id": record["id"],
        "recipient_id": record["to"],
        "status": event.status,
        "timestamp": timestamp(event.at),
    }
    if conversation is not None:
        entry["conversation"] = {"id": conversation["id"], "origin": {"type": conversation["category"]}}
        if event.status == "sent":
            entry["conversation"]["expiration_timestamp"] = timestamp(conversation["expires_at"])
        free = conversation["category"] == FREE_ENTRY
        entry["pricing"] = {"billable": not free, "pricing_model": "CBP", "category": conversation["category"]}
    content: Doc = {"statuses": [entry]}
    if event.failure is not None:
        table = TABLES.get(record.get("api", "onprem"), ONPREM_TABLE)
        error = failure_error(table, event.failure, ONPREM_HREF)
        if error["code"] in ONPREM_EXAMPLE_TITLES:
            error = {"code": error["code"], "href": ONPREM_HREF, "title": ONPREM_EXAMPLE_TITLES[error["code"]]}
        entry["errors"] = [error]
        entry["type"] = "message"
        entry["message"] = {"recipient_id": "+" + record["to"]}  # as addressed, with + as in §8.4
        # Some clients read a failure from a top-level ``errors`` beside ``statuses``: give both.
        content["errors"] = [dict(error)]
    return content


# --- Cloud -----------------------------------------------------------------------------------------


def cloud_status(event: StatusReached) -> Doc:
    """A Cloud status: per-message pricing, ``conversation`` up to v23, Cloud codes on failed."""
    record, conversation = event.record, event.conversation
    payload = record.get("payload") or {}
    entry: Doc = {
        "id": record["id"],
        "status": event.status,
        "timestamp": timestamp(event.at),
        "recipient_id": record["to"],
    }
    if is_user_id(record.get("input", "")):
        entry["recipient_user_id"] = record["input"]
    if "biz_opaque_callback_data" in payload:
        entry["biz_opaque_callback_data"] = payload["biz_opaque_callback_data"]
    if conversation is not None:
        category = conversation["category"]
        # v24.0 on omit conversation, except inside an open free entry point (§9.6)
        if _version(record) <= LAST_VERSION_WITH_CONVERSATION or category == FREE_ENTRY:
            entry["conversation"] = {"id": conversation["id"], "origin": {"type": category}}
            if event.status == "sent":
                entry["conversation"]["expiration_timestamp"] = timestamp(conversation["expires_at"])
        entry["pricing"] = _cloud_pricing(category)
    if event.failure is not None:
        table = TABLES.get(record.get("api", "cloud"), CLOUD_TABLE)
        error = table.of_failure(event.failure)
        entry["errors"] = [
            {
                "code": error["code"],
                "title": error["title"],
                "message": error["title"],
                "error_data": {"details": error.get("details", error["title"])},
                "href": CLOUD_HREF,
            }
        ]
    return {"contacts": [cloud_contact(event.user)], "statuses": [entry]}


def _cloud_pricing(category: str) -> Doc:
    """Per-message pricing: service and free-entry-point messages are free, the rest regular."""
    kind = {"service": "free_customer_service", FREE_ENTRY: "free_entry_point"}.get(category, "regular")
    return {"billable": kind == "regular", "pricing_model": "PMP", "type": kind, "category": category}


def _version(record: Doc) -> int:
    version = str(record.get("api_version") or "")
    digits = version.lstrip("v").split(".")[0]
    return int(digits) if digits.isdigit() else 99
