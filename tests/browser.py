"""Debian's Chromium through Playwright: one way to launch it, for the browser tests and docs/screenshot.py.

Playwright's own browser download does not work on these machines; `make test` installs Debian's
chromium. Without the background-networking flags Chromium keeps dialling Google's hosts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import BrowserContext, sync_playwright

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


@contextmanager
def chromium(**options: Any) -> Iterator[BrowserContext]:
    """A headless Chromium with a fresh profile, in UTC and en-US; ``options`` go to Playwright's launch."""
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="wa-emulator-ui-") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            timezone_id="UTC",
            locale="en-US",
            **options,
        )
        try:
            yield context
        finally:
            context.close()
