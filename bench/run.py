"""``make bench``: start the emulator as a process and print its figures (a benchmark, not a test).

Targets (issue figures): healthy < 400 ms after the process starts.
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
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import measure, median, request_bytes

HEALTH_TARGET_MS = 400


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
    try:
        url = f"http://127.0.0.1:{args.port}"
        deadline = time.perf_counter() + 20
        while True:
            try:
                urllib.request.urlopen(url + "/_emulator/health", timeout=1).close()
                break
            except OSError:
                if time.perf_counter() > deadline:
                    raise
                time.sleep(0.01)
        asyncio.run(throughput(url, args.seconds))
    finally:
        process.terminate()
        process.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
