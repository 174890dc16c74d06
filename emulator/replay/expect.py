"""Whether a bot's message (a record of ``GET /_emulator/messages``) meets an expectation, and what differs.

Matching rules, the same for scripts and for the pytest helpers:

* a string is compared exactly, unless it starts with ``re:``: then the rest is a regular
  expression searched in the actual string (anchor it with ``^`` and ``$``);
* a mapping matches when every key it names matches (a partial deep match); a list matches a list
  of the same length, item by item;
* numbers, booleans and null are compared for equality.

They mean the same whichever API the bot uses (a record of ``/v1/messages`` or of the Cloud API's
``/messages``): ``failed`` accepts either API's code for the same failure (``470`` or ``131047``).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.transcripts.export import REGEX
from emulator.transcripts.records import Record, button_ids, failed_code, row_ids, template_view, text_of

_ABSENT = object()


@dataclass(frozen=True)
class Mismatch:
    """One difference: what was looked at, what the script wanted, what the bot sent."""

    what: str
    expected: Any
    actual: Any


def matches(expected: Any, actual: Any) -> bool:
    """The matching rules of the module docstring."""
    if isinstance(expected, str):
        if expected.startswith(REGEX):
            return isinstance(actual, str) and bool(re.search(expected[len(REGEX) :], actual))
        return bool(expected == actual)
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and matches(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return bool(expected == actual)


def mismatches(fields: dict[str, Any], record: Record) -> list[Mismatch]:
    """Every field of an expectation that ``record`` does not meet, in the order of the fields."""
    found: list[Mismatch] = []
    for name, expected in fields.items():
        if name == "payload":
            found.extend(_payload_mismatches(expected, record.get("payload") or {}, "payload"))
        elif name == "template":
            for part, wanted in expected.items():
                actual = template_view(record).get(part)
                if not matches(wanted, actual):
                    found.append(Mismatch(f"template.{part}", wanted, actual))
        else:
            actual = ACTUAL[name](record)
            if not (same_failure if name == "failed" else matches)(expected, actual):
                found.append(Mismatch(name, expected, actual))
    return found


def same_failure(expected: Any, actual: Any) -> bool:
    """A failed status's code as expected, or its counterpart in the other API (``470`` / ``131047``)."""
    if matches(expected, actual):
        return True
    codes = (expected, actual)
    if not all(isinstance(c, int) and not isinstance(c, bool) for c in codes):
        return False
    return bool(_failure_reasons(expected) & _failure_reasons(actual))


@functools.cache
def _failure_reasons(code: int) -> frozenset[str]:
    """The reasons a code stands for in a failed status, in either API's table."""
    from emulator.cloud.codes import TABLE as CLOUD
    from emulator.onprem.codes import TABLE as ONPREM

    tables = (ONPREM, CLOUD)
    deferred = ONPREM.deferred | CLOUD.deferred
    return frozenset(str(r) for r in deferred for table in tables if table.code(r) == code)


def _payload_mismatches(expected: Any, actual: Any, where: str) -> list[Mismatch]:
    """The deepest differing paths of a partial deep match, so the diff names the exact field."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found: list[Mismatch] = []
        for key, value in expected.items():
            if key not in actual:
                found.append(Mismatch(f"{where}.{key}", value, _ABSENT))
            else:
                found.extend(_payload_mismatches(value, actual[key], f"{where}.{key}"))
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        pairs = enumerate(zip(expected, actual, strict=True))
        return [m for i, (e, a) in pairs for m in _payload_mismatches(e, a, f"{where}[{i}]")]
    return [] if matches(expected, actual) else [Mismatch(where, expected, actual)]


def is_absent(value: Any) -> bool:
    """True for the marker of a key the bot's message does not have."""
    return value is _ABSENT


ACTUAL: dict[str, Callable[[Record], Any]] = {
    "type": lambda r: r.get("type"),
    "text": text_of,
    "buttons": button_ids,
    "rows": row_ids,
    "status": lambda r: r.get("status"),
    "failed": failed_code,
}


def show(value: Any) -> str:
    """A value as a person reads it: strings in double quotes (regular expressions unescaped), others as JSON."""
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def summary(record: Record) -> str:
    """One line that says what the bot sent: its type and the parts a person recognises."""
    parts = [str(record.get("type"))]
    interactive = ((record.get("payload") or {}).get("interactive") or {}).get("type")
    if interactive:
        parts.append(str(interactive))
    if record.get("type") in ("template", "hsm"):
        parts.append(show(template_view(record).get("name")))
    text = text_of(record)
    if text is not None:
        parts.append(show(text if len(text) <= 80 else text[:77] + "..."))
    for name, ids in (("buttons", button_ids(record)), ("rows", row_ids(record))):
        if ids is not None:
            parts.append(f"{name} [{', '.join(ids)}]")
    code = failed_code(record)
    if code is not None:
        parts.append(f"(failed with {code})")
    return " ".join(parts)
