"""Replayed steps/s: conversation scripts (fixtures/conversations, cycled) against the example bot."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from procs import ROOT, start_emulator, stop, wait_ready


def run(port: int, scripts: int = 100) -> dict[str, Any]:
    """Replay ``scripts`` scripts against examples/echo_bot; print and answer the figures."""
    from emulator.replay.runner import Runner
    from emulator.replay.session import Session
    from emulator.replay.suite import load_all, run_all

    found, problems = load_all(sorted(str(p) for p in (ROOT / "fixtures" / "conversations").glob("*.yaml")))
    if problems or not found:
        raise RuntimeError(f"fixtures/conversations: {problems or 'no scripts'}")
    url = f"http://127.0.0.1:{port}"
    process = start_emulator(port)
    bot = None
    try:
        wait_ready(url, process)
        bot = subprocess.Popen(
            [sys.executable, str(ROOT / "examples" / "echo_bot" / "bot.py"), "--api", url, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert bot.stdout is not None
        if "bot listening on" not in bot.stdout.readline():  # the bot's one stdout line, once it is ready
            raise RuntimeError("the example bot did not start")
        batch = [found[i % len(found)] for i in range(scripts)]
        with Session(url) as session:
            started = time.perf_counter()
            results = run_all(batch, Runner(session))
            seconds = time.perf_counter() - started
    finally:
        stop(bot, process)  # type: ignore[arg-type]
        if bot is not None and bot.stdout is not None:
            bot.stdout.close()
    steps = sum(len(r.steps) for r in results)
    failed = sum(not r.ok for r in results)
    print(
        f"\nreplay: {scripts} scripts ({steps} steps) against examples/echo_bot in {seconds:.2f} s: "
        f"{steps / seconds:.0f} steps/s ({'all green' if not failed else f'{failed} FAILED'})"
    )
    return {"scripts": scripts, "steps": steps, "seconds": seconds, "failed": failed}
