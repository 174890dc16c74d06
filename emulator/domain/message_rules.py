"""Rules for a ``POST /v1/messages`` body that JSON Schema cannot state.

``check_message`` runs after the API's message schema accepted the body, so it may
rely on the shape the schema guarantees. It checks what spans several array items:

* too_many_rows: more than 10 rows across a list's sections; too_many_products: more than 30 products across a
  product_list's sections (the per-section limits are in the schema);
* invalid_parameter: a row id, reply-button id or reply-button title used twice in one message (row
  titles may repeat: the reference asks unique titles of reply buttons only);
* invalid_parameter: an emoji in a flow's ``flow_cta``.

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
# What else a reaction may be: older symbols with an emoji presentation (arrows, clocks, shapes, ©, ®, ™),
# and what joins emoji (ZWJ, the keycap mark, the tag characters of subdivision flags).
_SYMBOL_RANGES = ((0x2190, 0x21FF), (0x2300, 0x23FF), (0x25A0, 0x25FF), (0x2934, 0x2935), (0x3030, 0x303D))
_SYMBOLS = frozenset("\u00a9\u00ae\u203c\u2049\u2122\u2139\u24c2\u3297\u3299")
_KEYCAP = "\u20e3"
_JOINERS = frozenset("\u200d\u20e3" + "".join(chr(c) for c in range(0xE0020, 0xE0080)))

Rule = Callable[[dict[str, Any]], None]


def check_message(body: dict[str, Any]) -> None:
    """Raise the WhatsApp error for the first rule a schema-valid message body breaks, or return."""
    if body.get("type") != "interactive":
        return
    interactive: dict[str, Any] = body["interactive"]
    for rule in _INTERACTIVE_RULES.get(interactive["type"], ()):
        rule(interactive)


def _list_rows(interactive: dict[str, Any]) -> None:
    """At most 10 rows across all sections of a list (too_many_rows); row ids are unique within the
    message, titles may repeat (invalid_parameter). One pass over the rows answers both."""
    sections = interactive["action"]["sections"]
    ids = [row["id"] for section in sections for row in section["rows"]]
    if len(ids) > MAX_ROWS:
        details = _TOO_MANY_ROWS.format(limit=MAX_ROWS, count=len(ids))
        raise Refusal(Reason.TOO_MANY_ROWS, f"$.interactive.action.sections: {details}")
    if len(set(ids)) == len(ids):
        return  # the usual case, checked without building a JSON path per row
    rows = _items(sections, "$.interactive.action.sections", "rows")
    _unique("row id", ((f"{path}.id", row["id"]) for path, row in rows))


def _reply_buttons_unique(interactive: dict[str, Any]) -> None:
    """Reply-button ids, and reply-button titles, are each unique within the message (invalid_parameter)."""
    buttons = interactive["action"]["buttons"]
    ids, titles = set(), set()
    for button in buttons:  # (a loop in line, not a list and a call: every reply-buttons send)
        reply = button["reply"]
        ids.add(reply["id"])
        titles.add(reply["title"])
    if len(ids) == len(titles) == len(buttons):
        return  # the usual case, checked without building a JSON path per button
    replies = [(f"$.interactive.action.buttons[{i}].reply", button["reply"]) for i, button in enumerate(buttons)]
    _unique("button id", ((f"{path}.id", reply["id"]) for path, reply in replies))
    _unique("button title", ((f"{path}.title", reply["title"]) for path, reply in replies))


def _products_fit(interactive: dict[str, Any]) -> None:
    """At most 30 products across all sections of a product list (too_many_products)."""
    count = sum(len(section["product_items"]) for section in interactive["action"]["sections"])
    if count > MAX_PRODUCTS:
        details = _TOO_MANY_PRODUCTS.format(limit=MAX_PRODUCTS, count=count)
        raise Refusal(Reason.TOO_MANY_PRODUCTS, f"$.interactive.action.sections: {details}")


def _flow_cta_plain(interactive: dict[str, Any]) -> None:
    """A flow's call-to-action text has no emoji (invalid_parameter)."""
    cta: str = interactive["action"]["parameters"]["flow_cta"]
    if any(_is_emoji(char) for char in cta):
        raise Refusal(Reason.INVALID_PARAMETER, f"$.interactive.action.parameters.flow_cta: {_EMOJI}")


def _items(sections: list[dict[str, Any]], path: str, key: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each item of each section's ``key`` array, with its JSON path."""
    for i, section in enumerate(sections):
        for j, item in enumerate(section[key]):
            yield f"{path}[{i}].{key}[{j}]", item


def _unique(what: str, values: Iterable[tuple[str, str]]) -> None:
    """Refuse at the second occurrence of a value; ``values`` are (JSON path, value) pairs."""
    seen: dict[str, str] = {}
    for path, value in values:
        if value in seen:
            details = _DUPLICATE.format(what=what, value=value, first=seen[value])
            raise Refusal(Reason.INVALID_PARAMETER, f"{path}: {details}")
        seen[value] = path


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _EMOJI_RANGES)


def is_emoji(text: str) -> bool:
    """True when ``text`` is one emoji as a keyboard types it: emoji characters with their joiners,
    skin tones and selectors, or a keycap (a digit, ``#`` or ``*`` with U+20E3); an approximation."""
    if not text or len(text) > 16:
        return False
    if len(text) <= 3 and text[0] in "0123456789#*" and text[-1] == _KEYCAP:
        return True
    pictures = [c for c in text if c not in _JOINERS and c != "\ufe0f"]
    return bool(pictures) and all(_is_emoji(c) or _is_symbol(c) for c in pictures)


def _is_symbol(char: str) -> bool:
    code = ord(char)
    return char in _SYMBOLS or any(low <= code <= high for low, high in _SYMBOL_RANGES)


_INTERACTIVE_RULES: dict[str, tuple[Rule, ...]] = {
    "list": (_list_rows,),
    "button": (_reply_buttons_unique,),
    "product_list": (_products_fit,),
    "flow": (_flow_cta_plain,),
}
