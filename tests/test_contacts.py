"""POST /v1/contacts (reference §4)."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.phone import normalize
from emulator.settings import Settings
from emulator.store import MemoryStore
from tests.conftest import assert_error, basic, bearer
from tests.yielding import BusyStore, finishing_order


@pytest.mark.parametrize(
    ("raw", "wa_id"),
    [
        ("16315551000", "16315551000"),
        ("+1 631 555 1001", "16315551001"),
        ("+1 (631) 555-1004", "16315551004"),
        ("1-631-555-1004", "16315551004"),
        ("0016315551004", "16315551004"),
        ("+55 11 98765-4321", "5511987654321"),
        ("+44.7700.900123", "447700900123"),
        ("not a number", None),
        ("+1 631 555 10O4", None),
        ("1234567", None),
        ("+1234567890123456", None),
        ("", None),
    ],
)
def test_numbers_in_any_standard_format_normalise_to_digits(raw: str, wa_id: str | None) -> None:
    assert normalize(raw) == wa_id


def check(api: TestClient, contacts: list[str], blocking: str = "wait") -> list[dict[str, Any]]:
    response = api.post("/v1/contacts", json={"blocking": blocking, "contacts": contacts})
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["contacts"]
    return result


def test_blocking_check_answers_valid_with_wa_id_for_every_number(api: TestClient) -> None:
    assert check(api, ["16315551000", "+1 (631) 555-1004"]) == [
        {"input": "16315551000", "status": "valid", "wa_id": "16315551000"},
        {"input": "+1 (631) 555-1004", "status": "valid", "wa_id": "16315551004"},
    ]


def test_input_that_is_no_phone_number_is_invalid_without_wa_id(api: TestClient) -> None:
    assert check(api, ["hello"]) == [{"input": "hello", "status": "invalid"}]


def test_a_user_marked_invalid_is_invalid(api: TestClient) -> None:
    api.put("/_emulator/users/16315551000", json={"status": "invalid"})
    assert check(api, ["+16315551000"]) == [{"input": "+16315551000", "status": "invalid"}]


def test_the_magic_no_whatsapp_range_is_invalid_with_no_set_up(api: TestClient) -> None:
    assert check(api, ["+1 555 010 1234"]) == [{"input": "+1 555 010 1234", "status": "invalid"}]


def test_unknown_numbers_become_users_with_a_deterministic_faker_name(api: TestClient) -> None:
    check(api, ["+49 151 23456789"])
    user = api.get("/_emulator/users/4915123456789").json()["user"]
    assert user["name"] and user["status"] == "valid" and user["source"] == "auto"


def test_non_blocking_check_answers_processing(api: TestClient) -> None:
    assert check(api, ["16315551000", "hello"], blocking="no_wait") == [
        {"input": "16315551000", "status": "processing"},
        {"input": "hello", "status": "processing"},
    ]


def test_blocking_defaults_to_no_wait(api: TestClient) -> None:
    response = api.post("/v1/contacts", json={"contacts": ["16315551000"]})
    assert response.json()["contacts"] == [{"input": "16315551000", "status": "processing"}]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, 1008),
        ({"blocking": "wait"}, 1008),
        ({"contacts": "16315551000"}, 1009),
        ({"contacts": []}, 1009),
        ({"contacts": [16315551000]}, 1009),
        ({"contacts": ["1"], "blocking": "sometimes"}, 1009),
        ({"contacts": ["1"], "force_check": "yes"}, 1009),
        ({"contacts": ["1"], "extra": 1}, 1010),
    ],
    ids=[
        "empty",
        "no-contacts",
        "not-array",
        "empty-array",
        "number-item",
        "bad-blocking",
        "bad-force",
        "extra",
    ],
)
def test_malformed_contacts_body_is_refused_with_its_code(api: TestClient, body: dict[str, Any], code: int) -> None:
    error = assert_error(api.post("/v1/contacts", json=body), 400, code)
    assert error["details"].startswith("$")


def test_more_than_1000_numbers_in_one_check_are_refused_with_1009(api: TestClient) -> None:
    numbers = [f"+1631{n:07d}" for n in range(1001)]
    error = assert_error(api.post("/v1/contacts", json={"blocking": "wait", "contacts": numbers}), 400, 1009)
    assert error["details"] == "$.contacts: must have at most 1000 items (got 1001)"
    assert_error(api.post("/v1/contacts", json={"contacts": ["1" * 65]}), 400, 1009)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_a_check_of_1000_new_numbers_lets_other_requests_run(clock: EmulatorClock) -> None:
    store = BusyStore()
    app = create_app(Settings(seed=7), store=store, clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as client:
        token = (await client.post("/v1/users/login", headers=basic())).json()["users"][0]["token"]
        numbers = [f"+1631{n:07d}" for n in range(1000)]

        async def check() -> None:
            body = {"blocking": "wait", "contacts": numbers}
            response = await client.post("/v1/contacts", json=body, headers=bearer(token))
            assert [c["status"] for c in response.json()["contacts"]] == ["valid"] * 1000

        assert await finishing_order(client, store, "users", check) == ["health", "big"]  # was big, health


@pytest.mark.anyio
async def test_what_is_wrong_with_a_big_body_is_worked_out_off_the_event_loop(
    clock: EmulatorClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(Settings(seed=7), store=MemoryStore(), clock=clock)
    schemas = app.state.emulator.schemas
    threads: list[threading.Thread] = []
    real = schemas.validate

    def spy(name: str, body: object) -> None:
        threads.append(threading.current_thread())
        real(name, body)

    monkeypatch.setattr(schemas, "validate", spy)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://emulator") as client:
        token = (await client.post("/v1/users/login", headers=basic())).json()["users"][0]["token"]
        numbers = [f"+1631{n:07d}" for n in range(60_000)]  # found by fuzzing: stalled everyone for 8 s
        response = await client.post("/v1/contacts", json={"contacts": numbers}, headers=bearer(token))
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == 1009
    assert threads and threading.current_thread() not in threads  # half a second of Python, not on the loop
