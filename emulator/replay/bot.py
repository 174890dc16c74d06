"""The bot under test as a child of ``wa-emulator replay``: started, its output prefixed, waited for, stopped."""

from __future__ import annotations

import shlex
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO
from urllib.parse import urlsplit


@contextmanager
def bot_process(
    command: str, emulator_url: str, env: dict[str, str], line: Callable[[str], None]
) -> Iterator[subprocess.Popen[str]]:
    """Run ``command`` (``{emulator}`` replaced by the URL); each line it prints goes to ``line``; stopped after."""
    argv = shlex.split(command.replace("{emulator}", emulator_url))
    process = subprocess.Popen(
        argv,
        env={**env, "WA_EMULATOR_URL": emulator_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    assert process.stdout is not None  # (a pipe was asked for)
    reader = threading.Thread(target=_forward, args=(process.stdout, line), name="bot-output", daemon=True)
    reader.start()
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=10)  # the pipe ends with the process
        process.stdout.close()


def _forward(pipe: IO[str], line: Callable[[str], None]) -> None:
    for text in pipe:
        line(text.rstrip("\n"))


def wait_for_bot(webhook: str, seconds: float, process: subprocess.Popen[str] | None) -> None:
    """Wait until the webhook's address takes connections; RuntimeError if the bot exits, TimeoutError past the wait."""
    parts = urlsplit(webhook)
    address = (parts.hostname or "127.0.0.1", parts.port or (443 if parts.scheme == "https" else 80))
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(address, timeout=1).close()
            return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the bot exited with status {process.returncode} before it listened") from None
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the bot's webhook {webhook} accepted no connection in {seconds:g} s") from None
            time.sleep(0.05)  # polling a process that is starting, with a deadline
