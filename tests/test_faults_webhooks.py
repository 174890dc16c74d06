"""Webhook faults: deliveries duplicated, delayed, reordered, their first attempt dropped; a receiver outage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.clock import EmulatorClock
from emulator.settings import Settings
from tests.conftest import T0
from tests.receiver import Receiver, drain, emulator_with_receiver

USER = "15550001111"
OTHER = "15550002222"


@pytest.fixture
def hooked() -> Iterator[tuple[TestClient, Receiver]]:
    """An emulator on a clock that only moves when told, posting to a Receiver."""
    with emulator_with_receiver(Settings(seed=7), clock=EmulatorClock(base=lambda: T0)) as pair:
        yield pair


def fault(client: TestClient, match: dict[str, Any], action: dict[str, Any], **how: Any) -> dict[str, Any]:
    response = client.post("/_emulator/faults", json={"match": {"api": "webhook", **match}, "action": action, **how})
    assert response.status_code == 201, response.text
    rule: dict[str, Any] = response.json()["fault"]
    return rule


def says(client: TestClient, text: str, user: str = USER) -> str:
    answer = client.post(f"/_emulator/users/{user}/messages", json={"type": "text", "text": {"body": text}})
    assert answer.status_code == 200, answer.text
    message_id: str = answer.json()["message"]["id"]
    return message_id


def texts(receiver: Receiver) -> list[str]:
    return [m["text"]["body"] for m in receiver.messages()]


def log(client: TestClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/_emulator/webhooks").json()["webhooks"]
    return found


def advance(client: TestClient, seconds: float) -> None:
    client.post("/_emulator/clock", json={"advance": seconds})


def test_the_next_delivery_is_duplicated_and_the_log_says_so(hooked: tuple[TestClient, Receiver]) -> None:
    client, receiver = hooked
    rule = fault(client, {"type": "message"}, {"duplicate": 1}, times=1)
    first = says(client, "one")
    says(client, "two")
    drain(client, lenient=True)
    assert texts(receiver) == ["one", "one", "two"]
    assert [m["id"] for m in receiver.messages()][:2] == [first, first]  # the same message, twice
    original, copy, _ = log(client)
    assert original["faults"][0]["rule"] == rule["id"] and original["faults"][0]["effect"] == "duplicate"
    assert copy["duplicate_of"] == original["id"] and copy["state"] == "delivered"


def test_a_delayed_delivery_waits_for_the_clock_and_holds_its_recipients_later_ones(
    hooked: tuple[TestClient, Receiver],
) -> None:
    client, receiver = hooked
    fault(client, {"to": USER}, {"delay_s": 30}, times=1)
    says(client, "late")
    says(client, "after it")
    says(client, "someone else", user=OTHER)
    drain(client, lenient=True)
    assert texts(receiver) == ["someone else"]
    delayed = log(client)[0]
    assert delayed["state"] == "pending" and delayed["attempts"] == [] and delayed["hold_until"] == T0 + 30
    advance(client, 30)
    drain(client, lenient=True)
    assert texts(receiver) == ["someone else", "late", "after it"]


def test_a_reordered_delivery_goes_after_the_next_one_to_its_recipient(hooked: tuple[TestClient, Receiver]) -> None:
    client, receiver = hooked
    fault(client, {"type": "message"}, {"reorder": True}, times=1)
    says(client, "first")
    says(client, "second")
    says(client, "third")
    drain(client, lenient=True)
    assert texts(receiver) == ["second", "first", "third"]


def test_a_reordered_delivery_with_nothing_after_it_still_goes_when_drained(
    hooked: tuple[TestClient, Receiver],
) -> None:
    client, receiver = hooked
    fault(client, {}, {"reorder": True}, times=1)
    says(client, "alone")
    drain(client, lenient=True)
    assert texts(receiver) == ["alone"]


def test_a_dropped_first_attempt_is_retried_and_delivered_once(hooked: tuple[TestClient, Receiver]) -> None:
    client, receiver = hooked
    rule = fault(client, {}, {"drop_first": True}, times=1)
    says(client, "hello")
    drain(client, lenient=True)
    assert texts(receiver) == []
    (delivery,) = log(client)
    assert delivery["state"] == "pending"
    (attempt,) = delivery["attempts"]
    assert attempt["injected"] is True and f"fault rule {rule['id']}" in attempt["error"]
    advance(client, 3)  # callback_backoff_delay_ms: 3 s after the first failed attempt
    drain(client, lenient=True)
    assert texts(receiver) == ["hello"]
    assert [a.get("status_code") for a in log(client)[0]["attempts"]] == [None, 200]


def test_an_outage_fails_every_attempt_in_its_window_then_deliveries_go_through(
    hooked: tuple[TestClient, Receiver],
) -> None:
    client, receiver = hooked
    rule = fault(client, {}, {"outage_s": 60})
    assert rule["until"] == T0 + 60
    says(client, "anyone there?")
    drain(client, lenient=True)
    advance(client, 30)
    drain(client, lenient=True)
    assert texts(receiver) == []
    attempts = log(client)[0]["attempts"]
    assert len(attempts) == 2 and all("receiver outage" in a["error"] for a in attempts)
    advance(client, 31)
    drain(client, lenient=True)
    assert texts(receiver) == ["anyone there?"]
    listed = client.get("/_emulator/faults").json()["faults"][0]
    assert listed["hits"] == 2


def test_a_status_rule_touches_only_deliveries_of_that_status(hooked: tuple[TestClient, Receiver]) -> None:
    client, receiver = hooked
    says(client, "hi")
    fault(client, {"status": "read"}, {"duplicate": 2})
    api_send = client.post("/v1/messages", json={"to": USER, "type": "text", "text": {"body": "yo"}})
    assert api_send.status_code == 201
    drain(client, lenient=True)
    statuses = [s["status"] for s in receiver.statuses()]
    assert statuses == ["delivered", "read", "read", "read"]


def test_webhook_faults_drawn_by_probability_are_the_same_under_the_same_seed() -> None:
    def pattern(seed: int) -> list[bool]:
        settings = Settings(seed=seed)
        with emulator_with_receiver(settings, clock=EmulatorClock(base=lambda: T0)) as (client, _):
            fault(client, {}, {"duplicate": 1}, probability=0.5)
            for n in range(16):
                says(client, f"m{n}")
            drain(client, lenient=True)
            return [bool(d.get("faults")) for d in log(client) if "duplicate_of" not in d]

    first = pattern(11)
    assert first == pattern(11)
    assert True in first and False in first
