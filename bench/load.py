"""One measured load run: wrk when it is on the PATH (``-t1 -c32``), the built-in generator otherwise.

Either way the figures are the same: requests, req/s, p50/p99/max latency, non-2xx answers, and
the server's CPU time per request (read from /proc before and after the run, so it does not depend
on how fast the load generator is).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import loadgen
from procs import BENCH_DIR, cpu_seconds

WRK = shutil.which("wrk")
THREADS, CONNECTIONS = 1, 32


@dataclass
class Run:
    """The figures of one run."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # non-2xx answers and socket errors
    cpu_us: float | None = None  # server CPU time per request
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "rps": round(self.rps, 1)}


def generator() -> str:
    """Which load generator runs: ``wrk`` or ``built-in``."""
    return "wrk" if WRK else "built-in"


def measure(
    url: str,
    body: bytes,
    *,
    seconds: float,
    warmup: float = 0.0,
    auth: str = "",
    pid: int | None = None,
) -> Run:
    """POST ``body`` to ``url`` over 32 keep-alive connections for ``seconds`` (after ``warmup`` seconds)."""
    if warmup > 0:
        _run(url, body, warmup, auth)
    before = cpu_seconds(pid) if pid else None
    result = _run(url, body, seconds, auth)
    if pid and before is not None and result.requests:
        result.cpu_us = (cpu_seconds(pid) - before) / result.requests * 1e6
    return result


def _run(url: str, body: bytes, seconds: float, auth: str) -> Run:
    if WRK is None:
        result = asyncio.run(loadgen.run(url, body, seconds=seconds, auth=auth, connections=CONNECTIONS))
        return Run(**result)
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        f.write(body)
        f.flush()
        env = {**os.environ, "BENCH_BODY_FILE": f.name, "BENCH_AUTH": auth}
        argv = [WRK, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
        argv += ["-s", str(BENCH_DIR / "post.lua"), url]
        out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    figures = json.loads(line.removeprefix("BENCH "))
    errors = figures["errors"]
    return Run(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        max_ms=figures["max_us"] / 1000,
        errors=sum(errors.values()),
    )


def body_file(payload: object) -> bytes:
    """A request body as the benchmark sends it (compact JSON)."""
    return json.dumps(payload, separators=(",", ":")).encode()


def write_json(path: Path, data: object) -> None:
    """Write ``data`` as indented JSON."""
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
