"""Rules for a ``POST /v1/messages`` body that JSON Schema cannot state.

``check_message`` runs after ``schemas/onprem/messages/message.json`` accepted the body, so it may
rely on the shape the schema guarantees. It checks what spans several array items:

* 2016 more than 10 rows across a list's sections; 2023 more than 30 products across a
  product_list's sections (the per-section limits are in the schema);
* 1009 a row id, row title, reply-button id or reply-button title used twice in one message;
* 1009 an emoji in a flow's ``flow_cta``.

Template checks against the registry are not here: see ``emulator.domain.templates``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from emulator.domain.reasons import Reason, Refusal

MAX_ROWS = 10
MAX_PRODUCTS = 30

_TOO_MANY_ROWS = "a list may have at most {limit} rows across all its sections (got {count})"
_TOO_MANY_PRODUCTS = "a product list may have at most {limit} products across all its sections (got {count})"
_DUPLICATE = "{what} {value!r} is used twice in this message (first at {first})"
_EMOJI = "must not contain emoji"

# The emoji blocks: Misc Symbols and Dingbats, Misc Symbols and Arrows, the supplementary pictographs
# (mahjong to symbols-extended-A, flags included), and the emoji presentation selector.
_EMOJI_RANGES = ((0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F000, 0x1FAFF), (0xFE0F, 0xFE0F))

Rule = Callable[[dict[str, Any]], None]


def check_message(body: dict[str, Any]) -> None:
    """Raise the WhatsApp error for the first rule a schema-valid message body breaks, or return."""
    if body.get("type") != "interactive":
        return
    interactive: dict[str, Any] = body["interactive"]
    for rule in _INTERACTIVE_RULES.get(interactive["type"], ()):
        rule(interactive)


def _list_rows_fit(interactive: dict[str, Any]) -> None:
    """At most 10 rows across all sections of a list (2016)."""
    count = sum(len(section["rows"]) for section in interactive["action"]["sections"])
    if count > MAX_ROWS:
        details = _TOO_MANY_ROWS.format(limit=MAX_ROWS, count=count)
        raise Refusal(Reason.TOO_MANY_ROWS, f"$.interactive.action.sections: {details}")


def _list_rows_unique(interactive: dict[str, Any]) -> None:
    """Row ids, and row titles, are each unique within the message (1009)."""
    if _distinct([row for section in interactive["action"]["sections"] for row in section["rows"]]):
        return  # the usual case, decided without building a JSON path
    rows = list(_items(interactive["action"]["sections"], "$.interactive.action.sections", "rows"))
    _unique("row id", ((f"{path}.id", row["id"]) for path, row in rows))
    _unique("row title", ((f"{path}.title", row["title"]) for path, row in rows))


def _reply_buttons_unique(interactive: dict[str, Any]) -> None:
    """Reply-button ids, and reply-button titles, are each unique within the message (1009)."""
    if _distinct([button["reply"] for button in interactive["action"]["buttons"]]):
        return  # the usual case, decided without building a JSON path
    replies = [
        (f"$.interactive.action.buttons[{i}].reply", button["reply"])
        for i, button in enumerate(interactive["action"]["buttons"])
    ]
    _unique("button id", ((f"{path}.id", reply["id"]) for path, reply in replies))
    _unique("button title", ((f"{path}.title", reply["title"]) for path, reply in replies))


def _products_fit(interactive: dict[str, Any]) -> None:
    """At most 30 products across all sections of a product list (2023)."""
    count = sum(len(section["product_items"]) for section in interactive["action"]["sections"])
    if count > MAX_PRODUCTS:
        details = _TOO_MANY_PRODUCTS.format(limit=MAX_PRODUCTS, count=count)
        raise Refusal(Reason.TOO_MANY_PRODUCTS, f"$.interactive.action.sections: {details}")


def _flow_cta_plain(interactive: dict[str, Any]) -> None:
    """A flow's call-to-action text has no emoji (1009)."""
    cta: str = interactive["action"]["parameters"]["flow_cta"]
    if any(_is_emoji(char) for char in cta):
        raise Refusal(Reason.INVALID_PARAMETER, f"$.interactive.action.parameters.flow_cta: {_EMOJI}")


def _items(sections: list[dict[str, Any]], path: str, key: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each item of each section's ``key`` array, with its JSON path."""
    for i, section in enumerate(sections):
        for j, item in enumerate(section[key]):
            yield f"{path}[{i}].{key}[{j}]", item


def _distinct(items: list[dict[str, Any]]) -> bool:
    """Whether no two items have the same id, and no two the same title."""
    ids, titles = set(), set()
    for item in items:
        ids.add(item["id"])
        titles.add(item["title"])
    return len(ids) == len(titles) == len(items)


def _unique(what: str, values: Iterable[tuple[str, str]]) -> None:
    """Raise 1009 at the second occurrence of a value; ``values`` are (JSON path, value) pairs."""
    seen: dict[str, str] = {}
    for path, value in values:
        if value in seen:
            details = _DUPLICATE.format(what=what, value=value, first=seen[value])
            raise Refusal(Reason.INVALID_PARAMETER, f"{path}: {details}")
        seen[value] = path


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _EMOJI_RANGES)


_INTERACTIVE_RULES: dict[str, tuple[Rule, ...]] = {
    "list": (_list_rows_fit, _list_rows_unique),
    "button": (_reply_buttons_unique,),
    "product_list": (_products_fit,),
    "flow": (_flow_cta_plain,),
}
