"""A webhook receiver for the benchmark: answers 200 and notes when each status arrived (wall clock)."""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

arrivals: dict[str, dict[str, float]] = {}  # status -> message id -> arrival time
counts: dict[str, Any] = {"posts": 0, "first": None, "last": None}


async def hook(request: Request) -> Response:
    now = time.time()
    payload: dict[str, Any] = orjson.loads(await request.body())
    counts["posts"] += 1
    counts["first"] = counts["first"] or now
    counts["last"] = now
    value = payload["entry"][0]["changes"][0]["value"] if "entry" in payload else payload
    for status in value.get("statuses", []):
        arrivals.setdefault(status["status"], {})[status["id"]] = now
    return Response(b"{}", media_type="application/json")


async def stats(request: Request) -> Response:
    return Response(orjson.dumps({"arrivals": arrivals, **counts}), media_type="application/json")


async def clear(request: Request) -> Response:
    arrivals.clear()
    counts.update(posts=0, first=None, last=None)
    return Response(b"{}")


app = Starlette(
    routes=[
        Route("/hook", hook, methods=["POST"]),
        Route("/stats", stats),
        Route("/clear", clear, methods=["POST"]),
    ]
)
