"""What a user step sends in answer to one of the bot's messages, in the inbound vocabulary (design.md)."""

from __future__ import annotations

from typing import Any

from emulator.transcripts.records import Record, button_ids, quick_replies, row_ids


def reply_message(kind: str, value: str, target: Record) -> dict[str, Any]:
    """A tap, select or quick reply on ``target``, naming the choice by id (payload) or title (text)."""
    context = {"id": target["id"]}
    if kind == "quick_reply":
        choices = quick_replies(target)
        payloads, texts = [c["payload"] for c in choices], [c["text"] for c in choices]
        field = "text" if value in texts and value not in payloads else "payload"
        return {"type": "button", "context": context, "button": {field: value}}
    ids = button_ids(target) if kind == "tap" else row_ids(target)
    reply = "button_reply" if kind == "tap" else "list_reply"
    field = "title" if value not in (ids or []) and _has_title(target, value) else "id"
    return {"type": "interactive", "context": context, "interactive": {"type": reply, reply: {field: value}}}


def answer(kind: str, value: Any, target: Record) -> dict[str, Any]:
    """Any answer to ``target`` a step names: a reply (``reply_message``), a reaction, an order, a
    question about a product, or a completed flow."""
    context = {"id": target["id"]}
    if kind == "react":
        return {"type": "reaction", "reaction": {"message_id": target["id"], "emoji": value}}
    if kind == "order":
        return {"type": "order", "context": context, "order": dict(value)}
    if kind == "enquire":
        product = {"product_retailer_id": value["product"]}
        if "catalog_id" in value:
            product["catalog_id"] = value["catalog_id"]
        return {"type": "text", "text": {"body": value["text"]}, "context": {**context, "referred_product": product}}
    if kind == "complete_flow":
        flow = {"type": "nfm_reply", "nfm_reply": {"response_json": dict(value)}}
        return {"type": "interactive", "context": context, "interactive": flow}
    return reply_message(kind, value, target)


def _has_title(record: Record, title: str) -> bool:
    interactive = (record.get("payload") or {}).get("interactive") or {}
    action = interactive.get("action") or {}
    titles = [b["reply"]["title"] for b in action.get("buttons", [])]
    titles += [r["title"] for s in action.get("sections", []) for r in s.get("rows", [])]
    return title in titles


def reply_kind(message: dict[str, Any]) -> str | None:
    """The kind of answer a ``send`` step's message is (None if it answers nothing), to find what it answers."""
    if message.get("type") == "button":
        return "quick_reply"
    if message.get("type") == "interactive":
        reply = str((message.get("interactive") or {}).get("type"))
        return {"list_reply": "select", "nfm_reply": "complete_flow"}.get(reply, "tap")
    return None
