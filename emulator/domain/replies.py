"""A simulated user's answers to the business's messages, checked against what the message offered.

Each function takes what the user chose and the record of the message answered, and returns the
object the phone fills in (titles, descriptions, the flow's token), or refuses what the message does
not offer: a button, row or quick reply it lacks, a flow it is not, a reaction to a reaction.
"""

from __future__ import annotations

import json
from typing import Any

from emulator.domain.message_rules import is_emoji
from emulator.domain.reasons import Reason, Refusal
from emulator.store import Doc

FLOW_BODY = "Sent"  # what WhatsApp shows for a completed flow (Meta's nfm_reply examples)
UNUSED_FLOW_TOKEN = "unused"  # the flow_token a flow sent without one carries (Cloud: optional, "unused")


def refuse(path: str, why: str) -> Refusal:
    """An invalid-parameter refusal whose details start with ``path``."""
    return Refusal(Reason.INVALID_PARAMETER, f"{path}: {why}")


def interactive_reply(reply: dict[str, Any], replied: Doc) -> Doc:
    """A button_reply, list_reply or nfm_reply, filled from the message replied to."""
    kind = reply["type"]
    if kind == "nfm_reply":
        return {"type": kind, kind: flow_reply(reply[kind], replied)}
    wanted = reply[kind]
    sent = replied["payload"].get("interactive") or {}
    if kind == "button_reply":
        if sent.get("type") != "button":
            raise refuse("$.context.id", f"message {replied['id']} has no reply buttons")
        options = [b["reply"] for b in sent["action"]["buttons"]]
        what = "reply button"
    else:
        if sent.get("type") != "list":
            raise refuse("$.context.id", f"message {replied['id']} is not a list message")
        options = [row for section in sent["action"]["sections"] for row in section["rows"]]
        what = "list row"
    chosen = pick(options, wanted, f"$.interactive.{kind}", what)
    picked: Doc = {"id": chosen["id"], "title": chosen["title"]}
    if kind == "list_reply" and chosen.get("description"):
        picked["description"] = chosen["description"]
    return {"type": kind, kind: picked}


def flow_reply(given: dict[str, Any], replied: Doc) -> Doc:
    """A completed flow: name ``flow``, body ``Sent``, and the answers as a JSON string with the flow_token sent."""
    sent = replied["payload"].get("interactive") or {}
    if sent.get("type") != "flow":
        raise refuse("$.context.id", f"message {replied['id']} is not a flow message")
    token = (sent["action"].get("parameters") or {}).get("flow_token") or UNUSED_FLOW_TOKEN
    answers = given["response_json"]
    path = "$.interactive.nfm_reply.response_json"
    if isinstance(answers, str):
        try:
            answers = json.loads(answers)
        except ValueError:
            raise refuse(path, "must be a JSON object (or an object written as a JSON string)") from None
        if not isinstance(answers, dict):
            raise refuse(path, "must be a JSON object (or an object written as a JSON string)")
    if answers.get("flow_token", token) != token:
        raise refuse(
            f"{path}.flow_token", f"the flow was sent with flow_token {token!r}, not {answers['flow_token']!r}"
        )
    response = {"flow_token": token, **{k: v for k, v in answers.items() if k != "flow_token"}}
    return {"name": "flow", "body": given.get("body", FLOW_BODY), "response_json": json.dumps(response)}


def quick_reply(wanted: dict[str, Any], replied: Doc) -> Doc:
    """A template quick-reply tap: the button's payload (as the send gave it) and its text."""
    buttons = [b for b in (replied.get("hydrated") or {}).get("buttons", []) if b.get("type") == "QUICK_REPLY"]
    if not buttons:
        raise refuse("$.context.id", f"message {replied['id']} has no quick-reply buttons")
    if "payload" in wanted:
        matches = [b for b in buttons if b.get("payload") == wanted["payload"]]
        key = f"payload {wanted['payload']!r}"
    else:
        matches = [b for b in buttons if b.get("text") == wanted.get("text")]
        key = f"text {wanted.get('text')!r}"
    if not matches:
        have = ", ".join(repr(b.get("payload") or b.get("text")) for b in buttons)
        field = "payload" if "payload" in wanted else "text"
        raise refuse(f"$.button.{field}", f"message {replied['id']} has no quick reply with {key} (it has {have})")
    return {"payload": matches[0].get("payload"), "text": matches[0]["text"]}


def reaction(given: dict[str, Any], target: Doc) -> Doc:
    """A reaction to ``target`` (an emoji), or the removal of the user's reaction (``""``: no emoji)."""
    if target["type"] == "reaction":
        raise refuse("$.reaction.message_id", f"message {target['id']} is a reaction, which cannot be reacted to")
    emoji = given["emoji"]
    if emoji == "":
        if not target.get("reaction"):
            raise refuse("$.reaction.emoji", f"the user has no reaction on message {target['id']} to remove")
        return {"message_id": target["id"]}
    if not is_emoji(emoji):
        raise refuse("$.reaction.emoji", f'must be one emoji (or "" to remove the reaction), not {emoji!r}')
    return {"message_id": target["id"], "emoji": emoji}


def pick(options: list[Doc], wanted: dict[str, Any], path: str, what: str) -> Doc:
    """The option named by ``id`` (or, failing that, by ``title``)."""
    for field in ("id", "title"):
        if field in wanted:
            for option in options:
                if option[field] == wanted[field]:
                    return option
            have = ", ".join(repr(o[field]) for o in options)
            raise refuse(f"{path}.{field}", f"the message has no {what} with {field} {wanted[field]!r} (it has {have})")
    raise Refusal(Reason.MISSING_PARAMETER, f"{path}: give the id (or title) of the {what}")
