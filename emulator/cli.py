"""Command line: ``wa-emulator serve`` (flags mirror ``WA_EMULATOR_*`` variables) and ``healthcheck``."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
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
    parser = argparse.ArgumentParser(
        prog="wa-emulator", description="WhatsApp Business API emulator (Cloud API and On-Premises API)"
    )
    parser.add_argument("--version", action="version", version=f"wa-emulator {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the emulated API and the control API")
    for f in dataclasses.fields(Settings):
        serve.add_argument(
            "--" + f.name.replace("_", "-"),
            dest=f.name,
            default=None,
            action="append" if f.name in REPEATABLE else "store",
            metavar=f.name.upper(),
            help=f"{f.metadata['help']} (env {ENV_PREFIX}{f.name.upper()}, default {f.default!r})",
        )
    check = commands.add_parser("healthcheck", help="exit 0 when a running emulator answers /_emulator/health")
    check.add_argument("--url", default=None, help="base URL (default: http://HOST:PORT from the environment)")
    check.add_argument("--timeout", type=float, default=2.0)
    _add_replay_commands(commands)
    return parser


REPEATABLE = frozenset({"access_token", "tenants"})  # given several times, the values join with commas


def _joined(value: str | list[str] | None) -> str | None:
    return ",".join(value) if isinstance(value, list) else value


def _add_replay_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``replay`` and ``record`` (docs/replay.md); their code is imported only when they run."""
    token = f"bearer token of the control API (env {ENV_PREFIX}CONTROL_TOKEN)"
    replay = commands.add_parser("replay", help="run conversation scripts against a bot; exit 1 if any fails")
    replay.add_argument("scripts", nargs="+", metavar="SCRIPT", help="script files, or directories of *.yaml")
    replay.add_argument("--bot-webhook", default="", metavar="URL", help="the bot's webhook URL (waited for)")
    replay.add_argument(
        "--webhook-format",
        choices=("onprem", "cloud"),
        default=None,
        help="webhooks of the emulator started here: cloud for a Cloud API bot (default onprem, or the environment's)",
    )
    replay.add_argument("--emulator", default="", metavar="URL", help="drive this running emulator instead")
    replay.add_argument("--host", default="127.0.0.1", help="address of the emulator started here")
    replay.add_argument("--port", type=int, default=0, help="its port (default: a free one, printed)")
    replay.add_argument("--bot-command", default="", metavar="CMD", help="start the bot; {emulator} is its URL")
    replay.add_argument("--bot-wait", type=float, default=30.0, metavar="S", help="seconds to wait for the bot")
    replay.add_argument("--junit", default="", metavar="FILE", help="write a JUnit XML report")
    replay.add_argument(
        "-j", "--jobs", type=_jobs, default=1, metavar="N", help="run N scripts at a time, a tenant each"
    )
    replay.add_argument(
        "-k",
        dest="keyword",
        action="append",
        metavar="PATTERN",
        help="only scripts whose file or name contains PATTERN (repeatable)",
    )
    replay.add_argument("--fail-fast", action="store_true", help="stop at the first script that fails")
    replay.add_argument("-q", "--quiet", action="store_true", help="print only failed scripts and the summary")
    replay.add_argument("--control-token", default=os.environ.get(ENV_PREFIX + "CONTROL_TOKEN", ""), help=token)
    record = commands.add_parser("record", help="write a conversation script from a traffic log or an emulator")
    source = record.add_mutually_exclusive_group(required=True)
    source.add_argument("--from-log", metavar="FILE", help="JSONL of webhook payloads and /v1/messages bodies")
    source.add_argument("--emulator", metavar="URL", help="a running emulator (with --user)")
    record.add_argument("--user", metavar="WA_ID", help="only this user's conversation")
    record.add_argument("--name", help="the script's name")
    record.add_argument("-o", "--output", metavar="OUT", help="file to write (default: stdout)")
    record.add_argument("--control-token", default=os.environ.get(ENV_PREFIX + "CONTROL_TOKEN", ""), help=token)


def _jobs(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError("must be from 1 to 64")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script and ``python -m emulator``."""
    args = build_parser().parse_args(argv)
    if args.command == "healthcheck":
        return healthcheck(args.url, args.timeout)
    if args.command in ("replay", "record"):
        from emulator.replay import cli as replay_cli

        return replay_cli.replay(args) if args.command == "replay" else replay_cli.record(args)
    overrides = {f.name: _joined(getattr(args, f.name)) for f in dataclasses.fields(Settings)}
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
    from emulator.logs import configure
    from emulator.serving import EmulatorServer, http_protocol

    configure(settings.log_level, settings.log_format)
    try:
        app = create_app(settings)  # first: a bad setting or fixture is reported before the port is taken
    except (ValueError, OSError) as exc:
        log.error("cannot start: %s", exc)
        return 2
    quiet_gc()
    try:
        sock = socket.create_server((settings.host, settings.port), reuse_port=False)
    except OSError as exc:
        log.error("cannot start: --host / --port: cannot listen on %s:%s: %s", settings.host, settings.port, exc)
        return 2
    host, port = sock.getsockname()[:2]
    if settings.port == 0:  # the port picked is where bots reach us (media URLs in Cloud webhooks)
        app = create_app(settings.replace(port=port))
    log.info("wa-emulator %s listening on %s", __version__, _url(host, port))
    for line in banner(settings, _url(_reachable(host), port)):
        log.info("%s", line)
    # ws="none": no websocket routes, and loading a websocket implementation costs start-up time
    # timeout_graceful_shutdown: long-polls and streams end at once (EmulatorServer); a slow upload may not
    # outlast `docker stop`'s 10 s
    # log_config=None, no log_level: uvicorn's loggers keep the handler and levels emulator.logs gave them
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="on",
        ws="none",
        timeout_graceful_shutdown=3,
        http=http_protocol(),
    )
    try:
        EmulatorServer(config).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn raises Ctrl-C again once it has shut down gracefully
        return 130
    return 0


def quiet_gc() -> None:
    """Keep the garbage collector out of the request path of a served emulator.

    What start-up built (modules, schemas, fixtures) is frozen (not collected first: that alone costs
    ~20 ms of start-up): no collection scans it again. Records
    are kept as bytes, which the collector never tracks, so collections stay small; with higher
    thresholds they also come rarely.
    """
    gc.freeze()
    gc.set_threshold(20_000, 50, 50)


GRAPH_VERSION = "v22.0"  # the version the start-up lines show; any vNN.N (or none) is accepted


def banner(settings: Settings, base: str) -> list[str]:
    """The start-up lines: where each API is, the page, and the credentials to use."""
    base = settings.public_url.rstrip("/") or base
    password = "secret" if settings.admin_password == "secret" else "the --admin-password"
    tokens = sorted(settings.access_tokens)
    token = tokens[0] if tokens == ["wa-emulator-token"] else "one of the --access-token values"
    return [
        f"On-Premises API  {base}/v1  (POST /v1/users/login with Basic admin / {password})",
        f"Cloud API        {base}/{GRAPH_VERSION}/{settings.phone_number_id}  (Authorization: Bearer {token})",
        f"page             {base}/_emulator/ui  (every conversation, and every request in its Requests tab)",
        f"API reference    {base}/_emulator/ui/api  (OpenAPI: {base}/_emulator/openapi/{{onprem,cloud,control}}.json)",
    ]


def _url(host: str, port: int | str) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _reachable(host: str) -> str:
    """An address a client on this machine can use for a wildcard bind."""
    return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)


def healthcheck(url: str | None, timeout: float) -> int:
    """0 when ``/_emulator/health`` answers 200, 1 otherwise (used by the Docker healthcheck); says what it found."""
    import urllib.error  # imported here: urllib.request alone costs ~40 ms of every serve's start
    import urllib.request

    if url is None:
        host = _reachable(os.environ.get(ENV_PREFIX + "HOST", "127.0.0.1"))
        url = _url(host, os.environ.get(ENV_PREFIX + "PORT") or "9090")
    target = url.rstrip("/") + "/_emulator/health"
    try:
        with urllib.request.urlopen(target, timeout=timeout) as response:
            found = json.loads(response.read() or b"{}")
            body = found if isinstance(found, dict) else {}
    except urllib.error.HTTPError as exc:
        print(f"unhealthy: {target} answered HTTP {exc.code}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        print(f"unreachable: {target}: {reason}", file=sys.stderr)
        return 1
    print(
        f"ok: wa-emulator {body.get('version', '?')} at {url.rstrip('/')}, store {body.get('store', '?')}, "
        f"up {body.get('uptime_s', 0):.1f} s"
    )
    return 0
