"""A small keep-alive HTTP/1.1 load generator on asyncio streams (httpx itself would be the bottleneck)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Result:
    """Throughput and latency of one measured endpoint."""

    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    def line(self) -> str:
        return (
            f"{self.name:<34} {self.rps:>8.0f} req/s  p50 {self.pct(50):6.2f} ms  p99 {self.pct(99):6.2f} ms"
            f"   statuses {dict(sorted(self.statuses.items()))}"
        )


def request_bytes(url: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> bytes:
    """One HTTP/1.1 request, ready to write."""
    host = urlsplit(url).netloc
    payload = b"" if body is None else json.dumps(body).encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(payload)}"]
    if body is not None:
        lines.append("Content-Type: application/json")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


async def _worker(
    url: str, raw: bytes | list[bytes], deadline: float, latencies: list[float], statuses: dict[int, int]
) -> None:
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    requests = raw if isinstance(raw, list) else [raw]
    sent = 0
    try:
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            writer.write(requests[sent % len(requests)])
            sent += 1
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if length:
                await reader.readexactly(length)
            latencies.append((time.perf_counter() - start) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def measure(
    name: str, url: str, raw: bytes | list[bytes], *, seconds: float = 3.0, connections: int = 8
) -> Result:
    """Hammer one request (or take turns with several) for ``seconds`` over ``connections`` keep-alive connections."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    # a short warm-up so the first measured requests don't pay for lazy imports
    await asyncio.gather(*(_worker(url, raw, time.perf_counter() + 0.3, [], {}) for _ in range(2)))
    start = time.perf_counter()
    await asyncio.gather(*(_worker(url, raw, start + seconds, latencies, statuses) for _ in range(connections)))
    return Result(name, len(latencies), time.perf_counter() - start, latencies, statuses)


def median(values: list[float]) -> float:
    return statistics.median(values)
