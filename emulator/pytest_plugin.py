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
  for a Cloud API bot (signed Cloud webhooks after the verification handshake), else ``onprem``;
* ``--wa-emulator-tenant`` / ``wa_emulator_tenant`` / ``WA_EMULATOR_TENANT``: the tenant the tests use
  (default: ``default``, or under pytest-xdist the worker's id, ``gw0``, ``gw1``, ...).

``wa_emulator.cloud`` holds what a Cloud API bot needs: base URL, phone number id, access token, app
secret and verify token.

Under pytest-xdist (``-n 8``) every worker gets a tenant of its own on one emulator: the controller
starts it (unless ``--wa-emulator-url`` names one) and hands its URL to the workers; each worker's
``wa_emulator`` is its tenant (``/t/gw3/...``), with that tenant's URLs and ids, so workers never see
each other's users, messages, webhooks, faults or clock.

Kept cheap to import: it is loaded in every pytest run of a project that installs wa-emulator.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from emulator.replay.server import ThreadedServer
    from emulator.replay.testing import WaEmulator

_SERVER = pytest.StashKey["ThreadedServer"]()

_SETTINGS = {
    # option dest: (ini key, environment variable, help)
    "wa_bot_webhook": ("wa_emulator_bot_webhook", "WA_EMULATOR_BOT_WEBHOOK", "the bot's webhook URL"),
    "wa_emulator_port": ("wa_emulator_port", "WA_EMULATOR_PLUGIN_PORT", "port of the emulator (default: a free one)"),
    "wa_emulator_url": ("wa_emulator_url", "WA_EMULATOR_URL", "drive this running emulator instead of starting one"),
    "wa_webhook_format": ("wa_emulator_webhook_format", "WA_EMULATOR_WEBHOOK_FORMAT", "webhooks: onprem or cloud"),
    "wa_emulator_tenant": ("wa_emulator_tenant", "WA_EMULATOR_TENANT", "the tests' tenant (xdist: each worker's)"),
}
_SHARED = "wa_emulator_url"  # workerinput key: the emulator the xdist controller started for every worker


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


def _server(config: pytest.Config) -> ThreadedServer:
    from emulator.replay.server import background_emulator

    port = _setting(config, "wa_emulator_port") or "0"
    return background_emulator(
        port=int(port),
        webhook_url=_setting(config, "wa_bot_webhook"),
        webhook_format=_setting(config, "wa_webhook_format"),
        environ=os.environ,
    )


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist's controller, per worker: one emulator for them all (started once), its URL handed on."""
    config = node.config
    url = _setting(config, "wa_emulator_url")
    if not url:
        server = config.stash.get(_SERVER, None)
        if server is None:
            server = config.stash[_SERVER] = _server(config)
            server.start()
        url = server.url
    node.workerinput[_SHARED] = url.rstrip("/")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the emulator the xdist controller started."""
    server = config.stash.get(_SERVER, None)
    if server is not None:
        server.stop()


@pytest.fixture(scope="session")
def wa_emulator_url(pytestconfig: pytest.Config) -> Iterator[str]:
    """The emulator's root URL for the session (its tenants are below it: ``wa_emulator.url`` is yours)."""
    shared = getattr(pytestconfig, "workerinput", {}).get(_SHARED)
    remote = shared or _setting(pytestconfig, "wa_emulator_url")
    if remote:
        yield remote.rstrip("/")
        return
    with _server(pytestconfig) as server:
        yield server.url


def wa_emulator_tenant(config: pytest.Config) -> str:
    """The tenant of this test process: the option, else the xdist worker's id, else ``default``."""
    return _setting(config, "wa_emulator_tenant") or os.environ.get("PYTEST_XDIST_WORKER", "") or "default"


@pytest.fixture
def wa_emulator(wa_emulator_url: str, pytestconfig: pytest.Config) -> Iterator[WaEmulator]:
    """The emulator, reset: ``user(wa_id)``, ``clock.advance(hours=25)``, ``run_script(path)``, ``url``,
    ``cloud``, ``fault()``."""
    from emulator.replay.testing import WaEmulator

    emulator = WaEmulator(
        wa_emulator_url,
        token=os.environ.get("WA_EMULATOR_CONTROL_TOKEN") or None,
        tenant=wa_emulator_tenant(pytestconfig),
        webhook_url=_setting(pytestconfig, "wa_bot_webhook"),
    )
    try:
        emulator.reset()
        yield emulator
    finally:
        emulator.close()
