"""Per-send cost: the bare echo, then the emulator (memory and SQLite store) for each body and API.

Every emulator run is a full-path send: static token, schema validation, the rules, recording, the
status lifecycle and webhook enqueue (no webhook URL), to a user whose 24-hour window is open. The
record is reset before each run, so every run starts from the same state. Each case runs ``rounds``
times, interleaved with the others (echo included), and keeps its best figures: on a shared
machine a neighbour's burst of work slows one run, not the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bodies import APIS, BODIES, ONPREM_PATH, USER, for_api
from load import Run, body_file, measure
from procs import TOKEN, call, start_app, start_emulator, stop, wait_ready

AUTH = f"Bearer {TOKEN}"


def prepare(url: str) -> None:
    """Empty the record (users kept) and open the bench user's 24-hour window."""
    call(url + "/_emulator/reset", "POST", {"keep": ["users"]})
    call(f"{url}/_emulator/users/{USER}/messages", "POST", {"type": "text", "text": {"body": "hi"}})


def run(port: int, workdir: Path, *, seconds: float, warmup: float, rounds: int, report: Any) -> list[dict[str, Any]]:
    """Every case of the matrix, best of ``rounds``; ``report(row)`` is called as each case is final."""
    echo = start_app("echo_app:app", port + 1)
    memory = start_emulator(port)
    sqlite = start_emulator(port + 2, "--store", f"sqlite:{workdir / 'bench.sqlite'}")
    rows: list[dict[str, Any]] = []
    try:
        servers = {"memory": (memory, f"http://127.0.0.1:{port}"), "sqlite": (sqlite, f"http://127.0.0.1:{port + 2}")}
        echo_url = f"http://127.0.0.1:{port + 1}"
        wait_ready(echo_url, echo, "/")
        for process, url in servers.values():
            wait_ready(url, process)
        for body_name, body in BODIES.items():
            results: dict[tuple[str, str], list[Run]] = {}
            for _ in range(rounds):
                raw = body_file(body)
                ceiling = measure(echo_url + ONPREM_PATH, raw, seconds=seconds, warmup=warmup, pid=echo.pid)
                results.setdefault(("echo", "-"), []).append(ceiling)
                for api, path in APIS.items():
                    for store, (process, url) in servers.items():
                        prepare(url)
                        raw = body_file(for_api(api, body))
                        result = measure(url + path, raw, seconds=seconds, warmup=warmup, auth=AUTH, pid=process.pid)
                        results.setdefault((api, store), []).append(result)
            for (api, store), runs in results.items():
                rows.append(_row(body_name, api, store, runs))
                report(rows[-1])
    finally:
        stop(echo, memory, sqlite)
    return rows


def _row(body: str, api: str, store: str, runs: list[Run]) -> dict[str, Any]:
    """The best of the runs of one case (most req/s, least CPU per request), with every run kept."""
    fastest = max(runs, key=lambda r: r.rps)
    cpu = [r.cpu_us for r in runs if r.cpu_us is not None]
    best = {**fastest.as_dict(), "cpu_us": min(cpu) if cpu else None}
    return {"body": body, "api": api, "store": store, **best, "runs": [r.as_dict() for r in runs]}
