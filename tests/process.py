"""Run the emulator as a real process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import httpx

_LISTENING = re.compile(r"listening on (http://[^\s\"]+)")  # a text or a JSON log line


@dataclass
class RunningEmulator:
    """A started emulator process and the URL it listens on."""

    process: subprocess.Popen[str]
    url: str
    output: list[str]


@contextmanager
def running_emulator(
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    *,
    command: Sequence[str] | None = None,
    deadline_s: float = 20.0,
) -> Iterator[RunningEmulator]:
    """Start ``wa-emulator serve --port 0 ARGS``, wait until /_emulator/health answers, stop it after."""
    argv = list(command) if command else [sys.executable, "-m", "emulator", "serve", "--port", "0", *args]
    with running_process(argv, _LISTENING.pattern, env, deadline_s=deadline_s) as started:
        url = started.ready.group(1)
        _wait_healthy(url, time.monotonic() + deadline_s)
        yield RunningEmulator(started.process, url, started.output)


def _pump(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)


def _wait_healthy(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/_emulator/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.02)  # polling a starting process, with a deadline
    raise TimeoutError(f"{url} never became healthy")


@dataclass
class RunningProcess:
    """A started process, the match of its ready line, and its output (complete once it has stopped)."""

    process: subprocess.Popen[str]
    ready: re.Match[str]
    output: list[str]


@contextmanager
def running_process(
    argv: Sequence[str],
    ready_pattern: str,
    env: dict[str, str] | None = None,
    *,
    deadline_s: float = 20.0,
) -> Iterator[RunningProcess]:
    """Start ``argv`` (stderr merged into stdout), wait for a line matching ``ready_pattern``, stop it after.

    Fails with the process's output if it exits, or prints no such line, before the deadline. On
    exit the process is terminated (killed if it does not stop within 10 s) and ``output`` gets
    every line it printed.
    """
    process = subprocess.Popen(
        list(argv),
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []
    pump = threading.Thread(target=_pump, args=(process, lines), daemon=True)
    pump.start()
    deadline = time.monotonic() + deadline_s
    try:
        ready = _wait_for_match(process, lines, output, re.compile(ready_pattern), deadline)
        yield RunningProcess(process, ready, output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        pump.join(timeout=10)  # the pipe reaches EOF once the process is gone
        if process.stdout is not None:
            process.stdout.close()
        while not lines.empty():
            output.append(lines.get_nowait())


def _wait_for_match(
    process: subprocess.Popen[str],
    lines: queue.Queue[str],
    output: list[str],
    pattern: re.Pattern[str],
    deadline: float,
) -> re.Match[str]:
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.1)
        except queue.Empty:
            if process.poll() is not None and lines.empty():
                raise RuntimeError(f"{process.args!r} exited early:\n" + "".join(output)) from None
            continue
        output.append(line)
        match = pattern.search(line)
        if match:
            return match
    raise TimeoutError(f"{process.args!r} printed no line matching {pattern.pattern!r}:\n" + "".join(output))
