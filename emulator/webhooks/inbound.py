"""What a simulated user sent, rendered per wire format from the wire-neutral message (``domain.simulate``).

On-Premises (onprem-api.md §8.3): the message with the sender's contacts entry; a number change
carries ``new_wa_id``; an identity change ``user`` and ``identity``; an unknown kind errors 501 and
no object; a deleted message is a ``deleted`` status. Cloud (cloud-api.md §9.4): media carry a
download ``url``; a number change carries ``wa_id`` and the new ``user_id`` and comes without
contacts; an unknown kind is ``unsupported`` with 131051; Cloud reports no identity change and no
deletion. The application settings ``notify_user_change_number`` and ``show_security_notifications``
decide whether On-Premises pushes the two system notifications at all.
"""

from __future__ import annotations

from typing import Any

from emulator.cloud.codes import TABLE as CLOUD_TABLE
from emulator.domain.reasons import Failure
from emulator.ids import IdFactory
from emulator.onprem.codes import TABLE as ONPREM_TABLE
from emulator.webhooks.config import WebhookConfig

Doc = dict[str, Any]

ONPREM_HREF = "/docs/whatsapp/api/errors"  # as Meta's failed-status example writes it (onprem-api.md §8.4)
MEDIA_KINDS = ("image", "video", "audio", "document", "sticker", "voice")
NUMBER_CHANGE = "user_changed_number"
IDENTITY_CHANGE = "user_identity_changed"
CLOUD_UNREPORTED = frozenset({IDENTITY_CHANGE})  # system notifications the Cloud API does not send


def onprem_error(error: Doc) -> Doc:
    """A stored failure as the On-Premises client writes it: code, title, details and ``href``."""
    return {**ONPREM_TABLE.of_failure(Failure.from_doc(error)), "href": ONPREM_HREF}


def reported(fmt: str, message: Doc, how: WebhookConfig) -> bool:
    """Whether the bot's format pushes this message at all (system notifications may be switched off)."""
    kind = (message.get("system") or {}).get("type") if message.get("type") == "system" else None
    if kind is None:
        return True
    if fmt == "cloud":
        return kind not in CLOUD_UNREPORTED
    return how.notify_user_change_number if kind == NUMBER_CHANGE else how.show_security_notifications


def onprem_inbound(message: Doc, user: Doc) -> Doc:
    """An inbound message notification with the sender's profile."""
    out = {k: v for k, v in message.items() if k != "unknown"}  # an unknown kind has no object here
    if "errors" in out:
        out["errors"] = [onprem_error(e) for e in out["errors"]]
    if out.get("type") == "system":
        system = dict(out["system"])
        if system["type"] == NUMBER_CHANGE:
            system["new_wa_id"] = system.pop("wa_id")
        else:
            system["user"] = message["from"]
        out["system"] = system
    return {"contacts": [{"profile": {"name": user["name"]}, "wa_id": user["wa_id"]}], "messages": [out]}


def onprem_deleted(record: Doc, at: float) -> Doc:
    """The user deleted a message they sent: a ``deleted`` status for it (onprem-api.md §8.4)."""
    wa_id = record["from"]
    status = {
        "id": record["id"],
        "recipient_id": wa_id,
        "status": "deleted",
        "timestamp": str(int(at)),
        "type": "message",
        "message": {"recipient_id": wa_id},
    }
    return {"statuses": [status]}


def cloud_contact(user: Doc) -> Doc:
    """A ``contacts`` entry: profile, wa_id and the business-scoped user id pywa 4.x requires."""
    return {"profile": {"name": user["name"]}, "wa_id": user["wa_id"], "user_id": IdFactory.user_id(user["wa_id"])}


def cloud_inbound(message: Doc, user: Doc, how: WebhookConfig) -> Doc:
    """An inbound Cloud message: media carry a download ``url``; an unknown kind is ``unsupported``."""
    out = dict(message)
    for kind in MEDIA_KINDS:
        if kind in out and isinstance(out[kind], dict) and "id" in out[kind]:
            out[kind] = {**out[kind], "url": how.media_url + out[kind]["id"]}
    if out.get("type") == "voice":  # Cloud has no voice type: a push-to-talk note is audio with voice: true
        out["type"] = "audio"
        out["audio"] = {**out.pop("voice"), "voice": True}
    elif out.get("type") == "audio":
        out["audio"] = {**out["audio"], "voice": False}
    if out.get("type") == "sticker":
        out["sticker"] = {"animated": False, **out["sticker"]}  # the emulator's stickers are still images
    if out.get("type") == "button" and out["button"].get("payload") is None:
        # a quick reply sent without a payload parameter: Cloud carries the button text as its payload
        out["button"] = {**out["button"], "payload": out["button"].get("text", "")}
    if out.get("type") == "unknown":
        out["type"] = "unsupported"
        out["unsupported"] = {"type": (out.pop("unknown", None) or {}).get("type", "unknown")}
    if "errors" in out:
        out["errors"] = [_cloud_inbound_error(e) for e in out["errors"]]
    if out.get("type") == "system":
        return {"messages": [_cloud_system(out)]}  # a system message comes without contacts (§9.4)
    return {"contacts": [cloud_contact(user)], "messages": [out]}


def _cloud_system(out: Doc) -> Doc:
    system = dict(out["system"])
    if system["type"] == NUMBER_CHANGE:
        system["body"] = "User " + system["body"]
        system["user_id"] = IdFactory.user_id(system["wa_id"])  # a new number, a new BSUID (§9.7)
    return {**out, "system": system}


def _cloud_inbound_error(stored: Doc) -> Doc:
    error = CLOUD_TABLE.of_failure(Failure.from_doc(stored))
    title = "Message type unknown"  # the inbound title, not the table's (§9.4)
    return {
        "code": error["code"],
        "title": title,
        "message": title,
        "error_data": {"details": error.get("details", title)},
    }
