"""Webhook figures: time from POST /v1/messages to the ``delivered`` status at a local receiver, and
deliveries per second sustained over a run of 10 000 messages, with a count of any delivery lost.

Targets: p50 < 5 ms; not one delivery lost.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import urllib.request
from typing import Any

from loadgen import request_bytes

LATENCY_TARGET_MS = 5.0


def call(url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


async def _send_all(url: str, raws: list[bytes], connections: int) -> None:
    parts = url.split("//")[1].split(":")
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for raw in raws:
        queue.put_nowait(raw)

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(parts[0], int(parts[1]))
        try:
            while not queue.empty():
                writer.write(queue.get_nowait())
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))


def run(url: str, receiver: str, token: str, *, messages: int = 10_000, users: int = 100) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    call(url + "/_emulator/reset", "POST")
    call(
        url + "/v1/settings/application",
        "PATCH",
        {"webhooks": {"url": receiver + "/hook", "max_concurrent_requests": 24}},
        auth,
    )
    wa_ids = [f"1555000{n:04d}" for n in range(1, users + 1)]  # 15550000000 is the business itself
    for wa_id in wa_ids:  # open every user's 24-hour window
        call(f"{url}/_emulator/users/{wa_id}/messages", "POST", {"type": "text", "text": {"body": "hi"}})
    call(url + "/_emulator/webhooks/drain?timeout=30", "POST")
    call(receiver + "/clear", "POST")

    # latency: one message at a time, send -> delivered status at the receiver
    latencies = []
    for n in range(300):
        started = time.time()
        body = {"to": wa_ids[n % users], "type": "text", "text": {"body": f"ping {n}"}}
        message_id = call(url + "/v1/messages", "POST", body, auth)["messages"][0]["id"]
        arrived = call(f"{receiver}/arrival/delivered/{message_id}")
        if arrived:
            latencies.append((arrived - started) * 1000)
    latencies.sort()
    p50, p99 = statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]
    verdict = "ok" if p50 < LATENCY_TARGET_MS else "OVER TARGET"
    print(
        f"send -> delivered webhook            p50 {p50:6.2f} ms  p99 {p99:6.2f} ms   "
        f"({len(latencies)} messages; target p50 < {LATENCY_TARGET_MS:g} ms: {verdict})"
    )

    # throughput and losses: 10 000 messages to 100 users over 8 connections
    call(url + "/_emulator/reset", "POST", {"keep": ["users"]})
    for wa_id in wa_ids:
        call(f"{url}/_emulator/users/{wa_id}/messages", "POST", {"type": "text", "text": {"body": "hi"}})
    call(url + "/_emulator/webhooks/drain?timeout=30", "POST")
    call(receiver + "/clear", "POST")
    raws = [
        request_bytes(
            url, "POST", "/v1/messages", {"to": wa_ids[n % users], "type": "text", "text": {"body": f"m{n}"}}, auth
        )
        for n in range(messages)
    ]
    started = time.time()
    asyncio.run(_send_all(url, raws, 8))
    sent_s = time.time() - started
    deadline = time.time() + 300
    while time.time() < deadline:
        stats = call(receiver + "/stats")
        if (
            len(stats["arrivals"].get("delivered", {})) >= messages
            and len(stats["arrivals"].get("read", {})) >= messages
        ):
            break
        time.sleep(0.2)
    elapsed = time.time() - started
    stats = call(receiver + "/stats")
    delivered = len(stats["arrivals"].get("delivered", {}))
    read = len(stats["arrivals"].get("read", {}))
    log = call(url + "/_emulator/webhooks")["webhooks"]
    states: dict[str, int] = {}
    for d in log:
        states[d["state"]] = states.get(d["state"], 0) + 1
    lost = 2 * messages - delivered - read
    print(
        f"deliveries sustained                 {stats['posts'] / elapsed:8.0f} deliveries/s   "
        f"({messages} sends in {sent_s:.1f} s; {stats['posts']} webhooks in {elapsed:.1f} s; log {states}; "
        f"lost {lost}: "
        f"{'ok' if lost == 0 else 'LOST DELIVERIES'})"
    )
