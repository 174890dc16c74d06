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
import sys
from contextlib import ExitStack
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the test helpers below live in the repository's tests/

from tests.browser import chromium  # noqa: E402
from tests.process import running_emulator, running_process  # noqa: E402

ALICE = "15550001111"
START = 1_767_261_600  # 2026-01-01 10:00 UTC


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
        emulator = stack.enter_context(running_emulator(["--seed", "1"])).url
        api = stack.enter_context(httpx.Client(base_url=emulator, timeout=10))
        api.post("/_emulator/clock", json={"set": START, "freeze": True}).raise_for_status()
        bot = [sys.executable, str(ROOT / "examples" / "echo_bot" / "bot.py"), "--api", emulator, "--port", "0"]
        stack.enter_context(running_process(bot, r"bot listening on (\S+)"))
        context = stack.enter_context(chromium(viewport={"width": 1440, "height": 960}))
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
