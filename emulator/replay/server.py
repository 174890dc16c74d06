"""An ASGI app served by uvicorn in a background thread: the emulator for ``replay`` and the pytest plugin.

``started`` is awaited through uvicorn's own startup hook (a threading event), never slept for.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import uvicorn

from emulator.serving import EmulatorServer, http_protocol
from emulator.settings import Settings

START_TIMEOUT_S = 20.0


class _Server(EmulatorServer):
    """uvicorn, telling another thread once it accepts connections (or gave up)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()

    def install_signal_handlers(self) -> None:  # uvicorn < 0.29; newer ones skip non-main threads
        pass


class ThreadedServer:
    """Serve ``app`` on ``host:port`` (0: a free port) in a daemon thread; ``url`` once started."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.url = ""
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    def start(self) -> str:
        """Bind, start serving, wait until uvicorn has started; the base URL."""
        self._socket = socket.create_server((self.host, self.port))
        host, port = self._socket.getsockname()[:2]
        config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="on", ws="none", http=http_protocol()
        )
        self._server = server = _Server(config)
        self._thread = threading.Thread(target=self._serve, name=f"uvicorn-{port}", daemon=True)
        self._thread.start()
        if not server.ready.wait(START_TIMEOUT_S) or not server.started:
            self.stop()
            raise RuntimeError(f"the server on {host}:{port} did not start")
        self.url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
        return self.url

    def _serve(self) -> None:
        assert self._server is not None and self._socket is not None
        self._server.run(sockets=[self._socket])

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> ThreadedServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def background_emulator(
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    webhook_url: str = "",
    webhook_format: str = "",
    environ: Mapping[str, str] | None = None,
) -> ThreadedServer:
    """An emulator app (settings from ``WA_EMULATOR_*`` in ``environ``, then these) ready to start.

    ``webhook_format`` ``cloud`` makes its webhooks Cloud API ones (signed, after the handshake).
    """
    from emulator.app import create_app

    overrides = {"host": host, "port": str(port)}
    if "WA_EMULATOR_LOG_LEVEL" not in (environ or {}):
        overrides["log_level"] = "warning"
    if webhook_url:
        overrides["webhook_url"] = webhook_url
    if webhook_format:
        overrides["webhook_format"] = webhook_format
    settings = Settings.from_mapping(environ or {}, overrides)
    return ThreadedServer(create_app(settings), host=settings.host, port=settings.port)
