"""The one source of ids, tokens and Faker profiles; seeded so that the same seed gives the same ids."""

from __future__ import annotations

import base64
import binascii
import hashlib
import random
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from faker import Faker

ONPREM = "onprem"
_URLSAFE = bytes.maketrans(b"+/", b"-_")
CLOUD = "cloud"

# Faker locale by country calling code, so a Brazilian number gets a Brazilian name.
_LOCALES = {
    "1": "en_US",
    "44": "en_GB",
    "49": "de_DE",
    "33": "fr_FR",
    "34": "es_ES",
    "39": "it_IT",
    "55": "pt_BR",
    "52": "es_MX",
    "91": "en_IN",
    "62": "id_ID",
    "27": "en_GB",
    "31": "nl_NL",
    "7": "ru_RU",
    "81": "ja_JP",
    "82": "ko_KR",
    "86": "zh_CN",
    "90": "tr_TR",
    "48": "pl_PL",
    "351": "pt_PT",
    "54": "es_AR",
    "57": "es_CO",
    "234": "en_US",
    "254": "en_US",
    "250": "fr_FR",
}


class IdFactory:
    """Seeded streams of message, media and conversation ids.

    ``generation`` separates runs that share a persistent store: a restarted SQLite-backed
    emulator continues with fresh ids instead of repeating the ones it already handed out.
    ``tenant`` is mixed into the seed (all but the default tenant), so two tenants of one emulator
    never hand out the same ids, and each tenant's ids depend only on the seed and its name.
    """

    def __init__(self, seed: int, generation: int = 0, tenant: str = "") -> None:
        self.seed = seed
        self.generation = generation
        self.tenant = tenant
        self._fakers: dict[str, Faker] = {}
        self.restart()

    def restart(self) -> None:
        """Start every stream again from the seed (``reset`` does this, for repeatable tests)."""
        mixed = f":{self.tenant}" if self.tenant not in ("", "default") else ""
        self._rng = random.Random(f"wa-emulator:{self.seed}:{self.generation}{mixed}")

    def _chars(self, n: int) -> str:
        size = n * 6 // 8 + 1  # base64 carries 6 bits a character
        raw = self._rng.getrandbits(size * 8).to_bytes(size, "big")
        # urlsafe_b64encode, without its two Python-level calls (the same characters)
        return binascii.b2a_base64(raw, newline=False).translate(_URLSAFE)[:n].decode()

    def message_id(self, api: str = ONPREM, wa_id: str = "") -> str:
        """An outbound message id in the shape of ``api``: On-Premises ``gBEGkYiEB1VXAglK1ZEqA1YKPrU``,
        Cloud ``wamid.HBgL…`` (base64 of the recipient and an 18-digit hex id, as Meta's decode)."""
        if api == CLOUD:
            return self._wamid(wa_id, b"%018X" % self._rng.getrandbits(72))
        return "gBEG" + self._chars(23)

    def inbound_message_id(self, api: str = ONPREM, wa_id: str = "") -> str:
        """An inbound message id in the shape of ``api``: ``ABGGFlA5FpafAgo6tHcNmNjXmuSf``, or a wamid
        whose hex id has 20 digits and starts with ``3A`` (as Meta's inbound ones do)."""
        if api == CLOUD:
            return self._wamid(wa_id, b"3A%018X" % self._rng.getrandbits(72))
        return "ABGG" + self._chars(24)

    def media_id(self, api: str = ONPREM) -> str:
        """A media id: a UUID on On-Premises, 16 digits on Cloud."""
        if api == CLOUD:
            return str(10**15 + self._rng.getrandbits(52) % (9 * 10**15))
        h = f"{self._rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"

    @staticmethod
    def _wamid(wa_id: str, hex_id: bytes) -> str:
        number = wa_id.encode()[:64]
        # one bytes formatting and b2a_base64 (what b64encode calls): half the time of concatenating, every send
        body = b"\x1c\x18%c%s\x15\x02\x00\x11\x18%c%s\x00" % (len(number), number, len(hex_id), hex_id)
        return "wamid." + binascii.b2a_base64(body, newline=False).decode()

    @staticmethod
    def user_id(wa_id: str) -> str:
        """A business-scoped user id (BSUID) for a number: its country's ISO code, a dot, 20 digits."""
        digits = int(hashlib.sha256(f"bsuid:{wa_id}".encode()).hexdigest(), 16) % 10**20
        return f"{_country_for(wa_id)}.{digits:020d}"

    def ctwa_clid(self) -> str:
        """A click-to-WhatsApp click id, as a referral carries it: ``AR`` and base64url characters."""
        return "AR" + self._chars(62)

    def identity_hash(self) -> str:
        """A user's identity key hash after a reinstall: base64 of 8 bytes (``Sjvjlx8G6Z0=``)."""
        return base64.b64encode(self._rng.getrandbits(64).to_bytes(8, "big")).decode()

    def conversation_id(self) -> str:
        """A conversation id: 32 hex digits."""
        return f"{self._rng.getrandbits(128):032x}"

    def profile_name(self, wa_id: str) -> str:
        """A Faker name for ``wa_id``: the same for the same seed and number, whatever the order of use."""
        faker = self._faker(_locale_for(wa_id))
        faker.seed_instance(f"{self.seed}:{wa_id}")
        return str(faker.name())

    def _faker(self, locale: str) -> Faker:
        if locale not in self._fakers:
            from faker import Faker  # imported on first use: keeps start-up fast

            self._fakers[locale] = Faker(locale)
        return self._fakers[locale]


def is_user_id(recipient: str) -> bool:
    """Whether a send's recipient is a business-scoped user id (``US.1349…``): phone numbers have no dot."""
    return "." in recipient


def seeded_stream(seed: int, *parts: str) -> random.Random:
    """A random stream of its own for ``parts`` (a fault rule's draws): the same seed, the same draws."""
    return random.Random(":".join(("wa-emulator", str(seed), *parts)))


def derived_digits(text: str, digits: int) -> str:
    """``digits`` decimal digits that depend only on ``text`` (a tenant's phone_number_id, its number)."""
    value = int(hashlib.sha256(text.encode()).hexdigest(), 16) % 10**digits
    return f"{value:0{digits}d}"


def new_token() -> str:
    """A login token that looks like the real client's JWT; random, never derived from the seed."""

    def part(payload: bytes) -> str:
        return base64.urlsafe_b64encode(payload).rstrip(b"=").decode()

    return ".".join(
        (part(b'{"alg":"HS256","typ":"JWT"}'), part(secrets.token_bytes(48)), part(secrets.token_bytes(32)))
    )


def _country_for(wa_id: str) -> str:
    """ISO 3166 alpha-2 code of a number's country, from its Faker locale (US when unknown)."""
    locale = _locale_for(wa_id)
    return "ZA" if wa_id.startswith("27") else locale.split("_")[1]


def _locale_for(wa_id: str) -> str:
    for length in (3, 2, 1):
        locale = _LOCALES.get(wa_id[:length])
        if locale:
            return locale
    return "en_US"
