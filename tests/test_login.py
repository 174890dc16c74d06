"""Login, logout and the bearer guard (reference §2)."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.domain.auth import password_problem
from emulator.settings import Settings, SettingsError
from emulator.store import MemoryStore
from tests.conftest import T0, assert_error, basic, bearer


def test_login_with_default_credentials_returns_a_token_valid_for_seven_days(client: TestClient) -> None:
    response = client.post("/v1/users/login", headers=basic())
    assert response.status_code == 200
    body = response.json()
    user = body["users"][0]
    assert re.fullmatch(r"[\w-]+\.[\w-]+\.[\w-]+", user["token"])
    assert user["expires_after"] == "2026-01-08 00:00:00+00:00"  # T0 + 7 days, the reference's format
    assert body["meta"] == {"api_status": "stable", "version": "v2.53.2"}


def test_each_login_issues_a_new_token_and_old_ones_stay_valid(client: TestClient) -> None:
    first = client.post("/v1/users/login", headers=basic()).json()["users"][0]["token"]
    second = client.post("/v1/users/login", headers=basic()).json()["users"][0]["token"]
    assert first != second
    assert client.get("/v1/health", headers=bearer(first)).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("admin", "wrong"),
        basic("nobody", "secret"),
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Basic " + "YWRtaW4="},  # "admin" with no colon
        {"Authorization": "Bearer something"},
        {"Authorization": "Basic \u00e9\u00e9\u00e9\u00e9".encode("latin-1")},  # found by fuzzing: was a 500
        {"Authorization": "Basic " + base64.b64encode(b"admin:\xff\xfe").decode()},  # a password that is not UTF-8
    ],
    ids=["no-header", "wrong-password", "unknown-user", "bad-base64", "no-colon", "bearer-instead", "latin-1", "bytes"],
)
def test_login_with_bad_credentials_is_refused_with_401_1005(client: TestClient, headers: dict[str, Any]) -> None:
    error = assert_error(client.post("/v1/users/login", headers=headers), 401, 1005)
    assert error == {"code": 1005, "title": "Access denied", "details": "Invalid credentials."}


def test_login_with_a_strong_new_password_changes_it(client: TestClient) -> None:
    response = client.post("/v1/users/login", headers=basic(), json={"new_password": "N3w-Passw0rd!"})
    assert response.status_code == 200
    assert_error(client.post("/v1/users/login", headers=basic()), 401, 1005)
    assert client.post("/v1/users/login", headers=basic("admin", "N3w-Passw0rd!")).status_code == 200


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Sh0rt!", "8 to 64"),
        ("A1!" + "a" * 62, "8 to 64"),
        ("NoDigits!!", "digit"),
        ("nouppercase1!", "uppercase"),
        ("NOLOWERCASE1!", "lowercase"),
        ("NoSpecial123", "special"),
    ],
)
def test_a_weak_new_password_is_refused_with_400_1009(client: TestClient, password: str, reason: str) -> None:
    error = assert_error(client.post("/v1/users/login", headers=basic(), json={"new_password": password}), 400, 1009)
    assert reason in error["details"]
    assert client.post("/v1/users/login", headers=basic()).status_code == 200  # unchanged


def test_password_rules_accept_every_special_character_of_the_reference() -> None:
    for special in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~":
        assert password_problem(f"Abcdefg1{special}") is None


def test_login_body_with_an_unknown_field_is_refused_with_1010(client: TestClient) -> None:
    assert_error(client.post("/v1/users/login", headers=basic(), json={"password": "x"}), 400, 1010)


def test_forced_first_login_change_refuses_the_default_password_with_1024(clock: EmulatorClock) -> None:
    app = create_app(Settings(require_password_change=True), store=MemoryStore(), clock=clock)
    with TestClient(app) as client:
        assert_error(client.post("/v1/users/login", headers=basic()), 401, 1024)
        changed = client.post("/v1/users/login", headers=basic(), json={"new_password": "Fresh-Start-1"})
        assert changed.status_code == 200
        assert client.post("/v1/users/login", headers=basic("admin", "Fresh-Start-1")).status_code == 200


def test_logout_revokes_the_token(client: TestClient, token: str) -> None:
    assert client.post("/v1/users/logout", headers=bearer(token)).json() == {
        "meta": {"api_status": "stable", "version": "v2.53.2"}
    }
    assert_error(client.get("/v1/health", headers=bearer(token)), 401, 1005)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Bearer unknown-token"}, basic()],
    ids=["missing", "empty", "unknown", "basic-instead"],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/health"),
        ("POST", "/v1/contacts"),
        ("GET", "/v1/settings/application"),
        ("PATCH", "/v1/settings/application"),
        ("POST", "/v1/users/logout"),
    ],
)
def test_every_v1_route_but_login_needs_a_valid_token(
    client: TestClient, headers: dict[str, str], method: str, path: str
) -> None:
    error = assert_error(client.request(method, path, headers=headers, json={}), 401, 1005)
    assert error["details"] == "Invalid credentials."


def test_a_token_expires_when_the_clock_moves_seven_days(client: TestClient, token: str) -> None:
    assert client.post("/_emulator/clock", json={"advance": 7 * 24 * 3600 - 1}).status_code == 200
    assert client.get("/v1/health", headers=bearer(token)).status_code == 200
    client.post("/_emulator/clock", json={"advance": 1})
    assert_error(client.get("/v1/health", headers=bearer(token)), 401, 1005)


def test_login_time_follows_the_emulator_clock(client: TestClient) -> None:
    client.post("/_emulator/clock", json={"set": T0 + 86400})
    user = client.post("/v1/users/login", headers=basic()).json()["users"][0]
    assert user["expires_after"] == "2026-01-09 00:00:00+00:00"


def test_the_static_access_token_is_the_admin_on_v1_without_a_login(client: TestClient) -> None:
    assert client.get("/v1/health", headers=bearer("wa-emulator-token")).status_code == 200
    body = {"to": "15550001111", "type": "text", "text": {"body": "hi"}}
    assert client.post("/v1/messages", headers=bearer("wa-emulator-token"), json=body).status_code == 201


def test_v1_accepts_every_configured_static_token_and_no_other(clock: EmulatorClock) -> None:
    app = create_app(Settings(access_token="first-token,second-token"), store=MemoryStore(), clock=clock)
    with TestClient(app) as client:
        assert client.get("/v1/health", headers=bearer("second-token")).status_code == 200
        assert_error(client.get("/v1/health", headers=bearer("wa-emulator-token")), 401, 1005)
        assert_error(client.get("/v1/health", headers=bearer("second-token-")), 401, 1005)


def test_a_static_access_token_works_on_v1_without_a_login(client: TestClient) -> None:
    """--access-token values are accepted by both façades (a long-lived token skips the login)."""
    assert client.get("/v1/health", headers=bearer("wa-emulator-token")).status_code == 200
    assert_error(client.get("/v1/health", headers=bearer("wa-emulator-token-nope")), 401, 1005)


def test_several_access_tokens_from_the_flag_and_the_environment() -> None:
    settings = Settings.from_mapping({"WA_EMULATOR_ACCESS_TOKEN": "a, b"}, {})
    assert settings.access_tokens == {"a", "b"}
    assert Settings.from_mapping({}, {"access_token": "c,d"}).access_tokens == {"c", "d"}
    with pytest.raises(SettingsError, match="--access-token"):
        Settings.from_mapping({}, {"access_token": "a,,b"})


def test_a_remembered_route_still_checks_the_token_of_every_call(client: TestClient, token: str) -> None:
    """The router remembers where /v1/health goes (app.KnownRoutes); the guard runs on each call all the same."""
    for _ in range(2):
        assert client.get("/v1/health", headers=bearer(token)).status_code == 200
        assert_error(client.get("/v1/health"), 401, 1005)
        assert_error(client.get("/v1/health", headers=bearer(token + "x")), 401, 1005)
    client.post("/v1/users/logout", headers=bearer(token))
    assert_error(client.get("/v1/health", headers=bearer(token)), 401, 1005)
