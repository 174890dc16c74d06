"""The built-in load generator (used when wrk is not installed): keep-alive HTTP/1.1 on asyncio streams.

It saturates before a fast server does, so its req/s and p99 understate the server; the server's
CPU time per request (measured from /proc by the caller) does not depend on it.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit


def request_bytes(url: str, method: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> bytes:
    """One HTTP/1.1 request to ``url``, ready to write."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    payload = body or b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}", f"Content-Length: {len(payload)}"]
    if body is not None:
        lines.append("Content-Type: application/json")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> tuple[int, bytes]:
    """Write one request and read its answer: (status, body)."""
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length) if length else b""
    return int(head[9:12]), body


async def _worker(url: str, raw: bytes, deadline: float, latencies: list[float], errors: list[int]) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            status, _ = await exchange(reader, writer, raw)
            latencies.append((time.perf_counter() - start) * 1000)
            if status >= 300:
                errors[0] += 1
    finally:
        writer.close()


async def run(url: str, body: bytes, *, seconds: float, auth: str = "", connections: int = 32) -> dict[str, Any]:
    """POST ``body`` for ``seconds`` over ``connections`` connections: the fields of ``load.Run``."""
    raw = request_bytes(url, "POST", body, {"Authorization": auth} if auth else {})
    latencies: list[float] = []
    errors = [0]
    start = time.perf_counter()
    await asyncio.gather(*(_worker(url, raw, start + seconds, latencies, errors) for _ in range(connections)))
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies) or [0.0]

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "p50_ms": pct(50),
        "p99_ms": pct(99),
        "max_ms": ordered[-1],
        "errors": errors[0],
    }
