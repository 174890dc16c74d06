"""Webhook content rendered from domain events, per wire format (the domain builds none of it).

``onprem`` content is the bare On-Premises object (onprem-api.md §8.2); ``cloud`` content is the
``value`` of a Cloud change (cloud-api.md §9.3-9.7) without ``messaging_product`` and ``metadata``,
which ``payloads.build`` adds with the envelope. Error codes in a failed status are those of the API
the message was sent through (its record's ``api``); inbound errors are those of the bot's format.
"""

from __future__ import annotations

from typing import Any

from emulator.cloud.codes import TABLE as CLOUD_TABLE
from emulator.codes import ErrorTable
from emulator.domain.outbox import ContactsChecked, Event, MessageReceived, StatusReached
from emulator.domain.reasons import Failure
from emulator.ids import IdFactory
from emulator.onprem.codes import TABLE as ONPREM_TABLE
from emulator.webhooks.config import WebhookConfig

Doc = dict[str, Any]

TABLES: dict[str, ErrorTable] = {"onprem": ONPREM_TABLE, "cloud": CLOUD_TABLE}
ONPREM_HREF = "https://developers.facebook.com/docs/whatsapp/api/errors/"
CLOUD_HREF = "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"
MEDIA_KINDS = ("image", "video", "audio", "document", "sticker", "voice")
LAST_VERSION_WITH_CONVERSATION = 23  # from v24.0 status webhooks drop ``conversation`` (§9.6)


def render(fmt: str, event: Event, how: WebhookConfig) -> tuple[Doc, str] | None:
    """``(content, recipient)`` for an event in format ``fmt``, or None when that format sends nothing."""
    if isinstance(event, StatusReached):
        if fmt == "cloud":
            return cloud_status(event), event.record["to"]
        if not _onprem_wanted(event.status, how):
            return None
        return onprem_status(event), event.record["to"]
    if isinstance(event, MessageReceived):
        wa_id = event.record["from"]
        if fmt == "cloud":
            return cloud_inbound(event.record["message"], event.user, how), wa_id
        return onprem_inbound(event.record["message"], event.user), wa_id
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
        entry["pricing"] = {"billable": True, "pricing_model": "CBP", "category": conversation["category"]}
    content: Doc = {"statuses": [entry]}
    if event.failure is not None:
        table = TABLES.get(record.get("api", "onprem"), ONPREM_TABLE)
        error = failure_error(table, event.failure, ONPREM_HREF)
        entry["errors"] = [error]
        entry["type"] = "message"
        entry["message"] = {"recipient_id": record["to"]}
        # Some clients read a failure from a top-level ``errors`` beside ``statuses``: give both.
        content["errors"] = [dict(error)]
    return content


def onprem_inbound(message: Doc, user: Doc) -> Doc:
    """An inbound message notification with the sender's profile."""
    out = dict(message)
    if "errors" in out:
        out["errors"] = [failure_error(ONPREM_TABLE, e, ONPREM_HREF) for e in out["errors"]]
    return {"contacts": [{"profile": {"name": user["name"]}, "wa_id": user["wa_id"]}], "messages": [out]}


# --- Cloud -----------------------------------------------------------------------------------------


def cloud_contact(user: Doc) -> Doc:
    """A ``contacts`` entry: profile, wa_id and the business-scoped user id pywa 4.x requires."""
    return {"profile": {"name": user["name"]}, "wa_id": user["wa_id"], "user_id": IdFactory.user_id(user["wa_id"])}


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
    if payload.get("recipient") and not payload.get("to"):
        entry["recipient_user_id"] = payload["recipient"]
    if "biz_opaque_callback_data" in payload:
        entry["biz_opaque_callback_data"] = payload["biz_opaque_callback_data"]
    if conversation is not None:
        category = conversation["category"]
        if _version(record) <= LAST_VERSION_WITH_CONVERSATION:
            entry["conversation"] = {"id": conversation["id"], "origin": {"type": category}}
            if event.status == "sent":
                entry["conversation"]["expiration_timestamp"] = timestamp(conversation["expires_at"])
        free = category == "service"
        entry["pricing"] = {
            "billable": not free,
            "pricing_model": "PMP",
            "type": "free_customer_service" if free else "regular",
            "category": category,
        }
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


def cloud_inbound(message: Doc, user: Doc, how: WebhookConfig) -> Doc:
    """An inbound Cloud message: media carry a download ``url``; an unknown kind is ``unsupported``."""
    out = dict(message)
    for kind in MEDIA_KINDS:
        if kind in out and isinstance(out[kind], dict) and "id" in out[kind]:
            out[kind] = {**out[kind], "url": how.media_url + out[kind]["id"]}
    if out.get("type") == "voice":  # Cloud has no voice type: a push-to-talk note is audio with voice: true
        out["type"] = "audio"
        out["audio"] = {**out.pop("voice"), "voice": True}
    if out.get("type") == "unknown":
        out["type"] = "unsupported"
        out["unsupported"] = {"type": "unknown"}
    if "errors" in out:
        errors = []
        for each in out["errors"]:
            error = CLOUD_TABLE.of_failure(Failure.from_doc(each))
            details = error.get("details", error["title"])
            errors.append(
                {
                    "code": error["code"],
                    "title": "Message type unknown",
                    "message": "Message type unknown",
                    "error_data": {"details": details},
                }
            )
        out["errors"] = errors
    return {"contacts": [cloud_contact(user)], "messages": [out]}


def _version(record: Doc) -> int:
    version = str(record.get("api_version") or "")
    digits = version.lstrip("v").split(".")[0]
    return int(digits) if digits.isdigit() else 99
