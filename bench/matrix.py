"""Per-send cost: the bare echo, then the emulator (memory and SQLite store) for each body and API.

Every emulator run is a full-path send: static token, schema validation, the rules, recording, the
status lifecycle and webhook enqueue (no webhook URL), to a user whose 24-hour window is open. The
record is reset before each run, so every run starts from the same state.

A shared VM's speed drifts by a third over minutes, so each emulator run is compared with the echo
run next to it in time, not with the echo's best: a round runs the echo, the On-Premises API on
both stores, the echo, the Cloud API on both stores, the echo again (the last echo run of a round
opens the next). Each emulator run's ratios are to the mean of the two echo runs around it; SQLite's
req/s is compared with the memory run just before it. A case's ratio is the median over the rounds.
Its absolute figures are its best run's (most req/s, least CPU per request): what a quiet machine does.
"""

from __future__ import annotations

import functools
import statistics
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
    """Every case of the matrix, ``rounds`` times; ``report(row)`` is called as each case is final."""
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
            raw_echo = body_file(body)
            echo_run = functools.partial(
                measure, echo_url + ONPREM_PATH, raw_echo, seconds=seconds, warmup=warmup, pid=echo.pid
            )
            echoes = [echo_run()]
            results: dict[tuple[str, str], list[Run]] = {}
            paired: dict[tuple[str, str], list[dict[str, float]]] = {}
            for _ in range(rounds):
                for api, path in APIS.items():
                    runs: dict[str, Run] = {}
                    for store, (process, url) in servers.items():
                        prepare(url)
                        raw = body_file(for_api(api, body))
                        runs[store] = measure(
                            url + path, raw, seconds=seconds, warmup=warmup, auth=AUTH, pid=process.pid
                        )
                    echoes.append(echo_run())
                    for store, result in runs.items():
                        results.setdefault((api, store), []).append(result)
                        paired.setdefault((api, store), []).append(_paired(result, echoes[-2:], runs["memory"]))
            rows.append(_row(body_name, "echo", "-", echoes, []))
            report(rows[-1])
            for (api, store), runs_of_case in results.items():
                rows.append(_row(body_name, api, store, runs_of_case, paired[(api, store)]))
                report(rows[-1])
    finally:
        stop(echo, memory, sqlite)
    return rows


def _paired(result: Run, echoes: list[Run], memory: Run) -> dict[str, float]:
    """One run's ratios: CPU and req/s to the mean of the echo runs around it, req/s to the memory run before."""
    ratios = {"rps_x": result.rps / statistics.fmean(e.rps for e in echoes), "memory_x": result.rps / memory.rps}
    echo_cpu = [e.cpu_us for e in echoes if e.cpu_us]
    if result.cpu_us and echo_cpu:
        ratios["cpu_x"] = result.cpu_us / statistics.fmean(echo_cpu)
    return ratios


def _row(body: str, api: str, store: str, runs: list[Run], paired: list[dict[str, float]]) -> dict[str, Any]:
    """One case: its best run's figures (most req/s, least CPU per request), the median of its paired
    ratios (``cpu_x``, ``rps_x``, and ``memory_x`` for SQLite), every run and every ratio."""
    fastest = max(runs, key=lambda r: r.rps)
    cpu = [r.cpu_us for r in runs if r.cpu_us is not None]
    row = {"body": body, "api": api, "store": store, **fastest.as_dict(), "cpu_us": min(cpu) if cpu else None}
    for key in ("cpu_x", "rps_x", "memory_x") if paired else ():
        values = [p[key] for p in paired if key in p]
        if values and (key != "memory_x" or store == "sqlite"):
            row[key] = statistics.median(values)
    return {**row, "runs": [r.as_dict() for r in runs], "paired": paired}
