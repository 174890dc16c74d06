"""Traffic a deployment logged, read back as a script: the bot's inbound webhooks and outbound sends, in order.

The log format (one JSON object a line; blank lines and lines starting with ``#`` are comments):

* ``{"direction": "in", "payload": {...}}``: a webhook payload the bot received (the On-Premises
  bare object, or the Cloud API's ``object``/``entry``/``changes`` envelope);
* ``{"direction": "out", "body": {...}, "id": "gBEG..."}``: a ``POST /v1/messages`` body the bot
  sent, or a Cloud API ``POST /{phone_number_id}/messages`` body; ``id`` (or ``"response":
  {"messages": [{"id": ...}]}``) lets a later failed status find it; read receipts (``"status":
  "read"``, with or without a typing indicator) are skipped;
* an optional ``"ts"`` (Unix seconds) on either;
* or the payload or body alone, told apart by shape (a body has ``to``).

Cloud-only inbound shapes become the emulator's inbound vocabulary: an ``audio`` with ``voice: true``
is a ``voice`` note, an ``unsupported`` message is ``unknown``.
Any other line (a log line of something else, say) is skipped, and ``read_log`` says which and why.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from emulator.phone import normalize
from emulator.transcripts.export import script_from_messages
from emulator.transcripts.records import Record


class LogError(ValueError):
    """A log that gives no script (``line``: where, if the problem is on one line)."""

    def __init__(self, line: int | None, reason: str, skipped: list[tuple[int, str]] | None = None) -> None:
        super().__init__(f"line {line}: {reason}" if line is not None else reason)
        self.line = line
        self.reason = reason
        self.skipped = skipped or []  # the lines skipped on the way, when the whole log gives nothing


Skipped = tuple[int, str]  # a line that was not used (its number) and why


def read_log(lines: Iterable[str]) -> tuple[list[Record], dict[str, str], list[Skipped]]:
    """Inbound and outbound messages in log order, the users' profile names, and the lines not used and why."""
    messages: list[Record] = []
    by_id: dict[str, Record] = {}
    profiles: dict[str, str] = {}
    skipped: list[Skipped] = []
    for number, raw in enumerate(lines, start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        try:
            entry = json.loads(text)
            direction, content, when = _classify(entry, number)
            if direction == "read":  # a read receipt (or a typing indicator) is no message
                continue
            if direction == "out":
                message = _outbound(entry, content, when, number)
                messages.append(message)
                if message.get("id"):
                    by_id[message["id"]] = message
                continue
        except json.JSONDecodeError as exc:
            skipped.append((number, f"not JSON ({exc.msg} at column {exc.colno})"))
            continue
        except LogError as exc:
            skipped.append((number, exc.reason))
            continue
        unknown = _read_webhook(content, when, messages, by_id, profiles)
        if unknown:
            skipped.append((number, f"a failed status for {', '.join(unknown)}, a message the log does not have"))
    return messages, profiles, skipped


def _read_webhook(
    content: Record, when: float | None, messages: list[Record], by_id: dict[str, Record], profiles: dict[str, str]
) -> list[str]:
    """Take a webhook's profile names, inbound messages and failed statuses; the ids of failed messages not found."""
    unknown: list[str] = []
    for value in _webhook_values(content):
        for contact in value.get("contacts") or []:
            name = (contact.get("profile") or {}).get("name")
            if contact.get("wa_id") and name:
                profiles[contact["wa_id"]] = name
        for inbound in value.get("messages") or []:
            stamp = inbound.get("timestamp")
            created = float(stamp) if isinstance(stamp, str | int) and str(stamp).isdigit() else when
            messages.append(
                {
                    "direction": "inbound",
                    "from": inbound.get("from"),
                    "message": _vocabulary(inbound),
                    "created_at": created,
                }
            )
        for status in value.get("statuses") or []:
            found = by_id.get(str(status.get("id", "")))
            if found is not None:
                _apply_status(found, status)
            elif status.get("status") == "failed":
                unknown.append(str(status.get("id")))
    return unknown


def _classify(entry: Any, number: int) -> tuple[str, Record, float | None]:
    if not isinstance(entry, dict):
        raise LogError(number, "a line must be a JSON object")
    when = entry.get("ts")
    when = float(when) if isinstance(when, int | float) else None
    direction = str(entry.get("direction", "")).lower()
    if direction in ("in", "inbound") and isinstance(entry.get("payload"), dict):
        return "in", entry["payload"], when
    if direction in ("out", "outbound") and isinstance(entry.get("body"), dict):
        return ("read" if _is_read_receipt(entry["body"]) else "out"), entry["body"], when
    if _is_read_receipt(entry):
        return "read", entry, None
    if "to" in entry:
        return "out", entry, None
    if "entry" in entry or any(isinstance(entry.get(k), list) for k in ("messages", "statuses", "contacts")):
        return "in", entry, None
    raise LogError(number, "neither a webhook payload nor a /v1/messages body (see docs/replay.md for the format)")


def _outbound(entry: Record, body: Record, when: float | None, number: int) -> Record:
    to = normalize(str(body.get("to", ""))) if body.get("to") else None
    if to is None:
        raise LogError(number, "a /v1/messages body needs a phone number in 'to'")
    wrapped = body is not entry
    response = entry.get("response") if wrapped else None
    answered = ((response.get("messages") or [{}])[0].get("id")) if isinstance(response, dict) else None
    return {
        "direction": "outbound",
        "id": (entry.get("id") if wrapped else None) or answered,
        "to": to,
        "type": body.get("type", "text"),
        "payload": body,
        "status": "sent",
        "errors": [],
        "created_at": when,
    }


def _is_read_receipt(body: Record) -> bool:
    """A mark-as-read body (``/v1`` PUT, or the Cloud API's POST with ``message_id``): no message."""
    return body.get("status") == "read" and "type" not in body and "to" not in body


def _vocabulary(message: Record) -> Record:
    """A Cloud inbound message in the emulator's inbound vocabulary (On-Premises ones are already)."""
    kind = message.get("type")
    if kind == "audio" and (message.get("audio") or {}).get("voice"):
        return {**{k: v for k, v in message.items() if k != "audio"}, "type": "voice", "voice": message["audio"]}
    if kind == "unsupported":
        return {k: v for k, v in message.items() if k not in ("unsupported", "errors")} | {"type": "unknown"}
    return message


def _webhook_values(payload: Record) -> list[Record]:
    """The On-Premises bare object, or every ``value`` of a Cloud API envelope."""
    if "entry" in payload:
        return [c.get("value") or {} for e in payload.get("entry") or [] for c in e.get("changes") or []]
    return [payload]


def _apply_status(message: Record, status: Record) -> None:
    if status.get("status") != "failed":
        return
    message["status"] = "failed"
    message["errors"] = [{"code": e.get("code")} for e in status.get("errors") or [{}]]


def log_script(
    lines: Iterable[str], *, user: str | None = None, name: str = ""
) -> tuple[dict[str, Any], list[Skipped]]:
    """The script of a JSONL traffic log (format in the module docstring), for one user or all; the lines skipped."""
    messages, profiles, skipped = read_log(lines)
    if user is not None:
        wanted = normalize(user) or user
        messages = [m for m in messages if wanted in (m.get("from"), m.get("to"))]
    first = next((m.get("from") or m.get("to") for m in messages), None)
    main = (normalize(user) or user) if user else first
    if main is None:
        raise LogError(None, "the log has no message to or from " + (user or "any user"), skipped)
    seen = {m.get("from") or m.get("to") for m in messages}
    users = {wa: {"name": profiles[wa], "source": "log"} for wa in profiles if wa in seen}
    return script_from_messages(main, messages, name=name or f"conversation with {main}", users=users), skipped
