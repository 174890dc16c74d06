"""API faults on demand: POST /_emulator/faults makes the next matching calls fail as the rule says."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from pywa import WhatsApp
from pywa import errors as pywa_errors
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.faults.middleware import DroppedConnection
from emulator.settings import Settings
from emulator.store import MemoryStore
from tests.conftest import assert_error

USER = "15550001111"
TEXT = {"to": USER, "type": "text", "text": {"body": "hello"}}
CLOUD = {"Authorization": "Bearer wa-emulator-token"}
NUMBER = Settings().phone_number_id
CLOUD_TEXT = {"messaging_product": "whatsapp", **TEXT}


def fault(client: TestClient, body: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    response = client.post(f"{prefix}/_emulator/faults", json=body)
    assert response.status_code == 201, response.text
    rule: dict[str, Any] = response.json()["fault"]
    return rule


def faults(client: TestClient, prefix: str = "") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get(f"{prefix}/_emulator/faults").json()["faults"]
    return found


def send(api: TestClient) -> Any:
    return api.post("/v1/messages", json=TEXT)


def cloud_send(client: TestClient, prefix: str = "", number: str = NUMBER) -> Any:
    return client.post(f"{prefix}/v22.0/{number}/messages", json=CLOUD_TEXT, headers=CLOUD)


@pytest.mark.parametrize(
    ("action", "status", "code"),
    [
        ({"error": 1011}, 503, 1011),
        ({"status": 429}, 429, 1015),
        ({"status": 500}, 500, 1014),
        ({"error": 1015}, 429, 1015),
    ],
)
def test_an_onprem_error_fault_answers_the_apis_code_in_its_envelope_and_records_nothing(
    api: TestClient, action: dict[str, Any], status: int, code: int
) -> None:
    rule = fault(
        api, {"match": {"api": "onprem", "method": "POST", "path": "/v1/messages"}, "action": action, "times": 1}
    )
    refused = send(api)
    error = assert_error(refused, status, code)
    assert error["details"] == f"Injected by wa-emulator fault rule {rule['id']}."
    assert refused.headers["x-wa-emulator-fault"] == rule["id"]
    assert api.get("/_emulator/messages").json()["messages"] == []
    assert send(api).status_code == 201  # the next N matches: N was 1
    (listed,) = faults(api)
    assert (listed["matched"], listed["hits"], listed["active"]) == (1, 1, False)


@pytest.mark.parametrize(
    ("action", "status", "code"),
    [
        ({"error": 130429}, 400, 130429),
        ({"error": 131000}, 500, 131000),
        ({"error": 131056}, 400, 131056),
        ({"status": 429}, 429, 130429),
        ({"status": 503}, 503, 133004),
    ],
)
def test_a_cloud_error_fault_answers_the_graph_envelope(
    client: TestClient, action: dict[str, Any], status: int, code: int
) -> None:
    fault(
        client,
        {"match": {"api": "cloud", "path": "*/messages"}, "action": {**action, "details": "slow down"}, "times": 1},
    )
    refused = cloud_send(client)
    assert refused.status_code == status, refused.text
    error = refused.json()["error"]
    assert error["code"] == code and error["type"] == "OAuthException" and error["fbtrace_id"]
    assert error["message"].startswith(f"(#{code}) ")
    assert error["error_data"] == {"messaging_product": "whatsapp", "details": "slow down"}
    assert cloud_send(client).status_code == 200


def test_an_error_code_alone_picks_the_api_it_belongs_to(api: TestClient) -> None:
    rule = fault(api, {"action": {"error": 131056}})
    assert rule["match"] == {"api": "cloud"}
    assert send(api).status_code == 201  # an On-Premises call is not touched by a Cloud code
    assert cloud_send(api).json()["error"]["code"] == 131056


def test_a_real_cloud_client_raises_its_own_error_for_each_fault(app: Any) -> None:
    with TestClient(app) as session:
        session.post("http://testserver/_emulator/faults", json={"action": {"error": 130429}, "times": 1})
        session.post("http://testserver/_emulator/faults", json={"action": {"error": 131056}, "times": 1})
        wa = WhatsApp(phone_id=NUMBER, token="wa-emulator-token", session=session, server=None)
        with pytest.raises(pywa_errors.RateLimitHit):
            wa.send_message(to=USER, text="hello")
        with pytest.raises(pywa_errors.TooManyMessages):
            wa.send_message(to=USER, text="hello")


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({"action": {"error": 4242}}, 1009, "no error code of either API"),
        ({"match": {"api": "onprem"}, "action": {"error": 130429}}, 1009, "the onprem API"),
        ({"action": {"status": 418}}, 1009, "a status that has one"),
        ({"action": {"error": 1011, "drop": True}}, 1009, "one of error"),
        ({"action": {}}, 1009, ""),
        ({"action": {"duplicate": 1}}, 1010, ""),
        ({"match": {"api": "webhook"}, "action": {"error": 1011}}, 1010, ""),
        ({"match": {"api": "webhook"}, "action": {"reorder": True, "duplicate": 1}}, 1009, ""),
        ({"match": {"api": "webhook", "path": "/v1"}, "action": {"reorder": True}}, 1009, ""),
        ({"match": {"tenant": "no.dots"}, "action": {"error": 1011}}, 1009, ""),
        ({"action": {"error": 1011}, "probability": 2}, 1009, ""),
        ({"action": {"processed": True, "error": 1011}}, 1009, ""),
    ],
)
def test_a_bad_rule_is_refused_with_a_clear_error(
    client: TestClient, body: dict[str, Any], code: int, words: str
) -> None:
    error = assert_error(client.post("/_emulator/faults", json=body), 400, code)
    assert words in error["details"]
    assert faults(client) == []


def test_every_nth_match_fails(api: TestClient) -> None:
    fault(api, {"match": {"path": "/v1/messages"}, "action": {"status": 503}, "every": 3})
    assert [send(api).status_code for _ in range(7)] == [201, 201, 503, 201, 201, 503, 201]
    (listed,) = faults(api)
    assert (listed["matched"], listed["hits"], listed["active"]) == (7, 2, True)


def test_a_probability_is_drawn_from_the_seed_the_same_way_each_run() -> None:
    def pattern(seed: int) -> list[int]:
        with TestClient(create_app(Settings(seed=seed), store=MemoryStore())) as client:
            fault(client, {"match": {"api": "cloud"}, "action": {"status": 500}, "probability": 0.5})
            return [cloud_send(client).status_code for _ in range(24)]

    first = pattern(3)
    assert first == pattern(3)
    assert 500 in first and 200 in first
    assert first != pattern(4)


def test_a_rule_can_match_the_message_type_and_the_recipient(api: TestClient) -> None:
    fault(api, {"match": {"type": "image", "to": "+1 555 000 2222"}, "action": {"error": 1014}})
    image = {"to": "15550002222", "type": "image", "image": {"link": "https://example.com/a.png"}}
    assert send(api).status_code == 201  # text to someone else
    assert api.post("/v1/messages", json={**TEXT, "to": "15550002222"}).status_code == 201  # text to them
    assert_error(api.post("/v1/messages", json=image), 500, 1014)
    assert api.post("/v1/messages", json={**image, "to": USER}).status_code == 201  # image to someone else


def test_a_rule_can_match_the_method_and_a_path_pattern(api: TestClient) -> None:
    fault(api, {"match": {"method": "GET", "path": "/v1/settings/*"}, "action": {"error": 1011}})
    assert_error(api.get("/v1/settings/application"), 503, 1011)
    assert api.patch("/v1/settings/application", json={"sent_status": True}).status_code == 200
    assert api.get("/v1/health").status_code == 200


def test_rules_are_listed_deleted_one_by_one_or_all_and_cleared_by_a_reset(api: TestClient) -> None:
    one = fault(api, {"match": {"path": "/v1/messages"}, "action": {"error": 1011}})
    two = fault(api, {"match": {"path": "/v1/contacts"}, "action": {"error": 1015}})
    assert [r["id"] for r in faults(api)] == [one["id"], two["id"]] == ["1", "2"]
    assert api.get("/_emulator/faults/2").json()["fault"]["action"] == {"error": 1015}
    assert api.delete("/_emulator/faults/1").json() == {"deleted": ["1"]}
    assert_error(api.delete("/_emulator/faults/1"), 404, 1006)
    assert send(api).status_code == 201
    fault(api, {"action": {"error": 1011}})
    assert api.delete("/_emulator/faults").json() == {"deleted": ["2", "3"]}
    fault(api, {"action": {"error": 1011}})
    api.post("/_emulator/reset")
    assert faults(api) == []
    assert fault(api, {"action": {"error": 1011}})["id"] == "1"  # ids start again after a reset


def test_a_tenants_rules_touch_only_its_traffic_unless_they_name_others(client: TestClient) -> None:
    number = client.post("/_emulator/tenants", json={"name": "acme"}).json()["tenant"]["phone_number_id"]
    fault(client, {"match": {"api": "cloud"}, "action": {"error": 131000}}, prefix="/t/acme")
    assert cloud_send(client).status_code == 200  # the default tenant
    assert cloud_send(client, "/t/acme", number).status_code == 500
    assert cloud_send(client, "", number).status_code == 500  # acme's number without the prefix is acme's
    assert faults(client) == [] and len(faults(client, "/t/acme")) == 1
    fault(client, {"match": {"tenant": "*", "api": "cloud"}, "action": {"error": 130429}})
    client.delete("/t/acme/_emulator/faults")
    assert cloud_send(client, "/t/acme", number).json()["error"]["code"] == 130429


def test_latency_delays_the_answer_and_then_answers_as_usual(api: TestClient) -> None:
    fault(api, {"match": {"path": "/v1/messages"}, "action": {"latency_ms": 150}, "times": 1})
    started = time.perf_counter()
    assert send(api).status_code == 201
    assert time.perf_counter() - started >= 0.15  # a lower bound: the server waited at least this long
    assert faults(api)[0]["hits"] == 1


def test_a_dropped_connection_gives_no_answer_and_processes_nothing(api: TestClient) -> None:
    fault(api, {"match": {"path": "/v1/messages"}, "action": {"drop": True}, "times": 1})
    with pytest.raises(DroppedConnection):
        send(api)
    assert api.get("/_emulator/messages").json()["messages"] == []


def test_a_processed_drop_records_the_message_but_loses_the_answer(api: TestClient) -> None:
    fault(api, {"match": {"path": "/v1/messages"}, "action": {"drop": True, "processed": True}, "times": 1})
    with pytest.raises(DroppedConnection):
        send(api)
    assert len(api.get("/_emulator/messages").json()["messages"]) == 1


def test_a_timeout_answers_nothing_until_its_limit_then_drops(api: TestClient) -> None:
    fault(api, {"match": {"path": "/v1/messages"}, "action": {"timeout": True, "timeout_s": 0.05}, "times": 1})
    with pytest.raises(DroppedConnection):
        send(api)
    assert send(api).status_code == 201


def test_the_control_api_and_the_page_are_never_faulted(client: TestClient) -> None:
    fault(client, {"match": {"path": "*"}, "action": {"error": 1011}})
    assert client.get("/_emulator/messages").status_code == 200
    assert client.get("/_emulator/ui").status_code == 200
    assert client.get("/_emulator/faults").status_code == 200
    assert_error(client.get("/v1/health"), 503, 1011)


def test_every_fault_example_in_the_readme_is_accepted(client: TestClient) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Testing failures", 1)[1].split("\n## ", 1)[0]
    bodies = re.findall(r"-d '(\{.*?\})'", section)
    assert len(bodies) >= 15
    for body in bodies:
        response = client.post("/_emulator/faults", json=json.loads(body))
        assert response.status_code == 201, (body, response.text)
