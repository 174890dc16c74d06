"""A webhook receiver for the benchmark: answers 200 and notes when each status arrived (wall clock)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

arrivals: dict[str, dict[str, float]] = {}  # status -> message id -> arrival time
counts = {"posts": 0}
changed = asyncio.Event()


async def hook(request: Request) -> Response:
    now = time.time()
    payload: dict[str, Any] = orjson.loads(await request.body())
    counts["posts"] += 1
    for status in payload.get("statuses", []):
        arrivals.setdefault(status["status"], {})[status["id"]] = now
    changed.set()
    return Response(b"{}", media_type="application/json")


async def arrival(request: Request) -> Response:
    """When a status of a message arrived; waits up to 5 s for it (the latency probe's long-poll)."""
    status, message_id = request.path_params["status"], request.path_params["message_id"]
    deadline = time.monotonic() + 5
    while message_id not in arrivals.get(status, {}) and time.monotonic() < deadline:
        changed.clear()
        try:
            await asyncio.wait_for(changed.wait(), deadline - time.monotonic())
        except TimeoutError:
            break
    return Response(orjson.dumps(arrivals.get(status, {}).get(message_id)), media_type="application/json")


async def stats(request: Request) -> Response:
    return Response(orjson.dumps({"arrivals": arrivals, "posts": counts["posts"]}), media_type="application/json")


async def clear(request: Request) -> Response:
    arrivals.clear()
    counts["posts"] = 0
    return Response(b"{}")


app = Starlette(
    routes=[
        Route("/hook", hook, methods=["POST"]),
        Route("/arrival/{status}/{message_id}", arrival),
        Route("/stats", stats),
        Route("/clear", clear, methods=["POST"]),
    ]
)
