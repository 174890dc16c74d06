"""Simulated users send what a phone would: replies filled from the message replied to, refusals otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.clock import EmulatorClock
from emulator.settings import Settings
from tests.conftest import T0, assert_error
from tests.receiver import Receiver, drain, emulator_with_receiver

USER = "15550001111"
BUTTONS = {
    "to": USER,
    "type": "interactive",
    "interactive": {
        "type": "button",
        "body": {"text": "Pick"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "yes", "title": "Yes please"}},
                {"type": "reply", "reply": {"id": "no", "title": "No"}},
            ]
        },
    },
}
LIST = {
    "to": USER,
    "type": "interactive",
    "interactive": {
        "type": "list",
        "body": {"text": "Menu"},
        "action": {
            "button": "Dishes",
            "sections": [
                {"title": "Mains", "rows": [{"id": "pizza", "title": "Pizza", "description": "Margherita"}]},
                {"title": "Sides", "rows": [{"id": "salad", "title": "Salad"}]},
            ],
        },
    },
}
TRIP = {
    "to": USER,
    "type": "template",
    "template": {
        "namespace": "88b39973_f0d5_54e1_29cf_e80f1e3da4f2",
        "name": "upcoming_trip_reminder",
        "language": {"policy": "deterministic", "code": "en"},
        "components": None,
    },
}


@pytest.fixture
def env(clock: EmulatorClock) -> Iterator[tuple[TestClient, Receiver]]:
    with emulator_with_receiver(Settings(seed=7), clock=clock) as pair:
        yield pair


def act(client: TestClient, body: dict[str, Any], wa_id: str = USER) -> dict[str, Any]:
    response = client.post(f"/_emulator/users/{wa_id}/messages", json=body)
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()["message"]
    return message


def bot_sends(client: TestClient, body: dict[str, Any]) -> str:
    act(client, {"type": "text", "text": {"body": "hi"}}, body["to"])  # open the window first
    response = client.post("/v1/messages", json=body)
    assert response.status_code == 201, response.text
    message_id: str = response.json()["messages"][0]["id"]
    return message_id


def reply_to(message_id: str, kind: str, choice: dict[str, str]) -> dict[str, Any]:
    """A button_reply or list_reply to ``message_id``, naming the choice by id or title."""
    return {"type": "interactive", "context": {"id": message_id}, "interactive": {"type": kind, kind: choice}}


def trip_template(client: TestClient) -> dict[str, Any]:
    template = next(
        t for t in client.get("/_emulator/templates").json()["templates"] if t["name"] == "upcoming_trip_reminder"
    )
    return template


def test_a_text_message_reaches_the_webhook_with_the_profile(env: tuple[TestClient, Receiver]) -> None:
    client, receiver = env
    message = act(client, {"type": "text", "text": {"body": "hi"}})
    assert message["from"] == USER and message["type"] == "text" and message["text"] == {"body": "hi"}
    assert message["id"].startswith("ABGG") and message["timestamp"] == str(int(T0))
    drain(client)
    [payload] = receiver.payloads
    assert payload == {"contacts": [{"profile": {"name": "Alice Martin"}, "wa_id": USER}], "messages": [message]}


def test_a_button_reply_gets_its_title_and_context(env: tuple[TestClient, Receiver]) -> None:
    client, _ = env
    message_id = bot_sends(client, BUTTONS)
    reply = act(client, reply_to(message_id, "button_reply", {"id": "yes"}))
    assert reply["interactive"] == {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes please"}}
    assert reply["context"] == {"from": "15550000000", "id": message_id}


def test_a_button_can_be_named_by_its_title(env: tuple[TestClient, Receiver]) -> None:
    client, _ = env
    message_id = bot_sends(client, BUTTONS)
    reply = act(client, reply_to(message_id, "button_reply", {"title": "No"}))
    assert reply["interactive"]["button_reply"] == {"id": "no", "title": "No"}


def test_a_list_reply_gets_title_and_description(env: tuple[TestClient, Receiver]) -> None:
    client, _ = env
    message_id = bot_sends(client, LIST)
    reply = act(client, reply_to(message_id, "list_reply", {"id": "pizza"}))
    assert reply["interactive"]["list_reply"] == {"id": "pizza", "title": "Pizza", "description": "Margherita"}
    other = act(client, reply_to(message_id, "list_reply", {"id": "salad"}))
    assert other["interactive"]["list_reply"] == {"id": "salad", "title": "Salad"}


def test_a_template_quick_reply_by_payload_or_by_text(env: tuple[TestClient, Receiver]) -> None:
    client, _ = env
    message_id = bot_sends(client, quick_reply_send(client))
    by_payload = act(client, {"type": "button", "context": {"id": message_id}, "button": {"payload": "yes-123"}})
    assert by_payload["button"] == {"payload": "yes-123", "text": "Yes"}
    by_text = act(client, {"type": "button", "context": {"id": message_id}, "button": {"text": "No"}})
    assert by_text["button"] == {"payload": "no-123", "text": "No"}


def quick_reply_send(client: TestClient) -> dict[str, Any]:
    """A send of the seed's quick-reply template with payloads on its buttons."""
    template = trip_template(client)
    body_text = next(c for c in template["components"] if c["type"] == "BODY")["text"]
    header = next((c for c in template["components"] if c["type"] == "HEADER"), None)
    components: list[dict[str, Any]] = []
    if header is not None and "{{1}}" in header.get("text", ""):
        components.append({"type": "header", "parameters": [{"type": "text", "text": "Paris"}]})
    count = body_text.count("{{")
    components.append({"type": "body", "parameters": [{"type": "text", "text": f"p{i}"} for i in range(count)]})
    components += [
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": 0,
            "parameters": [{"type": "payload", "payload": "yes-123"}],
        },
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": 1,
            "parameters": [{"type": "payload", "payload": "no-123"}],
        },
    ]
    return {**TRIP, "template": {**TRIP["template"], "components": components}}


def test_location_media_contacts_and_unknown(env: tuple[TestClient, Receiver]) -> None:
    client, _ = env
    location = act(client, {"type": "location", "location": {"latitude": 40.78, "longitude": -73.96, "name": "Park"}})
    assert location["location"] == {"latitude": 40.78, "longitude": -73.96, "name": "Park"}
    upload = client.post("/v1/media", content=b"\xff\xd8jpeg", headers={"Content-Type": "image/jpeg"})
    media_id = upload.json()["media"][0]["id"]
    image = act(client, {"type": "image", "image": {"id": media_id, "caption": "look"}})
    assert image["image"]["mime_type"] == "image/jpeg" and len(image["image"]["sha256"]) == 64
    assert image["image"]["caption"] == "look"
    card = {"name": {"formatted_name": "Ann Lee", "first_name": "Ann"}, "phones": [{"phone": "+1 555 000 2222"}]}
    assert act(client, {"type": "contacts", "contacts": [card]})["contacts"] == [card]
    unknown = act(client, {"type": "unknown"})
    assert unknown["errors"][0]["code"] == 501


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        (
            {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": "yes"}}},
            1008,
            "$.context.id",
        ),
        (
            {
                "type": "interactive",
                "context": {"id": "gBEGnever"},
                "interactive": {"type": "button_reply", "button_reply": {"id": "yes"}},
            },
            1009,
            "never received",
        ),
        ({"type": "image", "image": {"id": "00000000-0000-4000-a000-000000000000"}}, 1009, "no uploaded media"),
        ({"type": "button", "context": {"id": "gBEGnever"}, "button": {"payload": "p"}}, 1009, "never received"),
        ({"type": "text"}, 1008, "text"),
        ({"type": "text", "text": {"body": "x"}, "extra": 1}, 1010, "extra"),
        ({"type": "teleport"}, 1009, "$.type"),
    ],
)
def test_impossible_actions_are_refused_and_nothing_is_pushed(
    env: tuple[TestClient, Receiver], body: dict[str, Any], code: int, fragment: str
) -> None:
    client, receiver = env
    error = assert_error(client.post(f"/_emulator/users/{USER}/messages", json=body), 400, code)
    assert fragment in error["details"]
    drain(client)
    assert receiver.payloads == []


def test_a_tap_on_a_button_the_message_lacks_is_refused(env: tuple[TestClient, Receiver]) -> None:
    client, receiver = env
    message_id = bot_sends(client, BUTTONS)
    list_id = bot_sends(client, LIST)
    drain(client)
    before = len(receiver.payloads)
    cases = [
        (
            {
                "type": "interactive",
                "context": {"id": message_id},
                "interactive": {"type": "button_reply", "button_reply": {"id": "maybe"}},
            },
            "it has 'yes', 'no'",
        ),
        (
            {
                "type": "interactive",
                "context": {"id": message_id},
                "interactive": {"type": "list_reply", "list_reply": {"id": "pizza"}},
            },
            "not a list",
        ),
        (
            {
                "type": "interactive",
                "context": {"id": list_id},
                "interactive": {"type": "list_reply", "list_reply": {"id": "sushi"}},
            },
            "sushi",
        ),
        ({"type": "button", "context": {"id": message_id}, "button": {"payload": "x"}}, "no quick-reply"),
    ]
    for body, fragment in cases:
        error = assert_error(client.post(f"/_emulator/users/{USER}/messages", json=body), 400, 1009)
        assert fragment in error["details"], error
    drain(client)
    assert len(receiver.payloads) == before


def test_a_reply_to_another_users_message_or_an_undelivered_one_is_refused(env: tuple[TestClient, Receiver]) -> None:
    client, _ = env
    message_id = bot_sends(client, BUTTONS)
    tap = {
        "type": "interactive",
        "context": {"id": message_id},
        "interactive": {"type": "button_reply", "button_reply": {"id": "yes"}},
    }
    assert_error(client.post("/_emulator/users/15550002222/messages", json=tap), 400, 1009)
    offline = "15550400001"
    offline_id = bot_sends(client, {**BUTTONS, "to": offline})
    tap["context"] = {"id": offline_id}
    error = assert_error(client.post(f"/_emulator/users/{offline}/messages", json=tap), 400, 1009)
    assert "not delivered" in error["details"]


def test_a_user_without_whatsapp_cannot_send(env: tuple[TestClient, Receiver]) -> None:
    client, _ = env
    assert_error(
        client.post("/_emulator/users/15550100001/messages", json={"type": "text", "text": {"body": "x"}}), 400, 1013
    )


def test_the_conversation_shows_both_directions_in_order_and_the_window(env: tuple[TestClient, Receiver]) -> None:
    client, _ = env
    message_id = bot_sends(client, BUTTONS)
    act(client, reply_to(message_id, "button_reply", {"id": "yes"}))
    view = client.get(f"/_emulator/conversations/{USER}").json()
    assert [(m["direction"], m["type"]) for m in view["messages"]] == [
        ("inbound", "text"),
        ("outbound", "interactive"),
        ("inbound", "interactive"),
    ]
    assert view["window"] == {"open": True, "expires_at": T0 + 86400, "remaining_s": 86400.0}
    assert view["user"]["name"] == "Alice Martin"


def test_replying_marks_the_message_read_when_statuses_lag(env: tuple[TestClient, Receiver]) -> None:
    client, _ = env
    client.put(f"/_emulator/users/{USER}", json={"read_delay_s": 3600})
    message_id = bot_sends(client, BUTTONS)
    assert client.get(f"/_emulator/messages/{message_id}").json()["status"] == "delivered"
    act(client, reply_to(message_id, "button_reply", {"id": "yes"}))
    assert client.get(f"/_emulator/messages/{message_id}").json()["status"] == "read"


def test_mark_as_read_of_an_inbound_message(env: tuple[TestClient, Receiver]) -> None:
    client, _ = env
    message = act(client, {"type": "text", "text": {"body": "hi"}})
    assert client.put(f"/v1/messages/{message['id']}", json={"status": "read"}).status_code == 200


def test_media_without_an_id_is_a_sample_the_bot_can_download(env: tuple[TestClient, Receiver]) -> None:
    client, _ = env
    for kind, mime in (("image", "image/png"), ("document", "application/pdf"), ("voice", "audio/ogg; codecs=opus")):
        message = act(client, {"type": kind, kind: {}})
        assert message[kind]["mime_type"] == mime
        download = client.get(f"/v1/media/{message[kind]['id']}")
        assert download.status_code == 200 and download.headers["content-type"].startswith(mime.split(";")[0])


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "audio", "audio": {"caption": "no captions on audio"}}, 1010),
        ({"type": "sticker", "sticker": {"filename": "x.webp"}}, 1010),
        ({"type": "contacts", "contacts": [{"name": {"formatted_name": "Only Formatted"}}]}, 1008),
    ],
)
def test_inbound_shapes_follow_what_whatsapp_sends(
    env: tuple[TestClient, Receiver], body: dict[str, Any], code: int
) -> None:
    client, _ = env
    assert_error(client.post(f"/_emulator/users/{USER}/messages", json=body), 400, code)
