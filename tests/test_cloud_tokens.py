"""Cloud access tokens: a header seen before is answered from memory, never across token sets."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.settings import Settings
from emulator.store import MemoryStore
from tests.conftest import bearer

NODE = "/v22.0/106540352242922"


def code(response: Any) -> tuple[int, int | None]:
    """The HTTP status and Graph error code (None for a success)."""
    body = response.json()
    return response.status_code, body["error"]["code"] if "error" in body else None


def test_a_token_accepted_by_one_emulator_is_refused_by_another_with_other_tokens(clock: EmulatorClock) -> None:
    first = create_app(Settings(access_token="tok-a"), store=MemoryStore(), clock=clock)
    second = create_app(Settings(access_token="tok-b"), store=MemoryStore(), clock=clock)
    with TestClient(first) as a, TestClient(second) as b:
        for _ in range(2):  # the second time from memory
            assert code(a.get(NODE, headers=bearer("tok-a"))) == (200, None)
            assert code(b.get(NODE, headers=bearer("tok-a"))) == (401, 190)
            assert code(b.get(NODE, headers=bearer("tok-b"))) == (200, None)
            assert code(a.get(NODE, headers=bearer("tok-b"))) == (401, 190)


def test_a_wrong_token_after_a_right_one_is_still_refused_and_the_query_token_still_counts(client: TestClient) -> None:
    assert code(client.get(NODE, headers=bearer("wa-emulator-token"))) == (200, None)
    assert code(client.get(NODE, headers=bearer("wa-emulator-token-"))) == (401, 190)
    assert code(client.get(NODE, headers={"Authorization": "Basic wa-emulator-token"})) == (401, 190)
    query = NODE + "?access_token=wa-emulator-token"
    assert code(client.get(query, headers={"Authorization": "Basic x"})) == (200, None)
    assert code(client.get(query, headers=bearer("nope"))) == (401, 190)
    owners = [e["owner"] for e in client.get("/_emulator/requests").json()["requests"]]
    assert owners == ["access token wa-emulator-token", None, None, "access token wa-emulator-token", None]
