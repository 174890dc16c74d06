"""Faults end to end: the emulator and the example bot as real processes; the bot meets exactly what each rule says.

The example bot tries a call again on 429/5xx, a dropped connection or a timeout, and answers a
message delivered twice only once: each test makes one of those happen and checks what the bot did.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.process import running_emulator, running_process

BOT = Path(__file__).resolve().parents[1] / "examples" / "echo_bot" / "bot.py"
USER = "15550001111"
WAIT_S = 10.0
SEND = {"api": "onprem", "method": "POST", "path": "/v1/messages"}


@pytest.fixture(scope="module")
def control() -> Iterator[httpx.Client]:
    """The emulator and the bot (one API call may take 1 s), for the whole module; a control-API client."""
    with running_emulator(["--seed", "1"]) as emulator:
        argv = [sys.executable, str(BOT), "--api", emulator.url, "--port", "0", "--api-timeout", "1"]
        with running_process(argv, r"bot listening on (http://\S+)") as bot:
            try:
                with httpx.Client(base_url=emulator.url, timeout=WAIT_S + 5) as client:
                    yield client
            finally:
                print("--- bot output ---", *bot.output, sep="\n")  # shown by pytest if a test failed
        print("--- emulator output ---", *emulator.output, sep="\n")


@pytest.fixture
def emulator(control: httpx.Client) -> httpx.Client:
    """The emulator reset before each test: no messages, no deliveries, no fault rules; the bot's webhook kept."""
    assert control.post("/_emulator/reset").status_code == 200
    return control


def fault(client: httpx.Client, body: dict[str, Any]) -> str:
    response = client.post("/_emulator/faults", json=body)
    assert response.status_code == 201, response.text
    rule_id: str = response.json()["fault"]["id"]
    return rule_id


def rule(client: httpx.Client, rule_id: str) -> dict[str, Any]:
    found: dict[str, Any] = client.get(f"/_emulator/faults/{rule_id}").json()["fault"]
    return found


def says(client: httpx.Client, text: str) -> str:
    answer = client.post(f"/_emulator/users/{USER}/messages", json={"type": "text", "text": {"body": text}})
    assert answer.status_code == 200, answer.text
    message_id: str = answer.json()["message"]["id"]
    return message_id


def replies(client: httpx.Client, count: int) -> list[str]:
    """The bot's texts to the user once there are at least ``count`` (long-polled, with a deadline)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        found = client.get("/_emulator/messages", params={"to": USER}).json()["messages"]
        if len(found) >= count or time.monotonic() > deadline:
            return [m["payload"]["text"]["body"] for m in found]
        params: dict[str, Any] = {"to": USER, "wait": 1}
        if found:
            params["after"] = found[-1]["id"]
        client.get("/_emulator/messages", params=params)  # a long-poll: back as soon as another one comes


def settle(client: httpx.Client) -> list[dict[str, Any]]:
    """Every delivery once none can go out now (lenient: a rule may hold one back on purpose)."""
    assert client.post("/_emulator/webhooks/drain", params={"timeout": WAIT_S, "lenient": "true"}).status_code == 200
    log: list[dict[str, Any]] = client.get("/_emulator/webhooks").json()["webhooks"]
    return log


def poll_hits(client: httpx.Client, rule_id: str, hits: int) -> dict[str, Any]:
    """The rule once it has fired ``hits`` times (the bot's calls are its own: poll with a deadline)."""
    deadline = time.monotonic() + WAIT_S
    while (found := rule(client, rule_id))["hits"] < hits and time.monotonic() < deadline:
        time.sleep(0.02)  # polling another process with a deadline
    return found


def test_a_503_1011_is_retried_by_the_bot_and_the_reply_goes_out_once(emulator: httpx.Client) -> None:
    rule_id = fault(emulator, {"match": SEND, "action": {"error": 1011}, "times": 1})
    says(emulator, "hello")
    assert replies(emulator, 1) == ["You said: hello"]
    assert (rule(emulator, rule_id)["hits"], rule(emulator, rule_id)["active"]) == (1, False)


def test_a_bot_that_meets_only_429s_gives_up_after_its_retries(emulator: httpx.Client) -> None:
    rule_id = fault(emulator, {"match": SEND, "action": {"status": 429}})
    says(emulator, "hello")
    assert poll_hits(emulator, rule_id, 4)["hits"] == 4  # the first try and three more: the bot's limit
    emulator.delete(f"/_emulator/faults/{rule_id}")
    says(emulator, "again")
    assert replies(emulator, 1) == ["You said: again"]  # and "hello" was never answered


def test_a_dropped_connection_then_a_timeout_are_both_retried(emulator: httpx.Client) -> None:
    dropped = fault(emulator, {"match": SEND, "action": {"drop": True}, "times": 1})
    hung = fault(emulator, {"match": SEND, "action": {"timeout": True}, "times": 1})
    says(emulator, "are you there?")
    assert replies(emulator, 1) == ["You said: are you there?"]
    assert rule(emulator, dropped)["hits"] == 1 and rule(emulator, hung)["hits"] == 1


def test_a_duplicated_webhook_reaches_the_bot_twice_and_is_answered_once(emulator: httpx.Client) -> None:
    fault(emulator, {"match": {"api": "webhook", "type": "message"}, "action": {"duplicate": 1}, "times": 1})
    message_id = says(emulator, "only once please")
    says(emulator, "and this")
    assert replies(emulator, 2) == ["You said: only once please", "You said: and this"]
    carrying = [d for d in settle(emulator) if (d["payload"] or {}).get("messages")]
    twice = [d for d in carrying if d["payload"]["messages"][0]["id"] == message_id]
    assert [d["attempts"][-1]["status_code"] for d in twice] == [200, 200]  # the bot took both


def test_a_reordered_webhook_reaches_the_bot_after_the_next_one(emulator: httpx.Client) -> None:
    fault(emulator, {"match": {"api": "webhook", "type": "message"}, "action": {"reorder": True}, "times": 1})
    says(emulator, "first")
    says(emulator, "second")
    assert replies(emulator, 2) == ["You said: second", "You said: first"]


def test_a_delayed_webhook_reaches_the_bot_only_when_its_time_comes(emulator: httpx.Client) -> None:
    fault(emulator, {"match": {"api": "webhook"}, "action": {"delay_s": 600}, "times": 1})
    says(emulator, "later")
    (delivery,) = settle(emulator)
    assert delivery["state"] == "pending" and delivery["attempts"] == []
    emulator.post("/_emulator/clock", json={"advance": 600})
    assert replies(emulator, 1) == ["You said: later"]


def test_a_receiver_outage_then_a_dropped_first_attempt_and_the_bot_answers_each_message_once(
    emulator: httpx.Client,
) -> None:
    outage = fault(emulator, {"match": {"api": "webhook"}, "action": {"outage_s": 300}})
    says(emulator, "anyone?")
    (delivery,) = settle(emulator)
    assert delivery["state"] == "pending" and delivery["attempts"][0]["injected"] is True
    emulator.post("/_emulator/clock", json={"advance": 301})
    assert replies(emulator, 1) == ["You said: anyone?"]
    emulator.delete(f"/_emulator/faults/{outage}")
    fault(emulator, {"match": {"api": "webhook", "type": "message"}, "action": {"drop_first": True}, "times": 1})
    says(emulator, "once more")
    assert settle(emulator)[-1]["attempts"][0]["injected"] is True
    emulator.post("/_emulator/clock", json={"advance": 3})  # the retry after the dropped attempt comes due
    assert replies(emulator, 2) == ["You said: anyone?", "You said: once more"]
