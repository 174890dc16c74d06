"""An in-process webhook receiver: an httpx MockTransport that records (and can refuse) deliveries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.settings import Settings
from emulator.store import MemoryStore, SqliteStore, Store
from tests.cloud_clients import sign
from tests.conftest import T0, basic, bearer
from tests.webhook_schemas import assert_valid_webhook

HOOK = "http://bot.test/webhook"
VERIFY_TOKEN = Settings().verify_token
APP_SECRET = Settings().app_secret


class Receiver:
    """Records every webhook POST; ``fail_next`` makes the next N answer 500.

    Like a Cloud bot, it answers the callback verification handshake when the verify token is
    ``verify_token``, and refuses a Cloud POST whose X-Hub-Signature-256 is not the app secret's.
    """

    def __init__(self, verify_token: str = VERIFY_TOKEN, app_secret: str = APP_SECRET) -> None:
        self.verify_token = verify_token
        self.app_secret = app_secret
        self.handshakes: list[dict[str, str]] = []
        self.payloads: list[dict[str, Any]] = []
        self.bodies: list[tuple[bytes, str | None]] = []  # each accepted POST: exact bytes, X-Hub-Signature-256
        self.invalid: list[str] = []  # every payload is checked against schemas/webhooks/
        self.fail_next = 0
        self.down = False
        self._lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            if self.down:
                raise httpx.ConnectError("connection refused", request=request)
            if request.method == "GET":
                params = dict(request.url.params)
                self.handshakes.append(params)
                if params.get("hub.mode") == "subscribe" and params.get("hub.verify_token") == self.verify_token:
                    return httpx.Response(200, text=params.get("hub.challenge", ""))
                return httpx.Response(403)
            if self.fail_next > 0:
                self.fail_next -= 1
                return httpx.Response(500)
            payload = json.loads(request.content)
            if "object" in payload:
                expected = sign(request.content, self.app_secret)
                if request.headers.get("x-hub-signature-256") != expected:
                    self.invalid.append(f"bad signature {request.headers.get('x-hub-signature-256')!r}")
                    return httpx.Response(401)
            self.payloads.append(payload)
            self.bodies.append((request.content, request.headers.get("x-hub-signature-256")))
        try:
            assert_valid_webhook(payload, "cloud" if "object" in payload else "onprem")
        except AssertionError as exc:
            self.invalid.append(str(exc))
        return httpx.Response(200)

    def contents(self) -> list[dict[str, Any]]:
        """Each payload's content: the bare On-Premises object, or each Cloud change's ``value``."""
        found: list[dict[str, Any]] = []
        for payload in self.payloads:
            if "object" not in payload:
                found.append(payload)
                continue
            found.extend(change["value"] for entry in payload["entry"] for change in entry["changes"])
        return found

    def statuses(self, message_id: str | None = None) -> list[dict[str, Any]]:
        """Every status object received, in order (optionally for one message); either format."""
        found = [s for c in self.contents() for s in c.get("statuses", [])]
        return [s for s in found if message_id in (None, s["id"])]

    def messages(self) -> list[dict[str, Any]]:
        """Every inbound message received, in order; either format."""
        return [m for c in self.contents() for m in c.get("messages", [])]


@contextmanager
def emulator_with_receiver(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    clock: EmulatorClock | None = None,
    webhook_url: str = HOOK,
    receiver: Receiver | None = None,
) -> Iterator[tuple[TestClient, Receiver]]:
    """An in-process emulator whose webhooks go to a Receiver (``receiver`` or a new one), logged in, with the URL set."""
    receiver = receiver or Receiver()
    http = httpx.AsyncClient(transport=httpx.MockTransport(receiver.handle))
    app = create_app(settings or Settings(seed=7), store=store or MemoryStore(), clock=clock, http_client=http)
    with TestClient(app) as client:
        token = client.post("/v1/users/login", headers=basic()).json()["users"][0]["token"]
        client.headers.update(bearer(token))
        if webhook_url:
            client.patch("/v1/settings/application", json={"webhooks": {"url": webhook_url}})
        yield client, receiver
    assert receiver.invalid == [], "\n".join(receiver.invalid)


@contextmanager
def emulator_on_sqlite(path: str, *, webhook_url: str = HOOK) -> Iterator[tuple[TestClient, Receiver]]:
    """``emulator_with_receiver`` over the SQLite file ``path``, at ``T0``: a second one is a restart of the first."""
    settings = Settings(seed=7, store=f"sqlite:{path}")
    clock = EmulatorClock(base=lambda: T0)
    with emulator_with_receiver(settings, store=SqliteStore(path), clock=clock, webhook_url=webhook_url) as pair:
        yield pair


def reset(client: TestClient, receiver: Receiver) -> None:
    """Back to the fixture state, for tests sharing one emulator: ``POST /_emulator/reset``, the receiver emptied.

    Kept: the application settings (the webhook URL) and the callbacks already verified. A test sharing the
    emulator checks ``receiver.invalid`` itself: this forgets it.
    """
    response = client.post("/_emulator/reset")
    assert response.status_code == 200, response.text
    for received in (receiver.handshakes, receiver.payloads, receiver.bodies, receiver.invalid):
        received.clear()


def user_sends(client: TestClient, wa_id: str, action: dict[str, Any]) -> dict[str, Any]:
    """A simulated user sends ``action``; the message as the bot's webhook carries it."""
    response = client.post(f"/_emulator/users/{wa_id}/messages", json=action)
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()["message"]
    return message


def record_of(client: TestClient, message_id: str) -> dict[str, Any]:
    """The emulator's record of an outbound message."""
    response = client.get(f"/_emulator/messages/{message_id}")
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()
    return record


def drain(client: TestClient, *, lenient: bool = False) -> dict[str, Any]:
    """Wait (in the app's loop) until due statuses ran and every delivery went out (``lenient``: or is stuck)."""
    response = client.post(f"/_emulator/webhooks/drain?timeout=10&lenient={str(lenient).lower()}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
