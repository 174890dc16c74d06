"""The in-process harness that ``make bench BENCH_ARGS=--instructions`` counts: its sends must be accepted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize(
    ("api", "body", "echo"), [("onprem", "text", False), ("cloud", "list", False), ("cloud", "buttons", True)]
)
def test_the_harness_makes_accepted_sends(api: str, body: str, echo: bool) -> None:
    argv = [sys.executable, str(BENCH / "inproc.py"), api, body, "3", *(["--echo"] if echo else [])]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=BENCH, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
