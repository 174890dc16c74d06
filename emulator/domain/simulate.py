"""Simulated users acting: what a user's phone sends, filled in as the phone would fill it.

The control API gives an action in WhatsApp's inbound vocabulary (design.md); this turns it into
the inbound message the bot receives, refusing what a real phone could not do: replying to, reacting
to or ordering from a message the user never received, tapping a button, row or quick reply that
message lacks, completing a flow that was not sent, deleting a message the user did not send.

The stored message is wire-neutral: ``emulator.webhooks.render`` shapes it per API (a number change
is ``new_wa_id`` On-Premises and ``wa_id`` on Cloud; an unknown kind is ``unsupported`` on Cloud).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import Any

from emulator.domain import commerce, replies
from emulator.domain.lifecycle import RECEIVED, StatusLifecycle
from emulator.domain.media import MediaService
from emulator.domain.messages import INBOUND, MessagesService
from emulator.domain.outbox import Changed, MessageDeleted, MessageReceived, Outbox
from emulator.domain.reasons import Failure, Reason, Refusal
from emulator.domain.replies import refuse
from emulator.domain.samples import sample
from emulator.domain.users import UsersService
from emulator.domain.window import WindowService
from emulator.ids import IdFactory
from emulator.store import Doc, Store

MEDIA = ("image", "video", "audio", "document", "sticker", "voice")
COPIED = ("text", "location", "contacts")
REPLIES = ("interactive", "button")
UNDELETABLE = ("reaction", "system")  # not messages a user can delete for everyone


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
        """Build, record and deliver the inbound message; answer its record (a deleted one for ``delete``)."""
        user = self._users.get_or_create(wa_id)
        if user["status"] != "valid":
            raise Refusal(Reason.USER_NOT_VALID, f"{wa_id} is not a WhatsApp user, so it cannot send messages")
        kind = action["type"]
        if kind == "delete":
            return self._delete(user, action["delete"]["message_id"])
        api = self._bot_api()
        message: Doc = {
            "from": wa_id,
            "id": self._ids.inbound_message_id(api, wa_id),
            "timestamp": str(int(self._now())),
            "type": kind,
        }
        replied = self._context(wa_id, action, message)
        seen = self._fill(kind, action, message, replied, api) or replied
        if "referral" in action:
            message["referral"] = self._referral(action["referral"])
        if kind == "system":
            user = self._system(user, message, action["system"])
        record = self._record(wa_id, message, api, renews=kind != "system", entry_point="referral" in action)
        if seen is not None:
            self._lifecycle.seen(seen["id"])
        self._outbox.emit(MessageReceived(record, user))
        return record

    def _context(self, wa_id: str, action: dict[str, Any], message: Doc) -> Doc | None:
        """The message replied to (refused unless the user received it); the product asked about."""
        context = action.get("context") or {}
        replied = self.received(wa_id, context["id"], "$.context.id") if "id" in context else None
        if replied is not None:
            message["context"] = {"from": self._business, "id": replied["id"]}
        if "referred_product" in context:
            if action["type"] != "text":
                raise refuse("$.context.referred_product", "only a text message asks about a product")
            product, replied = commerce.enquiry(context["referred_product"], replied, self._shelf(wa_id))
            message["context"] = {"from": self._business, "id": replied["id"], "referred_product": product}
        return replied

    def received(self, wa_id: str, message_id: str, path: str) -> Doc:
        """The business's message ``message_id`` if it reached ``wa_id``'s phone, else a refusal."""
        record = self._messages.find(message_id)
        if record is None or record["to"] != wa_id:
            raise refuse(path, f"{wa_id} never received a message {message_id}")
        if record["status"] not in RECEIVED:
            raise refuse(path, f"message {message_id} was not delivered to {wa_id} ({record['status']})")
        return record

    def _fill(self, kind: str, action: dict[str, Any], message: Doc, replied: Doc | None, api: str) -> Doc | None:
        """The type's object, as the phone fills it; answers the business message it concerns, if another."""
        given: Any = action.get(kind)  # an object, or the list of a contacts message
        if kind in COPIED:
            message[kind] = given
        elif kind in REPLIES:
            if replied is None:
                raise Refusal(Reason.MISSING_PARAMETER, "$.context.id: a reply needs the id of the message replied to")
            message[kind] = (
                replies.interactive_reply(given, replied)
                if kind == "interactive"
                else replies.quick_reply(given, replied)
            )
        elif kind in MEDIA:
            message[kind] = self._media_object(kind, given, api)
        elif kind == "reaction":
            return self._react(message, action)
        elif kind == "order":
            message["order"], shop = commerce.order(given, replied, self._shelf(message["from"]))
            message["context"] = {"from": self._business, "id": shop["id"]}
            return shop
        elif kind == "unknown":
            message["errors"] = [Failure(Reason.UNSUPPORTED_INBOUND).as_doc()]
            if given:
                message["unknown"] = given
        return None

    def _react(self, message: Doc, action: dict[str, Any]) -> Doc:
        """A reaction (or its removal) on a message the user received; the message keeps the user's reaction."""
        if "context" in action:
            raise Refusal(Reason.UNEXPECTED_PARAMETER, "$.context: a reaction names its message in reaction.message_id")
        target = self.received(message["from"], action["reaction"]["message_id"], "$.reaction.message_id")
        message["reaction"] = replies.reaction(action["reaction"], target)
        target["reaction"] = message["reaction"].get("emoji")
        self._messages.save(target)
        return target

    def _shelf(self, wa_id: str) -> list[Doc]:
        """The business's messages that reached the user's phone, oldest first."""
        return [r for r in self._messages.list(to=wa_id) if r["status"] in RECEIVED]

    def _media_object(self, kind: str, given: dict[str, Any], api: str) -> Doc:
        if "id" in given:
            media = self._media.find(given["id"])
            if media is None:
                raise refuse(f"$.{kind}.id", f"no uploaded media {given['id']} (upload it, or leave out id)")
        else:  # the user's own file: a small sample the bot can download with GET /v1/media/{id}
            media = self._media.upload(*sample(kind), api=api)
        filled: Doc = {"id": media["id"], "mime_type": media["mime_type"], "sha256": media["sha256"]}
        filled.update({k: v for k, v in given.items() if k in ("caption", "filename")})
        if kind == "document" and "filename" not in filled:  # a shared file always has a name
            filled["filename"] = "document" + (mimetypes.guess_extension(media["mime_type"]) or "")
        return filled

    def _referral(self, given: dict[str, Any]) -> Doc:
        """The ad the user came from, with its source type and click id."""
        referral: Doc = {"source_type": "ad", **given}
        if referral["source_type"] == "ad":
            referral.setdefault("ctwa_clid", self._ids.ctwa_clid())
        return referral

    def _system(self, user: Doc, message: Doc, given: dict[str, Any]) -> Doc:
        """A number change (the user moves to the new number) or an identity change; answers the user as now."""
        name, old = user["name"], user["wa_id"]
        if given["type"] == "user_changed_number":
            new = given["new_wa_id"]
            self._users.move(old, new)
            message["system"] = {"type": given["type"], "body": f"{name} changed from {old} to {new}", "wa_id": new}
            return self._users.get_or_create(old)
        changed = self._users.change_identity(old)
        body = f"{name}'s security code changed"
        message["system"] = {"type": given["type"], "body": body, "identity": changed["identity_hash"]}
        return changed

    def _delete(self, user: Doc, message_id: str) -> Doc:
        """The user deletes a message they sent, for everyone."""
        record = self._store.get(self._tenant, INBOUND, message_id)
        if record is None or record["from"] != user["wa_id"]:
            raise refuse("$.delete.message_id", f"{user['wa_id']} sent no message {message_id}")
        if record["type"] in UNDELETABLE or record.get("deleted_at") is not None:
            what = "was deleted already" if record.get("deleted_at") is not None else f"is a {record['type']}"
            raise refuse("$.delete.message_id", f"message {message_id} {what}: there is nothing to delete")
        record["deleted_at"] = self._now()
        self._store.put(self._tenant, INBOUND, message_id, record)
        self._outbox.emit(Changed("inbound", record))
        self._outbox.emit(MessageDeleted(record, user, record["deleted_at"]))
        return record

    def _record(self, wa_id: str, message: Doc, api: str, *, renews: bool, entry_point: bool) -> Doc:
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
        if renews:  # a system notification is no message of the user's: it opens no window
            self._window.renew(wa_id, entry_point=entry_point)
        return record
