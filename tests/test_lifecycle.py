"""Status webhooks: sent/delivered/read, the 24-hour window (470), receiver incapable (1026)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.clock import EmulatorClock
from emulator.settings import Settings
from tests.conftest import T0, assert_error, bearer
from tests.receiver import Receiver, drain, emulator_with_receiver

USER = "15550001111"
CLOUD_AUTH = bearer(Settings().access_token)
TEXT = {"to": USER, "type": "text", "text": {"body": "hello"}}
TEMPLATE = {
    "to": USER,
    "type": "template",
    "template": {"name": "hello_world", "language": {"policy": "deterministic", "code": "en_US"}},
}


@pytest.fixture
def env(clock: EmulatorClock) -> Iterator[tuple[TestClient, Receiver]]:
    with emulator_with_receiver(Settings(seed=7), clock=clock) as pair:
        yield pair


def user_says(client: TestClient, wa_id: str = USER, body: str = "hi") -> dict[str, Any]:
    response = client.post(f"/_emulator/users/{wa_id}/messages", json={"type": "text", "text": {"body": body}})
    assert response.status_code == 200, response.text
    message: dict[str, Any] = response.json()["message"]
    return message


def send(client: TestClient, body: dict[str, Any]) -> str:
    response = client.post("/v1/messages", json=body)
    assert response.status_code == 201, response.text
    message_id: str = response.json()["messages"][0]["id"]
    return message_id


def record(client: TestClient, message_id: str) -> dict[str, Any]:
    result: dict[str, Any] = client.get(f"/_emulator/messages/{message_id}").json()
    return result


def test_a_message_in_the_window_is_delivered_then_read_each_its_own_post(env: tuple[TestClient, Receiver]) -> None:
    client, receiver = env
    user_says(client)
    message_id = send(client, TEXT)
    drain(client)
    statuses = receiver.statuses(message_id)
    assert [s["status"] for s in statuses] == ["delivered", "read"]
    assert all(len(p.get("statuses", [])) <= 1 for p in receiver.payloads)
    delivered, read = statuses
    assert delivered["recipient_id"] == USER and delivered["timestamp"] == str(int(T0))
    assert delivered["conversation"]["origin"]["type"] == "service"
    assert delivered["pricing"] == {"billable": True, "pricing_model": "CBP", "category": "service"}
    assert "conversation" not in read
    history = record(client, message_id)["statuses"]
    assert [h["status"] for h in history] == ["sent", "delivered", "read"]
    assert record(client, message_id)["status"] == "read"


def test_sent_statuses_are_pushed_only_when_enabled(env: tuple[TestClient, Receiver]) -> None:
    client, receiver = env
    user_says(client)
    client.patch("/v1/settings/application", json={"sent_status": True})
    first = send(client, TEXT)
    client.patch("/v1/settings/application", json={"sent_status": False, "webhooks": {"message": {"sent": True}}})
    second = send(client, TEXT)
    drain(client)
    for message_id in (first, second):
        sent = receiver.statuses(message_id)[0]
        assert sent["status"] == "sent"
        assert sent["conversation"]["expiration_timestamp"] == str(int(T0) + 86400)


def test_read_webhooks_can_be_turned_off(env: tuple[TestClient, Receiver]) -> None:
    client, receiver = env
    user_says(client)
    client.patch("/v1/settings/application", json={"webhooks": {"message": {"read": False}}})
    message_id = send(client, TEXT)
    drain(client)
    assert [s["status"] for s in receiver.statuses(message_id)] == ["delivered"]
    assert record(client, message_id)["status"] == "read"  # the record still shows what happened


def test_free_form_to_a_user_who_never_wrote_fails_with_470(env: tuple[TestClient, Receiver]) -> None:
    client, receiver = env
    message_id = send(client, TEXT)
    drain(client)
    [failed] = receiver.statuses(message_id)
    assert failed["status"] == "failed"
    assert failed["errors"][0]["code"] == 470
    assert failed["errors"][0]["title"] == "Re-engagement message"
    assert "24 hours" in failed["errors"][0]["details"]
    assert record(client, message_id)["errors"][0]["code"] == 470


def test_templates_go_through_outside_the_window(env: tuple[TestClient, Receiver]) -> None:
    client, receiver = env
    message_id = send(client, TEMPLATE)
    drain(client)
    assert [s["status"] for s in receiver.statuses(message_id)] == ["delivered", "read"]
    assert receiver.statuses(message_id)[0]["conversation"]["origin"]["type"] == "utility"


def test_the_window_closes_24_hours_after_the_users_last_message(env: tuple[TestClient, Receiver]) -> None:
    client, receiver = env
    user_says(client)
    client.post("/_emulator/clock", json={"advance": 24 * 3600 - 1})
    inside = send(client, TEXT)
    client.post("/_emulator/clock", json={"advance": 2})
    outside = send(client, TEXT)
    drain(client)
    assert receiver.statuses(inside)[-1]["status"] == "read"
    assert receiver.statuses(outside)[-1]["errors"][0]["code"] == 470
    user_says(client)  # a new message renews the window
    renewed = send(client, TEXT)
    drain(client)
    assert receiver.statuses(renewed)[-1]["status"] == "read"


def test_sync_window_error_refuses_the_send_with_470(clock: EmulatorClock) -> None:
    with emulator_with_receiver(Settings(window_error="sync"), clock=clock) as (client, _):
        error = assert_error(client.post("/v1/messages", json=TEXT), 400, 470)
        assert error["title"] == "Re-engagement message"
        assert client.get("/_emulator/messages").json() == {"messages": []}
        assert client.post("/v1/messages", json=TEMPLATE).status_code == 201


@pytest.mark.parametrize("wa_id", ["15550209999", "15550001111"])
def test_an_incapable_receiver_gets_failed_1026(env: tuple[TestClient, Receiver], wa_id: str) -> None:
    client, receiver = env
    if wa_id == USER:
        client.put(f"/_emulator/users/{wa_id}", json={"incapable": True})
    user_says(client, wa_id)
    message_id = send(client, {**TEXT, "to": wa_id})
    drain(client)
    [failed] = receiver.statuses(message_id)
    # exactly the shape of Meta's documented example (onprem-api.md §8.4)
    assert failed == {
        "errors": [{"code": 1026, "href": "/docs/whatsapp/api/errors", "title": "Receiver Incapable"}],
        "id": message_id,
        "message": {"recipient_id": f"+{wa_id}"},
        "recipient_id": wa_id,
        "status": "failed",
        "timestamp": str(int(T0)),
        "type": "message",
    }


def test_a_user_whose_app_cannot_show_interactive_gets_1026_for_those_only(env: tuple[TestClient, Receiver]) -> None:
    client, receiver = env
    client.put(f"/_emulator/users/{USER}", json={"unsupported_types": ["interactive"]})
    user_says(client)
    buttons = {
        "to": USER,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "body": {"text": "b"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "A"}}]},
        },
    }
    interactive_id, text_id = send(client, buttons), send(client, TEXT)
    drain(client)
    assert receiver.statuses(interactive_id)[0]["errors"][0]["code"] == 1026
    assert receiver.statuses(text_id)[-1]["status"] == "read"


@pytest.mark.parametrize(("wa_id", "last"), [("15550300001", "delivered"), ("15550400001", "sent")])
def test_magic_numbers_stop_the_lifecycle_early(env: tuple[TestClient, Receiver], wa_id: str, last: str) -> None:
    client, _ = env
    user_says(client, wa_id)
    message_id = send(client, {**TEXT, "to": wa_id})
    drain(client)
    assert record(client, message_id)["status"] == last


def test_delays_are_on_the_emulator_clock(env: tuple[TestClient, Receiver]) -> None:
    client, receiver = env
    client.put(f"/_emulator/users/{USER}", json={"delivery_delay_s": 60, "read_delay_s": 30})
    user_says(client)
    message_id = send(client, TEXT)
    drain(client)
    assert record(client, message_id)["status"] == "sent"
    client.post("/_emulator/clock", json={"advance": 60})
    drain(client)
    assert record(client, message_id)["status"] == "delivered"
    client.post("/_emulator/clock", json={"advance": 30})
    drain(client)
    assert [s["status"] for s in receiver.statuses(message_id)] == ["delivered", "read"]


def test_a_no_wait_contacts_check_pushes_its_results(env: tuple[TestClient, Receiver]) -> None:
    client, receiver = env
    client.post("/v1/contacts", json={"contacts": ["+1 631 555 1000", "+1 555 010 0000"]})
    drain(client)
    [payload] = [p for p in receiver.payloads if "contacts" in p and "messages" not in p]
    assert payload["contacts"] == [
        {"input": "+1 631 555 1000", "status": "valid", "wa_id": "16315551000"},
        {"input": "+1 555 010 0000", "status": "invalid"},
    ]


@pytest.mark.parametrize(("fmt", "code"), [("onprem", 400), ("cloud", 131053)])
def test_a_link_to_the_reserved_invalid_domain_fails_to_download(clock: EmulatorClock, fmt: str, code: int) -> None:
    with emulator_with_receiver(Settings(seed=7, webhook_format=fmt), clock=clock) as (client, receiver):
        user_says(client)

        def image(link: str) -> str:
            if fmt == "onprem":
                return send(client, {"to": USER, "type": "image", "image": {"link": link}})
            body = {"messaging_product": "whatsapp", "to": USER, "type": "image", "image": {"link": link}}
            response = client.post(f"/v24.0/{Settings().phone_number_id}/messages", json=body, headers=CLOUD_AUTH)
            assert response.status_code == 200, response.text
            message_id: str = response.json()["messages"][0]["id"]
            return message_id

        fine = image("https://media.example.com/a.png")
        broken_link = "https://media-download-fails.invalid/a.png"
        broken = image(broken_link)
        drain(client)
        assert receiver.statuses(fine)[-1]["status"] == "read"  # links are not fetched: any other host works
        [failed] = receiver.statuses(broken)
        assert failed["status"] == "failed" and failed["errors"][0]["code"] == code
        assert record(client, broken)["errors"][0]["details"] == f"$.image.link: could not download {broken_link}"


def test_the_470_says_never_wrote_only_when_the_user_never_wrote(env: tuple[TestClient, Receiver]) -> None:
    client, receiver = env
    never = send(client, TEXT)
    user_says(client)
    client.post("/_emulator/clock", json={"advance": 24 * 3600 + 1})
    lapsed = send(client, TEXT)
    drain(client)
    assert "the customer never wrote to this number" in receiver.statuses(never)[-1]["errors"][0]["details"]
    assert "never wrote" not in receiver.statuses(lapsed)[-1]["errors"][0]["details"]
    assert receiver.statuses(lapsed)[-1]["errors"][0]["details"].startswith("Message failed to send because more than")


def test_a_sync_470_says_never_wrote_too(clock: EmulatorClock) -> None:
    with emulator_with_receiver(Settings(window_error="sync"), clock=clock) as (client, _):
        error = assert_error(client.post("/v1/messages", json=TEXT), 400, 470)
        assert "the customer never wrote to this number" in error["details"]


def test_status_webhooks_follow_the_settings_as_they_are_at_each_send(env: tuple[TestClient, Receiver]) -> None:
    client, receiver = env
    user_says(client)
    before = send(client, TEXT)
    client.patch("/v1/settings/application", json={"webhooks": {"message": {"read": False}}})
    after = send(client, TEXT)
    drain(client)
    assert [s["status"] for s in receiver.statuses(before)] == ["delivered", "read"]
    assert [s["status"] for s in receiver.statuses(after)] == ["delivered"]


def test_a_reset_forgets_the_window_and_the_conversation_the_last_send_saw(env: tuple[TestClient, Receiver]) -> None:
    client, receiver = env
    user_says(client)
    first = send(client, TEXT)
    drain(client)
    assert client.post("/_emulator/reset").status_code == 200
    closed = send(client, TEXT)
    user_says(client)
    reopened = send(client, TEXT)
    drain(client)
    assert record(client, closed)["status"] == "failed"
    delivered = [receiver.statuses(message_id)[0] for message_id in (first, reopened)]
    assert [s["status"] for s in delivered] == ["delivered", "delivered"]
    assert delivered[0]["conversation"]["id"] != delivered[1]["conversation"]["id"]


def test_a_window_moved_back_closes_24_hours_after_the_move(env: tuple[TestClient, Receiver]) -> None:
    client, _ = env
    user_says(client)
    client.post("/_emulator/clock", json={"advance": "-10h"})  # the user's message now counts as sent then
    assert record(client, send(client, TEXT))["status"] == "read"
    client.post("/_emulator/clock", json={"advance": "24h"})  # 14 h after the message as it was first sent
    assert record(client, send(client, TEXT))["status"] == "failed"
