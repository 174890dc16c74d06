"""Command line: ``wa-emulator serve`` (flags mirror ``WA_EMULATOR_*`` variables) and ``healthcheck``."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import socket
import sys
from collections.abc import Sequence

from emulator import __version__
from emulator.settings import ENV_PREFIX, Settings, SettingsError

log = logging.getLogger("wa_emulator")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; every setting is a flag of ``serve``."""
    parser = argparse.ArgumentParser(prog="wa-emulator", description="WhatsApp Business On-Premises API emulator")
    parser.add_argument("--version", action="version", version=f"wa-emulator {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the emulated API and the control API")
    for f in dataclasses.fields(Settings):
        serve.add_argument(
            "--" + f.name.replace("_", "-"),
            dest=f.name,
            default=None,
            metavar=f.name.upper(),
            help=f"{f.metadata['help']} (env {ENV_PREFIX}{f.name.upper()}, default {f.default!r})",
        )
    check = commands.add_parser("healthcheck", help="exit 0 when a running emulator answers /_emulator/health")
    check.add_argument("--url", default=None, help="base URL (default: http://HOST:PORT from the environment)")
    check.add_argument("--timeout", type=float, default=2.0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and ``python -m emulator``."""
    args = build_parser().parse_args(argv)
    if args.command == "healthcheck":
        return healthcheck(args.url, args.timeout)
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(Settings)}
    try:
        settings = Settings.from_mapping(os.environ, overrides)
    except SettingsError as exc:
        print(f"wa-emulator: {exc}", file=sys.stderr)
        return 2
    return serve(settings)


def serve(settings: Settings) -> int:
    """Run uvicorn on the configured address until interrupted."""
    import uvicorn

    from emulator.app import create_app

    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = create_app(settings)
    except (ValueError, OSError) as exc:
        log.error("cannot start: %s", exc)
        return 2
    try:
        sock = socket.create_server((settings.host, settings.port), reuse_port=False)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", settings.host, settings.port, exc)
        return 2
    host, port = sock.getsockname()[:2]
    log.info("wa-emulator %s listening on http://%s:%s", __version__, host, port)
    # ws="none": no websocket routes, and loading a websocket implementation costs start-up time
    config = uvicorn.Config(app, log_level=settings.log_level, access_log=False, lifespan="on", ws="none")
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def healthcheck(url: str | None, timeout: float) -> int:
    """0 when ``/_emulator/health`` answers 200, 1 otherwise (used by the Docker healthcheck)."""
    import urllib.error  # imported here: urllib.request alone costs ~40 ms of every serve's start
    import urllib.request

    if url is None:
        host = os.environ.get(ENV_PREFIX + "HOST", "127.0.0.1")
        host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        url = f"http://{host}:{os.environ.get(ENV_PREFIX + 'PORT', '9090')}"
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/_emulator/health", timeout=timeout) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError):
        return 1
