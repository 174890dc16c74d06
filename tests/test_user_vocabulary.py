"""The rest of a user's vocabulary: reactions, orders, product questions, flows, ads, number changes, deletions.

Each kind reaches the bot in both webhook formats (the Receiver checks every payload against
schemas/webhooks/; the Cloud ones are also parsed by pywa with its signature check), and each is
refused when the phone could not have sent it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pywa.types import FlowCompletion, Message, PhoneNumberChange
from starlette.testclient import TestClient

from emulator.clock import EmulatorClock
from emulator.settings import Settings
from tests.cloud_clients import body_of, pywa_update, sign
from tests.conftest import assert_error, bearer
from tests.receiver import Receiver, drain, emulator_with_receiver

USER = "15550001111"
NEW_NUMBER = "15550008888"
CLOUD_SEND = f"/v24.0/{Settings().phone_number_id}/messages"
CLOUD_AUTH = bearer(Settings().access_token)
PRODUCTS = {
    "type": "product_list",
    "header": {"type": "text", "text": "Menu"},
    "body": {"text": "Pick your pizzas"},
    "action": {
        "catalog_id": "cat-1",
        "sections": [
            {
                "title": "Pizza",
                "product_items": [{"product_retailer_id": "margherita"}, {"product_retailer_id": "diavola"}],
            }
        ],
    },
}
CATALOG = {"type": "catalog_message", "body": {"text": "Our whole menu"}, "action": {"name": "catalog_message"}}
FLOW = {
    "type": "flow",
    "body": {"text": "Book a table"},
    "action": {
        "name": "flow",
        "parameters": {
            "flow_message_version": "3",
            "flow_token": "booking-42",
            "flow_id": "1234",
            "flow_cta": "Book",
            "flow_action": "navigate",
            "flow_action_payload": {"screen": "WHEN"},
        },
    },
}
AD = {"source_url": "https://fb.me/pizza", "source_id": "120226305854810726", "headline": "2 for 1 today"}
PIZZA = {"product_retailer_id": "margherita", "quantity": 2, "item_price": 8.5, "currency": "EUR"}


class Bot:
    """A test's view of the emulator: the user acts, the bot sends through the API its webhooks are for."""

    def __init__(self, client: TestClient, receiver: Receiver, fmt: str) -> None:
        self.client, self.receiver, self.fmt = client, receiver, fmt

    def act(self, body: dict[str, Any], wa_id: str = USER) -> dict[str, Any]:
        response = self.client.post(f"/_emulator/users/{wa_id}/messages", json=body)
        assert response.status_code == 200, response.text
        message: dict[str, Any] = response.json()["message"]
        return message

    def refused(self, body: dict[str, Any], code: int, says: str, wa_id: str = USER) -> None:
        error = assert_error(self.client.post(f"/_emulator/users/{wa_id}/messages", json=body), 400, code)
        assert says in error["details"], error

    def sends(self, kind: str, content: Any, to: str = USER) -> str:
        if self.fmt == "onprem":
            response = self.client.post("/v1/messages", json={"to": to, "type": kind, kind: content})
        else:
            body = {"messaging_product": "whatsapp", "to": to, "type": kind, kind: content}
            response = self.client.post(CLOUD_SEND, json=body, headers=CLOUD_AUTH)
        assert response.status_code in (200, 201), response.text
        message_id: str = response.json()["messages"][0]["id"]
        return message_id

    def pushed(self) -> list[dict[str, Any]]:
        """The inbound messages the bot received (drained first)."""
        drain(self.client)
        return self.receiver.messages()

    def pywa(self, index: int = -1) -> Any:
        """pywa's typed update of a received payload, the signature checked as pywa checks it."""
        body = body_of(self.receiver.payloads[index])
        return pywa_update(body, sign(body))


@pytest.fixture(params=["onprem", "cloud"])
def bot(request: pytest.FixtureRequest, clock: EmulatorClock) -> Iterator[Bot]:
    with emulator_with_receiver(Settings(seed=7, webhook_format=request.param), clock=clock) as (client, receiver):
        bot = Bot(client, receiver, request.param)
        bot.act({"type": "text", "text": {"body": "hi"}})  # the window is open
        yield bot


def test_a_reaction_and_its_removal(bot: Bot) -> None:
    message_id = bot.sends("text", {"body": "Your pizza is on its way"})
    assert bot.act({"type": "reaction", "reaction": {"message_id": message_id, "emoji": "👍"}})["reaction"] == {
        "message_id": message_id,
        "emoji": "👍",
    }
    assert bot.client.get(f"/_emulator/messages/{message_id}").json()["reaction"] == "👍"
    assert bot.act({"type": "reaction", "reaction": {"message_id": message_id, "emoji": ""}})["reaction"] == {
        "message_id": message_id
    }
    assert [m["type"] for m in bot.pushed()][-2:] == ["reaction", "reaction"]
    if bot.fmt == "cloud":
        update = bot.pywa()
        assert isinstance(update, Message) and update.reaction.is_removed


def test_an_order_from_a_product_list_gets_its_catalog_and_context(bot: Bot) -> None:
    list_id = bot.sends("interactive", PRODUCTS)
    order = bot.act({"type": "order", "order": {"text": "no onions", "product_items": [PIZZA]}})
    assert order["order"] == {"catalog_id": "cat-1", "text": "no onions", "product_items": [PIZZA]}
    assert order["context"]["id"] == list_id
    assert bot.pushed()[-1]["order"]["catalog_id"] == "cat-1"
    if bot.fmt == "cloud":
        update = bot.pywa()
        assert update.order.products[0].sku == "margherita" and update.order.total_price == 17.0


def test_a_product_question_names_the_product_seen(bot: Bot) -> None:
    list_id = bot.sends("interactive", PRODUCTS)
    asked = {
        "type": "text",
        "text": {"body": "Is it spicy?"},
        "context": {"referred_product": {"product_retailer_id": "diavola"}},
    }
    message = bot.act(asked)
    product = {"catalog_id": "cat-1", "product_retailer_id": "diavola"}
    assert message["context"] == {"from": "15550000000", "id": list_id, "referred_product": product}
    bot.pushed()
    if bot.fmt == "cloud":
        assert bot.pywa().reply_to_message.referred_product.sku == "diavola"


def test_an_order_from_a_catalog_message_names_its_catalog(bot: Bot) -> None:
    catalog_id = bot.sends("interactive", CATALOG)
    wanted = {"type": "order", "order": {"product_items": [{**PIZZA, "product_retailer_id": "anything"}]}}
    bot.refused(wanted, 1008, "a catalog message names no catalog")
    order = bot.act({"type": "order", "context": {"id": catalog_id}, "order": {**wanted["order"], "catalog_id": "c-9"}})
    assert order["order"]["catalog_id"] == "c-9" and order["context"]["id"] == catalog_id


def test_a_completed_flow_carries_the_token_the_business_sent(bot: Bot) -> None:
    flow_id = bot.sends("interactive", FLOW)
    reply = bot.act(
        {
            "type": "interactive",
            "context": {"id": flow_id},
            "interactive": {"type": "nfm_reply", "nfm_reply": {"response_json": {"party": "4", "time": "20:00"}}},
        }
    )
    nfm = reply["interactive"]["nfm_reply"]
    assert (nfm["name"], nfm["body"]) == ("flow", "Sent")
    assert json.loads(nfm["response_json"]) == {"flow_token": "booking-42", "party": "4", "time": "20:00"}
    assert bot.client.get(f"/_emulator/messages/{flow_id}").json()["status"] == "read"
    bot.pushed()
    if bot.fmt == "cloud":
        update = bot.pywa()
        assert isinstance(update, FlowCompletion) and update.token == "booking-42"
        assert update.response == {"party": "4", "time": "20:00"}


def test_a_message_from_an_ad_carries_the_referral_and_opens_a_free_entry_point(bot: Bot) -> None:
    message = bot.act({"type": "text", "text": {"body": "Is the offer still on?"}, "referral": AD})
    referral = message["referral"]
    assert referral["source_type"] == "ad" and referral["headline"] == "2 for 1 today"
    assert referral["ctwa_clid"].startswith("AR")
    bot.pushed()
    if bot.fmt == "cloud":
        assert bot.pywa().referral.ctwa_clid == referral["ctwa_clid"]
    reply = bot.sends("text", {"body": "Yes, until midnight"})
    drain(bot.client)
    sent = bot.receiver.statuses(reply)[0]
    if bot.fmt == "onprem":
        assert sent["conversation"]["origin"]["type"] == "referral_conversion" and not sent["pricing"]["billable"]
    else:
        assert sent["pricing"] == {
            "billable": False,
            "pricing_model": "PMP",
            "type": "free_entry_point",
            "category": "referral_conversion",
        }
        assert sent["conversation"]["origin"]["type"] == "referral_conversion"  # kept on v24 inside the entry point


def test_a_number_change_moves_the_user(bot: Bot) -> None:
    change = bot.act({"type": "system", "system": {"type": "user_changed_number", "new_wa_id": NEW_NUMBER}})
    pushed = bot.pushed()[-1]
    if bot.fmt == "onprem":
        assert change["system"] == {
            "type": "user_changed_number",
            "body": f"Alice Martin changed from {USER} to {NEW_NUMBER}",
            "new_wa_id": NEW_NUMBER,
        }
    else:
        assert change["system"]["wa_id"] == NEW_NUMBER and "contacts" not in bot.receiver.contents()[-1]
        update = bot.pywa()
        assert isinstance(update, PhoneNumberChange) and (update.old_wa_id, update.new_wa_id) == (USER, NEW_NUMBER)
    assert pushed["from"] == USER
    users = {u["wa_id"]: u for u in bot.client.get("/_emulator/users").json()["users"]}
    assert users[USER]["status"] == "invalid" and users[NEW_NUMBER]["name"] == "Alice Martin"
    bot.refused({"type": "text", "text": {"body": "still me"}}, 1013, "not a WhatsApp user")
    assert bot.act({"type": "text", "text": {"body": "new phone"}}, NEW_NUMBER)["from"] == NEW_NUMBER


def test_unsupported_kinds_arrive_with_the_api_s_error(bot: Bot) -> None:
    message = bot.act({"type": "unknown", "unknown": {"type": "poll"}})
    if bot.fmt == "onprem":
        assert message["type"] == "unknown" and message["errors"][0]["code"] == 501 and "unknown" not in message
    else:
        assert message["type"] == "unsupported" and message["unsupported"] == {"type": "poll"}
        assert message["errors"][0]["code"] == 131051
        bot.pushed()
        assert bot.pywa().unsupported.type == "poll"


def test_a_deleted_message_is_a_deleted_status_on_premises_only(bot: Bot) -> None:
    sent = bot.act({"type": "text", "text": {"body": "oops, wrong chat"}})
    bot.act({"type": "delete", "delete": {"message_id": sent["id"]}})
    drain(bot.client)
    deleted = [s for s in bot.receiver.statuses() if s["status"] == "deleted"]
    if bot.fmt == "onprem":
        assert deleted == [
            {
                "id": sent["id"],
                "recipient_id": USER,
                "status": "deleted",
                "timestamp": sent["timestamp"],
                "type": "message",
                "message": {"recipient_id": USER},
            }
        ]
    else:
        assert deleted == []
    conversation = bot.client.get(f"/_emulator/conversations/{USER}").json()["messages"]
    assert [m.get("deleted_at") is not None for m in conversation] == [False, True]
    bot.refused({"type": "delete", "delete": {"message_id": sent["id"]}}, 1009, "was deleted already")


@pytest.fixture
def onprem(clock: EmulatorClock) -> Iterator[Bot]:
    with emulator_with_receiver(Settings(seed=7), clock=clock) as (client, receiver):
        bot = Bot(client, receiver, "onprem")
        bot.act({"type": "text", "text": {"body": "hi"}})
        yield bot


def test_an_identity_change_is_pushed_on_premises_when_security_notifications_are_on(onprem: Bot) -> None:
    change = onprem.act({"type": "system", "system": {"type": "user_identity_changed"}})
    assert change["system"]["type"] == "user_identity_changed" and change["system"]["user"] == USER
    assert onprem.pushed()[-1]["system"]["identity"] == change["system"]["identity"]
    user = onprem.client.get(f"/_emulator/users/{USER}").json()["user"]
    assert user["identity_hash"] == change["system"]["identity"]
    onprem.client.patch("/v1/settings/application", json={"show_security_notifications": False})
    onprem.act({"type": "system", "system": {"type": "user_identity_changed"}})
    assert len(onprem.pushed()) == 2  # the first text and the first change


def test_a_number_change_is_not_pushed_when_the_setting_is_off(onprem: Bot) -> None:
    onprem.client.patch("/v1/settings/application", json={"notify_user_change_number": False})
    onprem.act({"type": "system", "system": {"type": "user_changed_number", "new_wa_id": NEW_NUMBER}})
    assert [m["type"] for m in onprem.pushed()] == ["text"]
    assert onprem.client.get(f"/_emulator/users/{NEW_NUMBER}").json()["user"]["moved_from"] == USER


def test_an_identity_change_is_not_pushed_to_a_cloud_bot(clock: EmulatorClock) -> None:
    with emulator_with_receiver(Settings(seed=7, webhook_format="cloud"), clock=clock) as (client, receiver):
        response = client.post(
            f"/_emulator/users/{USER}/messages", json={"type": "system", "system": {"type": "user_identity_changed"}}
        )
        assert response.status_code == 200, response.text
        drain(client)
        assert receiver.payloads == []


def flow_reply(message_id: str, answers: Any) -> dict[str, Any]:
    nfm = {"response_json": answers}
    return {
        "type": "interactive",
        "context": {"id": message_id},
        "interactive": {"type": "nfm_reply", "nfm_reply": nfm},
    }


def test_what_a_phone_could_not_send_is_refused_and_nothing_is_pushed(onprem: Bot) -> None:
    text_id = onprem.sends("text", {"body": "hello"})
    flow_id = onprem.sends("interactive", FLOW)
    list_id = onprem.sends("interactive", PRODUCTS)
    before = len(onprem.pushed())
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"type": "reaction", "reaction": {"message_id": "gBEGnever", "emoji": "👍"}}, 1009, "never received"),
        ({"type": "reaction", "reaction": {"message_id": text_id, "emoji": "ok"}}, 1009, "must be one emoji"),
        ({"type": "reaction", "reaction": {"message_id": text_id, "emoji": ""}}, 1009, "no reaction on message"),
        (
            {"type": "reaction", "context": {"id": text_id}, "reaction": {"message_id": text_id, "emoji": "👍"}},
            1010,
            "$.context",
        ),
        ({"type": "order", "context": {"id": text_id}, "order": {"product_items": [PIZZA]}}, 1009, "shows no products"),
        (
            {"type": "order", "order": {"product_items": [{**PIZZA, "product_retailer_id": "hawaii"}]}},
            1009,
            "offers 'hawaii'",
        ),
        (
            {"type": "order", "order": {"catalog_id": "other", "product_items": [PIZZA]}},
            1009,
            "shows catalog cat-1, not other",
        ),
        (
            {"type": "order", "order": {"product_items": [PIZZA, {**PIZZA, "currency": "USD"}]}},
            1009,
            "one currency (EUR)",
        ),
        ({"type": "order", "order": {"product_items": [{**PIZZA, "item_price": -1}]}}, 1009, "item_price"),
        (
            {"type": "image", "image": {}, "context": {"referred_product": {"product_retailer_id": "diavola"}}},
            1009,
            "only a text message asks about a product",
        ),
        (
            {
                "type": "text",
                "text": {"body": "?"},
                "context": {"id": list_id, "referred_product": {"product_retailer_id": "x"}},
            },
            1009,
            "offers no product 'x'",
        ),
        (flow_reply(text_id, {"a": 1}), 1009, "is not a flow message"),
        (flow_reply(flow_id, {"flow_token": "forged"}), 1009, "sent with flow_token 'booking-42'"),
        (flow_reply(flow_id, "[1, 2]"), 1009, "must be a JSON object"),
        (
            {"type": "interactive", "interactive": {"type": "nfm_reply", "nfm_reply": {"response_json": {}}}},
            1008,
            "$.context.id",
        ),
        (
            {"type": "text", "text": {"body": "hi"}, "context": {"id": text_id}, "referral": AD},
            1009,
            "replies to nothing",
        ),
        ({"type": "reaction", "reaction": {"message_id": text_id, "emoji": "👍"}, "referral": AD}, 1009, "$.type"),
        (
            {"type": "text", "text": {"body": "hi"}, "referral": {**AD, "media_type": "image"}},
            1008,
            "'image_url' is required",
        ),
        (
            {"type": "system", "system": {"type": "user_changed_number", "new_wa_id": USER}},
            1009,
            "already the user's number",
        ),
        (
            {"type": "system", "system": {"type": "user_changed_number", "new_wa_id": "15550002222"}},
            1009,
            "another WhatsApp user",
        ),
        ({"type": "system", "system": {"type": "user_changed_number"}}, 1008, "'new_wa_id' is required"),
        ({"type": "delete", "delete": {"message_id": text_id}}, 1009, "sent no message"),
        ({"type": "text", "text": {"body": "?"}, "context": {"from": "15550000000"}}, 1008, "$.context: needs id"),
        ({"type": "teleport", "teleport": {}}, 1009, 'must be one of "text", "interactive"'),
    ]
    for body, code, says in cases:
        onprem.refused(body, code, says)
    assert len(onprem.pushed()) == before


def test_media_a_cloud_bot_gets_has_every_field_a_phone_fills(clock: EmulatorClock) -> None:
    with emulator_with_receiver(Settings(seed=7, webhook_format="cloud"), clock=clock) as (client, receiver):
        for kind in ("audio", "voice", "sticker", "document"):
            assert client.post(f"/_emulator/users/{USER}/messages", json={"type": kind, kind: {}}).status_code == 200
        drain(client)
        audio, voice, sticker, document = receiver.messages()
        assert audio["audio"]["voice"] is False and voice["audio"]["voice"] is True
        assert sticker["sticker"]["animated"] is False and document["document"]["filename"] == "document.pdf"
