"""A webhook receiver over real HTTP: a tiny Starlette app on uvicorn in a thread, on a free loopback port."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Json = dict[str, Any]


class WebhookServer:
    """Records every payload POSTed to ``url``; ``wait_for`` blocks until one matches (with a deadline)."""

    def __init__(self) -> None:
        self.url = ""
        self.payloads: list[Json] = []
        self._changed = threading.Condition()
        self.app = Starlette(routes=[Route("/webhook", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        payload = orjson.loads(await request.body())
        with self._changed:
            self.payloads.append(payload)
            self._changed.notify_all()
        return Response(status_code=200)

    def clear(self) -> None:
        """Forget what was received (between tests)."""
        with self._changed:
            self.payloads.clear()

    def messages(self) -> list[Json]:
        """Every inbound message received, in order."""
        with self._changed:
            return [m for p in self.payloads for m in p.get("messages", [])]

    def wait_for_message(self, matches: Callable[[Json], bool], timeout: float = 10.0) -> Json:
        """The first inbound message for which ``matches`` is true, waiting up to ``timeout`` seconds."""
        found: list[Json] = []

        def seen() -> bool:
            found[:] = [m for p in self.payloads for m in p.get("messages", []) if matches(m)]
            return bool(found)

        with self._changed:
            if not self._changed.wait_for(seen, timeout):
                raise AssertionError(f"no such webhook message within {timeout} s; got {self.payloads}")
        return found[0]


@contextmanager
def webhook_server() -> Iterator[WebhookServer]:
    """Serve a WebhookServer on 127.0.0.1 until the block ends."""
    receiver = WebhookServer()
    sock = socket.create_server(("127.0.0.1", 0))  # listening already: early POSTs wait in the backlog
    receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhook"
    config = uvicorn.Config(receiver.app, log_level="warning", access_log=False, lifespan="off", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="webhook-server", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
