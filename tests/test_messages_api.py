"""POST /v1/messages through HTTP: the answer, the record, and what a refused send leaves behind."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.settings import Settings
from emulator.store import MemoryStore
from tests.conftest import T0, assert_error, basic, bearer

TEXT = {"to": "+1 (555) 000-1111", "type": "text", "text": {"body": "Hello *there*"}}
BUTTONS = {
    "to": "15550001111",
    "type": "interactive",
    "interactive": {
        "type": "button",
        "body": {"text": "Pick one"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "yes", "title": "Yes"}},
                {"type": "reply", "reply": {"id": "no", "title": "No"}},
            ]
        },
    },
}
TEMPLATE = {
    "to": "15550001111",
    "type": "template",
    "template": {
        "namespace": "88b39973_f0d5_54e1_29cf_e80f1e3da4f2",
        "name": "hello_world",
        "language": {"policy": "deterministic", "code": "en_US"},
    },
}


def send(api: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/v1/messages", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_a_send_answers_201_with_an_id_and_the_contacts_echo(api: TestClient) -> None:
    body = send(api, TEXT)
    message_id = body["messages"][0]["id"]
    assert message_id.startswith("gBEG")
    assert body["contacts"] == [{"input": "+1 (555) 000-1111", "wa_id": "15550001111"}]
    assert body["meta"]["api_status"] == "stable"


def test_ids_are_unique_and_go_on_after_a_reset(api: TestClient) -> None:
    ids = [send(api, TEXT)["messages"][0]["id"] for _ in range(5)]
    assert len(set(ids)) == 5
    api.post("/_emulator/reset")
    # a bot that ignores ids it has seen (webhook retries) must not drop messages after a reset
    assert not {send(api, TEXT)["messages"][0]["id"] for _ in range(5)} & set(ids)


def test_the_same_seed_gives_the_same_ids_from_a_fresh_start(clock: EmulatorClock) -> None:
    def first_ids() -> list[str]:
        with TestClient(create_app(Settings(seed=11), store=MemoryStore(), clock=clock)) as client:
            token = client.post("/v1/users/login", headers=basic()).json()["users"][0]["token"]
            client.headers.update(bearer(token))
            return [send(client, TEXT)["messages"][0]["id"] for _ in range(3)]

    assert first_ids() == first_ids()


def test_a_stale_after_cursor_is_404_with_1006(api: TestClient) -> None:
    first = send(api, TEXT)["messages"][0]["id"]
    api.post("/_emulator/reset")
    error = assert_error(api.get(f"/_emulator/messages?after={first}&wait=5"), 404, 1006)
    assert "reset" in error["details"]


def test_a_conversation_view_does_not_create_the_user(api: TestClient) -> None:
    assert api.get("/_emulator/conversations/4915100000001").json()["messages"] == []
    assert "4915100000001" not in {u["wa_id"] for u in api.get("/_emulator/users").json()["users"]}


def test_an_accepted_message_is_recorded_with_its_payload(api: TestClient) -> None:
    message_id = send(api, TEXT)["messages"][0]["id"]
    record = api.get(f"/_emulator/messages/{message_id}").json()
    assert record["id"] == message_id
    assert record["to"] == "15550001111"
    assert record["type"] == "text"
    assert record["payload"] == TEXT
    assert record["created_at"] == T0
    assert {"status", "statuses", "errors"} <= set(record)


def test_type_defaults_to_text(api: TestClient) -> None:
    message_id = send(api, {"to": "15550001111", "text": {"body": "hi"}})["messages"][0]["id"]
    assert api.get(f"/_emulator/messages/{message_id}").json()["type"] == "text"


def test_a_template_record_keeps_the_hydrated_text(api: TestClient) -> None:
    message_id = send(api, TEMPLATE)["messages"][0]["id"]
    hydrated = api.get(f"/_emulator/messages/{message_id}").json()["hydrated"]
    assert hydrated["name"] == "hello_world"
    assert hydrated["body"]


def test_messages_are_listed_oldest_first_with_filters(api: TestClient) -> None:
    first = send(api, TEXT)["messages"][0]["id"]
    second = send(api, BUTTONS)["messages"][0]["id"]
    third = send(api, {**TEXT, "to": "15550002222"})["messages"][0]["id"]

    def ids(query: str) -> list[str]:
        return [m["id"] for m in api.get("/_emulator/messages" + query).json()["messages"]]

    assert ids("") == [first, second, third]
    assert ids("?to=15550001111") == [first, second]
    assert ids("?to=%2B1%20555%20000%202222") == [third]
    assert ids("?type=interactive") == [second]
    assert ids(f"?after={first}") == [second, third]
    assert ids(f"?after={third}") == []
    assert ids("?type=interactive&to=15550002222") == []


def test_the_status_filter_matches_the_latest_status(api: TestClient) -> None:
    message_id = send(api, TEXT)["messages"][0]["id"]
    status = api.get(f"/_emulator/messages/{message_id}").json()["status"]
    assert [m["id"] for m in api.get(f"/_emulator/messages?status={status}").json()["messages"]] == [message_id]
    assert api.get("/_emulator/messages?status=no-such-status").json()["messages"] == []


def test_wait_long_polls_until_a_matching_message_arrives(api: TestClient) -> None:
    result: dict[str, Any] = {}

    def poll() -> None:
        result["body"] = api.get("/_emulator/messages?type=interactive&wait=10").json()

    poller = threading.Thread(target=poll)
    poller.start()
    send(api, TEXT)  # does not match: the poll keeps waiting
    send(api, BUTTONS)
    poller.join(timeout=10)
    assert not poller.is_alive()
    assert [m["type"] for m in result["body"]["messages"]] == ["interactive"]


def test_wait_answers_empty_at_the_deadline(api: TestClient) -> None:
    assert api.get("/_emulator/messages?wait=0.05").json() == {"messages": []}


@pytest.mark.parametrize("wait", ["-1", "abc", "61"])
def test_a_bad_wait_is_refused_with_1009(api: TestClient, wait: str) -> None:
    assert_error(api.get(f"/_emulator/messages?wait={wait}"), 400, 1009)


def test_an_unknown_record_is_404_with_1006(api: TestClient) -> None:
    assert_error(api.get("/_emulator/messages/gBEGnope"), 404, 1006)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({**TEXT, "to": "not a number"}, 400, 1013),
        ({**TEXT, "to": "+1 555 010 0000"}, 400, 1013),
        ({**TEXT, "to": "15550000000"}, 400, 1021),
        ({**TEXT, "text": {"body": "x" * 4097}}, 400, 1001),
        ({**TEMPLATE, "template": {**TEMPLATE["template"], "name": "no_such_template"}}, 400, 2001),
        (
            {"to": "15550001111", "type": "image", "image": {"id": "f043afd0-f0ae-4b9c-ab3d-696fb4c8cd68"}},
            404,
            1006,
        ),
    ],
    ids=["not-a-number", "magic-invalid", "to-self", "too-long", "unknown-template", "unknown-media"],
)
def test_a_refused_send_records_nothing(api: TestClient, body: dict[str, Any], status: int, code: int) -> None:
    send(api, TEXT)
    before = api.get("/_emulator/messages").json()
    assert_error(api.post("/v1/messages", json=body), status, code)
    assert api.get("/_emulator/messages").json() == before


def test_a_user_marked_invalid_gets_1013(api: TestClient) -> None:
    api.put("/_emulator/users/15550002222", json={"status": "invalid"})
    error = assert_error(api.post("/v1/messages", json={**TEXT, "to": "15550002222"}), 400, 1013)
    assert error["title"] == "User is not valid"


def test_sends_need_a_token(client: TestClient) -> None:
    assert_error(client.post("/v1/messages", json=TEXT), 401, 1005)


def test_mark_read_of_an_unknown_message_is_404_with_1006(api: TestClient) -> None:
    assert_error(api.put("/v1/messages/ABGGunknown", json={"status": "read"}), 404, 1006)


@pytest.mark.parametrize(
    ("body", "code"), [({}, 1008), ({"status": "delivered"}, 1009), ({"status": "read", "x": 1}, 1010)]
)
def test_mark_read_body_is_validated(api: TestClient, body: dict[str, Any], code: int) -> None:
    assert_error(api.put("/v1/messages/ABGGunknown", json=body), 400, code)


def test_templates_are_listed_and_added(api: TestClient) -> None:
    names = {t["name"] for t in api.get("/_emulator/templates").json()["templates"]}
    assert {"upcoming_trip_reminder", "oculus_shipment_update", "hello_world"} <= names
    definition = {
        "name": "order_ready",
        "language": "en_US",
        "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Order {{1}} is ready"}],
    }
    added = api.post("/_emulator/templates", json=definition)
    assert added.status_code == 201
    assert added.json()["templates"][0]["namespace"] == "88b39973_f0d5_54e1_29cf_e80f1e3da4f2"
    send(
        api,
        {
            **TEMPLATE,
            "template": {
                "name": "order_ready",
                "language": {"policy": "deterministic", "code": "en_US"},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": "A-17"}]}],
            },
        },
    )
    record = api.get("/_emulator/messages?type=template").json()["messages"][-1]
    assert record["hydrated"]["body"] == "Order A-17 is ready"


def test_a_meta_template_list_answer_can_be_pasted(api: TestClient) -> None:
    answer = {
        "data": [
            {
                "name": "a_one",
                "language": "en",
                "category": "MARKETING",
                "status": "APPROVED",
                "components": [{"type": "BODY", "text": "One"}],
                "id": "123",
            }
        ],
        "paging": {},
    }
    assert api.post("/_emulator/templates", json=answer).status_code == 201
    assert "a_one" in {t["name"] for t in api.get("/_emulator/templates").json()["templates"]}


def test_an_invalid_template_definition_is_refused(api: TestClient) -> None:
    assert_error(api.post("/_emulator/templates", json={"language": "en"}), 400, 1008)


def test_reset_clears_messages_and_added_templates(api: TestClient) -> None:
    send(api, TEXT)
    api.post(
        "/_emulator/templates",
        json={
            "name": "temp_one",
            "language": "en",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "x"}],
        },
    )
    api.post("/_emulator/reset")
    assert api.get("/_emulator/messages").json() == {"messages": []}
    assert "temp_one" not in {t["name"] for t in api.get("/_emulator/templates").json()["templates"]}
