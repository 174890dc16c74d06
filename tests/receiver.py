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
from emulator.store import MemoryStore, Store
from tests.conftest import basic, bearer
from tests.webhook_schemas import assert_valid_webhook

HOOK = "http://bot.test/webhook"


class Receiver:
    """Records every webhook POST; ``fail_next`` makes the next N answer 500."""

    def __init__(self) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.invalid: list[str] = []  # every payload is checked against schemas/webhooks/
        self.fail_next = 0
        self.down = False
        self._lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            if self.down:
                raise httpx.ConnectError("connection refused", request=request)
            if self.fail_next > 0:
                self.fail_next -= 1
                return httpx.Response(500)
            payload = json.loads(request.content)
            self.payloads.append(payload)
        try:
            assert_valid_webhook(payload, "cloud" if "object" in payload else "onprem")
        except AssertionError as exc:
            self.invalid.append(str(exc))
        return httpx.Response(200)

    def statuses(self, message_id: str | None = None) -> list[dict[str, Any]]:
        """Every status object received, in order (optionally for one message)."""
        found = [s for p in self.payloads for s in p.get("statuses", [])]
        return [s for s in found if message_id in (None, s["id"])]

    def messages(self) -> list[dict[str, Any]]:
        """Every inbound message received, in order."""
        return [m for p in self.payloads for m in p.get("messages", [])]


@contextmanager
def emulator_with_receiver(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    clock: EmulatorClock | None = None,
    webhook_url: str = HOOK,
) -> Iterator[tuple[TestClient, Receiver]]:
    """An in-process emulator whose webhooks go to a Receiver, logged in, with the webhook URL set."""
    receiver = Receiver()
    http = httpx.AsyncClient(transport=httpx.MockTransport(receiver.handle))
    app = create_app(settings or Settings(seed=7), store=store or MemoryStore(), clock=clock, http_client=http)
    with TestClient(app) as client:
        token = client.post("/v1/users/login", headers=basic()).json()["users"][0]["token"]
        client.headers.update(bearer(token))
        if webhook_url:
            client.patch("/v1/settings/application", json={"webhooks": {"url": webhook_url}})
        yield client, receiver
    assert receiver.invalid == [], "\n".join(receiver.invalid)


def drain(client: TestClient) -> dict[str, Any]:
    """Wait (in the app's loop) until due statuses ran and deliveries settled."""
    response = client.post("/_emulator/webhooks/drain?timeout=10")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
