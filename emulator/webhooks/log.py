"""Delivery documents as the store keeps them (compact) and as the log shows them (whole).

The store keeps no field at its default, never the payload (built again from the content, the
format and the ids when shown), and no content when a ``source`` names what to send: a status
webhook is built from its message's record when it is sent (``emulator.webhooks.sources``), so a
pending delivery costs ~250 bytes however large its message. Shown, every delivery has every field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.store.base import Doc
from emulator.webhooks.config import WebhookConfig
from emulator.webhooks.payloads import build

PENDING = "pending"  # as emulator.webhooks.sender names it (not imported: that would import httpx)

Content = dict[str, Any]
Resolver = Callable[[list[Any], str], Content | None]  # (source, format) -> content, None if it is gone


def state_of(stored: Doc) -> str:
    """A stored delivery's state (a pending one is stored without it)."""
    state: str = stored.get("state", PENDING)
    return state


def stored_form(doc: Doc) -> Doc:
    """What the store keeps of a (whole) delivery document."""
    out = {k: v for k, v in doc.items() if k != "payload" and v is not None and v != []}
    if "source" in out:
        out.pop("content", None)
    if out["state"] == PENDING:
        del out["state"]
        if out.get("next_attempt_at") == out["created_at"] and "attempts" not in out:
            del out["next_attempt_at"]
    return out


def whole(stored: Doc, content: Content | None) -> Doc:
    """A stored delivery with every field, ``content`` (resolved by the caller) and no payload yet."""
    state = state_of(stored)
    doc: Doc = {
        "id": stored["id"],
        "recipient": stored["recipient"],
        "content": content,
        "payload": None,
        "url": None,
        "state": state,
        "attempts": [],
        "created_at": stored["created_at"],
        "next_attempt_at": stored["created_at"] if state == PENDING else None,
    }
    doc.update((k, v) for k, v in stored.items() if k != "content")
    doc["attempts"] = list(doc["attempts"])
    return doc


def shown(stored: Doc, content: Content | None, cfg: WebhookConfig) -> Doc:
    """The delivery as the log shows it: once attempted, with the payload that was sent."""
    doc = whole(stored, content)
    if doc["attempts"] and content is not None:
        fmt = doc.get("format") or cfg.format
        ids = {"business_wa_id": cfg.business_wa_id, "phone_number_id": cfg.phone_number_id, "waba_id": cfg.waba_id}
        doc["payload"] = build(fmt, content, **ids)
    return doc


def content_of(stored: Doc, resolve: Resolver | None, default_format: str) -> Content | None:
    """The content a delivery sends: its own, or built from its source (None if that is gone)."""
    if "source" not in stored:
        content: Content | None = stored.get("content")
        return content
    if resolve is None:
        return None
    return resolve(stored["source"], stored.get("format") or default_format)


def matcher(state: str | None = None, recipient: str | None = None) -> Callable[[Doc], bool]:
    """The filter of ``GET /_emulator/webhooks``."""
    return lambda doc: state in (None, state_of(doc)) and recipient in (None, doc["recipient"])
