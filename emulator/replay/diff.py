"""Expected against actual, for a person: what the script wanted, what the bot sent, where they part.

A mismatch reads like a small diff, ``-`` the expectation and ``+`` the bot's message::

    text
      - "You said: hello"
      + "You wrote: hello"
          ^ first difference at character 5
"""

from __future__ import annotations

from typing import Any

from emulator.replay.expect import Mismatch, is_absent, matches, show, summary
from emulator.transcripts.export import REGEX
from emulator.transcripts.records import Record


def describe_expectation(fields: dict[str, Any]) -> str:
    """``interactive "Hi!" buttons [menu, help]``: an expectation in a few words."""
    parts = [str(fields.get("type", "a message"))]
    if "text" in fields:
        parts.append(_value(fields["text"]))
    for name in ("buttons", "rows"):
        if name in fields:
            parts.append(f"{name} [{', '.join(str(v) for v in fields[name])}]")
    if "template" in fields:
        template = fields["template"]
        parts.append(_value(template["name"]) if set(template) == {"name"} else _value(template))
    if "payload" in fields:
        parts.append(f"payload {_value(fields['payload'])}")
    if "failed" in fields:
        parts.append(f"failed with {fields['failed']}")
    elif "status" in fields:
        parts.append(f"status {fields['status']}")
    return " ".join(parts)


def mismatch_report(fields: dict[str, Any], record: Record, mismatches: list[Mismatch], *, position: str = "") -> str:
    """The bot's message does not meet the expectation: each difference, then what it sent."""
    lines = [f"expected the bot's next message{position}: {describe_expectation(fields)}"]
    lines.append(f"the bot sent: {summary(record)}  [{record.get('id')}]")
    for mismatch in mismatches:
        lines.append(f"  {mismatch.what}")
        lines.extend(_pair(mismatch, record))
    return "\n".join(lines)


def missing_report(fields: dict[str, Any], timeout: float, last: Record | None, *, position: str = "") -> str:
    """The bot sent nothing (more) within the timeout."""
    lines = [
        f"expected the bot's next message{position}: {describe_expectation(fields)}",
        f"the bot sent nothing within {timeout:g} s",
    ]
    if last is not None:
        lines.append(f"its last message was: {summary(last)}  [{last.get('id')}]")
    return "\n".join(lines)


def _pair(mismatch: Mismatch, record: Record) -> list[str]:
    expected, actual = mismatch.expected, mismatch.actual
    shown = [_value(expected), _actual(mismatch.what, actual, record)]
    lines = [f"    - {shown[0]}", f"    + {shown[1]}"]
    if isinstance(expected, list) and isinstance(actual, list):
        lines.append("      ^ " + list_difference(expected, actual))
    if isinstance(expected, str) and isinstance(actual, str) and not expected.startswith(REGEX):
        at = _first_difference(expected, actual)
        column = _first_difference(*shown)
        # worth pointing at only past a shared start, and on a line short enough to read
        if at is not None and at >= 3 and column is not None and max(len(s) for s in shown) <= 200:
            lines.append(" " * (6 + column) + f"^ first difference at character {at + 1}")
    return lines


def list_difference(expected: list[Any], actual: list[Any]) -> str:
    """Which item of two lists differs: the first one at the same place, or what is missing and extra."""
    if len(expected) == len(actual):
        for index, (wanted, sent) in enumerate(zip(expected, actual, strict=True)):
            if not matches(wanted, sent):
                return f"item {index + 1} differs: {_value(wanted)} expected, {_value(sent)} sent"
    missing = [_value(w) for w in expected if not any(matches(w, s) for s in actual)]
    extra = [_value(s) for s in actual if not any(matches(w, s) for w in expected)]
    parts = [f"{len(expected)} item{'s' if len(expected) != 1 else ''} expected, {len(actual)} sent"]
    if missing:
        parts.append("missing " + ", ".join(missing))
    if extra:
        parts.append("extra " + ", ".join(extra))
    return "; ".join(parts)


def _actual(what: str, actual: Any, record: Record) -> str:
    if is_absent(actual):
        return "(absent)"
    if actual is None:
        if what == "failed":
            return f"(not failed: status {record.get('status')})"
        return f"(none: the bot sent {record.get('type')})"
    return _value(actual)


def _value(value: Any) -> str:
    return show(value)


def _first_difference(a: str, b: str) -> int | None:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return None if len(a) == len(b) else min(len(a), len(b))
