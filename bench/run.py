"""``make bench``: start the emulator as a process and print its figures (a benchmark, not a test).

Targets: healthy < 400 ms after the process starts; POST /v1/messages with validation and recording at
least 60 % of a bare Starlette echo endpoint's throughput (measured in the same run) with p99 < 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tenants
import webhooks
from loadgen import measure, median, request_bytes

HEALTH_TARGET_MS = 400
SHARE_TARGET = 0.60
P99_TARGET_MS = 10.0

TEXT = {"to": "15550001111", "type": "text", "text": {"body": "Your order *A-1027* has shipped."}}
BUTTONS = {
    "to": "15550001111",
    "type": "interactive",
    "interactive": {
        "type": "button",
        "header": {"type": "text", "text": "Delivery"},
        "body": {"text": "When should we deliver?"},
        "footer": {"text": "Reply below"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "today", "title": "Today"}},
                {"type": "reply", "reply": {"id": "tomorrow", "title": "Tomorrow"}},
                {"type": "reply", "reply": {"id": "later", "title": "Later"}},
            ]
        },
    },
}
LIST = {
    "to": "15550001111",
    "type": "interactive",
    "interactive": {
        "type": "list",
        "header": {"type": "text", "text": "Menu"},
        "body": {"text": "Pick a dish"},
        "action": {
            "button": "See dishes",
            "sections": [
                {
                    "title": "Mains",
                    "rows": [{"id": f"main-{i}", "title": f"Main {i}", "description": "Tasty"} for i in range(5)],
                },
                {
                    "title": "Desserts",
                    "rows": [{"id": f"dessert-{i}", "title": f"Dessert {i}"} for i in range(5)],
                },
            ],
        },
    },
}


def start_uvicorn(app: str, port: int) -> subprocess.Popen[bytes]:
    """A bench helper app (``echo_app:app``, ``receiver_app:app``) in its own uvicorn process."""
    bench_dir = str(Path(__file__).resolve().parent)
    argv = [
        "-m",
        "uvicorn",
        app,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--app-dir",
        bench_dir,
    ]
    return subprocess.Popen([sys.executable, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_healthy(url: str, path: str = "/_emulator/health") -> None:
    deadline = time.perf_counter() + 20
    while True:
        try:
            urllib.request.urlopen(url + path, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # answering at all is enough (the echo app has no health route)
        except OSError:
            if time.perf_counter() > deadline:
                raise
            time.sleep(0.01)


def start_emulator(port: int, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--log-level", "warning", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def time_to_healthy(port: int) -> float:
    """Milliseconds from process start to the first 200 from /_emulator/health."""
    start = time.perf_counter()
    process = start_emulator(port)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/health", timeout=1) as r:
                    if r.status == 200:
                        return (time.perf_counter() - start) * 1000
            except OSError:
                time.sleep(0.002)
            if process.poll() is not None:
                raise RuntimeError("the emulator exited during start-up: run `make run` to see why")
            if time.perf_counter() - start > 20:
                raise TimeoutError("emulator never became healthy")
    finally:
        process.terminate()
        process.wait()


def login(url: str) -> str:
    request = urllib.request.Request(
        url + "/v1/users/login",
        method="POST",
        headers={"Authorization": "Basic " + base64.b64encode(b"admin:secret").decode()},
    )
    with urllib.request.urlopen(request) as r:
        token: str = json.load(r)["users"][0]["token"]
        return token


async def throughput(url: str, seconds: float) -> None:
    token = login(url)
    auth = {"Authorization": f"Bearer {token}"}
    basic = {"Authorization": "Basic " + base64.b64encode(b"admin:secret").decode()}
    cases = [
        ("POST /v1/users/login", request_bytes(url, "POST", "/v1/users/login", None, basic)),
        (
            "POST /v1/contacts (wait, 3 numbers)",
            request_bytes(
                url,
                "POST",
                "/v1/contacts",
                {"blocking": "wait", "contacts": ["+1 631 555 1000", "16315551001", "+44 7700 900123"]},
                auth,
            ),
        ),
    ]
    for name, raw in cases:
        print((await measure(name, url, raw, seconds=seconds)).line())


async def messages(url: str, echo_url: str, seconds: float) -> None:
    auth = {"Authorization": f"Bearer {login(url)}"}
    for name, body in (("text", TEXT), ("reply buttons", BUTTONS), ("list", LIST)):
        # the ceiling for each body: a bare endpoint that parses the same bytes and answers 201
        echo_raw = request_bytes(echo_url, "POST", "/v1/messages", body)
        ceiling = await measure(f"echo {name} (bare Starlette)", echo_url, echo_raw, seconds=seconds)
        print(ceiling.line())
        result = await measure(
            f"POST /v1/messages {name}",
            url,
            request_bytes(url, "POST", "/v1/messages", body, auth),
            seconds=seconds,
        )
        share = result.rps / ceiling.rps
        verdict = "ok" if share >= SHARE_TARGET and result.pct(99) < P99_TARGET_MS else "OVER TARGET"
        print(f"{result.line()}   {share:.0%} of echo ({verdict})")
        reset = urllib.request.Request(url + "/_emulator/reset", method="POST")
        urllib.request.urlopen(reset).close()  # keep each run's record the same size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=19090)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "3")))
    args = parser.parse_args()

    runs = [time_to_healthy(args.port) for _ in range(5)]
    verdict = "ok" if median(runs) < HEALTH_TARGET_MS else "OVER TARGET"
    print(
        f"time to healthy: median {median(runs):.0f} ms, best {min(runs):.0f} ms "
        f"(target < {HEALTH_TARGET_MS} ms: {verdict})"
    )

    process = start_emulator(args.port)
    echo = start_uvicorn("echo_app:app", args.port + 1)
    try:
        url, echo_url = f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{args.port + 1}"
        wait_healthy(url)
        wait_healthy(echo_url, "/")
        asyncio.run(throughput(url, args.seconds))
        asyncio.run(messages(url, echo_url, args.seconds))
        tenants.run(url, process.pid, min(args.seconds, 2.0))
        receiver = start_uvicorn("receiver_app:app", args.port + 2)
        try:
            wait_healthy(f"http://127.0.0.1:{args.port + 2}", "/stats")
            webhooks.run(url, f"http://127.0.0.1:{args.port + 2}", login(url))
        finally:
            receiver.terminate()
            receiver.wait()
    finally:
        for p in (process, echo):
            p.terminate()
            p.wait()
    replay_throughput(args.port + 3)
    return 0


def replay_throughput(port: int, scripts: int = 100) -> None:
    """Replayed steps/s: ``scripts`` conversation scripts (fixtures/conversations, cycled) against the example bot."""
    from emulator.replay.runner import Runner
    from emulator.replay.session import Session
    from emulator.replay.suite import load_all, run_all

    root = Path(__file__).resolve().parents[1]
    found, problems = load_all(sorted(str(p) for p in (root / "fixtures" / "conversations").glob("*.yaml")))
    if problems or not found:
        raise RuntimeError(f"fixtures/conversations: {problems or 'no scripts'}")
    url = f"http://127.0.0.1:{port}"
    process = start_emulator(port)
    bot = None
    try:
        wait_healthy(url)
        bot = subprocess.Popen(
            [sys.executable, str(root / "examples" / "echo_bot" / "bot.py"), "--api", url, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert bot.stdout is not None
        if "bot listening on" not in bot.stdout.readline():  # the bot's one stdout line, once it is ready
            raise RuntimeError("the example bot did not start")
        batch = [found[i % len(found)] for i in range(scripts)]
        with Session(url) as session:
            started = time.perf_counter()
            results = run_all(batch, Runner(session))
            seconds = time.perf_counter() - started
        steps = sum(len(r.steps) for r in results)
        failed = sum(not r.ok for r in results)
        verdict = "all green" if not failed else f"{failed} FAILED"
        print(
            f"replay: {scripts} scripts ({steps} steps) against examples/echo_bot in {seconds:.2f} s: "
            f"{steps / seconds:.0f} steps/s, {scripts / seconds:.1f} scripts/s ({verdict})"
        )
    finally:
        for p in (bot, process):
            if p is not None:
                p.terminate()
                p.wait()
        if bot is not None and bot.stdout is not None:
            bot.stdout.close()


if __name__ == "__main__":
    sys.exit(main())
