"""Simulated users acting: what a user's phone sends, filled in as the phone would fill it.

The control API gives an action in WhatsApp's inbound vocabulary (design.md); this turns it into
the inbound message the bot receives, refusing what a real phone could not do: replying to a
message the user never received, or tapping a button, row or quick reply that message lacks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.domain.lifecycle import RECEIVED, StatusLifecycle
from emulator.domain.media import MediaService
from emulator.domain.messages import MessagesService
from emulator.domain.outbox import MessageReceived, Outbox
from emulator.domain.reasons import Failure, Reason, Refusal
from emulator.domain.samples import sample
from emulator.domain.users import UsersService
from emulator.domain.window import WindowService
from emulator.ids import IdFactory
from emulator.store import Doc, Store

MEDIA = ("image", "video", "audio", "document", "sticker", "voice")
COPIED = ("text", "location", "contacts")


def _refuse(path: str, why: str) -> Refusal:
    return Refusal(Reason.INVALID_PARAMETER, f"{path}: {why}")


class UserActions:
    """``POST /_emulator/users/{wa_id}/messages``: a simulated user sends a message to the business."""

    def __init__(
        self,
        store: Store,
        tenant: str,
        *,
        ids: IdFactory,
        users: UsersService,
        messages: MessagesService,
        media: MediaService,
        window: WindowService,
        lifecycle: StatusLifecycle,
        outbox: Outbox,
        now: Callable[[], float],
        next_seq: Callable[[], int],
        business_wa_id: str,
        bot_api: Callable[[], str],
    ) -> None:
        self._store = store
        self._tenant = tenant
        self._ids = ids
        self._users = users
        self._messages = messages
        self._media = media
        self._window = window
        self._lifecycle = lifecycle
        self._outbox = outbox
        self._bot_api = bot_api  # the API the bot uses, which shapes the ids it is given
        self._now = now
        self._next_seq = next_seq
        self._business = business_wa_id

    def send(self, wa_id: str, action: dict[str, Any]) -> Doc:
        """Build, record and deliver the inbound message; answer it as the webhook carries it."""
        user = self._users.get_or_create(wa_id)
        if user["status"] != "valid":
            raise Refusal(Reason.USER_NOT_VALID, f"{wa_id} is not a WhatsApp user, so it cannot send messages")
        kind = action["type"]
        api = self._bot_api()
        message: Doc = {
            "from": wa_id,
            "id": self._ids.inbound_message_id(api, wa_id),
            "timestamp": str(int(self._now())),
            "type": kind,
        }
        replied = self._context(wa_id, action, message)
        self._fill(kind, action, message, replied, api)
        record = self._record(wa_id, message, api)
        if replied is not None:
            self._lifecycle.seen(replied["id"])
        self._outbox.emit(MessageReceived(record, user))
        return record

    def _context(self, wa_id: str, action: dict[str, Any], message: Doc) -> Doc | None:
        message_id = (action.get("context") or {}).get("id")
        if message_id is None:
            return None
        record = self._messages.find(message_id)
        if record is None or record["to"] != wa_id:
            raise _refuse("$.context.id", f"{wa_id} never received a message {message_id}")
        if record["status"] not in RECEIVED:
            raise _refuse("$.context.id", f"message {message_id} was not delivered to {wa_id} ({record['status']})")
        message["context"] = {"from": self._business, "id": message_id}
        return record

    def _fill(self, kind: str, action: dict[str, Any], message: Doc, replied: Doc | None, api: str) -> None:
        if kind in COPIED:
            message[kind] = action[kind]
        elif kind in ("interactive", "button"):
            if replied is None:
                raise Refusal(Reason.MISSING_PARAMETER, "$.context.id: a reply needs the id of the message replied to")
            reply = _interactive_reply if kind == "interactive" else _quick_reply
            message[kind] = reply(action[kind], replied)
        elif kind in MEDIA:
            message[kind] = self._media_object(kind, action[kind], api)
        elif kind == "unknown":
            message["errors"] = [Failure(Reason.UNSUPPORTED_INBOUND).as_doc()]

    def _media_object(self, kind: str, given: dict[str, Any], api: str) -> Doc:
        if "id" in given:
            media = self._media.find(given["id"])
            if media is None:
                raise _refuse(f"$.{kind}.id", f"no uploaded media {given['id']} (upload it, or leave out id)")
        else:  # the user's own file: a small sample the bot can download with GET /v1/media/{id}
            media = self._media.upload(*sample(kind), api=api)
        filled: Doc = {"id": media["id"], "mime_type": media["mime_type"], "sha256": media["sha256"]}
        filled.update({k: v for k, v in given.items() if k in ("caption", "filename")})
        return filled

    def _record(self, wa_id: str, message: Doc, api: str) -> Doc:
        record: Doc = {
            "id": message["id"],
            "api": api,
            "direction": "inbound",
            "from": wa_id,
            "type": message["type"],
            "message": message,
            "created_at": self._now(),
            "seq": self._next_seq(),
            "read_at": None,
        }
        self._messages.record_inbound(record)
        self._window.renew(wa_id)
        return record


def _interactive_reply(reply: dict[str, Any], replied: Doc) -> Doc:
    """A button_reply or list_reply, with the title (and description) taken from the message replied to."""
    kind = reply["type"]
    wanted = reply[kind]
    sent = replied["payload"].get("interactive") or {}
    if kind == "button_reply":
        if sent.get("type") != "button":
            raise _refuse("$.context.id", f"message {replied['id']} has no reply buttons")
        options = [b["reply"] for b in sent["action"]["buttons"]]
        what = "reply button"
    else:
        if sent.get("type") != "list":
            raise _refuse("$.context.id", f"message {replied['id']} is not a list message")
        options = [row for section in sent["action"]["sections"] for row in section["rows"]]
        what = "list row"
    chosen = _pick(options, wanted, f"$.interactive.{kind}", what)
    picked: Doc = {"id": chosen["id"], "title": chosen["title"]}
    if kind == "list_reply" and chosen.get("description"):
        picked["description"] = chosen["description"]
    return {"type": kind, kind: picked}


def _quick_reply(wanted: dict[str, Any], replied: Doc) -> Doc:
    """A template quick-reply tap: the button's payload (as the send gave it) and its text."""
    buttons = [b for b in (replied.get("hydrated") or {}).get("buttons", []) if b.get("type") == "QUICK_REPLY"]
    if not buttons:
        raise _refuse("$.context.id", f"message {replied['id']} has no quick-reply buttons")
    if "payload" in wanted:
        matches = [b for b in buttons if b.get("payload") == wanted["payload"]]
        key = f"payload {wanted['payload']!r}"
    else:
        matches = [b for b in buttons if b.get("text") == wanted.get("text")]
        key = f"text {wanted.get('text')!r}"
    if not matches:
        have = ", ".join(repr(b.get("payload") or b.get("text")) for b in buttons)
        field = "payload" if "payload" in wanted else "text"
        raise _refuse(f"$.button.{field}", f"message {replied['id']} has no quick reply with {key} (it has {have})")
    return {"payload": matches[0].get("payload"), "text": matches[0]["text"]}


def _pick(options: list[Doc], wanted: dict[str, Any], path: str, what: str) -> Doc:
    """The option named by ``id`` (or, failing that, by ``title``)."""
    for field in ("id", "title"):
        if field in wanted:
            for option in options:
                if option[field] == wanted[field]:
                    return option
            have = ", ".join(repr(o[field]) for o in options)
            raise _refuse(
                f"{path}.{field}", f"the message has no {what} with {field} {wanted[field]!r} (it has {have})"
            )
    raise Refusal(Reason.MISSING_PARAMETER, f"{path}: give the id (or title) of the {what}")
