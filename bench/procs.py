"""Processes of the benchmark: the emulator and the helper apps, their CPU time and memory from /proc."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
TOKEN = "wa-emulator-token"  # the default static access token: no login needed on either API
_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (all its threads)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the name in parentheses may contain spaces
    return (int(fields[11]) + int(fields[12])) / _TICK


def rss_bytes(pid: int) -> int:
    """Resident set size of the process now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def start_emulator(port: int, *extra: str) -> subprocess.Popen[bytes]:
    """``python -m emulator serve`` on ``port`` with ``extra`` flags, quiet."""
    argv = [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--log-level", "warning", *extra]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)


def start_app(app: str, port: int) -> subprocess.Popen[bytes]:
    """A bench helper app (``echo_app:app``, ``receiver_app:app``) in its own uvicorn process."""
    argv = [sys.executable, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning"]
    argv += ["--no-access-log", "--app-dir", str(BENCH_DIR)]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(*processes: subprocess.Popen[bytes] | None) -> None:
    """Terminate (SIGTERM: a clean stop) and reap."""
    for process in processes:
        if process is not None and process.poll() is None:
            process.terminate()
    for process in processes:
        if process is not None:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_ready(url: str, process: subprocess.Popen[bytes], path: str = "/_emulator/health") -> float:
    """Seconds until ``url + path`` answers at all (any HTTP status); raises if the process exits."""
    started = time.perf_counter()
    while True:
        try:
            urllib.request.urlopen(url + path, timeout=1).close()
            return time.perf_counter() - started
        except urllib.error.HTTPError:
            return time.perf_counter() - started  # answering at all is enough (the echo app has no such route)
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited with {process.returncode}") from None
            if time.perf_counter() - started > 30:
                raise
            time.sleep(0.002)


def call(url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None) -> Any:
    """One JSON call (urllib: nothing to install); the decoded answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read() or b"null")


def time_to_healthy(port: int) -> float:
    """Milliseconds from process start to the first 200 from /_emulator/health."""
    started = time.perf_counter()
    process = start_emulator(port)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_emulator/health", timeout=1) as r:
                    if r.status == 200:
                        return (time.perf_counter() - started) * 1000
            except (OSError, http.client.HTTPException):  # HTTPException: a self-connect in the ephemeral range
                time.sleep(0.001)
            if process.poll() is not None:
                raise RuntimeError("the emulator exited during start-up: run `make run` to see why")
            if time.perf_counter() - started > 20:
                raise TimeoutError("emulator never became healthy")
    finally:
        stop(process)
