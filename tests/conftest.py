"""Shared fixtures: an in-process emulator with a controllable clock, a client, and a login token."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.settings import Settings
from emulator.store import MemoryStore

T0 = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC: tests start from a fixed time


def basic(username: str = "admin", password: str = "secret") -> dict[str, str]:
    """An Authorization header for HTTP Basic."""
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    """An Authorization header for a bearer token."""
    return {"Authorization": f"Bearer {token}"}


def assert_error(response: Any, status: int, code: int) -> dict[str, Any]:
    """The response is the On-Premises error envelope with this HTTP status and code."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["errors"][0]["code"] == code, body
    assert set(body["errors"][0]) <= {"code", "title", "details", "href"}
    assert body["meta"]["api_status"] == "stable"
    return body["errors"][0]


@pytest.fixture
def settings() -> Settings:
    return Settings(seed=7)


@pytest.fixture
def clock() -> EmulatorClock:
    clock = EmulatorClock(base=lambda: T0)
    return clock


@pytest.fixture
def app(settings: Settings, clock: EmulatorClock) -> Starlette:
    return create_app(settings, store=MemoryStore(), clock=clock)


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def token(client: TestClient) -> str:
    response = client.post("/v1/users/login", headers=basic())
    assert response.status_code == 200, response.text
    value: str = response.json()["users"][0]["token"]
    return value


@pytest.fixture
def api(client: TestClient, token: str) -> TestClient:
    """A client that sends the bearer token on every request, as a bot would."""
    client.headers.update(bearer(token))
    return client
