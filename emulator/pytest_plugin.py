"""The pytest plugin (entry point ``pytest11``): the ``wa_emulator`` fixture for testing a bot.

An emulator runs in a background thread on a free port for the whole session (started only if a
test asks for it), reset before each test; or ``--wa-emulator-url`` names one running elsewhere.
Settings, each an option, an ini key and an environment variable (in that order of precedence):

* ``--wa-bot-webhook`` / ``wa_emulator_bot_webhook`` / ``WA_EMULATOR_BOT_WEBHOOK``: the bot's webhook
  URL (the emulator started here posts to it; a bot that registers its own webhook needs none);
* ``--wa-emulator-port`` / ``wa_emulator_port`` / ``WA_EMULATOR_PLUGIN_PORT``: the port of the
  emulator started here (default: a free one; the ``wa_emulator_url`` fixture says which);
* ``--wa-emulator-url`` / ``wa_emulator_url`` / ``WA_EMULATOR_URL``: drive this running emulator
  instead of starting one;
* ``--wa-webhook-format`` / ``wa_emulator_webhook_format`` / ``WA_EMULATOR_WEBHOOK_FORMAT``: ``cloud``
  for a Cloud API bot (signed Cloud webhooks after the verification handshake), else ``onprem``.

``wa_emulator.cloud`` holds what a Cloud API bot needs: base URL, phone number id, access token, app
secret and verify token.

Kept cheap to import: it is loaded in every pytest run of a project that installs wa-emulator.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from emulator.replay.testing import WaEmulator

_SETTINGS = {
    # option dest: (ini key, environment variable, help)
    "wa_bot_webhook": ("wa_emulator_bot_webhook", "WA_EMULATOR_BOT_WEBHOOK", "the bot's webhook URL"),
    "wa_emulator_port": ("wa_emulator_port", "WA_EMULATOR_PLUGIN_PORT", "port of the emulator (default: a free one)"),
    "wa_emulator_url": ("wa_emulator_url", "WA_EMULATOR_URL", "drive this running emulator instead of starting one"),
    "wa_webhook_format": ("wa_emulator_webhook_format", "WA_EMULATOR_WEBHOOK_FORMAT", "webhooks: onprem or cloud"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--wa-bot-webhook``, ``--wa-emulator-port``, ``--wa-emulator-url``, ``--wa-webhook-format``, their ini keys."""
    group = parser.getgroup("wa-emulator", "WhatsApp Business API emulator (the wa_emulator fixture)")
    for dest, (ini, env, text) in _SETTINGS.items():
        group.addoption("--" + dest.replace("_", "-"), dest=dest, default=None, help=f"{text} (env {env})")
        parser.addini(ini, f"{text} (option --{dest.replace('_', '-')}, env {env})", default="")


def _setting(config: pytest.Config, dest: str) -> str:
    ini, env, _ = _SETTINGS[dest]
    value = config.getoption(dest) or config.getini(ini) or os.environ.get(env, "")
    return str(value)


@pytest.fixture(scope="session")
def wa_emulator_url(pytestconfig: pytest.Config) -> Iterator[str]:
    """The emulator's base URL for the session: point the bot's API client here."""
    remote = _setting(pytestconfig, "wa_emulator_url")
    if remote:
        yield remote.rstrip("/")
        return
    from emulator.replay.server import background_emulator

    port = _setting(pytestconfig, "wa_emulator_port") or "0"
    server = background_emulator(
        port=int(port),
        webhook_url=_setting(pytestconfig, "wa_bot_webhook"),
        webhook_format=_setting(pytestconfig, "wa_webhook_format"),
        environ=os.environ,
    )
    with server:
        yield server.url


@pytest.fixture
def wa_emulator(wa_emulator_url: str) -> Iterator[WaEmulator]:
    """The emulator, reset: ``user(wa_id)``, ``clock.advance(hours=25)``, ``run_script(path)``, ``url``, ``cloud``."""
    from emulator.replay.testing import WaEmulator

    emulator = WaEmulator(wa_emulator_url, token=os.environ.get("WA_EMULATOR_CONTROL_TOKEN") or None)
    try:
        emulator.reset()
        yield emulator
    finally:
        emulator.close()
