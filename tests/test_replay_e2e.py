"""End to end: fixtures/conversations replayed against the example bot as a real process, green and red.

Done when a conversation round-trips: driven, exported (``?format=script``), replayed green, the bot
changed, replayed red with a diff naming the change. The same scripts replay against the bot in its
Cloud mode (signed Cloud webhooks), and a conversation held with it replays against either mode.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.replay.runner import Runner
from emulator.replay.script import load_script
from emulator.replay.session import Session
from tests.process import running_emulator, running_process
from tests.replay_bots import ECHO_BOT, ROOT

CONVERSATIONS = ROOT / "fixtures" / "conversations"
READY = r"bot listening on (http://\S+)"
USER = "15550001111"
WAIT_S = 10


@contextmanager
def emulator_and_bot(*changes: str) -> Iterator[str]:
    """An emulator process and the example bot (with ``--say OLD=NEW`` changes, if any) logged in to it."""
    with running_emulator(["--seed", "1"]) as emulator:
        if changes:
            argv = [sys.executable, str(ROOT / "tests" / "replay_bots.py"), *(f"--say={c}" for c in changes)]
        else:
            argv = [sys.executable, str(ECHO_BOT)]
        with running_process([*argv, "--api", emulator.url, "--port", "0"], READY) as bot:
            try:
                yield emulator.url
            finally:
                print("--- bot output ---", *bot.output, sep="\n")  # shown by pytest if the test failed


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    """The emulator's URL, with the unchanged example bot answering."""
    with emulator_and_bot() as url:
        yield url


def replay_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator", "replay", *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_every_fixture_conversation_replays_green_against_the_example_bot(echo: str, tmp_path: Path) -> None:
    scripts = sorted(CONVERSATIONS.glob("*.yaml"))
    done = replay_command("--emulator", echo, str(CONVERSATIONS), "--junit", str(tmp_path / "junit.xml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"[{len(scripts)}/{len(scripts)}]" in done.stdout
    assert f"{len(scripts)} scripts: {len(scripts)} passed, 0 failed" in done.stdout
    assert '  ok     1  text "hi"' in done.stdout
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert (suite.get("tests"), suite.get("failures")) == (str(len(scripts)), "0")


def test_a_changed_bot_reply_fails_the_replay_with_a_diff_naming_the_change() -> None:
    with emulator_and_bot("You said:=You wrote:") as url:
        done = replay_command("--emulator", url, "fixtures/conversations/help_and_echo.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        'FAILED fixtures/conversations/help_and_echo.yaml:15: step 6 (expect text "You said: hello") failed'
        in done.stdout
    )
    assert 'the bot sent: text "You wrote: hello"' in done.stdout
    assert '  text\n    - "You said: hello"\n    + "You wrote: hello"\n' in done.stdout
    assert "1 script: 0 passed, 1 failed" in done.stdout


def user_sends(control: httpx.Client, message: dict[str, Any]) -> None:
    response = control.post(f"/_emulator/users/{USER}/messages", json=message)
    assert response.status_code == 200, response.text


def bot_reply(control: httpx.Client, after: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"to": USER, "wait": WAIT_S, **({"after": after} if after else {})}
    messages: list[dict[str, Any]] = control.get("/_emulator/messages", params=params).json()["messages"]
    assert messages, f"no reply after {after}"
    return messages[0]


def drive_a_conversation(control: httpx.Client) -> None:
    """By hand, as a person at the web page would: hi, the menu, pasta, the quick reply, a day later, a location."""
    user_sends(control, {"type": "text", "text": {"body": "hi"}})
    welcome = bot_reply(control)
    tap = {"type": "button_reply", "button_reply": {"title": "See the menu"}}
    user_sends(control, {"type": "interactive", "context": {"id": welcome["id"]}, "interactive": tap})
    menu = bot_reply(control, welcome["id"])
    pick = {"type": "list_reply", "list_reply": {"id": "pasta"}}
    user_sends(control, {"type": "interactive", "context": {"id": menu["id"]}, "interactive": pick})
    order = bot_reply(control, menu["id"])
    payload = order["hydrated"]["buttons"][1]["payload"]
    user_sends(control, {"type": "button", "context": {"id": order["id"]}, "button": {"payload": payload}})
    thanks = bot_reply(control, order["id"])
    assert thanks["payload"]["text"]["body"] == f"Thanks, {payload} noted"
    assert control.post("/_emulator/clock", json={"advance": 26 * 3600}).status_code == 200
    user_sends(control, {"type": "location", "location": {"latitude": 52.52, "longitude": 13.405}})
    bot_reply(control, thanks["id"])


def replay(url: str, path: Path) -> tuple[bool, str]:
    lines: list[str] = []
    with Session(url) as session:
        result = Runner(session, out=lines.append).run(load_script(path))
    return result.ok, (result.failure or "") + "\n" + "\n".join(lines)


def test_a_driven_conversation_exports_replays_green_and_goes_red_when_the_bot_changes(
    echo: str, tmp_path: Path
) -> None:
    with httpx.Client(base_url=echo, timeout=WAIT_S + 5) as control:
        control.post("/_emulator/reset")
        drive_a_conversation(control)
        exported = control.get(f"/_emulator/conversations/{USER}", params={"format": "script"})
    assert exported.status_code == 200, exported.text
    script = tmp_path / "recorded.yaml"
    script.write_text(exported.text)
    assert "- clock: +26h\n" in exported.text and "- quick_reply: Talk to an agent\n" in exported.text

    ok, report = replay(echo, script)  # the bot's order number has moved on: still green
    assert ok, report
    ok, report = replay(echo, script)
    assert ok, report

    with emulator_and_bot("Thanks,=Cheers,") as changed:
        ok, report = replay(changed, script)
    assert not ok
    assert 'step 8 (expect text "re:^Thanks, .+ noted$") failed' in report
    assert '  text\n    - "re:^Thanks, .+ noted$"\n    + "Cheers, agent:#PASTA-1 noted"' in report


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_replay_starts_an_emulator_in_process_and_the_bot_pointed_at_it(tmp_path: Path) -> None:
    port = free_port()
    bot = f"{sys.executable} {ECHO_BOT} --api {{emulator}} --port {port}"
    done = replay_command(
        "fixtures/conversations/order_pizza.yaml",
        "fixtures/conversations/quick_path.yaml",
        "--bot-command",
        bot,
        "--bot-webhook",
        f"http://127.0.0.1:{port}/webhook",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "wa-emulator replay: emulator listening on http://127.0.0.1:" in done.stdout
    assert "2 scripts: 2 passed, 0 failed; 13 steps in" in done.stdout
    # the bot's own lines: on stderr, each prefixed, none among the step lines
    assert any(line.startswith("bot | ") and "echo_bot logged in to" in line for line in done.stderr.splitlines())
    assert "logged in to" not in done.stdout


@contextmanager
def emulator_and_cloud_bot() -> Iterator[str]:
    """An emulator posting Cloud webhooks to the example bot in Cloud mode (``--api cloud``)."""
    port = free_port()  # the emulator's --webhook-url names the bot, which needs the emulator's URL: port first
    flags = ["--seed", "1", "--webhook-format", "cloud", "--webhook-url", f"http://127.0.0.1:{port}/webhook"]
    with running_emulator(flags) as emulator:
        argv = [sys.executable, str(ECHO_BOT), "--api", "cloud", "--base-url", emulator.url, "--port", str(port)]
        with running_process(argv, READY) as bot:
            try:
                yield emulator.url
            finally:
                print("--- bot output ---", *bot.output, sep="\n")


@pytest.fixture(scope="module")
def cloud_echo() -> Iterator[str]:
    """The emulator's URL, with the example bot answering through the Cloud API."""
    with emulator_and_cloud_bot() as url:
        yield url


def test_every_fixture_conversation_replays_green_against_the_cloud_bot(cloud_echo: str) -> None:
    scripts = sorted(CONVERSATIONS.glob("*.yaml"))
    done = replay_command("--emulator", cloud_echo, str(CONVERSATIONS))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(scripts)} scripts: {len(scripts)} passed, 0 failed" in done.stdout
    assert "expect interactive buttons [menu, help] failed with 1026" in done.stdout  # met by Cloud's 131026


def test_a_cloud_conversation_exports_and_replays_green_against_both_modes_of_the_bot(
    cloud_echo: str, echo: str, tmp_path: Path
) -> None:
    with httpx.Client(base_url=cloud_echo, timeout=WAIT_S + 5) as control:
        control.post("/_emulator/reset")
        drive_a_conversation(control)
        replies = control.get("/_emulator/messages", params={"to": USER}).json()["messages"]
        assert all(r["api"] == "cloud" and r["id"].startswith("wamid.") for r in replies), replies
        exported = control.get(f"/_emulator/conversations/{USER}", params={"format": "script"})
    assert exported.status_code == 200, exported.text
    script = tmp_path / "cloud.yaml"
    script.write_text(exported.text)
    assert "- clock: +26h\n" in exported.text and "- quick_reply: Talk to an agent\n" in exported.text
    for url in (cloud_echo, echo):  # the bot through the Cloud API, then through /v1
        ok, report = replay(url, script)
        assert ok, report


def test_replay_starts_an_emulator_for_a_cloud_bot_with_webhook_format_cloud() -> None:
    port = free_port()
    bot = f"{sys.executable} {ECHO_BOT} --api cloud --base-url {{emulator}} --port {port} --log-level WARNING"
    done = replay_command(
        "fixtures/conversations/order_pizza.yaml",
        "--webhook-format",
        "cloud",
        "--bot-command",
        bot,
        "--bot-webhook",
        f"http://127.0.0.1:{port}/webhook",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 script: 1 passed, 0 failed" in done.stdout


def test_replay_j_runs_scripts_at_once_each_worker_with_its_own_tenant_and_bot(tmp_path: Path) -> None:
    scripts = sorted(CONVERSATIONS.glob("*.yaml"))
    bot = f"{sys.executable} {ECHO_BOT} --api {{emulator}} --port 0 --log-level WARNING"
    done = replay_command("-j", "3", str(CONVERSATIONS), "--bot-command", bot, "--junit", str(tmp_path / "j.xml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(scripts)} scripts: {len(scripts)} passed, 0 failed" in done.stdout
    assert {f"(replay-{n})" for n in (1, 2, 3)} <= {w for w in done.stdout.split() if w.startswith("(replay-")}
    assert "/t/replay-1 --port 0" in done.stdout  # each worker's bot was pointed at its tenant
    suite = ET.parse(tmp_path / "j.xml").getroot()
    assert [case.get("name") for case in suite.iter("testcase")] == [str(s) for s in scripts]  # in script order


def test_a_fault_step_that_the_bot_does_not_survive_fails_the_script(echo: str, tmp_path: Path) -> None:
    script = tmp_path / "hopeless.yaml"
    script.write_text(
        "steps:\n"
        "  - fault: {match: {path: /v1/messages, method: POST}, action: {status: 503}}\n"
        "  - text: hello\n"
        "  - expect: {type: text, text: 'You said: hello'}\n"
        "    timeout: 3\n"
    )
    done = replay_command("--emulator", echo, str(script))
    assert done.returncode == 1, done.stdout + done.stderr
    assert 'fault {"path": "/v1/messages", "method": "POST"} -> {"status": 503}' in done.stdout
    assert "the bot sent nothing within 3 s" in done.stdout
