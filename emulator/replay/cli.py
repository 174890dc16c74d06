"""``wa-emulator replay`` and ``wa-emulator record``: what the subcommands do once their flags are read.

Imported only when one of them runs, so ``wa-emulator serve`` never loads it.
"""

from __future__ import annotations

import argparse
import os
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from emulator.replay.junit import write_junit
from emulator.replay.runner import Runner, ScriptResult, load_all, run_all, summary_line
from emulator.replay.script import ScriptError, parse_script
from emulator.replay.session import MAX_LIMIT, ControlError, Session
from emulator.replay.traffic import LogError, Skipped, log_script
from emulator.transcripts.export import dump_script

SCRIPT_SUFFIXES = (".yaml", ".yml")


def say(line: str) -> None:
    """A progress line on stdout, flushed at once (CI logs show it while the replay runs)."""
    print(line, flush=True)


def script_paths(given: list[str]) -> list[str]:
    """The scripts named, a directory standing for its ``*.yaml``/``*.yml`` files in name order."""
    paths: list[str] = []
    for name in given:
        path = Path(name)
        if path.is_dir():
            paths.extend(str(p) for p in sorted(path.iterdir()) if p.suffix in SCRIPT_SUFFIXES)
        else:
            paths.append(name)
    return paths


def replay(args: argparse.Namespace) -> int:
    """Run every script; 0 when all pass, 1 otherwise (or when a script is invalid: nothing runs then)."""
    paths = script_paths(args.scripts)
    scripts, problems = load_all(paths)
    if not paths:
        print("wa-emulator replay: no scripts found", file=sys.stderr)
        return 1
    if problems:
        for problem in problems:
            print(f"wa-emulator replay: invalid script: {problem}", file=sys.stderr)
        if args.junit:
            write_junit(args.junit, [ScriptResult(p.source, p.source, error=str(p)) for p in problems], 0.0)
        return 1
    try:
        with _emulator(args) as url, _bot(args, url), Session(url, token=args.control_token) as session:
            started = time.perf_counter()
            results = run_all(scripts, Runner(session, out=say))
            seconds = time.perf_counter() - started
    except (OSError, RuntimeError, TimeoutError, ValueError) as exc:
        print(f"wa-emulator replay: {exc}", file=sys.stderr)
        return 1
    for result in results:
        if not result.ok:
            say(f"\nFAILED {result.failure}")
    say(summary_line(results, seconds))
    if args.junit:
        write_junit(args.junit, results, seconds)
    return 0 if all(r.ok for r in results) else 1


@contextmanager
def _emulator(args: argparse.Namespace) -> Iterator[str]:
    """The emulator's base URL: the one named by --emulator, or one started in this process."""
    if args.emulator:
        yield args.emulator.rstrip("/")
        return
    from emulator.replay.server import background_emulator

    server = background_emulator(port=args.port, host=args.host, webhook_url=args.bot_webhook or "", environ=os.environ)
    with server:
        say(f"wa-emulator replay: emulator listening on {server.url}")
        yield server.url


@contextmanager
def _bot(args: argparse.Namespace, emulator_url: str) -> Iterator[None]:
    """Start --bot-command (if any) pointed at the emulator; wait until --bot-webhook accepts connections."""
    process = None
    if args.bot_command:
        argv = shlex.split(args.bot_command.replace("{emulator}", emulator_url))
        env = {**os.environ, "WA_EMULATOR_URL": emulator_url}
        process = subprocess.Popen(argv, env=env)
        say(f"wa-emulator replay: started the bot: {shlex.join(argv)}")
    try:
        if args.bot_webhook:
            _wait_for_bot(args.bot_webhook, args.bot_wait, process)
        yield
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_bot(webhook: str, seconds: float, process: subprocess.Popen[bytes] | None) -> None:
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


SHOWN_SKIPS = 20  # lines of a log named one by one; the rest are counted


def _say_skipped(log: str, skipped: list[Skipped]) -> None:
    if not skipped:
        return
    print(f"wa-emulator record: skipped {len(skipped)} line(s) of {log}:", file=sys.stderr)
    for number, why in skipped[:SHOWN_SKIPS]:
        print(f"  line {number}: {why}", file=sys.stderr)
    if len(skipped) > SHOWN_SKIPS:
        print(f"  and {len(skipped) - SHOWN_SKIPS} more", file=sys.stderr)


def record(args: argparse.Namespace) -> int:
    """Write a script from a traffic log (--from-log) or a running emulator's conversation (--emulator)."""
    try:
        if args.from_log:
            with open(args.from_log, encoding="utf-8") as lines:
                try:
                    script, skipped = log_script(lines, user=args.user, name=args.name or "")
                except LogError as exc:
                    _say_skipped(args.from_log, exc.skipped)
                    raise
            _say_skipped(args.from_log, skipped)
            comment = f"Recorded by wa-emulator from {args.from_log}."
        else:
            if not args.user:
                print("wa-emulator record: --emulator needs --user WA_ID", file=sys.stderr)
                return 2
            with Session(args.emulator, token=args.control_token) as session:  # the emulator exports it
                params = {"format": "script", "limit": MAX_LIMIT}
                script = yaml.safe_load(session.call("GET", f"/_emulator/conversations/{args.user}", params=params))
            if args.name:
                script["name"] = args.name
            comment = f"Recorded by wa-emulator from the conversation with {args.user} at {args.emulator}."
    except (OSError, LogError, ControlError) as exc:
        print(f"wa-emulator record: {exc}", file=sys.stderr)
        return 1
    if all("set_user" in step for step in script["steps"]):
        print(f"wa-emulator record: no messages to record for {args.user or 'any user'}", file=sys.stderr)
        return 1
    text = dump_script(script, comment + "\nReplay: wa-emulator replay THIS_FILE --bot-webhook URL (docs/replay.md)")
    try:
        parse_script(text, args.output or "<recorded script>")
    except ScriptError as exc:  # a bug of the exporter: say so rather than write a script that cannot run
        print(f"wa-emulator record: the recorded script is invalid: {exc}", file=sys.stderr)
        return 1
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wa-emulator record: wrote {len(script['steps'])} steps to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
