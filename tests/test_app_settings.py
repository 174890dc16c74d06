"""GET|PATCH|DELETE /v1/settings/application (reference §8.1)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.settings import Settings
from emulator.store import MemoryStore
from tests.conftest import assert_error, basic, bearer


def application(api: TestClient) -> dict[str, Any]:
    response = api.get("/v1/settings/application")
    assert response.status_code == 200
    value: dict[str, Any] = response.json()["settings"]["application"]
    return value


def test_defaults_have_the_fields_of_the_reference(api: TestClient) -> None:
    settings = application(api)
    assert settings["callback_backoff_delay_ms"] == 3000
    assert settings["max_callback_backoff_delay_ms"] == 900000
    assert settings["webhooks"] == {
        "url": "",
        "max_concurrent_requests": 6,
        "message": {"sent": False, "delivered": True, "read": True},
    }
    assert settings["sent_status"] is False and settings["callback_persist"] is True


def test_patch_changes_only_the_fields_present(api: TestClient) -> None:
    response = api.patch("/v1/settings/application", json={"webhooks": {"url": "http://127.0.0.1:5000/hook"}})
    assert response.status_code == 200
    assert response.json() == {"meta": {"api_status": "stable", "version": "v2.53.2"}}
    settings = application(api)
    assert settings["webhooks"]["url"] == "http://127.0.0.1:5000/hook"
    assert settings["webhooks"]["max_concurrent_requests"] == 6
    api.patch("/v1/settings/application", json={"webhooks": {"message": {"sent": True}}, "sent_status": True})
    settings = application(api)
    assert settings["webhooks"]["message"] == {"sent": True, "delivered": True, "read": True}
    assert settings["webhooks"]["url"] == "http://127.0.0.1:5000/hook"


def test_delete_restores_the_defaults(api: TestClient) -> None:
    api.patch("/v1/settings/application", json={"webhooks": {"url": "https://bot.example/hook"}})
    assert api.delete("/v1/settings/application").status_code == 200
    assert application(api)["webhooks"]["url"] == ""


def test_webhook_url_flag_sets_the_same_value(clock: EmulatorClock) -> None:
    app = create_app(Settings(webhook_url="http://127.0.0.1:7000/wh"), store=MemoryStore(), clock=clock)
    with TestClient(app) as client:
        token = client.post("/v1/users/login", headers=basic()).json()["users"][0]["token"]
        client.headers.update(bearer(token))
        assert application(client)["webhooks"]["url"] == "http://127.0.0.1:7000/wh"
        client.patch("/v1/settings/application", json={"webhooks": {"url": "http://127.0.0.1:7001/x"}})
        client.delete("/v1/settings/application")
        assert application(client)["webhooks"]["url"] == "http://127.0.0.1:7000/wh"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"webhooks": {"url": "ftp://example.com"}}, 1009),
        ({"webhooks": {"url": 5}}, 1009),
        ({"webhooks": {"max_concurrent_requests": 7}}, 1009),
        ({"callback_backoff_delay_ms": -1}, 1009),
        ({"sent_status": "yes"}, 1009),
        ({"webhooks": {"message": {"failed": True}}}, 1010),
        ({"no_such_setting": 1}, 1010),
    ],
)
def test_invalid_settings_are_refused_and_nothing_changes(api: TestClient, body: dict[str, Any], code: int) -> None:
    before = application(api)
    assert_error(api.patch("/v1/settings/application", json=body), 400, code)
    assert application(api) == before


def test_health_answers_connected(api: TestClient) -> None:
    body = api.get("/v1/health").json()
    assert body["health"] == {"gateway_status": "connected"}
