"""Instructions per send, counted by valgrind: a figure that does not drift with the machine's speed.

CPU time on a shared VM moves by a third from one minute to the next; the number of instructions a
send executes does not (±1 %). Each case runs ``inproc.py`` under ``valgrind --tool=callgrind``
twice, with no sends and with ``--calls`` sends after the same warm-up, and divides the difference;
the bare echo runs on the same harness. The HTTP server's own work is not in these figures (it is
the same for the echo and the emulator), so the ratios here are higher than ``make bench``'s.

``make bench BENCH_ARGS=--instructions`` (valgrind: ``apt-get install valgrind``); about 4 minutes.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
from typing import Any

from procs import BENCH_DIR

CASES = [("onprem", "text"), ("cloud", "text"), ("onprem", "list"), ("cloud", "list")]
_REFS = re.compile(r"refs:\s+([\d,]+)")


def available() -> bool:
    """Whether valgrind is on the PATH."""
    return shutil.which("valgrind") is not None


def _instructions(api: str, body: str, calls: int, echo: bool) -> int:
    argv = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable]
    argv += [str(BENCH_DIR / "inproc.py"), api, body, str(calls), *(["--echo"] if echo else [])]
    done = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=BENCH_DIR)
    found = _REFS.search(done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count from valgrind: {done.stderr[-500:]}")
    return int(found.group(1).replace(",", ""))


def per_send(api: str, body: str, calls: int, echo: bool = False) -> float:
    """Instructions one send executes (the echo's, with ``echo``)."""
    return (_instructions(api, body, calls, echo) - _instructions(api, body, 0, echo)) / calls


def run(calls: int, report: Any) -> list[dict[str, Any]]:
    """Every case and the echo of each body, on every CPU; ``report(row)`` as each is done."""
    jobs = [(api, body, False) for api, body in CASES] + [("onprem", body, True) for body in {b for _, b in CASES}]
    rows: list[dict[str, Any]] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futures = {pool.submit(per_send, api, body, calls, echo): (api, body, echo) for api, body, echo in jobs}
        for future in concurrent.futures.as_completed(futures):
            api, body, echo = futures[future]
            rows.append({"api": "echo" if echo else api, "body": body, "instructions": future.result()})
    echoes = {r["body"]: r["instructions"] for r in rows if r["api"] == "echo"}
    for row in sorted(rows, key=lambda r: (r["body"], r["api"])):
        row["x_echo"] = row["instructions"] / echoes[row["body"]]
        report(row)
    return rows
