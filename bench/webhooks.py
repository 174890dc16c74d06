"""Webhook figures against a local receiver: deliveries/s sustained, and send -> ``delivered`` at 500 sends/s.

Sends go to 100 users (deliveries to one recipient go out strictly one after another) with the
On-Premises defaults (``delivered`` and ``read`` statuses, 6 concurrent requests).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any
from urllib.parse import urlsplit

from bodies import ONPREM_PATH
from load import body_file
from loadgen import exchange, request_bytes
from procs import TOKEN, call, start_app, start_emulator, stop, wait_ready

USERS = [f"1555000{n:04d}" for n in range(1, 101)]  # 15550000000 is the business itself
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


async def _send(url: str, bodies: list[bytes], rate: float | None, connections: int = 8) -> dict[str, float]:
    """Send every body (at ``rate`` per second, or as fast as possible); message id -> time its send began."""
    parts = urlsplit(url)
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await asyncio.open_connection(parts.hostname, parts.port))
    began: dict[str, float] = {}

    async def one(raw: bytes) -> None:
        conn = await pool.get()
        started = time.time()
        status, answer = await exchange(*conn, raw)
        pool.put_nowait(conn)
        if status == 201:
            began[answer.split(b'"id":"', 1)[1].split(b'"', 1)[0].decode()] = started

    raws = [request_bytes(url + ONPREM_PATH, "POST", b, HEADERS) for b in bodies]
    start = time.perf_counter()
    tasks = []
    for n, raw in enumerate(raws):
        if rate:
            await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(raw)))
        else:
            tasks.append(asyncio.create_task(one(raw)))
            if len(tasks) % connections == 0:
                await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    while not pool.empty():
        pool.get_nowait()[1].close()
    return began


def _arrivals(receiver: str, expected: int, timeout: float = 120) -> dict[str, Any]:
    deadline = time.time() + timeout
    while True:
        stats: dict[str, Any] = call(receiver + "/stats")
        if stats["posts"] >= expected or time.time() > deadline:
            return stats
        time.sleep(0.2)


def _bodies(count: int, tag: str) -> list[bytes]:
    return [
        body_file({"to": USERS[n % len(USERS)], "type": "text", "text": {"body": f"{tag} {n}"}}) for n in range(count)
    ]


def run(port: int, *, messages: int, latency_s: float, report: Any) -> dict[str, Any]:
    """Throughput over ``messages`` sends, then latency at 500 sends/s for ``latency_s`` seconds."""
    receiver = start_app("receiver_app:app", port + 1)
    receiver_url = f"http://127.0.0.1:{port + 1}"
    process = start_emulator(port, "--webhook-url", receiver_url + "/hook")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(receiver_url, receiver, "/stats")
        wait_ready(url, process)
        for wa_id in USERS:  # open every user's 24-hour window
            call(f"{url}/_emulator/users/{wa_id}/messages", "POST", {"type": "text", "text": {"body": "hi"}})
        call(url + "/_emulator/webhooks/drain?timeout=30", "POST")
        call(receiver_url + "/clear", "POST")

        started = time.time()
        asyncio.run(_send(url, _bodies(messages, "m"), None))
        sent_s = time.time() - started
        stats = _arrivals(receiver_url, 2 * messages)
        first, last = stats["first"], stats["last"]
        throughput = {
            "messages": messages,
            "send_s": sent_s,
            "posts": stats["posts"],
            "lost": 2 * messages - len(stats["arrivals"].get("delivered", {})) - len(stats["arrivals"].get("read", {})),
            "deliveries_per_s": stats["posts"] / (last - first) if last and first and last > first else 0.0,
        }
        report({"phase": "throughput", **throughput})

        call(url + "/_emulator/webhooks/drain?timeout=60", "POST")
        call(receiver_url + "/clear", "POST")
        rate = 500.0
        began = asyncio.run(_send(url, _bodies(round(rate * latency_s), "p"), rate))
        stats = _arrivals(receiver_url, 2 * len(began))
        delivered = stats["arrivals"].get("delivered", {})
        latencies = sorted((delivered[m] - t) * 1000 for m, t in began.items() if m in delivered)
        latency = {
            "rate": rate,
            "messages": len(began),
            "arrived": len(latencies),
            "p50_ms": statistics.median(latencies) if latencies else None,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] if latencies else None,
        }
        report({"phase": "latency", **latency})
    finally:
        stop(process, receiver)
    return {"throughput": throughput, "latency": latency}
