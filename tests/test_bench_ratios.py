"""How ``make bench`` turns runs into the ratios its targets judge (``bench/matrix.py``, ``bench/targets.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import matrix
import targets
from load import Run


def run(rps: float, cpu_us: float) -> Run:
    return Run(requests=int(rps), seconds=1.0, p50_ms=1.0, p99_ms=2.0, max_ms=3.0, errors=0, cpu_us=cpu_us)


def test_a_run_is_compared_with_the_echo_runs_around_it() -> None:
    """The machine slowed down between the echo runs: the emulator run is judged against their mean."""
    ratios = matrix._paired(run(4000, 150), [run(10000, 50), run(8000, 100)], run(5000, 120))
    assert ratios == {"rps_x": 4000 / 9000, "memory_x": 0.8, "cpu_x": 2.0}


def test_a_case_takes_the_median_of_its_rounds_and_its_best_figures() -> None:
    runs = [run(5000, 120), run(6000, 110), run(4000, 160)]
    paired = [{"cpu_x": 1.9, "rps_x": 0.6, "memory_x": 0.7}, {"cpu_x": 2.4, "rps_x": 0.4}, {"cpu_x": 1.7, "rps_x": 0.5}]
    memory = matrix._row("text", "cloud", "memory", runs, paired)
    assert (memory["cpu_x"], memory["rps_x"], memory["rps"], memory["cpu_us"]) == (1.9, 0.5, 6000, 110)
    assert "memory_x" not in memory
    assert matrix._row("text", "cloud", "sqlite", runs, paired)["memory_x"] == 0.7


def test_the_targets_judge_the_paired_ratios_not_the_best_figures() -> None:
    echo = {"body": "text", "api": "echo", "store": "-", "rps": 10000.0, "cpu_us": 50.0}
    memory = {"body": "text", "api": "cloud", "store": "memory", "rps": 6000.0, "cpu_us": 90.0}
    sqlite = {"body": "text", "api": "cloud", "store": "sqlite", "rps": 3000.0, "cpu_us": 150.0}
    best_only = targets.ratios([echo, memory, sqlite])
    assert [(r["cpu_x"], r["rps_x"]) for r in best_only] == [(1.8, 0.6), (3.0, 0.3)]
    paired = targets.ratios([echo, {**memory, "cpu_x": 2.1, "rps_x": 0.45}, {**sqlite, "memory_x": 0.65}])
    assert (paired[0]["cpu_x"], paired[0]["rps_x"], paired[1]["memory_x"]) == (2.1, 0.45, 0.65)
    verdicts = {
        r["what"]: r["met"]
        for r in targets.evaluate({"matrix": [echo, {**memory, "cpu_x": 2.1}], "healthy_ms": {"median": 1}})
    }
    assert verdicts["server CPU per send (memory; text, buttons, list; both APIs)"] is False
