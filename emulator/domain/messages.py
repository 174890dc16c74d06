"""Outbound messages (a send through either API): the rules JSON Schema cannot say, and the record."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from emulator.domain.media import MediaService
from emulator.domain.message_rules import check_message
from emulator.domain.outbox import Changed, Outbox
from emulator.domain.reasons import Channel, Reason, Refusal
from emulator.domain.retention import Retention
from emulator.domain.templates import TemplateRegistry
from emulator.domain.users import UsersService
from emulator.ids import IdFactory
from emulator.phone import normalize
from emulator.store import Doc, Page, Store, pages

KIND = "messages"
INBOUND = "inbound"
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
# The types whose body can name a media: no other send is walked for one (most sends are text)
MAY_NAME_MEDIA = frozenset((*MEDIA_TYPES, "interactive", "template"))
_HYDRATED = frozenset(("template", "hsm"))
Chunk = list[Doc]  # an alias: inside the class ``list`` names the method
# Links are never fetched (CI has no internet); one to a host of the reserved .invalid domain (RFC 6761,
# it never resolves), such as https://media-download-fails.invalid/a.jpg, fails to download.
UNREACHABLE_DOMAIN = "invalid"
_PASS_THROUGH = (
    "Message {id} is not kept: with pass_through on, inbound messages are deleted once delivered and cannot "
    'be marked as read (PATCH /v1/settings/application {{"pass_through": false}})'
)
_TOO_OLD = "Message {id} was received {age:.1f} days ago: it can be marked as read for {days:g} days only"
_HOST = re.compile(r"://(?:[^/@\s]*@)?([^/?#:\s]+)")  # after the scheme (and a provider-name/ before it)


def by_id(record: Doc) -> str:
    """The store key of a record (inbound or outbound)."""
    return str(record["id"])


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
        before_record: Callable[[str, str, Channel], None] | None = None,
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
        message_type = body.get("type", "text")
        if message_type == "interactive":  # the only type with rules of its own (see ``check_message``)
            check_message(body)
        given = body.get("to") or body.get("recipient") or ""
        user = self._recipient(given, channel)
        wa_id = user["wa_id"]
        hydrated = self._hydrate(body, message_type, channel) if message_type in _HYDRATED else None
        if message_type in MAY_NAME_MEDIA and (named := media_objects(body)):
            self._check_media(named)  # (most interactive sends have no media header: no call)
        if self._before_record is not None:
            self._before_record(wa_id, message_type, channel)
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
        self.keep(record)
        self._outbox.emit(Changed("message", record))

    def keep(self, record: Doc) -> None:
        """Store a (new or updated) record; the caller tells the feed (the lifecycle's ``StatusesReached`` does)."""
        self._store.put(self._tenant, KIND, record["id"], record)

    def get(self, message_id: str) -> Doc:
        """One record; refused as not found if there is none."""
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
        """Records oldest first, filtered; ``to`` may be written in any phone format."""
        return [r for page in self.pages(to=to, type=type, status=status, after=after) for r in page]

    def pages(
        self,
        *,
        to: str | None = None,
        type: str | None = None,
        status: str | None = None,
        after: str | None = None,
    ) -> Iterator[Page]:
        """What ``list`` gives, a store page at a time (a page may be empty: nothing in it matched)."""
        wa_id = normalize(to) or to if to else None
        if after is not None and self.find(after) is None:
            # a cursor from before a reset would otherwise wait for nothing, forever
            raise Refusal(Reason.NOT_FOUND, f"after: no message {after} (was the emulator reset, or was it forgotten?)")
        for page in pages(self._store, self._tenant, KIND, by_id, after=after):
            yield [
                r
                for r in page
                if (wa_id is None or r["to"] == wa_id)
                and (type is None or r["type"] == type)
                and (status is None or r["status"] == status)
            ]

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

    def mark_read(self, message_id: str, channel: Channel, *, pass_through: bool = False) -> Doc:
        """The business read an inbound message; refused as not found if unknown, or no longer kept.

        The client keeps inbound messages for ``channel.read_within_s``, and not at all while
        ``pass_through`` is on where that setting applies (On-Premises: it deletes them once delivered).
        """
        inbound = self._store.get(self._tenant, INBOUND, message_id)
        if inbound is None:
            raise Refusal(Reason.NOT_FOUND, f"Message {message_id} not found")
        if pass_through and channel.pass_through_applies:
            raise Refusal(Reason.NOT_FOUND, _PASS_THROUGH.format(id=message_id))
        age = self._now() - float(inbound["created_at"])
        if channel.read_within_s is not None and age > channel.read_within_s:
            days = channel.read_within_s / 86400
            raise Refusal(Reason.NOT_FOUND, _TOO_OLD.format(id=message_id, age=age / 86400, days=days))
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

    def _hydrate(self, body: dict[str, Any], message_type: str, channel: Channel) -> dict[str, Any] | None:
        if message_type == "template":
            return self._templates.hydrate(body["template"], channel.template_kinds)
        if message_type == "hsm":
            return self._templates.hydrate_hsm(body["hsm"])
        return None

    def _check_media(self, named: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        """Each uploaded media a send names (``media_objects``) exists and is of the kind its place takes
        (any file is a document)."""
        for path, kind, given in named:
            if "id" not in given:
                continue
            media = self._media.find(given["id"])
            if media is None:
                raise Refusal(Reason.MEDIA_NOT_FOUND, f"{path}.id: media {given['id']} not found (upload it first)")
            if kind != "document" and media.get("kind") != kind:
                raise Refusal(
                    Reason.MEDIA_INVALID,
                    f"{path}.id: media {given['id']} is {media['mime_type']}, which is no {kind}",
                )


def media_objects(body: dict[str, Any]) -> Iterable[tuple[str, str, dict[str, Any]]]:
    """Every media object of a send (by ``id`` or ``link``): its JSON path, its kind and the object.

    A tuple where there is at most one (asked twice a send: no generator to start), a generator over a template.
    """
    message_type = body.get("type", "text")
    if message_type in MEDIA_TYPES:
        return ((f"$.{message_type}", message_type, body[message_type]),)
    if message_type == "interactive":
        header = body["interactive"].get("header") or {}
        kind = header.get("type")
        if kind in MEDIA_TYPES and isinstance(header.get(kind), dict):
            return ((f"$.interactive.header.{kind}", kind, header[kind]),)
    elif message_type == "template":
        return _template_media(body["template"])
    return ()


def _template_media(template: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """The media parameters of a template's components (``media_objects``)."""
    for c, component in enumerate(template.get("components") or []):
        for p, param in enumerate(component.get("parameters") or []):
            kind = param.get("type")
            if kind in MEDIA_TYPES and isinstance(param.get(kind), dict):
                yield f"$.template.components[{c}].parameters[{p}].{kind}", kind, param[kind]


def undownloadable_link(body: dict[str, Any]) -> tuple[str, str] | None:
    """The first media link of a send that cannot be downloaded (a host in .invalid), with its path; or None.

    Only a send of a type in ``MAY_NAME_MEDIA`` can have one: the lifecycle asks no other.
    """
    for path, _, given in media_objects(body):
        found = _HOST.search(str(given.get("link") or ""))
        if found and found.group(1).lower().rstrip(".").rsplit(".", 1)[-1] == UNREACHABLE_DOMAIN:
            return f"{path}.link", str(given["link"])
    return None
