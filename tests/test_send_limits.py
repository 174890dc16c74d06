"""The optional realism switches: Cloud's pair rate limit (131056), throughput limit (130429), marketing cap (131049)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.settings import Settings
from emulator.store import MemoryStore
from tests.conftest import T0, basic, bearer
from tests.receiver import drain, emulator_with_receiver

CLOUD = {"Authorization": "Bearer wa-emulator-token"}
NUMBER = Settings().phone_number_id
USER, OTHER = "15550001111", "15550002222"
PROMO = {
    "name": "promo",
    "language": "en_US",
    "category": "MARKETING",
    "components": [{"type": "BODY", "text": "Sale!"}],
}


def cloud_send(client: TestClient, to: str = USER, **body: Any) -> Any:
    payload = {"messaging_product": "whatsapp", "to": to, **(body or {"type": "text", "text": {"body": "hi"}})}
    return client.post(f"/v22.0/{NUMBER}/messages", json=payload, headers=CLOUD)


def emulator(**settings: Any) -> TestClient:
    clock = EmulatorClock(base=lambda: T0)
    return TestClient(create_app(Settings(seed=7, **settings), store=MemoryStore(), clock=clock))


def error_of(response: Any) -> tuple[int, int, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["error_data"]["details"]


def test_every_limit_is_off_by_default() -> None:
    with emulator() as client:
        assert [cloud_send(client).status_code for _ in range(20)] == [200] * 20


def test_the_pair_rate_limit_refuses_a_second_send_to_one_user_too_soon() -> None:
    with emulator(pair_rate_limit_s=6) as client:
        assert cloud_send(client).status_code == 200
        status, code, details = error_of(cloud_send(client))
        assert (status, code) == (400, 131056) and "one every 6 s" in details
        assert cloud_send(client, OTHER).status_code == 200  # another user: another pair
        client.post("/_emulator/clock", json={"advance": 6})
        assert cloud_send(client).status_code == 200
        assert len(client.get("/_emulator/messages").json()["messages"]) == 3  # the refused one is not recorded


def test_the_pair_rate_limit_is_a_cloud_limit() -> None:
    with emulator(pair_rate_limit_s=6) as client:
        headers = bearer(client.post("/v1/users/login", headers=basic()).json()["users"][0]["token"])
        text = {"to": USER, "type": "text", "text": {"body": "hi"}}
        assert [client.post("/v1/messages", json=text, headers=headers).status_code for _ in range(3)] == [201] * 3


def test_the_throughput_limit_refuses_sends_past_the_rate_until_a_second_passes() -> None:
    with emulator(throughput_limit=3) as client:
        assert [cloud_send(client, f"15550009{n:03d}").status_code for n in range(3)] == [200] * 3
        assert error_of(cloud_send(client, OTHER)) == (400, 130429, "Cloud API message throughput has been reached.")
        client.post("/_emulator/clock", json={"advance": 1})
        assert cloud_send(client, OTHER).status_code == 200


def test_marketing_templates_past_the_cap_are_accepted_then_fail_with_131049() -> None:
    settings = Settings(seed=7, marketing_cap=1)  # on-prem webhooks carry the code of the API the send used
    with emulator_with_receiver(settings, clock=EmulatorClock(base=lambda: T0)) as (client, receiver):
        client.post("/_emulator/templates", json=PROMO)
        template = {"type": "template", "template": {"name": "promo", "language": {"code": "en_US"}}}
        first, second = (cloud_send(client, **template) for _ in range(2))
        assert first.status_code == second.status_code == 200
        utility = cloud_send(client, type="template", template={"name": "hello_world", "language": {"code": "en_US"}})
        drain(client)
        failed = [s for s in receiver.statuses() if s["status"] == "failed"]
        assert [s["id"] for s in failed] == [second.json()["messages"][0]["id"]]
        assert failed[0]["errors"][0]["code"] == 131049
        assert client.get(f"/_emulator/messages/{utility.json()['messages'][0]['id']}").json()["status"] == "read"
        client.post("/_emulator/clock", json={"advance": 24 * 3600})
        assert cloud_send(client, **template).status_code == 200
        drain(client)
        assert len([s for s in receiver.statuses() if s["status"] == "failed"]) == 1


def test_a_reset_forgets_what_was_counted() -> None:
    with emulator(pair_rate_limit_s=6) as client:
        assert cloud_send(client).status_code == 200
        client.post("/_emulator/reset")
        assert cloud_send(client).status_code == 200
