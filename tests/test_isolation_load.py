"""Parallel workers on one server are isolated: 8 workers x 50 conversations, each worker its own tenant.

One real emulator process; eight threads play eight test workers (as pytest-xdist's would), each in
its tenant, all with the same user numbers and the same seed, all at once, over both APIs. Nothing
of one may show in another: not a message, an id, a webhook, a user's conversation or the clock.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.conftest import basic, bearer
from tests.process import running_emulator

WORKERS = 8
CONVERSATIONS = 50
CLOUD = {"Authorization": "Bearer wa-emulator-token"}


class Server(ThreadingHTTPServer):
    """Eight tenants post up to six webhooks each at once: a deeper accept queue than the default five."""

    request_queue_size = 128
    daemon_threads = True


class Hooks:
    """A webhook receiver on loopback: every POST body, by path (one path per tenant)."""

    def __init__(self) -> None:
        self.received: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with hooks._lock:
                    hooks.received.setdefault(self.path, []).append(body)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture(scope="module")
def hooks() -> Iterator[Hooks]:
    receiver = Hooks()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def user(n: int) -> str:
    return f"1555123{n:04d}"


def worker(url: str, hook: str, k: int) -> dict[str, Any]:
    """One test worker: its tenant, a clock moved k hours, 50 conversations alternating the two APIs."""
    name = f"w{k}"
    with httpx.Client(base_url=f"{url}/t/{name}", timeout=30) as client:
        made = httpx.post(f"{url}/_emulator/tenants", json={"name": name, "webhook_url": f"{hook}/{name}"})
        number = made.json()["tenant"]["phone_number_id"]
        client.post("/_emulator/clock", json={"advance": k * 3600})
        headers = bearer(client.post("/v1/users/login", headers=basic()).json()["users"][0]["token"])
        sent = []
        for i in range(CONVERSATIONS):
            said = client.post(
                f"/_emulator/users/{user(i)}/messages", json={"type": "text", "text": {"body": f"{name}-c{i}"}}
            )
            assert said.status_code == 200, said.text
            reply = {"to": user(i), "type": "text", "text": {"body": f"re {name}-c{i}"}}
            if i % 2:
                answer = client.post(
                    f"/v22.0/{number}/messages", json={"messaging_product": "whatsapp", **reply}, headers=CLOUD
                )
            else:
                answer = client.post("/v1/messages", json=reply, headers=headers)
            assert answer.status_code in (200, 201), answer.text
            sent.append(answer.json()["messages"][0]["id"])
        assert client.post("/_emulator/webhooks/drain", params={"timeout": 20}).status_code == 200
        return {"name": name, "sent": sent, "messages": client.get("/_emulator/messages").json()["messages"]}


def test_eight_workers_on_one_server_see_nothing_of_each_other(hooks: Hooks) -> None:
    with running_emulator(["--seed", "1"]) as emulator:
        with ThreadPoolExecutor(WORKERS) as pool:
            results = list(pool.map(lambda k: worker(emulator.url, hooks.url, k), range(WORKERS)))
        tenants = {t["name"]: t for t in httpx.get(emulator.url + "/_emulator/tenants").json()["tenants"]}
        conversations = {
            r["name"]: httpx.get(f"{emulator.url}/t/{r['name']}/_emulator/conversations/{user(7)}").json()
            for r in results
        }
    all_ids = [i for r in results for i in r["sent"]]
    assert len(set(all_ids)) == WORKERS * CONVERSATIONS  # the same seed, yet no id twice
    for k, result in enumerate(results):
        name = result["name"]
        bodies = [m["payload"]["text"]["body"] for m in result["messages"]]
        assert bodies == [f"re {name}-c{i}" for i in range(CONVERSATIONS)]
        assert [m["id"] for m in result["messages"]] == result["sent"]
        assert tenants[name]["clock"]["offset"] == k * 3600
        texts = [(m.get("message") or m["payload"])["text"]["body"] for m in conversations[name]["messages"]]
        assert texts == [f"{name}-c7", f"re {name}-c7"]
        received = hooks.received[f"/{name}"]
        inbound = [m["text"]["body"] for p in received for m in p.get("messages", [])]
        assert sorted(inbound) == sorted(f"{name}-c{i}" for i in range(CONVERSATIONS))
        status_ids = {s["id"] for p in received for s in p.get("statuses", [])}
        assert status_ids == set(result["sent"])
    assert tenants["default"]["messages"] == 0
