"""One state, every tool: a conversation through the Cloud API shows exactly as the same one through /v1.

The same conversation is held twice, in process: once by a bot on the On-Premises API, once by a bot
on the Cloud API (``--webhook-format cloud``). The control API shows the same records (only ids, the
``api`` and the send bodies' own shapes differ), ``?format=script`` exports the same script, replay
expectations read the same values, and ``record --from-log`` of the Cloud traffic gives that script too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from emulator.clock import EmulatorClock
from emulator.replay.expect import ACTUAL, mismatches, summary
from emulator.replay.script import parse_script
from emulator.replay.traffic import log_script
from emulator.settings import Settings
from emulator.transcripts.records import template_view
from tests.conftest import T0
from tests.receiver import Receiver, drain, emulator_with_receiver

USER = "15550001111"
GRAPH = {"Authorization": "Bearer wa-emulator-token"}
MESSAGES = "/v22.0/106540352242922/messages"
WELCOME = {
    "type": "button",
    "body": {"text": "Hi Alice Martin! What would you like to do?"},
    "action": {
        "buttons": [{"type": "reply", "reply": {"id": i, "title": t}} for i, t in (("menu", "Menu"), ("help", "Help"))]
    },
}
MENU = {
    "type": "list",
    "body": {"text": "Pick a dish"},
    "action": {
        "button": "Choose",
        "sections": [
            {"title": "Mains", "rows": [{"id": "pasta", "title": "Pasta"}, {"id": "salad", "title": "Salad"}]}
        ],
    },
}
ORDER_PARAMS = [
    {"type": "text", "text": "Alice Martin"},
    {"type": "text", "text": "#PASTA-7"},
    {"type": "currency", "currency": {"fallback_value": "$12.50", "code": "USD", "amount_1000": 12500}},
    {"type": "date_time", "date_time": {"fallback_value": "Friday"}},
]


class Bot:
    """Sends as a bot of one API would: its body shapes, its auth, its success status."""

    def __init__(self, client: TestClient, api: str) -> None:
        self.client, self.api = client, api
        self.log: list[dict[str, Any]] = []  # what a deployment of this bot would log of its sends

    def send(self, kind: str, content: Any) -> str:
        if self.api == "onprem":
            response = self.client.post("/v1/messages", json={"to": USER, "type": kind, kind: content})
            assert response.status_code == 201, response.text
        else:
            body = {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": USER,
                "type": kind,
                kind: content,
            }
            response = self.client.post(MESSAGES, json=body, headers=GRAPH)
            assert response.status_code == 200, response.text
            self.log.append({"direction": "out", "body": body, "response": response.json()})
        message_id: str = response.json()["messages"][0]["id"]
        return message_id

    def template(self, name: str, params: list[dict[str, Any]], quick_reply: str) -> str:
        """A template with a quick reply on button 1; Cloud in pywa's upper case with an int index."""
        upper = self.api == "cloud"
        body = {"type": "BODY" if upper else "body", "parameters": params}
        button = {
            "type": "BUTTON" if upper else "button",
            "sub_type": "QUICK_REPLY" if upper else "quick_reply",
            "index": 1 if upper else "1",
            "parameters": [{"type": "payload", "payload": quick_reply}],
        }
        language = {"code": "en_US"} if upper else {"policy": "deterministic", "code": "en_US"}
        return self.send("template", {"name": name, "language": language, "components": [body, button]})

    def read(self, message_id: str) -> None:
        if self.api == "onprem":
            assert self.client.put(f"/v1/messages/{message_id}", json={"status": "read"}).status_code == 200
        else:
            body = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
            assert self.client.post(MESSAGES, json=body, headers=GRAPH).json() == {"success": True}
            self.log.append({"direction": "out", "body": body})


@contextmanager
def emulator(api: str) -> Iterator[tuple[TestClient, Receiver, Bot]]:
    """An in-process emulator whose webhooks go (in the bot's API format) to a receiver, and the bot."""
    settings = Settings(seed=7, webhook_format=api)
    with emulator_with_receiver(settings, clock=EmulatorClock(base=lambda: T0)) as (client, receiver):
        yield client, receiver, Bot(client, api)


def user(client: TestClient, message: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/_emulator/users/{USER}/messages", json=message)
    assert response.status_code == 200, response.text
    inbound: dict[str, Any] = response.json()["message"]
    return inbound


def reply(message_id: str, kind: str, choice: dict[str, Any]) -> dict[str, Any]:
    return {"type": "interactive", "context": {"id": message_id}, "interactive": {"type": kind, kind: choice}}


def converse(client: TestClient, bot: Bot) -> None:
    """hi, buttons, the menu, a template, its quick reply, a day later a location and a photo by link."""
    bot.read(user(client, {"type": "text", "text": {"body": "hi"}})["id"])
    welcome = bot.send("interactive", WELCOME)
    user(client, reply(welcome, "button_reply", {"id": "menu"}))
    menu = bot.send("interactive", MENU)
    user(client, reply(menu, "list_reply", {"title": "Pasta"}))
    order = bot.template("order_confirmation", ORDER_PARAMS, "agent:#PASTA-7")
    user(client, {"type": "button", "context": {"id": order}, "button": {"text": "Talk to an agent"}})
    bot.send("text", {"body": "Thanks, agent:#PASTA-7 noted"})
    assert client.post("/_emulator/clock", json={"advance": 25 * 3600}).status_code == 200
    user(client, {"type": "location", "location": {"latitude": 40.78, "longitude": -73.96}})
    bot.send("text", {"body": "You are at 40.78, -73.96"})
    bot.send("image", {"link": "https://example.com/menu.png", "caption": "Today's menu"})
    drain(client)


def held(api: str) -> tuple[list[dict[str, Any]], str, Bot, Receiver]:
    """The conversation held through ``api``: its records, its exported script, the bot, the receiver."""
    with emulator(api) as (client, receiver, bot):
        converse(client, bot)
        records = client.get(f"/_emulator/conversations/{USER}").json()["messages"]
        exported = client.get(f"/_emulator/conversations/{USER}", params={"format": "script"}).text
        assert [r["id"] for r in client.get("/_emulator/messages", params={"to": USER}).json()["messages"]] == [
            r["id"] for r in records if r["direction"] == "outbound"
        ]
    return records, exported, bot, receiver


@pytest.fixture(scope="module")
def both() -> dict[str, tuple[list[dict[str, Any]], str, Bot, Receiver]]:
    return {api: held(api) for api in ("onprem", "cloud")}


def test_the_control_api_shows_a_cloud_conversation_as_it_shows_a_v1_one(both: dict[str, Any]) -> None:
    onprem, cloud = both["onprem"][0], both["cloud"][0]
    assert [(r["direction"], r["type"], r.get("status")) for r in cloud] == [
        (r["direction"], r["type"], r.get("status")) for r in onprem
    ]
    for mine, theirs in zip(cloud, onprem, strict=True):
        assert set(mine) - {"api_version"} == set(theirs), (mine, theirs)
        assert mine["api"] == "cloud" and theirs["api"] == "onprem"
        assert mine["id"].startswith("wamid.") and not theirs["id"].startswith("wamid.")
        if mine["direction"] == "inbound":
            assert {k: v for k, v in mine["message"].items() if k not in ("id", "context")} == {
                k: v for k, v in theirs["message"].items() if k not in ("id", "context")
            }
            assert mine["read_at"] is not None or mine["type"] != "text"  # marked read through Graph
        else:
            assert [s["status"] for s in mine["statuses"]] == [s["status"] for s in theirs["statuses"]]
            assert mine.get("hydrated") == theirs.get("hydrated")


def test_a_cloud_conversation_exports_the_same_script_as_a_v1_one(both: dict[str, Any]) -> None:
    onprem, cloud = both["onprem"][1], both["cloud"][1]
    assert cloud == onprem
    script = yaml.safe_load(cloud)
    assert script["steps"][:4] == [
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
    ]
    assert {"clock": "+25h"} in script["steps"] and {"quick_reply": "Talk to an agent"} in script["steps"]
    assert parse_script(cloud).steps


def test_expectations_read_the_same_values_from_both_apis_records(both: dict[str, Any]) -> None:
    outbound = {api: [r for r in both[api][0] if r["direction"] == "outbound"] for api in both}
    for mine, theirs in zip(outbound["cloud"], outbound["onprem"], strict=True):
        for name in ("type", "text", "buttons", "rows", "status", "failed"):
            assert ACTUAL[name](mine) == ACTUAL[name](theirs), name
        assert template_view(mine) == template_view(theirs)
        assert summary(mine) == summary(theirs)
    (template,) = [r for r in outbound["cloud"] if r["type"] == "template"]
    fields = {"type": "template", "template": {"name": "order_confirmation", "language": "en_US"}}
    fields["template"]["parameters"] = ["Alice Martin", "re:^#PASTA-\\d+$", "$12.50", "Friday"]
    assert mismatches(fields, template) == []


def test_a_failed_status_matches_either_api_s_code_for_the_same_failure() -> None:
    failed = {}
    for api in ("onprem", "cloud"):
        with emulator(api) as (client, _, bot):  # Alice never wrote: the window is closed
            late = bot.send("text", {"body": "Hello?"})
            drain(client)
            failed[api] = client.get(f"/_emulator/messages/{late}").json()
    assert [failed[api]["errors"][0]["code"] for api in ("onprem", "cloud")] == [470, 131047]
    for record in failed.values():
        assert mismatches({"failed": 470}, record) == [] and mismatches({"failed": 131047}, record) == []
        assert [m.what for m in mismatches({"failed": 1026}, record)] == ["failed"]
        assert [m.what for m in mismatches({"failed": 131026}, record)] == ["failed"]


def test_record_from_log_of_the_cloud_traffic_gives_the_exported_script(both: dict[str, Any]) -> None:
    _, exported, bot, receiver = both["cloud"]
    sends = iter(bot.log)
    answers = iter([2, 1, 1, 1, 2])  # the bot's sends (a read receipt counts) after each user message
    lines = []
    for payload in receiver.payloads:  # the webhooks the bot got, in the order it got them
        lines.append({"direction": "in", "payload": payload})
        if payload["entry"][0]["changes"][0]["value"].get("messages"):
            lines.extend(next(sends) for _ in range(next(answers)))
    assert any("status" in line["body"] for line in lines if "body" in line)  # a read receipt: skipped
    script, _ = log_script([json.dumps(line) for line in lines])
    assert script["steps"][0] == {"set_user": {"name": "Alice Martin"}}
    assert script["steps"][1:] == yaml.safe_load(exported)["steps"]


def test_cloud_only_inbound_shapes_in_a_log_become_the_emulator_s_vocabulary() -> None:
    def inbound(message: dict[str, Any]) -> str:
        value = {
            "messaging_product": "whatsapp",
            "messages": [{"from": USER, "id": "w", "timestamp": "1767225600", **message}],
        }
        return json.dumps(
            {
                "object": "whatsapp_business_account",
                "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
            }
        )

    voice = {
        "type": "audio",
        "audio": {"id": "9", "mime_type": "audio/ogg", "sha256": "x", "url": "http://m/9", "voice": True},
    }
    unsupported = {
        "type": "unsupported",
        "unsupported": {"type": "edit"},
        "errors": [{"code": 131051, "title": "Message type unknown"}],
    }
    script, _ = log_script(
        [
            inbound(voice),
            inbound(unsupported),
            json.dumps({"messaging_product": "whatsapp", "status": "read", "message_id": "w"}),
        ]
    )
    assert script["steps"] == [{"send": {"type": "voice", "voice": {}}}, {"send": {"type": "unknown"}}]


def test_cloud_only_messages_export_as_valid_expectations() -> None:
    named = {
        "name": "pickup",
        "language": "en_US",
        "category": "UTILITY",
        "parameter_format": "NAMED",
        "components": [{"type": "BODY", "text": "Hi {{first_name}}, order {{order_id}} is ready."}],
    }
    with emulator("cloud") as (client, _, bot):
        assert client.post("/_emulator/templates", json=named).status_code == 201
        hi = user(client, {"type": "text", "text": {"body": "hi"}})
        bot.send("reaction", {"message_id": hi["id"], "emoji": "👍"})
        cta = {
            "type": "cta_url",
            "body": {"text": "Track it"},
            "action": {"name": "cta_url", "parameters": {"display_text": "Track", "url": "https://example.com/t"}},
        }
        bot.send("interactive", cta)
        bot.send("text", {"body": "See https://example.com", "preview_url": True})
        params = [
            {"type": "text", "parameter_name": "order_id", "text": "#7"},
            {"type": "text", "parameter_name": "first_name", "text": "Ana"},
        ]
        order = bot.send(
            "template",
            {"name": "pickup", "language": {"code": "en_US"}, "components": [{"type": "body", "parameters": params}]},
        )
        record = client.get(f"/_emulator/messages/{order}").json()
        params[0]["parameter_name"] = "order"
        template = {
            "name": "pickup",
            "language": {"code": "en_US"},
            "components": [{"type": "body", "parameters": params}],
        }
        body = {"messaging_product": "whatsapp", "to": USER, "type": "template", "template": template}
        refused = client.post(MESSAGES, json=body, headers=GRAPH)
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, 132012), refused.text
        exported = client.get(f"/_emulator/conversations/{USER}", params={"format": "script"}).text
    assert record["hydrated"]["body"] == "Hi Ana, order #7 is ready."
    assert template_view(record)["parameters"] == {"order_id": "#7", "first_name": "Ana"}
    assert (
        mismatches({"template": {"parameters": {"first_name": "Ana"}}, "text": "Hi Ana, order #7 is ready."}, record)
        == []
    )
    assert yaml.safe_load(exported)["steps"][1]["expect"] == [
        {"type": "reaction", "text": "👍"},
        {"type": "interactive", "text": "Track it"},
        {"type": "text", "text": "See https://example.com"},
        {"type": "template", "template": {"name": "pickup", "language": "en_US"}},
    ]
    assert parse_script("steps:\n  - expect: {type: template, template: {parameters: {first_name: Ana}}}\n").steps


def test_config_tells_a_bot_the_cloud_account_and_where_webhooks_go() -> None:
    settings = Settings(seed=7, phone_number_id="123", access_token="a,b", app_secret="s", verify_token="v")
    with emulator_with_receiver(settings) as (client, _):
        config = client.get("/_emulator/config").json()
        assert config == {
            "cloud": {
                "phone_number_id": "123",
                "waba_id": "102290129340398",
                "display_phone_number": "15550000000",
                "verified_name": "Emulated Business",
                "access_token": "a",
                "app_secret": "s",
                "verify_token": "v",
            },
            "webhooks": {"url": "http://bot.test/webhook", "format": "onprem"},
        }
        override = {
            "webhook_configuration": {
                "override_callback_uri": "http://bot.test/cloud",
                "verify_token": "wa-emulator-verify-token",
            }
        }
        assert client.post("/v22.0/123", json=override, headers={"Authorization": "Bearer b"}).status_code == 200
        assert client.get("/_emulator/config").json()["webhooks"] == {"url": "http://bot.test/cloud", "format": "cloud"}


def test_config_needs_the_control_token_when_one_is_set() -> None:
    with emulator_with_receiver(Settings(seed=7, control_token="ctl")) as (client, _):
        assert client.get("/_emulator/config").status_code == 401
        assert client.get("/_emulator/config", headers={"Authorization": "Bearer ctl"}).status_code == 200
