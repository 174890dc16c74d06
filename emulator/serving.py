"""uvicorn as the emulator runs under it: answers written once per loop turn, and a quick stop.

**Writes corked for a loop turn.** uvicorn writes an answer's status line and headers when the app
sends ``http.response.start``, and its body when the app sends ``http.response.body``: each write
is a ``write`` call and a TCP segment at once, and wakes a client waiting on the socket. Under load
that is most of the server's kernel time: the requests read in one turn of the event loop are
answered one by one, and a client such as wrk is woken for each write. Here each connection's
writes are kept until the end of the turn and then written together, one ``write`` per connection
and turn (``_Corked``): an answer's head and body go out as one segment, and the answers of a turn
go out back to back. What one turn writes is in the kernel before the next turn reads, so a stream's
head, or an event, waits no longer than the rest of that turn's work. A close waits for the
connection's writes.

**A quick stop.** uvicorn's graceful shutdown stops accepting connections, then waits for open
responses (up to ``timeout_graceful_shutdown``, then cancels them with a traceback in the log) before
it runs the app's lifespan shutdown. An open ``?wait=`` long-poll or ``/_emulator/events`` stream
would hold it; so before waiting, this server tells the emulator (``Emulator.closing``), which
answers every long-poll with what it has, ends every stream and every drain.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import weakref
from typing import Any

import uvicorn

try:  # uvicorn[standard] brings httptools; without it uvicorn's own choice (h11) is kept
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is a dependency
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

log = logging.getLogger("wa_emulator")


class EmulatorServer(uvicorn.Server):
    """A uvicorn server that ends the emulator's open waits as soon as it is told to stop."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        state = getattr(self.config.app, "state", None)
        emulator = getattr(state, "emulator", None)
        if emulator is not None:
            emulator.closing()
        await super().shutdown(sockets=sockets)


def http_protocol() -> Any:
    """The ``http`` setting of ``uvicorn.Config``: the corked protocol (``"auto"`` without httptools)."""
    return "auto" if HttpToolsProtocol is None else CorkedProtocol


JOIN_BYTES = 65536  # parts of a turn joined into one buffer up to this size; larger ones are written as they are


class _Corked:
    """A connection's transport whose writes (and close) wait for the end of the loop turn, then go out as one."""

    __slots__ = ("closing", "corks", "parts", "transport")

    def __init__(self, transport: asyncio.Transport, corks: _Corks) -> None:
        self.transport = transport
        self.corks = corks
        self.parts: list[bytes] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        if not data:
            return
        if not self.parts:
            self.corks.waiting(self)
        self.parts.append(data)

    def close(self) -> None:
        if self.parts:
            self.closing = True  # once what is written has gone
        else:
            self.transport.close()

    def is_closing(self) -> bool:
        return self.closing or self.transport.is_closing()

    def __getattr__(self, name: str) -> Any:  # get_extra_info, pause_reading...: the real transport's
        return getattr(self.transport, name)

    def uncork(self) -> None:
        parts, self.parts = self.parts, []
        if parts and not self.transport.is_closing():  # (the peer may have gone meanwhile)
            if len(parts) == 1:
                self.transport.write(parts[0])
            elif sum(map(len, parts)) <= JOIN_BYTES:
                self.transport.write(b"".join(parts))
            else:  # a large body (a media download) is not copied: one vectored write
                self.transport.writelines(parts)
        if self.closing:
            self.transport.close()


class _Corks:
    """The connections of one event loop with writes waiting: written together at the end of the turn."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.corked: list[_Corked] = []

    def waiting(self, corked: _Corked) -> None:
        if not self.corked:  # the first this turn: after the callbacks already due, before the next read
            self.loop.call_soon(self.uncork)
        self.corked.append(corked)

    def uncork(self) -> None:
        corked, self.corked = self.corked, []
        for connection in corked:
            try:
                connection.uncork()
            except Exception:  # one broken connection must not keep the others' answers back
                log.exception("could not write to a connection; closing it")
                connection.transport.abort()


_CORKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Corks] = weakref.WeakKeyDictionary()


if HttpToolsProtocol is not None:

    class CorkedProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol over a corked transport: one write per connection and loop turn."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            corks = _CORKS.get(self.loop)
            if corks is None:
                corks = _CORKS[self.loop] = _Corks(self.loop)
            super().connection_made(_Corked(transport, corks))  # type: ignore[arg-type]
