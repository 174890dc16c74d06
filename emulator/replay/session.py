"""A control-API client that follows conversations: sends as users, takes the bot's messages in order.

Only ``/_emulator`` calls, so it drives an emulator in this process or on another machine alike.

For each user it keeps the bot's messages in the order they were recorded: ``next_message`` hands
out the next one not yet taken (long-polling ``GET /_emulator/messages?after=&wait=``). A reply
(tap, select, quick reply) names the message it answers by the rule of ``reply_target``.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx

from emulator.transcripts.records import REPLY_KINDS, Record

MAX_WAIT_S = 60.0  # the longest long-poll the control API accepts
MAX_LIMIT = 10_000  # the most one control listing answers (?limit=)


class ControlError(Exception):
    """The emulator refused a control call; the message is its error's details."""

    def __init__(self, call: str, status: int, details: str) -> None:
        super().__init__(f"{call}: HTTP {status}: {details}")
        self.call = call
        self.status = status
        self.details = details


class Unreachable(RuntimeError):
    """The URL given is no usable emulator: nothing answers there, or its control API refuses the token."""


@dataclass
class Thread:
    """One user's side of the replay: the bot's messages fetched, taken, and the last user turn."""

    fetched: deque[Record] = field(default_factory=deque)
    taken: list[Record] = field(default_factory=list)
    turn_mark: int = 0  # len(taken) when the user last sent something
    last_sent: str | None = None  # the id of the user's last message (what ``delete: last`` deletes)
    cursor: str | None = None  # id of the last message fetched (for ?after=)
    seen: set[str] = field(default_factory=set)


class Session:
    """Drives one emulator through its control API (``url`` is its base URL)."""

    def __init__(self, url: str, *, client: httpx.Client | None = None, token: str | None = None) -> None:
        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._owns_client = client is None
        self.client = client or httpx.Client(base_url=self.url, timeout=MAX_WAIT_S + 10, headers=headers)
        self.threads: dict[str, Thread] = {}

    def close(self) -> None:
        """Close the HTTP client (if this session made it)."""
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One control call; its JSON answer, or ControlError with the emulator's details."""
        response = self.client.request(method, path, **kwargs)
        if response.is_error:
            raise ControlError(f"{method} {path}", response.status_code, _details(response))
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text

    def check(self) -> None:
        """One control call up front; Unreachable saying plainly why the emulator cannot be used."""
        try:
            self.call("GET", "/_emulator/clock")
        except httpx.TransportError as exc:
            raise Unreachable(
                f"cannot reach the emulator at {self.url}: {exc or type(exc).__name__} "
                "(is it running, and is this its base URL?)"
            ) from None
        except ControlError as exc:
            if exc.status == 401:
                raise Unreachable(
                    f"the emulator at {self.url} refused the control token "
                    "(--control-token or WA_EMULATOR_CONTROL_TOKEN)"
                ) from None
            raise Unreachable(
                f"{self.url} answers GET /_emulator/clock with HTTP {exc.status}: no emulator there"
            ) from None

    def thread(self, wa_id: str) -> Thread:
        """The state of one user's conversation."""
        return self.threads.setdefault(wa_id, Thread())

    def reset(self, keep: tuple[str, ...] = ()) -> None:
        """``POST /_emulator/reset`` and forget every thread."""
        self.call("POST", "/_emulator/reset", json={"keep": list(keep)} if keep else None)
        self.threads.clear()

    def send(self, wa_id: str, message: dict[str, Any]) -> Record:
        """The user sends ``message`` (inbound vocabulary); the inbound message as delivered."""
        answer = self.call("POST", f"/_emulator/users/{wa_id}/messages", json=message)
        thread = self.thread(wa_id)
        thread.turn_mark = len(thread.taken)
        inbound: Record = answer["message"]
        if message.get("type") not in ("delete", "reaction", "system"):
            thread.last_sent = inbound["id"]
        return inbound

    def next_message(self, wa_id: str, timeout: float) -> Record | None:
        """The bot's next message to ``wa_id`` not yet taken, waiting up to ``timeout`` s; None if none came."""
        thread = self.thread(wa_id)
        if not thread.fetched:
            self._fetch(wa_id, thread, timeout)
        if not thread.fetched:
            return None
        record = thread.fetched.popleft()
        thread.taken.append(record)
        return record

    def reply_target(self, wa_id: str, kind: str, timeout: float) -> Record | None:
        """The message a ``tap``/``select``/``quick_reply`` answers when the script names none.

        The latest message with that kind of choice the bot sent since the user's last turn, among
        those already taken. If the script took no message since that turn, the bot's next message
        with such choices (taking every message up to it), waiting up to ``timeout``. Otherwise the
        latest such message taken at any time (the user scrolls up to an older one).
        """
        thread = self.thread(wa_id)
        has = REPLY_KINDS[kind][1]
        since = thread.taken[thread.turn_mark :]
        recent = [r for r in since if has(r)]
        if recent:
            return recent[-1]
        if since:
            older = [r for r in thread.taken if has(r)]
            return older[-1] if older else None
        deadline = time.monotonic() + timeout
        while (record := self.next_message(wa_id, max(0.0, deadline - time.monotonic()))) is not None:
            if has(record):
                return record
        return None

    def refresh(self, record: Record) -> Record:
        """The record as it is now (its status may have moved on)."""
        fresh: Record = self.call("GET", f"/_emulator/messages/{record['id']}")
        return fresh

    def drain(self, timeout: float = 5.0, *, lenient: bool = False) -> None:
        """``POST /_emulator/webhooks/drain``: due statuses performed, every delivery out (ControlError if not)."""
        params = {"timeout": min(timeout, MAX_WAIT_S), "lenient": str(lenient).lower()}
        self.call("POST", "/_emulator/webhooks/drain", params=params)

    def advance_clock(self, seconds: float) -> float:
        """Move the emulator clock forward; the new emulator time."""
        now: float = self.call("POST", "/_emulator/clock", json={"advance": seconds})["now"]
        return now

    def put_user(self, wa_id: str, traits: dict[str, Any]) -> Record:
        """``PUT /_emulator/users/{wa_id}``: create or change a simulated user."""
        user: Record = self.call("PUT", f"/_emulator/users/{wa_id}", json=traits)["user"]
        return user

    def webhook_trouble(self, wa_id: str) -> str | None:
        """Why the bot may not have heard the user: its last message webhook undelivered, and why."""
        deliveries = self.call("GET", "/_emulator/webhooks", params={"recipient": wa_id})["webhooks"]
        carrying = [d for d in deliveries if (d.get("content") or {}).get("messages")]
        if not carrying or carrying[-1].get("state") == "delivered":
            return None
        last = carrying[-1]
        if not last.get("url"):
            return "the emulator has no webhook URL, so the bot never got the user's message (--bot-webhook)"
        attempts = last.get("attempts") or []
        if not attempts:
            return f"the user's message is still waiting to be delivered to {last['url']}"
        why = attempts[-1].get("error") or f"HTTP {attempts[-1].get('status_code')}"
        return f"the webhook to {last['url']} is not delivered: {why} ({len(attempts)} attempts)"

    def _fetch(self, wa_id: str, thread: Thread, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            wait = min(max(0.0, deadline - time.monotonic()), MAX_WAIT_S)
            params: dict[str, Any] = {"to": wa_id, "wait": f"{wait:.3f}"}
            if thread.cursor is not None:
                params["after"] = thread.cursor
            found: list[Record] = self.call("GET", "/_emulator/messages", params=params)["messages"]
            if found:
                thread.cursor = found[-1]["id"]
                fresh = [r for r in found if r["id"] not in thread.seen]
                thread.seen.update(r["id"] for r in fresh)
                thread.fetched.extend(fresh)
                if fresh:
                    return
            if time.monotonic() >= deadline:
                return


def _details(response: httpx.Response) -> str:
    try:
        body = response.json()
        error = body["errors"][0]
        return str(error.get("details") or error.get("title"))
    except (ValueError, KeyError, IndexError, TypeError):
        return response.text[:500]
