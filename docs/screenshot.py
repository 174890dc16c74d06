"""Take docs/ui.png: a typical conversation with the example bot, held in the page itself.

    python docs/screenshot.py [--out docs/ui.png]

Starts the emulator and the example bot (examples/echo_bot) as processes on free loopback ports,
opens /_emulator/ui in Debian's Chromium (headless, through Playwright), and, as Alice, says hi, taps
"See the menu", picks a dish from the list, taps the template's quick reply and shares a location,
waiting for each answer of the bot. The clock is frozen and moved step by step, and the ids are
seeded, so that only the webhook's port and timings change from one run to the next.
"""

from __future__ import annotations

import argparse
import queue
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ALICE = "15550001111"
START = 1_767_261_600  # 2026-01-01 10:00 UTC


@contextmanager
def process(argv: list[str], ready: str) -> Iterator[str]:
    """Run ``argv`` until the block ends; answer the first group of the line matching ``ready``."""
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or []], daemon=True).start()
    try:
        while True:
            line = lines.get(timeout=20)
            match = re.search(ready, line)
            if match:
                yield match.group(1)
                return
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def converse(page: Page, api: httpx.Client) -> None:
    """Hold the conversation through the page, as Alice."""

    def step(seconds: int) -> None:
        api.post("/_emulator/clock", json={"advance": seconds}).raise_for_status()

    def bot_answers(count: int) -> None:
        expect(page.locator(".row.from-business")).to_have_count(count, timeout=15_000)

    page.locator("#composer-text").fill("hi")
    page.locator("#composer-text").press("Enter")
    bot_answers(1)
    step(40)
    page.locator(".reply-button", has_text="See the menu").click()
    bot_answers(2)
    step(35)
    page.locator(".list-button").click()
    page.locator(".list-row", has_text="Pasta al pomodoro").click()
    page.locator(".sheet-send").click()
    bot_answers(3)
    step(50)
    page.locator(".reply-button", has_text="Talk to an agent").click()
    bot_answers(4)
    step(55)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "ui.png"))
    args = parser.parse_args()
    with ExitStack() as stack:
        emulator = stack.enter_context(
            process([sys.executable, "-m", "emulator", "serve", "--port", "0", "--seed", "1"], r"listening on (\S+)")
        )
        api = stack.enter_context(httpx.Client(base_url=emulator, timeout=10))
        api.post("/_emulator/clock", json={"set": START, "freeze": True}).raise_for_status()
        bot = [sys.executable, "examples/echo_bot/bot.py", "--api", emulator, "--port", "0"]
        stack.enter_context(process(bot, r"bot listening on (\S+)"))
        playwright = stack.enter_context(sync_playwright())
        profile = stack.enter_context(tempfile.TemporaryDirectory())
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1440, "height": 960},
            timezone_id="UTC",
            locale="en-US",
        )
        stack.callback(context.close)
        page = context.new_page()
        page.goto(f"{emulator}/_emulator/ui#{ALICE}")
        expect(page.locator("#live")).to_have_attribute("data-state", "live")
        converse(page, api)
        tapped = page.locator(".row.from-user").nth(1)  # the tapped button: show its JSON and webhooks
        tapped.locator(".bubble > .text").click()
        expect(page.locator("#details .delivery").first).to_be_visible()
        expect(page.locator("#window")).to_have_text("Window open · 23:59:05 left")
        page.locator("#messages").evaluate("box => box.scrollTo(0, box.scrollHeight)")
        page.mouse.move(0, 0)
        page.screenshot(path=args.out)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
