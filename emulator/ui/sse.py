"""``GET /_emulator/events``: a Server-Sent Events response that ends when the client or the server goes.

Events (each ``data`` is one line of JSON):

- ``clock``: ``{"now", "offset", "frozen"}`` at the start and whenever the clock is moved;
- ``message``: an outbound record (as ``GET /_emulator/messages/{id}``), when created or its status changes;
- ``inbound``: an inbound record (as in ``GET /_emulator/conversations/{wa_id}``), when sent or marked read;
- ``webhook``: a delivery (as ``GET /_emulator/webhooks/{id}``), when queued and after every attempt;
- ``request``: a call to ``/v1`` or the Cloud API (as ``GET /_emulator/requests/{id}``), once answered;
- ``reset``: ``{}`` after ``POST /_emulator/reset``.

A comment line every ``HEARTBEAT_S`` keeps proxies from closing an idle stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from emulator.ui.live import LiveHub, Stream, encode

CLOCK_CHECK_S = 1.0  # the clock has no change feed: a moved clock is noticed within this time
HEARTBEAT_S = 15.0
RETRY_MS = 1000  # how soon a browser reconnects after the stream ends


class EventStreamResponse(Response):
    """An endless ``text/event-stream`` of a tenant's changes."""

    media_type = "text/event-stream"

    def __init__(self, hub: LiveHub) -> None:
        # like StreamingResponse: no body attribute, so no Content-Length header
        self.status_code = 200
        self.background = None
        self.init_headers({"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
        self._hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stream = self._hub.open()
        watcher = asyncio.create_task(_close_on_disconnect(receive, stream), name="events:disconnect")
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await self._pump(stream, send)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # the client went away in the middle of a write
        finally:
            self._hub.close(stream)
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _pump(self, stream: Stream, send: Send) -> None:
        clock = self._hub.clock()
        shown = self._hub.tenant.clock.moves
        chunk = f"retry: {RETRY_MS}\n\n".encode() + encode("clock", clock)
        quiet_since = time.monotonic()
        while True:
            if chunk:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                quiet_since = time.monotonic()
            if stream.closed:
                return
            chunk = await stream.next(CLOCK_CHECK_S)
            if self._hub.tenant.clock.moves != shown:
                shown = self._hub.tenant.clock.moves
                chunk += encode("clock", self._hub.clock())
            if not chunk and time.monotonic() - quiet_since >= HEARTBEAT_S:
                chunk = b": keep-alive\n\n"


async def _close_on_disconnect(receive: Receive, stream: Stream) -> None:
    message: dict[str, Any] = {}
    while message.get("type") != "http.disconnect":
        message = dict(await receive())
    stream.close()
