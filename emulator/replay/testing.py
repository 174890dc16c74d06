"""What the ``wa_emulator`` pytest fixture hands a test: simulated users, the clock, scripts.

Everything goes through the control API, so it works the same against the emulator the plugin
starts in a thread and against one running elsewhere. A failed expectation raises AssertionError
saying what was expected and what the bot sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emulator.replay.expect import summary
from emulator.replay.runner import KEEP_ON_RESET, Runner, StepFailed, reply_message
from emulator.replay.script import load_script
from emulator.replay.session import ControlError, Session
from emulator.transcripts.records import REPLY_KINDS, Record, button_ids, failed_code, row_ids, template_view, text_of

DEFAULT_TIMEOUT_S = 5.0


class BotMessage:
    """A message the bot sent, as the emulator recorded it (``record`` is the whole record)."""

    def __init__(self, record: Record) -> None:
        self.record = record

    @property
    def id(self) -> str:
        """The message id (``gBEG…``)."""
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
        """The ``/v1/messages`` body as the bot sent it."""
        payload: dict[str, Any] = self.record.get("payload") or {}
        return payload

    @property
    def failed(self) -> int | None:
        """The error code of a failed status (470, 1026, ...), or None."""
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

    def _reply(self, kind: str, message: MessageRef, choice: str) -> Record:
        __tracebackhide__ = True
        if message is None:
            target = self.emulator.session.reply_target(self.wa_id, kind, DEFAULT_TIMEOUT_S)
            if target is None:
                raise AssertionError(f"{self.wa_id}: the bot sent no message with {REPLY_KINDS[kind][0]} to answer")
        elif isinstance(message, str):
            target = self.emulator.session.call("GET", f"/_emulator/messages/{message}")
        else:
            target = message.record if isinstance(message, BotMessage) else message
        return self.send(reply_message(kind, choice, target))


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


class WaEmulator:
    """The ``wa_emulator`` fixture: an emulator at ``url``, reset before each test."""

    def __init__(self, url: str, *, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.session = Session(self.url, token=token)
        self.clock = Clock(self.session)

    def close(self) -> None:
        """Close the HTTP client."""
        self.session.close()

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
