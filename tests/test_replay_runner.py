"""The runner, through the control API of an emulator in a background thread, against a tiny in-process bot."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from emulator.cli import main
from emulator.replay.junit import junit_xml
from emulator.replay.runner import Runner, ScriptResult
from emulator.replay.script import parse_script
from emulator.replay.server import ThreadedServer, background_emulator
from emulator.replay.session import Session
from emulator.replay.suite import run_all
from tests.replay_bots import MiniBot


@dataclass
class Setup:
    emulator_url: str
    bot_url: str


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    """The mini bot and an emulator whose webhook is the bot's, each served in a thread."""
    bot = MiniBot("")
    with (
        ThreadedServer(bot.app()) as bot_server,
        background_emulator(webhook_url=bot_server.url + "/webhook") as emulator,
    ):
        bot.api_url = emulator.url
        yield Setup(emulator.url, bot_server.url)


def run(setup: Setup, text: str) -> tuple[ScriptResult, list[str]]:
    lines: list[str] = []
    with Session(setup.emulator_url) as session:
        result = Runner(session, out=lines.append).run(parse_script(text, "test.yaml"))
    return result, lines


def test_a_green_script_prints_a_line_per_step(setup: Setup) -> None:
    result, lines = run(setup, "steps:\n  - text: ping\n  - expect: {type: text, text: pong}\n  - clock: +2h\n")
    assert result.ok, result.failure
    assert [line.split("(")[0].rstrip() for line in lines] == [
        '  ok     1  text "ping"',
        '  ok     2  expect text "pong"',
        "  ok     3  clock +2h",
    ]


def test_every_kind_of_user_turn_reaches_the_bot(setup: Setup) -> None:
    script = """\
user: "15550004444"
steps:
  - text: hi, saw your ad
    referral: {source_url: "https://fb.me/pizza", source_id: "ad-7", headline: "2 for 1"}
  - expect: {type: text, text: welcome from ad ad-7}
  - text: shop
  - expect: {type: interactive, as: menu}
  - enquire: {product: margherita, text: "Is it vegan?"}
  - expect: {type: text, text: about margherita}
  - order: {product_items: [{product_retailer_id: margherita, quantity: 2, item_price: 8.5, currency: EUR}]}
    reply_to: menu
  - expect: {type: text, text: "order: 2 margherita"}
  - react: "👍"
  - expect: {type: text, text: reaction 👍}
  - text: book
  - expect: {type: interactive}
  - complete_flow: {party: "4"}
  - expect: {type: text, text: 're:^booked \\{"flow_token": "booking-1", "party": "4"\\}$'}
  - text: oops
  - delete: last
  - change_number: "15550004445"
  - expect: {type: text, text: new number noted}
  - text: ping
  - expect: {type: text, text: pong}
"""
    result, lines = run(setup, script)
    assert result.ok, (result.failure, lines)
    assert any('enquire about "margherita"' in line for line in lines)
    assert any('text "hi, saw your ad" (from the ad ad-7)' in line for line in lines)
    with httpx.Client(base_url=setup.emulator_url) as control:
        old = control.get("/_emulator/conversations/15550004444").json()["messages"]
        assert [m.get("deleted_at") is not None for m in old if m["direction"] == "inbound"][-2:] == [True, False]
        new = control.get("/_emulator/conversations/15550004445").json()["messages"]
        assert [(m["direction"], m["type"]) for m in new] == [
            ("outbound", "text"),
            ("inbound", "text"),
            ("outbound", "text"),
        ]


def test_a_message_the_bot_sends_on_its_own_after_a_day_fails_with_470(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINI_BOT", setup.bot_url)
    script = """\
steps:
  - text: ping
  - expect: {type: text, text: pong}
  - clock: +25h
  - call: {url: "${MINI_BOT}/remind?to=15550001111"}
  - expect: {type: text, text: reminder, failed: 470}
"""
    result, _ = run(setup, script)
    assert result.ok, result.failure
    with httpx.Client(base_url=setup.emulator_url) as control:
        assert control.get("/_emulator/clock").json()["offset"] >= 90000  # moved, and no real day passed


def test_a_reply_that_never_comes_fails_after_the_step_timeout(setup: Setup) -> None:
    script = (
        "steps:\n  - text: ping\n  - expect: {text: pong}\n  - text: hush\n  - expect: {type: text}\n    timeout: 0.3\n"
    )
    result, lines = run(setup, script)
    assert not result.ok
    assert str(result.failure).splitlines()[:4] == [
        "test.yaml:5: step 4 (expect text) failed",
        "expected the bot's next message: text",
        "the bot sent nothing within 0.3 s",
        f'its last message was: text "pong"  [{_last_id(setup)}]',
    ]
    assert "\n        the bot sent nothing within 0.3 s\n" in "\n".join(lines)


def _last_id(setup: Setup) -> str:
    with httpx.Client(base_url=setup.emulator_url) as control:
        last: str = control.get("/_emulator/messages").json()["messages"][-1]["id"]
    return last


def test_a_failed_step_stops_the_script_and_says_what_differs(setup: Setup) -> None:
    result, lines = run(
        setup, "steps:\n  - text: ping\n  - expect: {type: text, text: PONG, failed: 1026}\n  - text: ping\n"
    )
    assert not result.ok and len(result.steps) == 2
    assert lines[1].startswith('  FAIL   2  expect text "PONG" failed with 1026')
    report = "\n".join(lines)
    assert '  text\n            - "PONG"\n            + "pong"' in report
    assert "  failed\n            - 1026\n            + (not failed: status " in report
    assert lines[-1] == "        (1 more step not run)"


def test_a_failed_expectation_of_several_names_its_own_line(setup: Setup) -> None:
    script = "steps:\n  - text: ping\n  - expect:\n      - {text: pong}\n      - {text: again}\n    timeout: 0.3\n"
    result, _ = run(setup, script)
    assert (result.failure or "").startswith(
        'test.yaml:5: step 2 (expect a message "pong" + a message "again") failed'
    )  # not :3:


def test_a_tap_on_a_button_the_message_lacks_is_reported_with_the_buttons_it_has(setup: Setup) -> None:
    result, _ = run(setup, "steps:\n  - text: buttons\n  - tap: maybe\n")
    assert not result.ok
    assert (
        "the emulator refused the user's message: $.interactive.button_reply.id: the message has no reply button"
        in str(result.failure)
    )
    assert "(it has 'yes', 'no')" in str(result.failure)


def test_a_tap_by_title_answers_the_latest_message_with_buttons(setup: Setup) -> None:
    result, _ = run(setup, "steps:\n  - text: buttons\n  - tap: 'No'\n  - text: ping\n  - expect: {text: pong}\n")
    assert result.ok, result.failure


def test_a_tap_with_no_buttons_to_answer_says_so(setup: Setup) -> None:
    result, _ = run(setup, "steps:\n  - text: ping\n  - expect: {text: pong}\n  - tap: 'yes'\n")
    assert "no message with reply buttons from the bot to reply to" in str(result.failure)


def test_junit_counts_failures_and_carries_the_report(setup: Setup) -> None:
    good = parse_script("name: good\nsteps:\n  - text: ping\n  - expect: {text: pong}\n", "good.yaml")
    bad = parse_script("name: bad\nsteps:\n  - text: ping\n  - expect: {text: pang}\n", "bad.yaml")
    with Session(setup.emulator_url) as session:
        results = run_all([good, bad], Runner(session))
    suite = ET.fromstring(junit_xml(results, 1.5))
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "0")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["good.yaml", "bad.yaml"]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None and failure.get("message") == 'bad.yaml:4: step 2 (expect a message "pang") failed'
    assert '- "pang"' in (failure.text or "") and '+ "pong"' in (failure.text or "")


def test_the_replay_command_drives_a_running_emulator_and_exits_1_on_a_failure(
    setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a_good.yaml").write_text("steps:\n  - text: ping\n  - expect: {text: pong}\n")
    assert main(["replay", "--emulator", setup.emulator_url, str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"[1/1] {tmp_path / 'a_good.yaml'}: a_good" in out
    assert "1 script: 1 passed, 0 failed; 2 steps in" in out

    (tmp_path / "b_bad.yaml").write_text("steps:\n  - text: ping\n  - expect: {text: pang}\n")
    junit = tmp_path / "report.xml"
    assert main(["replay", "--emulator", setup.emulator_url, str(tmp_path), "--junit", str(junit)]) == 1
    out = capsys.readouterr().out
    assert "[2/2]" in out and "2 scripts: 1 passed, 1 failed" in out
    assert f"FAILED {tmp_path / 'b_bad.yaml'}:3: step 2" in out
    assert ET.parse(junit).getroot().get("failures") == "1"


def test_an_invalid_script_stops_the_replay_before_anything_runs(
    setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("steps:\n  - text: ping\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("steps:\n  - text: ping\n  - expect: {typo: text}\n")
    with httpx.Client(base_url=setup.emulator_url) as control:
        control.post("/_emulator/reset")
        assert main(["replay", "--emulator", setup.emulator_url, str(good), str(bad)]) == 1
        captured = capsys.readouterr()
        assert f"invalid script: {bad}:3: $.steps[1].expect: unexpected parameter 'typo'" in captured.err
        assert captured.out == ""
        assert control.get("/_emulator/conversations/15550001111").json()["messages"] == []


@pytest.mark.parametrize(
    ("webhook", "reason"),
    [
        ("", "the emulator has no webhook URL, so the bot never got the user's message"),
        ("http://127.0.0.1:9/webhook", "the webhook to http://127.0.0.1:9/webhook is not delivered: ConnectError"),
    ],
)
def test_when_the_bot_never_heard_the_user_the_failure_says_why(webhook: str, reason: str) -> None:
    with background_emulator(webhook_url=webhook) as emulator, Session(emulator.url) as session:
        result = Runner(session).run(
            parse_script("steps:\n  - text: ping\n  - expect: {text: pong}\n    timeout: 0.5\n")
        )
    assert reason in str(result.failure), result.failure


def test_record_writes_a_running_emulators_conversation_as_a_script(
    setup: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    result, _ = run(setup, "steps:\n  - text: ping\n  - expect: {text: pong}\n")
    assert result.ok, result.failure
    assert main(["record", "--emulator", setup.emulator_url, "--user", "15550001111", "--name", "ping"]) == 0
    recorded = capsys.readouterr().out
    assert recorded.endswith(
        "name: ping\nuser: '15550001111'\nsteps:\n- text: ping\n- expect: {type: text, text: pong}\n"
    )
    assert parse_script(recorded).steps[1].value[0].fields == {"type": "text", "text": "pong"}

    assert main(["record", "--emulator", setup.emulator_url, "--user", "15550009999"]) == 1
    assert "no messages to record for 15550009999" in capsys.readouterr().err
    assert main(["record", "--emulator", setup.emulator_url]) == 2


GOOD = "steps:\n  - text: ping\n  - expect: {text: pong}\n"
BAD = "steps:\n  - text: ping\n  - expect: {text: pang}\n"


def _scripts(tmp_path: Path, **texts: str) -> list[str]:
    for name, text in texts.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    return [str(tmp_path / f"{name}.yaml") for name in texts]


def test_an_unreachable_emulator_is_one_clear_error_up_front(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scripts = _scripts(tmp_path, a=GOOD, b=GOOD, c=GOOD)
    assert main(["replay", "--emulator", "http://127.0.0.1:9", *scripts]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # was: a "cannot reset the emulator" error for every script
    [line] = captured.err.splitlines()
    assert line.startswith("wa-emulator replay: cannot reach the emulator at http://127.0.0.1:9: ")


def test_a_refused_control_token_is_one_clear_error_up_front(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with background_emulator(environ={"WA_EMULATOR_CONTROL_TOKEN": "s3cret"}) as emulator:
        assert (
            main(["replay", "--emulator", emulator.url, "--control-token", "wrong", *_scripts(tmp_path, a=GOOD)]) == 1
        )
    assert (
        capsys.readouterr().err
        == f"wa-emulator replay: the emulator at {emulator.url} refused the control token (--control-token or WA_EMULATOR_CONTROL_TOKEN)\n"
    )


def test_fail_fast_stops_at_the_first_failed_script(
    setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scripts = _scripts(tmp_path, a_bad=BAD, b_good=GOOD, c_good=GOOD)
    junit = tmp_path / "report.xml"
    assert main(["replay", "--emulator", setup.emulator_url, "--fail-fast", "--junit", str(junit), *scripts]) == 1
    out = capsys.readouterr().out
    assert "[2/3]" not in out
    assert "3 scripts: 0 passed, 1 failed, 2 not run;" in out
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "2")


def test_k_runs_only_the_scripts_whose_file_or_name_matches(
    setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scripts = _scripts(tmp_path, order_pizza=GOOD, help_me=GOOD, broken=BAD)
    assert main(["replay", "--emulator", setup.emulator_url, "-k", "PIZZA", "-k", "help", *scripts]) == 0
    out = capsys.readouterr().out
    assert "[1/2]" in out and "order_pizza" in out and "help_me" in out and "broken" not in out
    assert main(["replay", "--emulator", setup.emulator_url, "-k", "nothing", *scripts]) == 1
    assert "no script matches -k nothing" in capsys.readouterr().err


def test_quiet_prints_only_failed_scripts_and_the_summary(
    setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scripts = _scripts(tmp_path, a_good=GOOD, b_bad=BAD)
    assert main(["replay", "--emulator", setup.emulator_url, "--quiet", *scripts]) == 1
    out = capsys.readouterr().out
    assert "a_good" not in out and 'ok     1  text "ping"' in out  # only b_bad's lines, which has the same step
    assert f"[2/2] {scripts[1]}: b_bad" in out and "FAIL   2" in out
    assert out.rstrip().splitlines()[-1].startswith("2 scripts: 1 passed, 1 failed;")
