"""``wa-emulator replay`` and ``wa-emulator record``: what the subcommands do once their flags are read.

Imported only when one of them runs, so ``wa-emulator serve`` never loads it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

import yaml

from emulator.replay.bot import bot_process, wait_for_bot
from emulator.replay.junit import write_junit
from emulator.replay.output import Output
from emulator.replay.parallel import run_parallel
from emulator.replay.runner import Runner, ScriptResult
from emulator.replay.script import Script, ScriptError, parse_script
from emulator.replay.session import MAX_LIMIT, ControlError, Session
from emulator.replay.suite import load_all, run_all, select, summary_line
from emulator.replay.traffic import LogError, Skipped, log_script
from emulator.transcripts.export import dump_script

SCRIPT_SUFFIXES = (".yaml", ".yml")


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
    """Run the scripts chosen; 0 when all pass, 1 otherwise (or when a script is invalid: nothing runs then)."""
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
    chosen = select(scripts, args.keyword or [])
    if not chosen:
        print(f"wa-emulator replay: no script matches -k {' or -k '.join(args.keyword)}", file=sys.stderr)
        return 1
    output = Output(quiet=args.quiet)
    try:
        with _emulator(args, output) as url, Session(url, token=args.control_token) as session:
            session.check()  # once, before the bot starts: not an error per script
            started = time.perf_counter()
            results = _run(chosen, url, session, args, output)
            seconds = time.perf_counter() - started
    except (OSError, RuntimeError, TimeoutError, ValueError, ControlError) as exc:  # Unreachable: a RuntimeError
        print(f"wa-emulator replay: {exc}", file=sys.stderr)
        return 1
    for result in results:
        if not result.ok:
            output.say(f"\nFAILED {result.failure}")
    output.say(summary_line(results, seconds, total=len(chosen)))
    if args.junit:
        write_junit(args.junit, results, seconds, not_run=[s.source for s in chosen[len(results) :]])
    return 0 if all(r.ok for r in results) and len(results) == len(chosen) else 1


def _run(
    scripts: list[Script], url: str, session: Session, args: argparse.Namespace, output: Output
) -> list[ScriptResult]:
    """One script after another on the default tenant, or ``-j N`` at a time, a tenant and a bot each."""
    if args.jobs <= 1:
        with _bot(args, url, output):
            return run_all(scripts, Runner(session, out=output.step), fail_fast=args.fail_fast, done=output.done)

    def bot(tenant_url: str, webhook: str, placeholders: dict[str, str]) -> AbstractContextManager[None]:
        return _tenant_bot(args, tenant_url, webhook, placeholders, output)

    output.info(f"wa-emulator replay: {len(scripts)} scripts, {args.jobs} at a time, one tenant each")
    token = args.control_token or None
    return run_parallel(scripts, url, jobs=args.jobs, token=token, webhook=args.bot_webhook, bot=bot, out=output.say)


@contextmanager
def _emulator(args: argparse.Namespace, output: Output) -> Iterator[str]:
    """The emulator's base URL: the one named by --emulator, or one started in this process."""
    if args.emulator:
        yield args.emulator.rstrip("/")
        return
    from emulator.replay.server import background_emulator

    server = background_emulator(
        port=args.port,
        host=args.host,
        webhook_url=args.bot_webhook or "",
        webhook_format=args.webhook_format or "",
        environ=os.environ,
    )
    with server:
        output.info(f"wa-emulator replay: emulator listening on {server.url}")
        yield server.url


@contextmanager
def _bot(args: argparse.Namespace, emulator_url: str, output: Output) -> Iterator[None]:
    """Start --bot-command (if any) pointed at the emulator; wait until --bot-webhook accepts connections."""
    with ExitStack() as stack:
        process = None
        if args.bot_command:
            process = stack.enter_context(bot_process(args.bot_command, emulator_url, dict(os.environ), output.bot))
            output.info(f"wa-emulator replay: started the bot: {args.bot_command.replace('{emulator}', emulator_url)}")
        if args.bot_webhook:
            wait_for_bot(args.bot_webhook, args.bot_wait, process)
        yield


@contextmanager
def _tenant_bot(
    args: argparse.Namespace, tenant_url: str, webhook: str, placeholders: dict[str, str], output: Output
) -> Iterator[None]:
    """A bot for one worker's tenant: ``{tenant}``, ``{worker}``, ``{phone_number_id}`` filled in (and in its env)."""
    command = args.bot_command
    extra = {k: v for k, v in placeholders.items() if k != "emulator"}
    for key, value in extra.items():
        command = command.replace("{" + key + "}", value)
    env = {**os.environ, **{f"WA_EMULATOR_{key.upper()}": value for key, value in extra.items()}}
    with ExitStack() as stack:
        process = stack.enter_context(bot_process(command, tenant_url, env, output.bot)) if command else None
        if command:
            output.info(f"wa-emulator replay: started the bot: {command.replace('{emulator}', tenant_url)}")
        if webhook:
            wait_for_bot(webhook, args.bot_wait, process)
        yield


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
