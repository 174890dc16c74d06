"""What a record of the control API says (``GET /_emulator/messages``): read as a person reads the message.

Pure functions on a record's JSON, used by the conversation export (``emulator.transcripts.export``,
for the control API's ``?format=script``) and by replay's matching; they know no domain code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Record = dict[str, Any]


def text_of(record: Record) -> str | None:
    """What the user reads: a text's body, an interactive body, a template's hydrated body, a caption, an emoji."""
    payload = record.get("payload") or {}
    kind = record.get("type")
    if kind == "reaction":
        return _str((payload.get("reaction") or {}).get("emoji")) or None
    if kind == "text":
        return _str((payload.get("text") or {}).get("body"))
    if kind == "interactive":
        return _str(((payload.get("interactive") or {}).get("body") or {}).get("text"))
    if kind in ("template", "hsm"):
        return _str((record.get("hydrated") or {}).get("body"))
    return _str((payload.get(kind) or {}).get("caption")) if isinstance(kind, str) else None


def button_ids(record: Record) -> list[str] | None:
    """The ids of an interactive message's reply buttons, or None if it has none."""
    interactive = (record.get("payload") or {}).get("interactive") or {}
    if interactive.get("type") != "button":
        return None
    return [b["reply"]["id"] for b in interactive.get("action", {}).get("buttons", [])]


def row_ids(record: Record) -> list[str] | None:
    """The ids of a list message's rows across its sections, or None if it is no list."""
    interactive = (record.get("payload") or {}).get("interactive") or {}
    if interactive.get("type") != "list":
        return None
    return [r["id"] for s in interactive.get("action", {}).get("sections", []) for r in s.get("rows", [])]


def quick_replies(record: Record) -> list[dict[str, Any]]:
    """A template's quick-reply buttons as ``{"text", "payload"}`` (hydrated, else from the send)."""
    hydrated = record.get("hydrated") or {}
    if hydrated.get("buttons"):
        return [
            {"text": b.get("text"), "payload": b.get("payload")}
            for b in hydrated["buttons"]
            if b.get("type") == "QUICK_REPLY"
        ]
    components = ((record.get("payload") or {}).get("template") or {}).get("components") or []
    return [
        {"text": None, "payload": next((p.get("payload") for p in c.get("parameters", [])), None)}
        for c in components
        if str(c.get("type", "")).lower() == "button" and str(c.get("sub_type", "")).lower() == "quick_reply"
    ]


def has_buttons(record: Record) -> bool:
    """An interactive message with reply buttons."""
    return button_ids(record) is not None


def has_rows(record: Record) -> bool:
    """An interactive list message."""
    return row_ids(record) is not None


def has_quick_replies(record: Record) -> bool:
    """A template with quick-reply buttons."""
    return bool(quick_replies(record))


def interactive_type(record: Record) -> str | None:
    """The ``interactive.type`` of an interactive message (None for any other)."""
    interactive = (record.get("payload") or {}).get("interactive")
    return interactive.get("type") if isinstance(interactive, dict) else None


def has_flow(record: Record) -> bool:
    """An interactive flow message."""
    return interactive_type(record) == "flow"


def has_products(record: Record) -> bool:
    """A product, product list or catalog message: something to order from or ask about."""
    return interactive_type(record) in ("product", "product_list", "catalog_message")


def is_message(record: Record) -> bool:
    """Any message but a reaction (a reaction cannot be reacted to)."""
    return record.get("type") != "reaction"


REPLY_KINDS: dict[str, tuple[str, Callable[[Record], bool]]] = {
    "tap": ("reply buttons", has_buttons),
    "select": ("a list", has_rows),
    "quick_reply": ("quick replies", has_quick_replies),
    "complete_flow": ("a flow", has_flow),
    "order": ("products", has_products),
    "enquire": ("products", has_products),
    "react": ("a message", is_message),
}


def template_view(record: Record) -> dict[str, Any]:
    """A template send's name, language code and body parameter values."""
    template = (record.get("payload") or {}).get("template")
    if not isinstance(template, dict):
        return {}
    language = template.get("language")
    code = language.get("code") if isinstance(language, dict) else language
    return {"name": template.get("name"), "language": code, "parameters": template_parameters(template)}


def template_parameters(template: dict[str, Any]) -> list[Any] | dict[str, Any]:
    """The values of the body parameters: text, or the fallback_value of currency and date_time.

    A list in order; for named parameters (each with a ``parameter_name``), a mapping name -> value.
    """
    params: list[dict[str, Any]] = []
    for component in template.get("components") or []:
        if str(component.get("type", "")).lower() == "body":
            params.extend(p for p in component.get("parameters") or [] if isinstance(p, dict))
    values = []
    for parameter in params:
        content = parameter.get(str(parameter.get("type")))
        values.append(content.get("fallback_value") if isinstance(content, dict) else content)
    if params and all("parameter_name" in p for p in params):
        return {str(p["parameter_name"]): v for p, v in zip(params, values, strict=True)}
    return values


def failed_code(record: Record) -> int | None:
    """The error code of a failed message, or None if it has not failed."""
    if record.get("status") != "failed":
        return None
    errors = record.get("errors") or [{}]
    code = errors[-1].get("code")
    return int(code) if code is not None else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
