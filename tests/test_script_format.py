"""Conversation scripts: every step kind parses; an invalid script is refused with its file, line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.durations import format_duration, parse_duration
from emulator.replay.script import DEFAULT_TIMEOUT_S, DEFAULT_USER, ScriptError, load_script, parse_script

CONVERSATIONS = Path(__file__).resolve().parents[1] / "fixtures" / "conversations"

EVERY_KIND = """\
name: every kind of step
user: "15550002222"
timeout: 3
steps:
  - text: hi
  - expect: {as: welcome, type: interactive, buttons: [menu, help]}
  - tap: menu
  - select: pizza
    timeout: 7
  - quick_reply: Talk to an agent
  - location: {latitude: 40.78, longitude: -73.96, name: Central Park}
  - send: {type: interactive, interactive: {type: button_reply, button_reply: {id: help}}}
    reply_to: welcome
  - expect:
      - {type: text, text: 're:^Thanks'}
      - type: template
        template: {name: order_confirmation, parameters: [Alice, 're:\\d']}
        payload: {template: {language: {code: en_US}}}
  - expect: {failed: 470}
  - clock: +25h
  - set_user: {incapable: true}
    user: "15550003333"
  - call: {url: "http://127.0.0.1:8080/remind", method: POST, json: {to: "15550002222"}}
"""


def test_every_fixture_conversation_is_a_valid_script() -> None:
    paths = sorted(CONVERSATIONS.glob("*.yaml"))
    assert len(paths) >= 5
    for path in paths:
        assert load_script(path).steps, path


def test_every_step_kind_parses_with_its_line() -> None:
    script = parse_script(EVERY_KIND, "every.yaml")
    assert (script.name, script.user, script.timeout) == ("every kind of step", "15550002222", 3.0)
    kinds = [(s.kind, s.line) for s in script.steps]
    assert kinds == [
        ("text", 5),
        ("expect", 6),
        ("tap", 7),
        ("select", 8),
        ("quick_reply", 10),
        ("location", 11),
        ("send", 12),
        ("expect", 14),
        ("expect", 19),
        ("clock", 20),
        ("set_user", 21),
        ("call", 23),
    ]
    welcome = script.steps[1].value[0]
    assert welcome.label == "welcome" and welcome.fields == {"type": "interactive", "buttons": ["menu", "help"]}
    assert script.steps[3].timeout == 7.0
    assert script.steps[6].reply_to == "welcome"
    two = script.steps[7].value
    assert [e.line for e in two] == [15, 16] and two[1].fields["template"]["parameters"] == ["Alice", "re:\\d"]
    assert script.steps[9].value == 90000.0
    assert script.steps[10].user == "15550003333"


def test_name_user_and_timeout_have_defaults() -> None:
    script = parse_script("steps:\n  - text: hi\n", "/tmp/greeting.yaml")
    assert (script.name, script.user, script.timeout) == ("greeting", DEFAULT_USER, DEFAULT_TIMEOUT_S)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("steps:\n  - text: hi\n  - tapp: menu\n", 3, "got none ('tapp' is not a step kind)"),
        ("steps:\n  - text: hi\n    tap: menu\n", 2, "exactly one action"),
        ("steps:\n  - text: hi\n  - expect:\n      type: txt\n", 4, '$.steps[1].expect.type: must be one of "text"'),
        (
            "steps:\n  - expect:\n      type: text\n      colour: red\n",
            4,
            "$.steps[0].expect: unexpected parameter 'colour'",
        ),
        (
            "steps:\n  - text: hi\n  - expect:\n      text: 're:(('\n",
            4,
            "$.steps[1].expect.text: bad regular expression",
        ),
        (
            "steps:\n  - expect: [{type: text}, {text: 're:['}]\n",
            2,
            "$.steps[0].expect[1].text: bad regular expression",
        ),
        ("steps:\n  - tap: menu\n    reply_to: welcome\n", 3, "no earlier expectation is labelled 'welcome'"),
        ("steps:\n  - expect: {as: a}\n  - expect: {as: a}\n", 3, "the label 'a' is used twice"),
        ("steps:\n  - text: hi\n  - clock: 25h\n", 3, "must be a duration such as +25h"),
        (
            "steps:\n  - clock: +1h\n    timeout: 3\n",
            3,
            "timeout goes with expect and the steps that may wait for the bot",
        ),
        (
            "steps:\n  - text: hi\n    reply_to: x\n",
            3,
            "reply_to goes with tap, select, quick_reply, react, order, enquire, complete_flow or send",
        ),
        (
            "steps:\n  - tap: ok\n    referral: {source_url: 'https://fb.me/x', source_id: '1'}\n",
            3,
            "referral goes with text",
        ),
        ("steps:\n  - text: hi\n    referral: {source_id: '1'}\n", 3, "'source_url' is required"),
        ("steps:\n  - change_number: '+15550008888'\n", 2, "$.steps[0].change_number: must be a wa_id"),
        ("steps:\n  - delete: first\n", 2, '$.steps[0].delete: must be "last"'),
        ("steps:\n  - enquire: {product: sku-1}\n", 2, "$.steps[0].enquire: 'text' is required"),
        (
            "steps:\n  - order: {product_items: [{product_retailer_id: a, quantity: 1}]}\n",
            2,
            "'item_price' is required",
        ),
        ("user: 15550001111\nsteps:\n  - text: hi\n", 1, "$.user: must be of type string"),
        ("user: '+15550001111'\nsteps:\n  - text: hi\n", 1, "$.user: must be a wa_id"),
        ("steps:\n  - location: {latitude: 91, longitude: 0}\n", 2, "$.steps[0].location.latitude"),
        ("steps:\n  - send: {type: text}\n", 2, "$.steps[0].send: 'text' is required"),
        ("steps:\n  - set_user: {incapable: maybe}\n", 2, "$.steps[0].set_user.incapable: must be of type boolean"),
        ("steps:\n  - call: {url: ftp://x}\n", 2, "$.steps[0].call.url"),
        ("steps:\n  - text: hi\n  - text: [\n", 3, "not valid YAML"),
        ("steps:\n  - text: hi\n    text: ho\n", 3, "the key 'text' appears twice"),
        ("steps:\n  - yes: hi\n", 2, "the key 'yes' must be a string"),
        ("steps: []\n", 1, "$.steps: must have at least 1 item"),
        ("- text: hi\n", 1, "a script is a mapping with 'steps'"),
        ("", 1, "the script is empty"),
    ],
)
def test_an_invalid_script_is_refused_with_its_line_and_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(ScriptError) as caught:
        parse_script(text, "bad.yaml")
    assert caught.value.line == line, str(caught.value)
    assert reason in caught.value.reason, str(caught.value)
    assert str(caught.value).startswith(f"bad.yaml:{line}: ")


def test_an_unreadable_script_is_refused_with_its_file(tmp_path: Path) -> None:
    with pytest.raises(ScriptError) as caught:
        load_script(tmp_path / "missing.yaml")
    assert str(caught.value).startswith(f"{tmp_path / 'missing.yaml'}: cannot read the script")  # not ":0:"
    assert caught.value.line is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("+25h", 90000), ("+1d2h", 93600), ("+90m", 5400), ("+30s", 30), ("+1.5h", 5400), (600, 600)],
)
def test_clock_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize(
    ("text", "seconds"), [("25h", 90000), ("-5h", -18000), ("90", 90), ("-1.5", -1.5), ("+2d", 172800)]
)
def test_the_control_api_and_the_page_write_durations_the_same_way(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "+", "25", "h", "25x", "1h 2m", "--5h", "1e3", True])
def test_what_is_not_a_duration_is_refused_with_the_forms(text: str | bool) -> None:
    with pytest.raises(ValueError, match=r"not a duration such as \+25h"):
        parse_duration(text if text != "25" else "25 s")


def test_a_day_and_a_bit_is_written_in_hours() -> None:
    assert (format_duration(90000), format_duration(172800), format_duration(3661)) == ("+25h", "+2d", "+1h1m1s")


@pytest.mark.parametrize(("doc", "least"), [("docs/replay.md", 6), ("README.md", 1)])
def test_every_yaml_example_in_the_docs_is_a_valid_script(doc: str, least: int) -> None:
    text = (CONVERSATIONS.parents[1] / doc).read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```yaml\n")[1:]]
    assert len(blocks) >= least
    for block in blocks:
        assert parse_script(block, doc).steps, block
