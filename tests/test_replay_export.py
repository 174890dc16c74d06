"""Recording: a conversation (GET /_emulator/conversations/{wa_id}?format=script) or a traffic log as a script."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from emulator.cli import main
from emulator.replay.script import parse_script
from emulator.replay.traffic import LogError, log_script
from emulator.transcripts.export import stable_matcher
from tests.conftest import assert_error
from tests.payloads import FLOW, SHOP

USER = "15550001111"
WELCOME = {
    "type": "button",
    "body": {"text": "Hi Alice Martin! What would you like to do?"},
    "action": {
        "buttons": [
            {"type": "reply", "reply": {"id": i, "title": t}} for i, t in (("menu", "See the menu"), ("help", "Help"))
        ]
    },
}
MENU = {
    "type": "list",
    "body": {"text": "Pick a dish"},
    "action": {
        "button": "Choose",
        "sections": [
            {"title": "Mains", "rows": [{"id": "pasta", "title": "Pasta"}, {"id": "salad", "title": "Greek salad"}]}
        ],
    },
}


def order(number: int) -> dict[str, Any]:
    """The example bot's order_confirmation template for order ``number``."""
    body = [
        {"type": "text", "text": "Alice Martin"},
        {"type": "text", "text": f"#PASTA-{number} (Pasta)"},
        {"type": "currency", "currency": {"fallback_value": "$12.50", "code": "USD", "amount_1000": 12500}},
        {"type": "date_time", "date_time": {"fallback_value": "Friday, June 14"}},
    ]
    agent = {"type": "payload", "payload": f"agent:#PASTA-{number}"}
    return {
        "name": "order_confirmation",
        "language": {"policy": "deterministic", "code": "en_US"},
        "components": [
            {"type": "body", "parameters": body},
            {"type": "button", "sub_type": "quick_reply", "index": "1", "parameters": [agent]},
        ],
    }


def user_sends(api: TestClient, message: dict[str, Any], wa_id: str = USER) -> dict[str, Any]:
    response = api.post(f"/_emulator/users/{wa_id}/messages", json=message)
    assert response.status_code == 200, response.text
    inbound: dict[str, Any] = response.json()["message"]
    return inbound


def bot_sends(api: TestClient, kind: str, content: dict[str, Any], to: str = USER) -> str:
    response = api.post("/v1/messages", json={"to": to, "type": kind, kind: content})
    assert response.status_code == 201, response.text
    message_id: str = response.json()["messages"][0]["id"]
    return message_id


def reply(message_id: str, kind: str, choice: dict[str, Any]) -> dict[str, Any]:
    return {"type": "interactive", "context": {"id": message_id}, "interactive": {"type": kind, kind: choice}}


def test_a_conversation_is_exported_as_a_script_of_short_forms_and_stable_expectations(api: TestClient) -> None:
    user_sends(api, {"type": "text", "text": {"body": "hi"}})
    welcome = bot_sends(api, "interactive", WELCOME)
    user_sends(api, reply(welcome, "button_reply", {"title": "See the menu"}))
    menu = bot_sends(api, "interactive", MENU)
    user_sends(api, reply(menu, "list_reply", {"title": "Greek salad"}))
    template = bot_sends(api, "template", order(7))
    user_sends(api, {"type": "button", "context": {"id": template}, "button": {"payload": "agent:#PASTA-7"}})
    bot_sends(api, "text", {"body": "Thanks, agent:#PASTA-7 noted"})
    assert api.post("/_emulator/clock", json={"advance": 90000}).status_code == 200
    user_sends(api, {"type": "location", "location": {"latitude": 40.78, "longitude": -73.96}})
    bot_sends(api, "text", {"body": "re:not a pattern"})
    user_sends(
        api, reply(welcome, "button_reply", {"id": "help"})
    )  # the greeting, after a text: the latest with buttons
    bot_sends(api, "text", {"body": "Help text"})
    user_sends(api, reply(menu, "list_reply", {"id": "pasta"}))  # the menu, after a text: the latest list
    bot_sends(api, "text", {"body": "Sorry"})

    response = api.get(f"/_emulator/conversations/{USER}", params={"format": "script"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/yaml")
    assert response.text.startswith("# Exported by wa-emulator from the conversation with 15550001111.\n")
    script = yaml.safe_load(response.text)
    assert script == {
        "name": "conversation with 15550001111 (Alice Martin)",
        "user": USER,
        "steps": [
            {"text": "hi"},
            {
                "expect": {
                    "type": "interactive",
                    "text": "Hi Alice Martin! What would you like to do?",
                    "buttons": ["menu", "help"],
                }
            },
            {"tap": "menu"},
            {"expect": {"type": "interactive", "text": "Pick a dish", "rows": ["pasta", "salad"]}},
            {"select": "salad"},
            {"expect": {"type": "template", "template": {"name": "order_confirmation", "language": "en_US"}}},
            {"quick_reply": "Talk to an agent"},
            {"expect": {"type": "text", "text": "re:^Thanks, .+ noted$"}},
            {"clock": "+25h"},
            {"location": {"latitude": 40.78, "longitude": -73.96}},
            {"expect": {"type": "text", "text": "re:^re:not a pattern$"}},
            {"tap": "help"},
            {"expect": {"type": "text", "text": "Help text"}},
            {"select": "pasta"},
            {"expect": {"type": "text", "text": "Sorry"}},
        ],
    }
    assert parse_script(response.text, "exported.yaml").steps


def test_a_reply_to_a_message_the_replay_would_not_pick_gets_a_label(api: TestClient) -> None:
    user_sends(api, {"type": "text", "text": {"body": "hi"}})
    first = bot_sends(api, "interactive", WELCOME)
    bot_sends(api, "interactive", WELCOME)  # the same buttons again: a tap answers the latest unless told
    user_sends(api, reply(first, "button_reply", {"id": "menu"}))
    bot_sends(api, "text", {"body": "ok"})

    script = yaml.safe_load(api.get(f"/_emulator/conversations/{USER}?format=script").text)
    assert script["steps"][1] == {
        "expect": [
            {
                "type": "interactive",
                "text": "Hi Alice Martin! What would you like to do?",
                "buttons": ["menu", "help"],
                "as": "m1",
            },
            {"type": "interactive", "text": "Hi Alice Martin! What would you like to do?", "buttons": ["menu", "help"]},
        ]
    }
    assert script["steps"][2] == {"tap": "menu", "reply_to": "m1"}


def test_a_failed_message_and_a_user_set_up_by_hand_are_exported(api: TestClient) -> None:
    wa_id = "4915112345678"
    assert (
        api.put(f"/_emulator/users/{wa_id}", json={"name": "Lena", "unsupported_types": ["interactive"]}).status_code
        == 200
    )
    user_sends(api, {"type": "text", "text": {"body": "hi"}}, wa_id)
    bot_sends(api, "interactive", WELCOME, to=wa_id)

    script = yaml.safe_load(api.get(f"/_emulator/conversations/{wa_id}?format=script").text)
    assert script["steps"] == [
        {"set_user": {"name": "Lena", "unsupported_types": ["interactive"]}},
        {"text": "hi"},
        {
            "expect": {
                "type": "interactive",
                "text": "Hi Alice Martin! What would you like to do?",
                "buttons": ["menu", "help"],
                "failed": 1026,
            }
        },
    ]


def test_an_unknown_format_is_refused(api: TestClient) -> None:
    assert_error(api.get(f"/_emulator/conversations/{USER}?format=xml"), 400, 1009)
    assert api.get(f"/_emulator/conversations/{USER}?format=json").json()["wa_id"] == USER


def test_volatile_values_become_a_pattern_only_where_a_text_repeats_one() -> None:
    assert stable_matcher("Thanks, agent:#A-1 noted.", ["agent:#A-1"]) == "re:^Thanks, .+ noted\\.$"
    assert stable_matcher("You said: (hi)", ["agent:#A-1"]) == "You said: (hi)"


LOG = [
    {
        "direction": "in",
        "ts": 1767225600,
        "payload": {
            "contacts": [{"profile": {"name": "Ana"}, "wa_id": "5511999990000"}],
            "messages": [
                {
                    "from": "5511999990000",
                    "id": "wamid.1",
                    "timestamp": "1767225600",
                    "type": "text",
                    "text": {"body": "hi"},
                }
            ],
        },
    },
    {
        "direction": "out",
        "id": "gBEG1",
        "body": {
            "recipient_type": "individual",
            "to": "+55 11 99999-0000",
            "type": "interactive",
            "interactive": WELCOME,
        },
    },
    {
        "direction": "in",
        "payload": {
            "statuses": [
                {"id": "gBEG1", "recipient_id": "5511999990000", "status": "delivered", "timestamp": "1767225601"}
            ]
        },
    },
    {
        "direction": "in",
        "payload": {
            "messages": [
                {
                    "from": "5511999990000",
                    "id": "wamid.2",
                    "timestamp": "1767225605",
                    "type": "interactive",
                    "context": {"from": "15550000000", "id": "gBEG1"},
                    "interactive": {"type": "button_reply", "button_reply": {"id": "menu", "title": "See the menu"}},
                }
            ]
        },
    },
    {"to": "5511999990000", "type": "text", "text": {"body": "Here is the menu"}},
    # the Cloud API's envelope, a day later
    {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "messages": [
                                {
                                    "from": "5511999990000",
                                    "id": "wamid.3",
                                    "timestamp": "1767315600",
                                    "type": "text",
                                    "text": {"body": "still there?"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    },
    {
        "direction": "out",
        "body": {"messaging_product": "whatsapp", "to": "5511999990000", "type": "text", "text": {"body": "Yes"}},
        "response": {"messages": [{"id": "gBEG3"}]},
    },
    {
        "direction": "in",
        "payload": {
            "statuses": [
                {
                    "id": "gBEG3",
                    "recipient_id": "5511999990000",
                    "status": "failed",
                    "errors": [{"code": 470, "title": "Re-engagement message"}],
                }
            ]
        },
    },
]


def log_lines(entries: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(e) for e in entries]


def test_a_traffic_log_becomes_a_script() -> None:
    script, skipped = log_script([*log_lines(LOG), "", "# a comment"])
    assert skipped == []
    assert script == {
        "name": "conversation with 5511999990000",
        "user": "5511999990000",
        "steps": [
            {"set_user": {"name": "Ana"}},
            {"text": "hi"},
            {
                "expect": {
                    "type": "interactive",
                    "text": "Hi Alice Martin! What would you like to do?",
                    "buttons": ["menu", "help"],
                }
            },
            {"tap": "menu"},
            {"expect": {"type": "text", "text": "Here is the menu"}},
            {"clock": "+25h"},
            {"text": "still there?"},
            {"expect": {"type": "text", "text": "Yes", "failed": 470}},
        ],
    }


def test_a_log_of_several_users_names_the_others_on_their_steps() -> None:
    other = {
        "direction": "in",
        "payload": {
            "messages": [
                {"from": "15550002222", "id": "w9", "timestamp": "1767225602", "type": "text", "text": {"body": "yo"}}
            ]
        },
    }
    answer = {"direction": "out", "body": {"to": "15550002222", "type": "text", "text": {"body": "You said: yo"}}}
    script, _ = log_script(log_lines([LOG[0], other, answer, LOG[1]]))
    assert script["steps"][1:] == [
        {"text": "hi"},
        {"text": "yo", "user": "15550002222"},
        {"expect": {"type": "text", "text": "You said: yo"}, "user": "15550002222"},
        {
            "expect": {
                "type": "interactive",
                "text": "Hi Alice Martin! What would you like to do?",
                "buttons": ["menu", "help"],
            }
        },
    ]
    only, _ = log_script(log_lines([LOG[0], other, answer, LOG[1]]), user="+1 555 000 2222")
    assert only["user"] == "15550002222" and [s.get("user") for s in only["steps"]] == [None, None]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "not JSON (Expecting property name enclosed in double quotes at column 2)"),
        ("[1, 2]", "a line must be a JSON object"),
        ('{"hello": "world"}', "neither a webhook payload nor a /v1/messages body (see docs/replay.md for the format)"),
        ('{"to": "abc", "type": "text"}', "a /v1/messages body needs a phone number in 'to'"),
        (
            '{"statuses": [{"id": "gBEG9", "status": "failed", "errors": [{"code": 470}]}]}',
            "a failed status for gBEG9, a message the log does not have",
        ),
    ],
)
def test_a_line_that_cannot_be_used_is_skipped_with_its_number_and_why(line: str, reason: str) -> None:
    lines = log_lines(LOG[:2])
    script, skipped = log_script([lines[0], line, lines[1]])
    assert skipped == [(2, reason)]
    assert len(script["steps"]) == 3  # the good lines still make the script


def test_a_log_with_no_message_says_so_without_a_line_number() -> None:
    with pytest.raises(LogError) as caught:
        log_script(["{not json", '{"hello": "world"}'])
    assert str(caught.value) == "the log has no message to or from any user"  # was "line 0: ..."
    assert [number for number, _ in caught.value.skipped] == [1, 2]


def test_record_from_log_writes_a_valid_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "traffic.jsonl"
    log.write_text("\n".join(log_lines(LOG)) + "\n")
    out = tmp_path / "recorded.yaml"
    assert main(["record", "--from-log", str(log), "-o", str(out), "--name", "from production"]) == 0
    assert "wrote 8 steps" in capsys.readouterr().err
    script = parse_script(out.read_text(), str(out))
    assert (script.name, script.user, len(script.steps)) == ("from production", "5511999990000", 8)
    assert out.read_text().startswith(f"# Recorded by wa-emulator from {log}.\n")

    assert main(["record", "--from-log", str(log)]) == 0
    assert capsys.readouterr().out == out.read_text().replace(
        "name: from production", "name: conversation with 5511999990000"
    )

    log.write_text("\n".join(["2026-01-01 INFO bot started", *log_lines(LOG)]) + "\n")
    assert main(["record", "--from-log", str(log), "-o", str(out)]) == 0
    assert capsys.readouterr().err.splitlines()[:2] == [
        f"wa-emulator record: skipped 1 line(s) of {log}:",
        "  line 1: not JSON (Extra data at column 5)",
    ]

    log.write_text("nonsense\n")
    assert main(["record", "--from-log", str(log)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"wa-emulator record: skipped 1 line(s) of {log}:",
        "  line 1: not JSON (Expecting value at column 1)",
        "wa-emulator record: the log has no message to or from any user",
    ]


def test_a_media_turn_is_exported_without_its_media_id_so_it_replays(api: TestClient) -> None:
    user_sends(api, {"type": "image", "image": {"caption": "my receipt"}})
    script = yaml.safe_load(api.get(f"/_emulator/conversations/{USER}?format=script").text)
    [step] = [s for s in script["steps"] if "send" in s]
    assert step["send"] == {"type": "image", "image": {"caption": "my receipt"}}
    assert api.post(f"/_emulator/users/{USER}/messages", json=step["send"]).status_code == 200


def test_the_new_kinds_of_turn_are_exported_as_their_short_forms(api: TestClient) -> None:
    ad = {"source_url": "https://fb.me/x", "source_id": "ad-1", "headline": "Sale"}
    user_sends(api, {"type": "text", "text": {"body": "hi"}, "referral": ad})
    shop = bot_sends(api, "interactive", SHOP)
    asked = {"referred_product": {"product_retailer_id": "diavola"}}
    user_sends(api, {"type": "text", "text": {"body": "Spicy?"}, "context": asked})
    pizza = {"product_retailer_id": "diavola", "quantity": 1, "item_price": 9.0, "currency": "EUR"}
    user_sends(api, {"type": "order", "order": {"product_items": [pizza]}})
    user_sends(api, {"type": "reaction", "reaction": {"message_id": shop, "emoji": "🔥"}})
    flow = bot_sends(api, "interactive", FLOW)
    user_sends(api, reply(flow, "nfm_reply", {"response_json": {"party": "2"}}))
    user_sends(api, {"type": "system", "system": {"type": "user_identity_changed"}})
    user_sends(api, {"type": "system", "system": {"type": "user_changed_number", "new_wa_id": "15550007777"}})
    text = api.get(f"/_emulator/conversations/{USER}?format=script").text
    turns = [s for s in yaml.safe_load(text)["steps"] if "expect" not in s]
    assert turns == [
        {"text": "hi", "referral": {"source_type": "ad", **ad}},
        {"enquire": {"product": "diavola", "text": "Spicy?"}},
        {"order": {"catalog_id": "cat-1", "product_items": [pizza]}, "reply_to": "m1"},  # not the next one
        {"react": "🔥", "reply_to": "m1"},
        {"complete_flow": {"party": "2"}},
        {"send": {"type": "system", "system": {"type": "user_identity_changed"}}},
        {"change_number": "15550007777"},
    ]
    assert parse_script(text, "exported.yaml").steps
