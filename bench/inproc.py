"""Sends called in-process, straight into the ASGI app (no HTTP server): what ``instructions.py`` counts.

``python bench/inproc.py API BODY CALLS`` starts the app's lifespan, opens the bench user's 24-hour
window, makes 200 warm-up sends and then ``CALLS`` more; ``--echo`` calls the bare echo instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from bodies import APIS, BODIES, USER, for_api

HEADERS = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json")]
AUTH = (b"authorization", b"Bearer wa-emulator-token")
WARMUP = 200


def scope(method: str, path: str, headers: list[tuple[bytes, bytes]], state: dict[str, Any]) -> dict[str, Any]:
    """An HTTP scope as uvicorn makes it."""
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 9000), "state": state,
    }  # fmt: skip


async def call(app: Any, state: dict[str, Any], method: str, path: str, body: bytes, auth: bool = True) -> int:
    """One request through the app; the status it answered."""
    headers = [*HEADERS, (b"content-length", b"%d" % len(body)), *([AUTH] if auth else [])]
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    answered: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        answered.append(message)

    await app(scope(method, path, headers, state), receive, send)
    return int(answered[0]["status"])


async def run(api: str, body_name: str, calls: int, echo: bool) -> None:
    """The lifespan, the window, the warm-up, then ``calls`` sends."""
    if echo:
        from echo_app import app
    else:
        from emulator.app import create_app
        from emulator.settings import Settings

        app = create_app(Settings(log_level="warning"))  # as the bench serves it: no access line per call
    state: dict[str, Any] = {}
    events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await events.put({"type": "lifespan.startup"})
    started = asyncio.Event()

    async def lifespan_send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    lifespan = asyncio.create_task(app({"type": "lifespan", "state": state}, events.get, lifespan_send))
    await started.wait()
    if not echo:
        opened = json.dumps({"type": "text", "text": {"body": "hi"}}).encode()
        await call(app, state, "POST", f"/_emulator/users/{USER}/messages", opened, auth=False)
    path, body = APIS[api], json.dumps(for_api(api, BODIES[body_name]), separators=(",", ":")).encode()
    for _ in range(WARMUP + calls):
        status = await call(app, state, "POST", path, body)
        if status >= 300:
            raise SystemExit(f"{api} {body_name}: answered {status}")
    lifespan.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("api", choices=sorted(APIS))
    parser.add_argument("body", choices=sorted(BODIES))
    parser.add_argument("calls", type=int)
    parser.add_argument("--echo", action="store_true")
    args = parser.parse_args()
    asyncio.run(run(args.api, args.body, args.calls, args.echo))


if __name__ == "__main__":
    main()
