"""Conversations as replay scripts, from the JSON of a conversation (``GET /_emulator/conversations/{wa_id}``).

Used by the control API (``?format=script``) and by replay (``wa-emulator record --from-log``); it
works on records alone and imports neither the domain nor replay.

User turns become short forms where they can (``text`` with its ``referral``, ``tap`` by id,
``select`` by id, ``quick_reply`` by the button's text, ``location``, ``react``, ``order``,
``enquire``, ``complete_flow``, ``change_number``), anything else ``send``. A deletion is not
exported (the record keeps only that the message was deleted, not when). The bot's messages
become expectations on their stable parts: type, text, button and row ids, template name and
language, a failed status's code; never ids or timestamps. A gap of an hour or more between two
messages becomes a ``clock`` step.

Values the bot put into template parameters or quick-reply payloads that contain a digit (order
numbers, dates, amounts) change from run to run; where a later text repeats one, the exported
expectation matches any value there (``re:^Thanks, .+ noted$``).

What a user is without any set-up (the defaults, a magic number's traits) is the emulator's to
know: the control API passes it as ``usual``; without it only the traits a record names are set up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from emulator.durations import format_duration
from emulator.transcripts.records import REPLY_KINDS, Record, button_ids, failed_code, row_ids, template_view, text_of

REGEX = "re:"  # a script's string starting with this is a regular expression
CLOCK_GAP_S = 3600.0  # a shorter pause does not change what the emulator does
TRAITS = ("status", "incapable", "read_receipts", "online", "unsupported_types", "delivery_delay_s", "read_delay_s")
_LOCATION_FIELDS = ("latitude", "longitude", "name", "address", "url")
_SPECIAL = re.compile(r"([.^$*+?{}\[\]\\|()])")
_FILLED_BY_PHONE = ("id", "from", "timestamp", "context", "errors")
_MEDIA = ("image", "video", "audio", "voice", "document", "sticker")


@dataclass
class _Thread:
    taken: list[Record] = field(default_factory=list)
    turn_mark: int = 0


@dataclass
class _Builder:
    """Turns an ordered list of inbound and outbound messages into steps."""

    user: str
    steps: list[dict[str, Any]] = field(default_factory=list)
    threads: dict[str, _Thread] = field(default_factory=dict)
    expectations: dict[str, dict[str, Any]] = field(default_factory=dict)  # outbound id -> its expectation
    volatile: list[str] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    pending_user: str = ""
    last_time: float | None = None
    labels: int = 0

    def add(self, message: Record) -> None:
        self._clock(message.get("created_at"))
        if message["direction"] == "outbound":
            if self.pending and self.pending_user != message["to"]:
                self.flush()
            expectation = _expectation(message, self.volatile)
            self.pending.append(expectation)
            self.pending_user = message["to"]
            self.threads.setdefault(message["to"], _Thread()).taken.append(message)
            if message.get("id"):
                self.expectations[message["id"]] = expectation
            self.volatile.extend(_volatile_values(message))
        else:
            self.flush()
            self._turn(message["from"], message["message"])

    def flush(self) -> None:
        if self.pending:
            expect = self.pending[0] if len(self.pending) == 1 else list(self.pending)
            self.steps.append(self._for_user({"expect": expect}, self.pending_user))
            self.pending = []

    def _clock(self, when: Any) -> None:
        if not isinstance(when, int | float):
            return
        if self.last_time is not None and when - self.last_time >= CLOCK_GAP_S:
            self.flush()
            self.steps.append({"clock": format_duration(round((when - self.last_time) / 60) * 60)})
        self.last_time = float(when)

    def _turn(self, wa_id: str, message: Record) -> None:
        thread = self.threads.setdefault(wa_id, _Thread())
        step, kind = _user_turn(message)
        replied = (message.get("context") or {}).get("id") or (message.get("reaction") or {}).get("message_id")
        if replied and replied in self.expectations and _pick(thread, kind) != replied:
            step["reply_to"] = self._label(replied)
        self.steps.append(self._for_user(step, wa_id))
        thread.turn_mark = len(thread.taken)
        self.volatile.extend(_volatile_values(message))

    def _label(self, message_id: str) -> str:
        expectation = self.expectations[message_id]
        if "as" not in expectation:
            self.labels += 1
            expectation["as"] = f"m{self.labels}"
        return str(expectation["as"])

    def _for_user(self, step: dict[str, Any], wa_id: str) -> dict[str, Any]:
        return {**step, "user": wa_id} if wa_id != self.user else step


def _pick(thread: _Thread, kind: str | None) -> str | None:
    """The id of the message the replay's rule (Session.reply_target) would answer, if it is known now."""
    if kind is None:
        return None
    has = REPLY_KINDS[kind][1]
    since = thread.taken[thread.turn_mark :]
    recent = [r for r in since if has(r)] or ([r for r in thread.taken if has(r)] if since else [])
    return str(recent[-1].get("id")) if recent else None


def _user_turn(message: Record) -> tuple[dict[str, Any], str | None]:
    """The step for an inbound message, and the kind of reply it is (None if it is no reply)."""
    kind = message.get("type")
    context = message.get("context") or {}
    has_context = bool(context.get("id"))
    if kind == "text" and "referred_product" in context:
        asked = {"product": context["referred_product"]["product_retailer_id"], "text": message["text"]["body"]}
        return {"enquire": asked}, "enquire"
    if kind == "text" and not has_context:
        step: dict[str, Any] = {"text": message["text"]["body"]}
        if message.get("referral"):  # the click id is the phone's: a replay gets a new one
            step["referral"] = {k: v for k, v in message["referral"].items() if k != "ctwa_clid"}
        return step, None
    if kind in ("reaction", "order", "system") or (kind == "interactive" and "nfm_reply" in message["interactive"]):
        return _commerce_and_more(message)
    if kind == "location" and not has_context:
        where = message["location"]
        return {"location": {k: where[k] for k in _LOCATION_FIELDS if k in where}}, None
    if kind == "interactive":
        reply = message["interactive"]
        choice = reply[reply["type"]]
        short = "tap" if reply["type"] == "button_reply" else "select"
        return {short: choice.get("id") or choice.get("title")}, short
    if kind == "button":
        button = message["button"]
        return {"quick_reply": button.get("text") or button.get("payload")}, "quick_reply"
    send = {k: v for k, v in message.items() if k not in _FILLED_BY_PHONE}
    if kind in _MEDIA:  # the old media id is gone after a reset: the emulator makes a sample instead
        send[kind] = {k: v for k, v in message[kind].items() if k in ("caption", "filename")}
    return {"send": send}, None


def _commerce_and_more(message: Record) -> tuple[dict[str, Any], str | None]:
    """The short form of a reaction, an order, a completed flow or a system message."""
    kind = message["type"]
    if kind == "reaction":
        return {"react": message["reaction"].get("emoji", "")}, "react"
    if kind == "order":
        return {"order": message["order"]}, "order"
    if kind == "interactive":
        answers = json.loads(message["interactive"]["nfm_reply"]["response_json"])
        answers.pop("flow_token", None)  # filled in again from the flow the bot sends
        return {"complete_flow": answers}, "complete_flow"
    system = message["system"]
    if system["type"] == "user_changed_number":  # the stored wa_id, or new_wa_id in an On-Premises log
        return {"change_number": system.get("wa_id") or system.get("new_wa_id")}, None
    return {"send": {"type": "system", "system": {"type": system["type"]}}}, None


def _expectation(message: Record, volatile: list[str]) -> dict[str, Any]:
    expectation: dict[str, Any] = {"type": message.get("type")}
    template = template_view(message)
    text = text_of(message)
    if text and not template:
        expectation["text"] = stable_matcher(text, volatile)
    for name, ids in (("buttons", button_ids(message)), ("rows", row_ids(message))):
        if ids:
            expectation[name] = ids
    if template:
        expectation["template"] = {k: template[k] for k in ("name", "language") if template.get(k)}
    code = failed_code(message)
    if code is not None:
        expectation["failed"] = code
    return expectation


def _escape(text: str) -> str:
    """Escape what a regular expression would read specially (not spaces or '#': they stay readable)."""
    return _SPECIAL.sub(r"\\\1", text)


def stable_matcher(text: str, volatile: list[str]) -> str:
    """``text`` itself, or a ``re:`` expression matching any value where ``text`` repeats a volatile one."""
    present = sorted({v for v in volatile if v in text}, key=len, reverse=True)
    if not present:
        return f"{REGEX}^{_escape(text)}$" if text.startswith(REGEX) else text
    pieces = re.split("|".join(re.escape(v) for v in present), text)
    return REGEX + "^" + ".+".join(_escape(p) for p in pieces) + "$"


def _volatile_values(message: Record) -> list[str]:
    """Values the bot chose for this send that may differ next time (they contain a digit)."""
    values: list[Any] = []
    template = (message.get("payload") or {}).get("template") or {}
    for component in template.get("components") or []:
        for parameter in component.get("parameters") or []:
            content = parameter.get(parameter.get("type"))
            values.append(content.get("fallback_value") if isinstance(content, dict) else content)
    values.append((message.get("button") or {}).get("payload"))
    return [v for v in values if isinstance(v, str) and len(v) >= 3 and any(c.isdigit() for c in v)]


Usual = Callable[[str], dict[str, Any]]  # the traits a user has with no set-up, by wa_id


def _user_setup(wa_id: str, user: Record | None, usual: Usual) -> dict[str, Any]:
    """The traits (and name) a replay must give the user to see the same conversation."""
    if not user:
        return {}
    plain = dict(usual(wa_id))
    if user.get("moved_to"):  # no WhatsApp since the number change the script replays
        plain["status"] = user["status"]
    traits = {k: user[k] for k in TRAITS if k in user and user[k] != plain.get(k)}
    if user.get("source") != "fixture" and user.get("name"):
        traits = {"name": user["name"], **traits}
    return traits


def script_from_messages(
    user: str,
    messages: Iterable[Record],
    *,
    name: str,
    users: dict[str, Record] | None = None,
    usual: Usual = lambda wa_id: {},
) -> dict[str, Any]:
    """A script (as data) from messages in the shape of ``GET /_emulator/conversations/{wa_id}``."""
    builder = _Builder(user)
    for wa_id, record in (users or {}).items():
        setup = _user_setup(wa_id, record, usual)
        if setup:
            builder.steps.append(builder._for_user({"set_user": setup}, wa_id))
    for message in messages:
        builder.add(message)
    builder.flush()
    return {"name": name, "user": user, "steps": builder.steps}


def conversation_script(conversation: Record, usual: Usual = lambda wa_id: {}) -> dict[str, Any]:
    """The script of a conversation as ``GET /_emulator/conversations/{wa_id}`` shows it."""
    wa_id = conversation["wa_id"]
    user = conversation.get("user") or {}
    name = f"conversation with {wa_id}" + (f" ({user['name']})" if user.get("name") else "")
    return script_from_messages(wa_id, conversation["messages"], name=name, users={wa_id: user}, usual=usual)


class _Block(dict[str, Any]):
    """A mapping written in block style (the script and its steps); deeper ones go inline."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Block, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=False)
)


def dump_script(script: dict[str, Any], comment: str = "") -> str:
    """The script as YAML text: steps one per item, small values inline, an optional header comment."""
    blocks = _Block(script)
    blocks["steps"] = [_Block(step) for step in script["steps"]]
    for step in blocks["steps"]:
        expect = step.get("expect")
        if isinstance(expect, dict) and any(isinstance(v, dict | list) for v in expect.values()):
            step["expect"] = _Block(expect)
        elif isinstance(expect, list):
            step["expect"] = [_Block(e) for e in expect]
    text = yaml.dump(blocks, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=None, width=1000)
    header = "".join(f"# {line}\n" for line in comment.splitlines())
    return header + text


def conversation_yaml(conversation: Record, usual: Usual = lambda wa_id: {}) -> str:
    """``GET /_emulator/conversations/{wa_id}?format=script``: the conversation as a script's YAML."""
    comment = (
        f"Exported by wa-emulator from the conversation with {conversation['wa_id']}.\n"
        "Replay: wa-emulator replay THIS_FILE --bot-webhook URL (docs/replay.md)"
    )
    return dump_script(conversation_script(conversation, usual), comment)
