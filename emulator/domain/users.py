"""Simulated WhatsApp users: fixtures, users created on first use, and reserved magic numbers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from emulator.bounded import keep
from emulator.domain.reasons import Reason, Refusal
from emulator.ids import IdFactory
from emulator.store import Doc, Page, Store, pages

KIND = "users"
KNOWN = 10_000  # users kept decoded (all forgotten at once when full)


@dataclass(frozen=True)
class MagicRange:
    """A reserved range of numbers that behaves the same every time, with no set-up."""

    prefix: str
    behaviour: str
    traits: dict[str, Any]


# Like Twilio's test numbers: US fictional 555 numbers whose seventh digit picks a behaviour.
MAGIC_RANGES = (
    MagicRange(
        "1555010", "has no WhatsApp: contacts check says invalid, sends are refused as no user", {"status": "invalid"}
    ),
    MagicRange(
        "1555020", "receiver incapable: sends are accepted, then fail as receiver incapable", {"incapable": True}
    ),
    MagicRange("1555030", "read receipts off: statuses stop at delivered", {"read_receipts": False}),
    MagicRange("1555040", "phone offline: messages are never delivered, statuses stop at sent", {"online": False}),
)

DEFAULTS: dict[str, Any] = {
    "status": "valid",
    "incapable": False,
    "read_receipts": True,
    "online": True,
    "unsupported_types": [],
    "delivery_delay_s": 0,
    "read_delay_s": 0,
}


def magic_traits(wa_id: str) -> dict[str, Any]:
    """The traits a reserved number always has (empty for ordinary numbers)."""
    for magic in MAGIC_RANGES:
        if wa_id.startswith(magic.prefix) and len(wa_id) == len(magic.prefix) + 4:
            return dict(magic.traits)
    return {}


def usual_traits(wa_id: str) -> dict[str, Any]:
    """The traits a user with this number has with no set-up: the defaults and any magic ones."""
    return {**DEFAULTS, **magic_traits(wa_id)}


class UsersService:
    """The tenant's simulated users, kept in the store by wa_id."""

    def __init__(self, store: Store, tenant: str, ids: IdFactory, fixtures: list[Doc]) -> None:
        self._store = store
        self._tenant = tenant
        self._ids = ids
        self._fixtures = fixtures
        # Every send reads its recipient: users read or saved are kept (all writes go through _save).
        self._known: dict[str, Doc] = {}
        # A BSUID is a hash of the number (IdFactory.user_id): the numbers hashed so far, by BSUID.
        self._bsuids: dict[str, str] = {}
        self._hashed: set[str] = set()

    def load_fixtures(self) -> None:
        """Put the fixture users back in their fixture state (others are forgotten)."""
        self._store.clear(self._tenant, [KIND])
        self._known.clear()
        self._bsuids.clear()
        self._hashed.clear()
        for fixture in self._fixtures:
            self._save(self._new(fixture["wa_id"], {**fixture, "source": "fixture"}))

    def list(self) -> list[Doc]:
        """Every known user, in order of first appearance."""
        return self._store.items(self._tenant, KIND)

    def pages(self, *, after: str | None = None) -> Iterator[Page]:
        """The users ``list`` gives (those after the wa_id ``after``), a store page at a time."""
        return pages(self._store, self._tenant, KIND, lambda user: str(user["wa_id"]), after=after)

    def find(self, wa_id: str) -> Doc | None:
        """A user already known, or None."""
        user = self._known.get(wa_id)
        if user is None:
            user = self._store.get(self._tenant, KIND, wa_id)
            if user is not None:
                self._remember(user)
        return user

    def by_user_id(self, user_id: str) -> Doc | None:
        """The known user whose business-scoped user id (BSUID) this is, or None.

        Sends may name every user by BSUID: the users' numbers are hashed once each, not at every send.
        """
        wa_id = self._bsuids.get(user_id)
        if wa_id is None:
            for user in self.list():  # users not hashed yet (new since, or never asked about)
                number = user["wa_id"]
                if number not in self._hashed:
                    self._hashed.add(number)
                    self._bsuids[self._ids.user_id(number)] = number
            wa_id = self._bsuids.get(user_id)
        return None if wa_id is None else self.find(wa_id)

    def user_id(self, wa_id: str) -> str:
        """The user's business-scoped user id: stable for the number, whatever the seed."""
        return self._ids.user_id(wa_id)

    def peek(self, wa_id: str) -> Doc:
        """The user as it is, or as it would be created, without creating it (for read-only views)."""
        return self.find(wa_id) or self._new(wa_id, {"source": "auto"})

    def get_or_create(self, wa_id: str) -> Doc:
        """The user with this wa_id, created with a Faker profile (and magic traits) on first use."""
        user = self._known.get(wa_id) or self.find(wa_id)  # a kept user without a call: every send asks
        if user is None:
            user = self._new(wa_id, {"source": "auto"})
            self._save(user)
        return user

    def upsert(self, wa_id: str, changes: dict[str, Any]) -> Doc:
        """Create or update a user from the control API."""
        user = self.find(wa_id) or self._new(wa_id, {"source": "control"})
        user.update(changes)
        self._save(user)
        return user

    def move(self, old: str, new: str) -> Doc:
        """The user changes number: the new one takes the profile and traits, the old one has no WhatsApp now."""
        if new == old:
            raise Refusal(Reason.INVALID_PARAMETER, f"$.system.new_wa_id: {new} is already the user's number")
        taken = self.find(new)
        if taken is not None and taken["status"] == "valid":
            raise Refusal(Reason.INVALID_PARAMETER, f"$.system.new_wa_id: {new} is already another WhatsApp user's")
        user = self.get_or_create(old)
        moved: Doc = {k: v for k, v in user.items() if k != "moved_to"}
        moved.update(wa_id=new, moved_from=old)
        self._save(moved)
        user.update(status="invalid", moved_to=new)
        self._save(user)
        return moved

    def change_identity(self, wa_id: str) -> Doc:
        """The user reinstalled WhatsApp (or changed phone): a new identity key hash."""
        user = self.get_or_create(wa_id)
        user["identity_hash"] = self._ids.identity_hash()
        self._save(user)
        return user

    def _new(self, wa_id: str, fields: dict[str, Any]) -> Doc:
        user: Doc = {"wa_id": wa_id, **usual_traits(wa_id)}
        user.update({k: v for k, v in fields.items() if k != "wa_id"})
        if not user.get("name"):  # not setdefault: Faker is slow to load and fixtures have names
            user["name"] = self._ids.profile_name(wa_id)
        return user

    def _save(self, user: Doc) -> None:
        self._store.put(self._tenant, KIND, user["wa_id"], user)
        self._remember(user)

    def _remember(self, user: Doc) -> None:
        keep(self._known, user["wa_id"], user, KNOWN)
