"""uvicorn as the emulator runs under it: a stop ends long-polls and event streams at once.

uvicorn's graceful shutdown stops accepting connections, then waits for open responses (up to
``timeout_graceful_shutdown``, then cancels them with a traceback in the log) before it runs the
app's lifespan shutdown. An open ``?wait=`` long-poll or ``/_emulator/events`` stream would hold
it; so before waiting, this server tells the emulator (``Emulator.closing``), which answers every
long-poll with what it has, ends every stream and every drain.
"""

from __future__ import annotations

import socket

import uvicorn


class EmulatorServer(uvicorn.Server):
    """A uvicorn server that ends the emulator's open waits as soon as it is told to stop."""

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        state = getattr(self.config.app, "state", None)
        emulator = getattr(state, "emulator", None)
        if emulator is not None:
            emulator.closing()
        await super().shutdown(sockets=sockets)
