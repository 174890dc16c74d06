"""The emulator's own webhook client: an httpx client whose POSTs to ``http://`` URLs take a lean path.

httpx (its client, httpcore and anyio) costs ~0.8 ms of CPU per request, which capped webhook
delivery at a few hundred per second. The lean path speaks HTTP/1.1 over asyncio streams, one
request at a time per connection, keeping idle connections per host for reuse: ~30 µs a request.
``https://`` URLs and every other call are httpx's own. Tests that inject their own
``httpx.AsyncClient`` (the design's one outbound door) never take it.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import urlsplit

import httpx

MAX_IDLE = 32  # idle connections kept per host
_FAST_ARGS = frozenset({"content", "headers", "timeout"})
Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class LeanClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` whose ``post`` to an ``http://`` URL skips httpx's layers: ~30 µs, not ~800.

    The delivery queue only posts bytes with a few headers and reads the status; anything else
    (``https://``, other methods, other arguments) is httpx's own ``post``.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._idle: dict[tuple[str, int], list[Connection]] = {}
        self._targets: dict[str, tuple[tuple[str, int], bytes] | None] = {}
        # through a proxy (HTTP_PROXY and the like), every request is httpx's own
        self._lean = not kwargs.get("proxy") and not (kwargs.get("trust_env", True) and _env_proxy())

    async def post(self, url: Any, **kwargs: Any) -> httpx.Response:
        """POST; the fast path when only ``content``, ``headers`` and ``timeout`` are given for ``http://``."""
        timeout = kwargs.get("timeout", 10.0)
        fast = self._lean and isinstance(url, str) and set(kwargs) <= _FAST_ARGS and isinstance(timeout, int | float)
        target = self._target(url) if fast else None
        if target is None:
            return await super().post(url, **kwargs)
        key, head = target
        body: bytes = kwargs.get("content") or b""
        raw = _encode(head, kwargs.get("headers") or {}, body)
        for reused in (True, False):  # a kept connection the other side closed meanwhile gets one retry
            conn = self._take(key) if reused else None
            if reused and conn is None:
                continue
            try:
                if conn is None:
                    conn = await _connect(key, timeout)
                return await self._exchange(key, conn, raw, timeout)
            except _Stale:
                continue
        raise httpx.RemoteProtocolError("the server closed the connection without answering")

    async def aclose(self) -> None:
        self._close_idle()
        await super().aclose()

    async def __aexit__(self, *args: Any) -> None:  # httpx's own skips aclose
        self._close_idle()
        await super().__aexit__(*args)

    def _close_idle(self) -> None:
        for conns in self._idle.values():
            for _, writer in conns:
                writer.close()
        self._idle.clear()

    def _target(self, url: str) -> tuple[tuple[str, int], bytes] | None:
        """(host, port) and the request line and Host header for ``url``, or None if it is not plain http."""
        if url not in self._targets:
            parts = urlsplit(url)
            ok = parts.scheme == "http" and parts.hostname and not parts.username and len(self._targets) < 1024
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            head = f"POST {path} HTTP/1.1\r\nhost: {parts.netloc}\r\nuser-agent: wa-emulator\r\n".encode()
            self._targets[url] = ((parts.hostname or "", parts.port or 80), head) if ok else None
        return self._targets[url]

    async def _exchange(self, key: tuple[str, int], conn: Connection, raw: bytes, timeout: float) -> httpx.Response:
        reader, writer = conn
        try:
            writer.write(raw)
            async with asyncio.timeout(timeout):
                status, headers, keep = await _read_head(reader)
                if status < 200 or status in (204, 304):
                    body = b""
                else:
                    body, framed = await _read_body(reader, headers)
                    keep = keep and framed
        except TimeoutError:
            writer.close()
            raise httpx.ReadTimeout("") from None
        except BaseException:
            writer.close()
            raise
        if keep and len(self._idle.setdefault(key, [])) < MAX_IDLE:
            self._idle[key].append(conn)
        else:
            writer.close()
        return httpx.Response(status, headers=headers, content=body)

    def _take(self, key: tuple[str, int]) -> Connection | None:
        conns = self._idle.get(key)
        while conns:
            conn = conns.pop()
            if not conn[0].at_eof():
                return conn
            conn[1].close()
        return None


def _env_proxy() -> bool:
    import urllib.request  # only here: it costs ~40 ms to import, and this client is made on first use

    return bool(urllib.request.getproxies().get("http"))


class _Stale(Exception):
    """A kept connection was closed by the other side before any answer: try a fresh one."""


async def _connect(key: tuple[str, int], timeout: float | None) -> Connection:
    try:
        async with asyncio.timeout(timeout):
            return await asyncio.open_connection(*key)
    except TimeoutError:
        raise httpx.ConnectTimeout("") from None
    except OSError as exc:
        raise httpx.ConnectError(str(exc)) from None


def _encode(head: bytes, headers: dict[str, str], body: bytes) -> bytes:
    lines = [head]
    lines += [f"{name}: {value}\r\n".encode("latin-1") for name, value in headers.items()]
    lines.append(b"content-length: %d\r\n\r\n" % len(body))
    lines.append(body)
    return b"".join(lines)


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, list[Any], bool]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _Stale from None
        raise httpx.RemoteProtocolError("incomplete response head") from None
    except (ConnectionError, OSError):
        raise _Stale from None
    except asyncio.LimitOverrunError:
        raise httpx.RemoteProtocolError("response head too large") from None
    lines = head[:-4].split(b"\r\n")
    version, _, rest = lines[0].partition(b" ")
    try:
        status = int(rest[:3])
    except ValueError:
        raise httpx.RemoteProtocolError(f"bad status line {lines[0][:80]!r}") from None
    headers = [tuple(line.split(b":", 1)) for line in lines[1:] if b":" in line]
    headers = [(name.strip(), value.strip()) for name, value in headers]
    connection = b",".join(v for n, v in headers if n.lower() == b"connection").lower()
    keep = version == b"HTTP/1.1" and b"close" not in connection
    return status, headers, keep


async def _read_body(reader: asyncio.StreamReader, headers: list[Any]) -> tuple[bytes, bool]:
    """The body, and whether its length was framed (else it ran to the end of the connection)."""
    fields = {name.lower(): value for name, value in headers}
    try:
        if b"chunked" in fields.get(b"transfer-encoding", b"").lower():
            return await _read_chunked(reader), True
        length = fields.get(b"content-length")
        if length is None:
            return await reader.read(), False
        return await reader.readexactly(int(length)), True
    except (asyncio.IncompleteReadError, ValueError, ConnectionError) as exc:
        raise httpx.RemoteProtocolError(f"incomplete response body: {exc}") from None


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            with contextlib.suppress(asyncio.IncompleteReadError):
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers, then the blank line
                    pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
