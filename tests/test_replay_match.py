"""Matching a bot's message against an expectation, and the diff a person reads when it does not match."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.replay.diff import describe_expectation, list_difference, mismatch_report, missing_report
from emulator.replay.expect import matches, mismatches, summary

BUTTONS: dict[str, Any] = {
    "id": "gBEG1",
    "type": "interactive",
    "status": "read",
    "errors": [],
    "payload": {
        "to": "15550001111",
        "type": "interactive",
        "interactive": {
            "type": "button",
            "header": {"type": "text", "text": "Trattoria Bot"},
            "body": {"text": "Hi Alice! What would you like to do?"},
            "action": {
                "buttons": [{"type": "reply", "reply": {"id": i, "title": i.title()}} for i in ("menu", "help")]
            },
        },
    },
}
LIST: dict[str, Any] = {
    "id": "gBEG2",
    "type": "interactive",
    "status": "delivered",
    "payload": {
        "interactive": {
            "type": "list",
            "body": {"text": "Pick a dish"},
            "action": {
                "button": "Choose",
                "sections": [
                    {"title": "A", "rows": [{"id": "pizza", "title": "Pizza"}]},
                    {"title": "B", "rows": [{"id": "salad", "title": "Salad"}]},
                ],
            },
        }
    },
}
TEMPLATE: dict[str, Any] = {
    "id": "gBEG3",
    "type": "template",
    "status": "failed",
    "errors": [{"code": 1026, "title": "Receiver incapable"}],
    "payload": {
        "template": {
            "name": "order_confirmation",
            "language": {"policy": "deterministic", "code": "en_US"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Alice"},
                        {
                            "type": "currency",
                            "currency": {"fallback_value": "$8.00", "code": "USD", "amount_1000": 8000},
                        },
                    ],
                },
                {
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": "1",
                    "parameters": [{"type": "payload", "payload": "agent:#SALAD-1"}],
                },
            ],
        }
    },
    "hydrated": {
        "body": "Hi Alice, we charged $8.00.",
        "buttons": [{"type": "QUICK_REPLY", "text": "Talk to an agent", "payload": "agent:#SALAD-1"}],
    },
}
TEXT: dict[str, Any] = {
    "id": "gBEG4",
    "type": "text",
    "status": "read",
    "errors": [],
    "payload": {"type": "text", "text": {"body": "You wrote: hello"}},
}


@pytest.mark.parametrize(
    ("expected", "actual", "result"),
    [
        ("hi", "hi", True),
        ("hi", "hi!", False),
        ("re:^Thanks, .+ noted$", "Thanks, agent:#P-2 noted", True),
        ("re:^Thanks", "No thanks", False),
        ("re:noted", None, False),
        ({"a": 1}, {"a": 1, "b": 2}, True),
        ({"a": {"b": "re:x"}}, {"a": {"b": "axe", "c": 0}}, True),
        ({"a": 1}, {"b": 1}, False),
        ([1, 2], [1, 2], True),
        ([1], [1, 2], False),
        ([{"id": "re:^m"}], [{"id": "menu", "title": "Menu"}], True),
        (1, 1.0, True),
        (True, 1, False),
        (None, None, True),
    ],
)
def test_matching_rules(expected: Any, actual: Any, result: bool) -> None:
    assert matches(expected, actual) is result


def test_buttons_rows_text_type_and_template_are_read_from_the_record() -> None:
    assert mismatches({"type": "interactive", "buttons": ["menu", "help"], "text": "re:^Hi Alice"}, BUTTONS) == []
    assert mismatches({"rows": ["pizza", "salad"], "text": "Pick a dish"}, LIST) == []
    fields = {
        "template": {"name": "order_confirmation", "language": "en_US", "parameters": ["Alice", "$8.00"]},
        "text": "re:\\$8\\.00",
    }
    assert mismatches(fields, TEMPLATE) == []
    assert mismatches({"failed": 1026, "status": "failed"}, TEMPLATE) == []
    assert mismatches({"payload": {"interactive": {"header": {"text": "Trattoria Bot"}}}}, BUTTONS) == []


def test_each_difference_is_named() -> None:
    found = mismatches({"type": "text", "buttons": ["menu", "help"], "failed": 470}, BUTTONS)
    assert [(m.what, m.expected, m.actual) for m in found] == [
        ("type", "text", "interactive"),
        ("failed", 470, None),
    ]
    deep = mismatches({"payload": {"interactive": {"header": {"text": "Pizza Bot"}, "footer": {"text": "x"}}}}, BUTTONS)
    assert [(m.what, m.expected) for m in deep] == [
        ("payload.interactive.header.text", "Pizza Bot"),
        ("payload.interactive.footer", {"text": "x"}),
    ]


def test_a_changed_reply_reads_as_a_diff_naming_the_change() -> None:
    fields = {"type": "text", "text": "You said: hello"}
    report = mismatch_report(fields, TEXT, mismatches(fields, TEXT))
    assert report.splitlines() == [
        """expected the bot's next message: text "You said: hello\"""",
        'the bot sent: text "You wrote: hello"  [gBEG4]',
        "  text",
        '    - "You said: hello"',
        '    + "You wrote: hello"',
        "           ^ first difference at character 5",
    ]


def test_the_diff_says_what_the_bot_sent_when_a_field_is_absent() -> None:
    fields = {"buttons": ["menu"], "failed": 470, "payload": {"interactive": {"footer": {"text": "x"}}}}
    report = mismatch_report(fields, TEXT, mismatches(fields, TEXT))
    assert "    + (none: the bot sent text)" in report
    assert "    + (not failed: status read)" in report
    assert '  payload.interactive\n    - {"footer": {"text": "x"}}\n    + (absent)' in report


def test_a_list_that_differs_names_the_item() -> None:
    fields = {"buttons": ["menu", "info"]}
    report = mismatch_report(fields, BUTTONS, mismatches(fields, BUTTONS))
    assert report.splitlines()[-3:] == [
        '    - ["menu", "info"]',
        '    + ["menu", "help"]',
        '      ^ item 2 differs: "info" expected, "help" sent',
    ]


@pytest.mark.parametrize(
    ("expected", "actual", "said"),
    [
        (["a", "b", "c"], ["a", "c"], '3 items expected, 2 sent; missing "b"'),
        (["a"], ["a", "x"], '1 item expected, 2 sent; extra "x"'),
        (["re:^p", "b"], ["pizza", "c"], 'item 2 differs: "b" expected, "c" sent'),
        ([{"id": 1}], [{"id": 2}], 'item 1 differs: {"id": 1} expected, {"id": 2} sent'),
    ],
)
def test_list_differences_name_what_is_missing_or_extra(expected: list[Any], actual: list[Any], said: str) -> None:
    assert list_difference(expected, actual) == said


def test_nothing_sent_names_the_timeout_and_the_last_message() -> None:
    report = missing_report({"type": "interactive", "buttons": ["menu", "help"]}, 2.5, TEXT, position=" (2 of 2)")
    assert report.splitlines() == [
        "expected the bot's next message (2 of 2): interactive buttons [menu, help]",
        "the bot sent nothing within 2.5 s",
        'its last message was: text "You wrote: hello"  [gBEG4]',
    ]


def test_summaries_and_descriptions_are_one_line() -> None:
    assert summary(BUTTONS) == 'interactive button "Hi Alice! What would you like to do?" buttons [menu, help]'
    assert summary(LIST) == 'interactive list "Pick a dish" rows [pizza, salad]'
    assert summary(TEMPLATE) == 'template "order_confirmation" "Hi Alice, we charged $8.00." (failed with 1026)'
    assert (
        summary({"type": "text", "payload": {"text": {"body": 'say "hi"\nthen go'}}}) == 'text "say \\"hi\\"\\nthen go"'
    )
    assert (
        describe_expectation({"type": "template", "template": {"name": "x"}, "failed": 470})
        == 'template "x" failed with 470'
    )
