"""Control basics: health, reset, clock, users and the magic numbers."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.domain.users import MAGIC_RANGES
from emulator.settings import Settings
from emulator.store import MemoryStore
from tests.conftest import T0, assert_error, basic, bearer


def test_health_answers_ok_without_a_token(client: TestClient) -> None:
    body = client.get("/_emulator/health").json()
    assert body["status"] == "ok"
    assert body["store"] == "memory"
    assert body["now"] == T0


def test_clock_moves_by_advance_and_set_and_freezes(client: TestClient) -> None:
    assert client.get("/_emulator/clock").json()["now"] == T0
    assert client.post("/_emulator/clock", json={"advance": 90000}).json()["now"] == T0 + 90000
    assert client.post("/_emulator/clock", json={"set": T0 + 5}).json()["now"] == T0 + 5
    assert client.post("/_emulator/clock", json={"freeze": True}).json()["frozen"] is True


@pytest.mark.parametrize(
    ("advance", "seconds"), [("25h", 90000), ("+90m", 5400), ("1d2h", 93600), ("-30s", -30), ("600", 600), (1.5, 1.5)]
)
def test_the_clock_takes_the_durations_scripts_and_the_page_take(
    client: TestClient, advance: str | float, seconds: float
) -> None:
    assert client.post("/_emulator/clock", json={"advance": advance}).json()["now"] == T0 + seconds


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, 1009),
        ({"advance": "1 hour"}, 1009),
        ({"advance": 1, "set": 2}, 1009),
        ({"jump": 1}, 1010),
        ({"advance": 1e18}, 1009),  # found by fuzzing: every later login answered 500
        ({"advance": -T0 - 1}, 1009),
        ({"set": 32_503_680_001}, 1009),
        ({"set": -1}, 1009),
        ({"advance": True}, 1009),
    ],
)
def test_bad_clock_bodies_are_refused(client: TestClient, body: dict[str, object], code: int) -> None:
    assert_error(client.post("/_emulator/clock", json=body), 400, code)
    assert client.get("/_emulator/clock").json()["now"] == T0


def test_a_refused_move_leaves_the_server_working(client: TestClient) -> None:
    error = assert_error(client.post("/_emulator/clock", json={"advance": 1e18}), 400, 1009)
    assert "1970-01-01 to 3000-01-01" in error["details"]
    assert client.post("/v1/users/login", headers=basic()).status_code == 200
    assert client.post("/_emulator/clock", json={"set": 32_503_680_000}).status_code == 200  # the last moment
    assert client.post("/v1/users/login", headers=basic()).status_code == 200


def test_a_frozen_clock_moved_with_set_reports_its_real_offset() -> None:
    real = [T0]
    app = create_app(Settings(), store=MemoryStore(), clock=EmulatorClock(base=lambda: real[0]))
    with TestClient(app) as client:
        client.post("/_emulator/clock", json={"freeze": True})
        moved = client.post("/_emulator/clock", json={"set": T0 + 3600}).json()
        assert moved == {"now": T0 + 3600, "offset": 3600, "frozen": True}  # the offset was 0
        real[0] += 100  # real time goes on; the frozen clock does not
        assert client.get("/_emulator/clock").json()["offset"] == 3500


def test_moving_the_clock_back_never_makes_the_window_longer_than_24_hours(client: TestClient) -> None:
    client.post("/_emulator/users/15550001111/messages", json={"type": "text", "text": {"body": "hi"}})
    client.post("/_emulator/clock", json={"advance": "-10h"})
    window = client.get("/_emulator/conversations/15550001111").json()["window"]
    assert window["remaining_s"] == 24 * 3600  # was 34 h
    client.post("/_emulator/clock", json={"advance": "24h"})
    assert client.get("/_emulator/conversations/15550001111").json()["window"]["open"] is False


def test_fixture_users_are_listed(client: TestClient) -> None:
    users = {u["wa_id"]: u for u in client.get("/_emulator/users").json()["users"]}
    assert users["15550001111"]["name"] == "Alice Martin"
    assert users["15550001111"]["source"] == "fixture"


def test_put_user_creates_and_updates(client: TestClient) -> None:
    created = client.put("/_emulator/users/4915123456789", json={"name": "Greta", "incapable": True})
    assert created.status_code == 200
    assert created.json()["user"] == {
        "wa_id": "4915123456789",
        "name": "Greta",
        "status": "valid",
        "incapable": True,
        "read_receipts": True,
        "online": True,
        "source": "control",
        "unsupported_types": [],
        "delivery_delay_s": 0,
        "read_delay_s": 0,
    }
    client.put("/_emulator/users/4915123456789", json={"read_receipts": False})
    user = client.get("/_emulator/users/4915123456789").json()["user"]
    assert user["incapable"] is True and user["read_receipts"] is False and user["name"] == "Greta"


@pytest.mark.parametrize(
    ("wa_id", "body", "code"),
    [
        ("15550001111", {"status": "gone"}, 1009),
        ("15550001111", {"incapable": "yes"}, 1009),
        ("15550001111", {"colour": "red"}, 1010),
        ("+15550001111", {"name": "x"}, 1009),
        ("15550001111", {"wa_id": "15550002222"}, 1009),
    ],
)
def test_bad_user_bodies_are_refused_and_nothing_changes(
    client: TestClient, wa_id: str, body: dict[str, object], code: int
) -> None:
    before = client.get("/_emulator/users").json()
    assert_error(client.put(f"/_emulator/users/{wa_id}", json=body), 400, code)
    assert client.get("/_emulator/users").json() == before


@pytest.mark.parametrize(
    ("wa_id", "trait", "value"),
    [
        ("15550101234", "status", "invalid"),
        ("15550209999", "incapable", True),
        ("15550300001", "read_receipts", False),
        ("15550400001", "online", False),
        ("15550001234", "status", "valid"),
    ],
)
def test_magic_numbers_have_their_traits_with_no_set_up(
    client: TestClient, wa_id: str, trait: str, value: object
) -> None:
    assert client.get(f"/_emulator/users/{wa_id}").json()["user"][trait] == value


def test_magic_ranges_do_not_overlap_the_fixture_users() -> None:
    from emulator.fixtures import load_fixtures

    for user in load_fixtures().users:
        assert not any(user["wa_id"].startswith(m.prefix) for m in MAGIC_RANGES)


def test_reset_restores_fixtures_and_clock_but_keeps_tokens_and_settings(api: TestClient, token: str) -> None:
    api.patch("/v1/settings/application", json={"webhooks": {"url": "http://127.0.0.1:9/x"}})
    api.put("/_emulator/users/15550001111", json={"name": "Changed"})
    api.put("/_emulator/users/4915123456789", json={"name": "Extra"})
    api.post("/_emulator/clock", json={"advance": 3600})
    assert api.post("/_emulator/reset").json() == {"status": "reset"}
    users = {u["wa_id"]: u for u in api.get("/_emulator/users").json()["users"]}
    assert users["15550001111"]["name"] == "Alice Martin"
    assert "4915123456789" not in users
    assert api.get("/_emulator/clock").json()["now"] == T0
    assert (
        api.get("/v1/settings/application", headers=bearer(token)).json()["settings"]["application"]["webhooks"]["url"]
        == "http://127.0.0.1:9/x"
    )


def test_reset_can_keep_users(client: TestClient) -> None:
    client.put("/_emulator/users/4915123456789", json={"name": "Extra"})
    client.post("/_emulator/reset", json={"keep": ["users"]})
    assert client.get("/_emulator/users/4915123456789").json()["user"]["name"] == "Extra"


def test_control_token_guards_the_control_api_but_not_health(clock: EmulatorClock) -> None:
    app = create_app(Settings(control_token="s3cret"), store=MemoryStore(), clock=clock)
    with TestClient(app) as client:
        assert client.get("/_emulator/health").status_code == 200
        assert_error(client.get("/_emulator/users"), 401, 1005)
        assert_error(client.get("/_emulator/users", headers=bearer("wrong")), 401, 1005)
        assert client.get("/_emulator/users", headers=bearer("s3cret")).status_code == 200
