"""What the ``wa_emulator`` pytest fixture hands a test: simulated users, the clock, scripts.

Everything goes through the control API, so it works the same against the emulator the plugin
starts in a thread and against one running elsewhere. A failed expectation raises AssertionError
saying what was expected and what the bot sent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from emulator.replay.answers import answer
from emulator.replay.expect import summary
from emulator.replay.runner import KEEP_ON_RESET, Runner, StepFailed
from emulator.replay.script import load_script
from emulator.replay.session import ControlError, Session
from emulator.settings import Settings
from emulator.tenancy import DEFAULT_TENANT, tenant_prefix
from emulator.transcripts.records import REPLY_KINDS, Record, button_ids, failed_code, row_ids, template_view, text_of

DEFAULT_TIMEOUT_S = 5.0


class BotMessage:
    """A message the bot sent, as the emulator recorded it (``record`` is the whole record)."""

    def __init__(self, record: Record) -> None:
        self.record = record

    @property
    def id(self) -> str:
        """The message id (``wamid.…`` when sent through the Cloud API, ``gBEG…`` through ``/v1``)."""
        return str(self.record["id"])

    @property
    def type(self) -> str:
        """``text``, ``interactive``, ``template``, ..."""
        return str(self.record["type"])

    @property
    def text(self) -> str | None:
        """What the user reads: a text's body, an interactive body, a template's hydrated body."""
        return text_of(self.record)

    @property
    def buttons(self) -> list[str] | None:
        """Reply button ids (None if the message has none)."""
        return button_ids(self.record)

    @property
    def rows(self) -> list[str] | None:
        """List row ids across sections (None if the message is no list)."""
        return row_ids(self.record)

    @property
    def template(self) -> str | None:
        """The template's name (None if the message is no template)."""
        name = template_view(self.record).get("name")
        return str(name) if name is not None else None

    @property
    def payload(self) -> dict[str, Any]:
        """The send body (``/v1/messages`` or the Cloud API's ``/messages``) as the bot sent it."""
        payload: dict[str, Any] = self.record.get("payload") or {}
        return payload

    @property
    def failed(self) -> int | None:
        """The error code of a failed status (470, 1026, ...; Cloud: 131047, 131026, ...), or None."""
        return failed_code(self.record)

    def __repr__(self) -> str:
        return f"<BotMessage {self.id}: {summary(self.record)}>"


MessageRef = BotMessage | Record | str | None


class SimulatedUser:
    """One WhatsApp user of the emulator, acting and watching what the bot sends."""

    def __init__(self, emulator: WaEmulator, wa_id: str) -> None:
        self.emulator = emulator
        self.wa_id = wa_id

    def send(self, message: dict[str, Any]) -> Record:
        """Send a message in WhatsApp's inbound vocabulary; the inbound message as the bot gets it."""
        __tracebackhide__ = True
        try:
            return self.emulator.session.send(self.wa_id, message)
        except ControlError as exc:
            raise AssertionError(f"{self.wa_id} could not send {message.get('type')}: {exc.details}") from None

    def send_text(self, body: str) -> Record:
        """Send a text message."""
        __tracebackhide__ = True
        return self.send({"type": "text", "text": {"body": body}})

    def share_location(self, latitude: float, longitude: float, **more: str) -> Record:
        """Share a location (``name``, ``address``, ``url`` may be given too)."""
        __tracebackhide__ = True
        return self.send({"type": "location", "location": {"latitude": latitude, "longitude": longitude, **more}})

    def tap(self, message: MessageRef, button: str) -> Record:
        """Tap the reply button with this id (or title) of ``message`` (None: the latest with buttons)."""
        __tracebackhide__ = True
        return self._reply("tap", message, button)

    def select(self, message: MessageRef, row: str) -> Record:
        """Pick the list row with this id (or title) of ``message`` (None: the latest list)."""
        __tracebackhide__ = True
        return self._reply("select", message, row)

    def quick_reply(self, message: MessageRef, choice: str) -> Record:
        """Tap the template quick reply with this payload (or text) of ``message`` (None: the latest)."""
        __tracebackhide__ = True
        return self._reply("quick_reply", message, choice)

    def react(self, message: MessageRef, emoji: str) -> Record:
        """React to ``message`` (None: the bot's latest) with an emoji; ``""`` removes the reaction."""
        __tracebackhide__ = True
        return self._reply("react", message, emoji)

    def order(
        self, items: list[dict[str, Any]], *, message: MessageRef = None, text: str = "", catalog_id: str = ""
    ) -> Record:
        """Order ``items`` (``product_retailer_id``, ``quantity``, ``item_price``, ``currency``) from
        ``message`` (None: the latest product, product list or catalog message)."""
        __tracebackhide__ = True
        order: dict[str, Any] = {"product_items": items}
        order.update({k: v for k, v in (("text", text), ("catalog_id", catalog_id)) if v})
        return self._reply("order", message, order)

    def ask_about(self, product: str, text: str, *, message: MessageRef = None) -> Record:
        """Ask about a product (its retailer id) of ``message`` (None: the latest message with products)."""
        __tracebackhide__ = True
        return self._reply("enquire", message, {"product": product, "text": text})

    def complete_flow(self, message: MessageRef, answers: dict[str, Any]) -> Record:
        """Complete the flow of ``message`` (None: the latest flow) with ``answers``; the flow_token is filled in."""
        __tracebackhide__ = True
        return self._reply("complete_flow", message, answers)

    def arrive_from_ad(self, text: str, source_url: str, source_id: str, **referral: Any) -> Record:
        """Send ``text`` from a click-to-WhatsApp ad (``headline``, ``body``, ``media_type``, ... may be given)."""
        __tracebackhide__ = True
        ad = {"source_url": source_url, "source_id": source_id, **referral}
        return self.send({"type": "text", "text": {"body": text}, "referral": ad})

    def change_number(self, new_wa_id: str) -> SimulatedUser:
        """The user changes number (the bot gets the system message); the same user at the new number."""
        __tracebackhide__ = True
        self.send({"type": "system", "system": {"type": "user_changed_number", "new_wa_id": new_wa_id}})
        return SimulatedUser(self.emulator, new_wa_id)

    def delete(self, message: Record | str) -> Record:
        """Delete, for everyone, a message the user sent (as ``send`` answered it, or its id)."""
        __tracebackhide__ = True
        message_id = message if isinstance(message, str) else message["id"]
        return self.send({"type": "delete", "delete": {"message_id": message_id}})

    def expect(self, type: str | None = None, *, timeout: float = DEFAULT_TIMEOUT_S, **fields: Any) -> BotMessage:
        """The bot's next message to this user, checked; AssertionError with the differences if not.

        ``fields`` are those of a script's ``expect``: ``text``, ``buttons``, ``rows``, ``template``
        (``{"name", "language", "parameters"}``), ``payload`` (partial deep match), ``status``,
        ``failed`` (an error code); strings starting with ``re:`` are regular expressions.
        """
        __tracebackhide__ = True
        wanted = {"type": type, **fields} if type is not None else dict(fields)
        unknown = set(wanted) - {"type", "text", "buttons", "rows", "template", "payload", "status", "failed"}
        if unknown:
            raise TypeError(f"expect() got unknown fields: {', '.join(sorted(unknown))}")
        try:
            record = Runner(self.emulator.session).expect(self.wa_id, wanted, timeout)
        except StepFailed as exc:
            raise AssertionError(f"{self.wa_id}: {exc}") from None
        return BotMessage(record)

    def messages(self) -> list[BotMessage]:
        """Every message the bot sent this user so far, oldest first (nothing is awaited or taken)."""
        found = self.emulator.session.call("GET", "/_emulator/messages", params={"to": self.wa_id})
        return [BotMessage(r) for r in found["messages"]]

    def update(self, **traits: Any) -> Record:
        """``PUT /_emulator/users/{wa_id}``: ``name``, ``incapable``, ``unsupported_types``, ..."""
        return self.emulator.session.put_user(self.wa_id, traits)

    def _reply(self, kind: str, message: MessageRef, choice: Any) -> Record:
        __tracebackhide__ = True
        if message is None:
            target = self.emulator.session.reply_target(self.wa_id, kind, DEFAULT_TIMEOUT_S)
            if target is None:
                raise AssertionError(f"{self.wa_id}: the bot sent no message with {REPLY_KINDS[kind][0]} to answer")
        elif isinstance(message, str):
            target = self.emulator.session.call("GET", f"/_emulator/messages/{message}")
        else:
            target = message.record if isinstance(message, BotMessage) else message
        return self.send(answer(kind, choice, target))


class Clock:
    """The emulator's clock: moving it takes no real time."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def advance(self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> float:
        """Move the clock forward; the new emulator time (Unix seconds)."""
        total = days * 86400 + hours * 3600 + minutes * 60 + seconds
        if total <= 0:
            raise ValueError("advance the clock by a positive amount")
        return self._session.advance_clock(total)

    def now(self) -> float:
        """The emulator's time (Unix seconds)."""
        now: float = self._session.call("GET", "/_emulator/clock")["now"]
        return now


@dataclass(frozen=True)
class CloudAccount:
    """What a Cloud API bot needs to talk to the emulator: point its Graph base URL at ``base_url``."""

    base_url: str  # stands for https://graph.facebook.com (paths: /{version}/{phone_number_id}/...)
    phone_number_id: str
    waba_id: str
    access_token: str  # Authorization: Bearer ...
    app_secret: str  # the emulator signs every Cloud webhook with it (X-Hub-Signature-256)
    verify_token: str  # hub.verify_token of the emulator's callback verification handshake

    @property
    def messages_url(self) -> str:
        """``POST`` sends here (``{base_url}/v22.0/{phone_number_id}/messages``; any version works)."""
        return f"{self.base_url}/v22.0/{self.phone_number_id}/messages"


class WaEmulator:
    """The ``wa_emulator`` fixture: one tenant of an emulator, reset before each test.

    ``url`` is the tenant's base URL: the bot's On-Premises API base (``url + "/v1/..."``) and its
    Cloud API base (``url + "/v22.0/{phone_number_id}/..."``) alike; ``root`` is the emulator's.
    """

    def __init__(
        self, url: str, *, token: str | None = None, tenant: str = DEFAULT_TENANT, webhook_url: str = ""
    ) -> None:
        self.root = url.rstrip("/")
        self.tenant = tenant
        self.url = self.root + tenant_prefix(tenant)
        self.session = Session(self.url, token=token)
        self.clock = Clock(self.session)
        self._info: dict[str, Any] | None = None
        if tenant != DEFAULT_TENANT:  # made now, with the bot's webhook if one is configured
            options = {"name": tenant, **({"webhook_url": webhook_url} if webhook_url else {})}
            self.session.call("POST", f"{self.root}/_emulator/tenants", json=options)

    def close(self) -> None:
        """Close the HTTP client."""
        self.session.close()

    @cached_property
    def cloud(self) -> CloudAccount:
        """The Cloud API account: base URL, phone number id, access token, app secret, verify token."""
        cloud = self.session.call("GET", "/_emulator/config")["cloud"]
        fields = ("phone_number_id", "waba_id", "access_token", "app_secret", "verify_token")
        return CloudAccount(self.url, **{f: str(cloud[f]) for f in fields})

    @property
    def info(self) -> dict[str, Any]:
        """The tenant as ``GET /_emulator/tenants/{tenant}`` shows it (ids, URLs, webhook)."""
        if self._info is None:
            found: dict[str, Any] = self.session.call("GET", f"{self.root}/_emulator/tenants/{self.tenant}")["tenant"]
            self._info = found
        return self._info

    @property
    def onprem_url(self) -> str:
        """The On-Premises API base URL of this tenant (``/v1/...`` goes below it)."""
        return self.url

    @property
    def cloud_url(self) -> str:
        """The Cloud API base URL of this tenant (Graph's ``/v22.0/{phone_number_id}/...`` goes below it)."""
        return self.url

    @property
    def phone_number_id(self) -> str:
        """This tenant's Cloud phone_number_id."""
        return str(self.info["phone_number_id"])

    @property
    def waba_id(self) -> str:
        """This tenant's WhatsApp Business Account id."""
        return str(self.info["waba_id"])

    @property
    def credentials(self) -> dict[str, str]:
        """What a bot logs in with: the admin account (/v1), the Cloud access token, app secret and verify token.

        Read from the ``WA_EMULATOR_*`` variables the emulator is configured with (its defaults otherwise).
        """
        settings = Settings.from_mapping(os.environ)
        return {
            "username": "admin",
            "password": settings.admin_password,
            "access_token": settings.access_token.split(",")[0],
            "app_secret": settings.app_secret,
            "verify_token": settings.verify_token,
        }

    def fault(self, action: dict[str, Any], match: dict[str, Any] | None = None, **how: Any) -> dict[str, Any]:
        """Add a fault rule (``POST /_emulator/faults``): ``fault({"error": 1011}, {"path": "/v1/*"}, times=1)``."""
        body = {"action": action, **({"match": match} if match else {}), **how}
        rule: dict[str, Any] = self.session.call("POST", "/_emulator/faults", json=body)["fault"]
        return rule

    def faults(self) -> list[dict[str, Any]]:
        """This tenant's fault rules with their counts (``matched``, ``hits``, ``active``)."""
        rules: list[dict[str, Any]] = self.session.call("GET", "/_emulator/faults")["faults"]
        return rules

    def user(self, wa_id: str = "15550001111") -> SimulatedUser:
        """A simulated user (``15550001111`` is the fixture user Alice Martin)."""
        return SimulatedUser(self, wa_id)

    def reset(self, *, keep: tuple[str, ...] = KEEP_ON_RESET) -> None:
        """Back to the fixture state (tokens, settings and, by default, templates are kept)."""
        self.session.reset(keep=keep)

    def drain(self, timeout: float = 5.0, *, lenient: bool = False) -> None:
        """Wait until due statuses ran and every webhook reached the bot; AssertionError saying why not.

        ``lenient=True`` only waits for the delivery queue to go quiet (deliveries may still be
        waiting for a webhook URL or failing).
        """
        __tracebackhide__ = True
        try:
            self.session.drain(timeout, lenient=lenient)
        except ControlError as exc:
            raise AssertionError(f"webhooks not delivered: {exc.details}") from None

    def run_script(self, path: str | Path) -> None:
        """Replay a conversation script; AssertionError with the report if a step fails."""
        __tracebackhide__ = True
        lines: list[str] = []
        result = Runner(self.session, out=lines.append).run(load_script(path))
        if not result.ok:
            raise AssertionError(f"{result.failure}\n\nsteps:\n" + "\n".join(lines))
