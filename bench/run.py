"""``make bench``: the emulator's figures next to a bare Starlette echo measured in the same run.

Prints each run as it finishes, then every target of issue 11 with met / NOT met, and writes all
figures to bench/results.json (the previous file is kept as results.prev.json and compared with).
``--long`` makes the flat-tail run 60 s (default 20 s); ``--quick`` runs only the per-send matrix;
``--instructions`` only counts the instructions of a send with valgrind (``instructions.py``).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import instructions
import load
import matrix
import procs
import replaying
import scale
import targets
import tenants
import webhooks
from procs import BENCH_DIR, ROOT, time_to_healthy


def _tenants(port: int, seconds: float) -> None:
    """Send throughput and memory with 1, 10 and 100 tenants on one server (issue 12)."""
    process = procs.start_emulator(port)
    try:
        url = f"http://127.0.0.1:{port}"
        procs.wait_ready(url, process)
        tenants.run(url, process.pid, seconds)
    finally:
        procs.stop(process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=19090)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS", "3")))
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the send cases (the median ratio counts)")
    parser.add_argument("--long", action="store_true", help="a 60 s flat-tail run (default 20 s)")
    parser.add_argument("--quick", action="store_true", help="only the per-send matrix")
    parser.add_argument("--instructions", action="store_true", help="only instructions per send (valgrind)")
    parser.add_argument("--calls", type=int, default=1000, help="sends counted per case with --instructions")
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results.json")
    args = parser.parse_args()
    if args.instructions:
        return _instructions(args.calls)

    print(_header(args))
    # Bytecode, as an installed package has it (PYTHONDONTWRITEBYTECODE would make every start compile it).
    compileall.compile_dir(ROOT / "emulator", quiet=1)
    results: dict[str, Any] = {"meta": _meta(args)}
    runs = [time_to_healthy(args.port) for _ in range(5)]
    results["healthy_ms"] = {"median": statistics.median(runs), "best": min(runs), "runs": runs}
    print(f"time to healthy: median {statistics.median(runs):.0f} ms, best {min(runs):.0f} ms")

    with tempfile.TemporaryDirectory(prefix="wa-bench-") as workdir:
        print(f"\n{'body':<8} {'api':<7} {'store':<7} {'req/s':>8} {'p50':>8} {'p99':>8} {'CPU/req':>9} {'errors':>7}")
        results["matrix"] = matrix.run(
            args.port, Path(workdir), seconds=args.seconds, warmup=args.warmup, rounds=args.rounds, report=_print_row
        )
    print("\nratios to the bare echo of the same body, median over the rounds (1: CPU <= 2, req/s >= 0.5;")
    print("4: SQLite >= 0.6 x memory); the figures above are each case's best run")
    print("\n".join(targets.ratio_lines(results["matrix"])))
    if not args.quick:
        tail_s = 60.0 if args.long else 20.0
        print(f"\nflat tail: reply buttons, On-Prem, memory store, {tail_s:g} s at full load in 5 s slices")
        results["tail"] = scale.tail(args.port + 10, tail_s, _print_phase)
        print("\n100 k stored messages (memory store, reply buttons, On-Prem)")
        results["scale"] = scale.hundred_k(args.port + 20, args.seconds, _print_phase)
        print("\nwebhooks to a local receiver")
        results["webhooks"] = webhooks.run(args.port + 30, messages=10_000, latency_s=4.0, report=_print_phase)
        results["replay"] = replaying.run(args.port + 40)
        print("\nsends spread over tenants (On-Prem, memory store)")
        _tenants(args.port + 50, min(args.seconds, 2.0))
    results["targets"] = targets.evaluate(results)
    print("\n" + targets.table(results["targets"]))
    _compare(args.output, results)
    return 0


def _instructions(calls: int) -> int:
    """Instructions per send in-process, each case against the echo of its body (bench/instructions.json)."""
    if not instructions.available():
        print("valgrind is not on the PATH (apt-get install valgrind)", file=sys.stderr)
        return 2
    print(f"instructions per send, in-process (valgrind callgrind; {calls} sends a case after 200 warm-up)")
    print(f"{'body':<8} {'api':<7} {'instructions':>13} {'x echo':>7}")
    rows = instructions.run(
        calls, lambda r: print(f"{r['body']:<8} {r['api']:<7} {r['instructions']:>13,.0f} {r['x_echo']:>7.2f}")
    )
    load.write_json(BENCH_DIR / "instructions.json", {"calls": calls, "rows": rows})
    return 0


def _print_row(row: dict[str, Any]) -> None:
    cpu = f"{row['cpu_us']:.0f} µs" if row.get("cpu_us") else "-"
    print(
        f"{row['body']:<8} {row['api']:<7} {row['store']:<7} {row['rps']:>8,.0f} {row['p50_ms']:>5.1f} ms"
        f" {row['p99_ms']:>5.1f} ms {cpu:>9} {row['errors']:>7}",
        flush=True,
    )


def _print_phase(row: dict[str, Any]) -> None:
    shown = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items() if k not in ("extra",)}
    print("  " + ", ".join(f"{k} {v}" for k, v in shown.items() if v is not None), flush=True)


def _header(args: argparse.Namespace) -> str:
    how = "wrk -t1 -c32" if load.WRK else "the built-in generator (install wrk for figures of the server)"
    return (
        f"wa-emulator bench: {how}; {args.seconds:g} s runs after {args.warmup:g} s warm-up, {args.rounds} rounds "
        f"(ratios: the median of each run against the echo runs around it); {os.cpu_count()} CPUs; "
        f"load average {os.getloadavg()[0]:.2f}"
    )


def _meta(args: argparse.Namespace) -> dict[str, Any]:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit": commit.stdout.strip(),
        "generator": load.generator(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0],
        "python": platform.python_version(),
        "seconds": args.seconds,
        "warmup": args.warmup,
        "rounds": args.rounds,
    }


def _compare(path: Path, results: dict[str, Any]) -> None:
    """Write the figures; show what got slower than the previous run's (more than 10 %)."""
    if path.exists():
        previous = json.loads(path.read_text())
        path.with_name("results.prev.json").write_text(path.read_text())
        for line in targets.slower(previous, results):
            print("slower than the previous run: " + line)
    load.write_json(path, results)
    print(f"figures written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    sys.exit(main())
