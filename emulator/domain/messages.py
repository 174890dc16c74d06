"""Outbound messages (a send through either API): the rules JSON Schema cannot say, and the record."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from emulator.domain.media import MediaService
from emulator.domain.message_rules import check_message
from emulator.domain.outbox import Changed, Outbox
from emulator.domain.phone import normalize
from emulator.domain.reasons import Channel, Reason, Refusal
from emulator.domain.retention import Retention
from emulator.domain.templates import TemplateRegistry
from emulator.domain.users import UsersService
from emulator.ids import IdFactory
from emulator.store import Doc, Store

KIND = "messages"
INBOUND = "inbound"
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
Chunk = list[Doc]  # an alias: inside the class ``list`` names the method


class MessagesService:
    """Accepts sends that pass every rule, records them, and lets them be inspected."""

    def __init__(
        self,
        store: Store,
        tenant: str,
        *,
        ids: IdFactory,
        users: UsersService,
        media: MediaService,
        templates: TemplateRegistry,
        outbox: Outbox,
        now: Callable[[], float],
        next_seq: Callable[[], int],
        business_wa_id: str,
        before_record: Callable[[str, str], None] | None = None,
        max_messages: int = 100_000,
    ) -> None:
        self._store = store
        self._tenant = tenant
        self._ids = ids
        self._users = users
        self._media = media
        self._templates = templates
        self._outbox = outbox
        self._now = now
        self._next_seq = next_seq
        self._business = business_wa_id
        self._before_record = before_record  # a last check with the recipient and type known
        self.retention = Retention(store, tenant, max_messages, (KIND, INBOUND))

    def send(self, body: dict[str, Any], channel: Channel) -> tuple[Doc, Doc]:
        """Check a schema-valid send against the rules and make its record (status ``accepted``).

        Answers the record and the recipient (read once, handed on to the status lifecycle, which
        saves the record with its first status: one write per send). A recipient who is no
        WhatsApp user is refused here unless ``channel`` reports that later.
        """
        check_message(body)
        given = body.get("to") or body.get("recipient") or ""
        user = self._recipient(given, channel)
        wa_id = user["wa_id"]
        message_type = body.get("type", "text")
        hydrated = self._hydrate(body, message_type)
        self._check_media(body)
        if self._before_record is not None:
            self._before_record(wa_id, message_type)
        record: Doc = {
            "id": self._ids.message_id(channel.name, wa_id),
            "api": channel.name,
            "direction": "outbound",
            "to": wa_id,
            "input": given,
            "type": message_type,
            "payload": body,
            "status": "accepted",
            "statuses": [],
            "errors": [],
            "created_at": self._now(),
            "seq": self._next_seq(),
        }
        if channel.version:
            record["api_version"] = channel.version
        if hydrated is not None:
            record["hydrated"] = hydrated
        self.retention.admit(KIND, wa_id, record["id"], record["seq"])
        return record, user

    def save(self, record: Doc) -> None:
        """Store a (new or updated) record and tell the feed."""
        self._store.put(self._tenant, KIND, record["id"], record)
        self._outbox.emit(Changed("message", record))

    def get(self, message_id: str) -> Doc:
        """One record; 404/1006 if there is none."""
        record = self._store.get(self._tenant, KIND, message_id)
        if record is None:
            raise Refusal(Reason.NOT_FOUND, f"Message {message_id} not found")
        return record

    def find(self, message_id: str) -> Doc | None:
        """One record, or None."""
        return self._store.get(self._tenant, KIND, message_id)

    def exists(self, message_id: str, kind: str = KIND) -> bool:
        """Whether a record (or, with ``kind``, an inbound record) is kept."""
        return self._store.get(self._tenant, kind, message_id) is not None

    def list(
        self,
        *,
        to: str | None = None,
        type: str | None = None,
        status: str | None = None,
        after: str | None = None,
    ) -> list[Doc]:
        """Records oldest first, filtered; ``to`` may be written in any phone format (every one: see ``chunks``)."""
        self.check_cursor(after)
        keep = matcher(to=to, type=type, status=status)
        return [r for chunk in self.retention.chunks(KIND, after) for r in chunk if keep(r)]

    def check_cursor(self, after: str | None, kind: str = KIND) -> None:
        """Refuse (404) an ``after`` cursor naming no kept message (of ``kind``)."""
        if after is not None and not self.exists(after, kind):
            # a cursor from before a reset would otherwise wait for nothing, forever
            raise Refusal(Reason.NOT_FOUND, f"after: no message {after} (was the emulator reset, or was it forgotten?)")

    def chunks(self, after: str | None = None, kind: str = KIND) -> Iterator[Chunk]:
        """Records (or, with ``kind``, inbound records) after ``after``, oldest first, a few hundred at a time."""
        return self.retention.chunks(kind, after)

    def record_inbound(self, record: Doc) -> None:
        """Keep a new inbound record (a simulated user's message) and tell the feed."""
        self.retention.admit(INBOUND, record["from"], record["id"], record["seq"])
        self._store.put(self._tenant, INBOUND, record["id"], record)
        self._outbox.emit(Changed("inbound", record))

    def latest_with(self, wa_id: str) -> Doc | None:
        """The newest kept message to or from ``wa_id`` (either direction), or None (see ``Retention.latest``)."""
        found = self.retention.latest.get(wa_id)
        return None if found is None else self._store.get(self._tenant, found[1], found[2])

    def mark_read(self, message_id: str) -> Doc:
        """``PUT /v1/messages/{id}``: the business read an inbound message; 404/1006 if unknown."""
        inbound = self._store.get(self._tenant, INBOUND, message_id)
        if inbound is None:
            raise Refusal(Reason.NOT_FOUND, f"Message {message_id} not found")
        if inbound.get("read_at") is None:
            inbound["read_at"] = self._now()
            self._store.put(self._tenant, INBOUND, message_id, inbound)
            self._outbox.emit(Changed("inbound", inbound))
        return inbound

    def _recipient(self, given: str, channel: Channel) -> Doc:
        user = self._users.by_user_id(given) if "." in given else None
        wa_id = user["wa_id"] if user is not None else normalize(given)
        if wa_id is None:
            raise Refusal(Reason.USER_NOT_VALID, f"$.to: {given!r} is not a phone number or a known user id")
        if wa_id == self._business:
            raise Refusal(Reason.SELF_RECIPIENT, "$.to: the sender and the recipient are the same number")
        user = user or self._users.get_or_create(wa_id)
        if user["status"] != "valid" and not channel.defers(Reason.USER_NOT_VALID):
            raise Refusal(Reason.USER_NOT_VALID, f"$.to: {given} is not a valid WhatsApp user")
        return user

    def _hydrate(self, body: dict[str, Any], message_type: str) -> dict[str, Any] | None:
        if message_type == "template":
            return self._templates.hydrate(body["template"])
        if message_type == "hsm":
            return self._templates.hydrate_hsm(body["hsm"])
        return None

    def _check_media(self, body: dict[str, Any]) -> None:
        for path, media_id in _media_ids(body):
            if self._media.find(media_id) is None:
                raise Refusal(Reason.MEDIA_NOT_FOUND, f"{path}.id: media {media_id} not found (upload it first)")


def _media_ids(body: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every uploaded-media id a send names, with its JSON path."""
    message_type = body.get("type", "text")
    if message_type in MEDIA_TYPES and "id" in body[message_type]:
        yield f"$.{message_type}", body[message_type]["id"]
    elif message_type == "interactive":
        header = body["interactive"].get("header") or {}
        kind = header.get("type")
        if kind in MEDIA_TYPES and "id" in header.get(kind, {}):
            yield f"$.interactive.header.{kind}", header[kind]["id"]
    elif message_type == "template":
        for c, component in enumerate(body["template"].get("components") or []):
            for p, param in enumerate(component.get("parameters") or []):
                kind = param.get("type")
                if kind in MEDIA_TYPES and "id" in param.get(kind, {}):
                    yield f"$.template.components[{c}].parameters[{p}].{kind}", param[kind]["id"]


def matcher(*, to: str | None = None, type: str | None = None, status: str | None = None) -> Callable[[Doc], bool]:
    """The filter of ``GET /_emulator/messages``: ``to`` may be written in any phone format."""
    wa_id = normalize(to) or to if to else None

    def keep(record: Doc) -> bool:
        return (
            (wa_id is None or record["to"] == wa_id)
            and (type is None or record["type"] == type)
            and (status is None or record["status"] == status)
        )

    return keep
