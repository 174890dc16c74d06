"""uvicorn as the emulator runs under it: one write per answer, and a stop that ends long-polls at once.

**One write per answer.** uvicorn writes an answer's status line and headers when the app sends
``http.response.start``, and its body when the app sends ``http.response.body``: two ``write``
calls, two TCP segments, and a client waiting on the socket is woken twice for one answer. Every
answer with a ``content-length`` (all but the event streams) goes out in one write here: its head is
held until its body comes. Answers without one (``/_emulator/events``, chunked) are written as
uvicorn writes them, so a stream's head is not held back until its first event.

**A quick stop.** uvicorn's graceful shutdown stops accepting connections, then waits for open
responses (up to ``timeout_graceful_shutdown``, then cancels them with a traceback in the log) before
it runs the app's lifespan shutdown. An open ``?wait=`` long-poll or ``/_emulator/events`` stream
would hold it; so before waiting, this server tells the emulator (``Emulator.closing``), which
answers every long-poll with what it has, ends every stream and every drain.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvicorn

try:  # uvicorn[standard] brings httptools; without it uvicorn's own choice (h11) is kept
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle
except ImportError:  # pragma: no cover - httptools is a dependency
    HttpToolsProtocol = RequestResponseCycle = None  # type: ignore[assignment,misc]


class EmulatorServer(uvicorn.Server):
    """A uvicorn server that ends the emulator's open waits as soon as it is told to stop."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        state = getattr(self.config.app, "state", None)
        emulator = getattr(state, "emulator", None)
        if emulator is not None:
            emulator.closing()
        await super().shutdown(sockets=sockets)


def http_protocol() -> Any:
    """The ``http`` setting of ``uvicorn.Config``: the one-write protocol (``"auto"`` without httptools)."""
    return "auto" if HttpToolsProtocol is None else OneWriteProtocol


class _Gathered:
    """A transport that keeps what is written (and a close) until ``flush``: an answer's head and body."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.parts: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.parts.append(data)

    def close(self) -> None:
        self.closed = True

    def __getattr__(self, name: str) -> Any:  # is_closing, pause_reading...: the real transport's
        return getattr(self.transport, name)

    def flush(self) -> None:
        if self.parts:
            self.transport.write(b"".join(self.parts))
        if self.closed:
            self.transport.close()


if RequestResponseCycle is not None:

    class OneWriteCycle(RequestResponseCycle):
        """uvicorn's request cycle, with an answer of known length written once: head and body together."""

        held: Any = None  # an http.response.start waiting for its body

        async def send(self, message: Any) -> None:
            if message["type"] == "http.response.start" and not self.response_started:
                if any(name.lower() == b"content-length" for name, _ in message.get("headers", ())):
                    self.held = message  # (a later start, e.g. uvicorn's 500 after an error, replaces it)
                    return
                self.held = None
                await super().send(message)
                return
            held = self.held
            if held is None:
                await super().send(message)
                return
            self.held = None
            transport = self.transport
            gathered = _Gathered(transport)
            self.transport = gathered  # type: ignore[assignment]
            try:
                await super().send(held)
                await super().send(message)
            finally:
                self.transport = transport
                gathered.flush()

    class OneWriteProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol whose request cycles write each answer of known length once."""

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            cycle = self.cycle
            if type(cycle) is RequestResponseCycle:  # (None, or unchanged, on an upgrade request)
                cycle.__class__ = OneWriteCycle  # its task has not run yet: every send is ours
