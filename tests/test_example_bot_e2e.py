"""End to end: the emulator and the example bot as real processes on loopback, driven by the control API.

The bot runs in each of its modes: On-Premises (it logs in and registers its webhook) and Cloud (the
emulator posts signed Cloud webhooks to ``--webhook-url`` after the verification handshake).
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.cloud_clients import body_of, sign
from tests.process import RunningProcess, running_emulator, running_process
from tests.webhook_schemas import assert_valid_webhook

BOT = Path(__file__).resolve().parents[1] / "examples" / "echo_bot" / "bot.py"
USER = "15550001111"
WAIT_S = 10  # long-poll of GET /_emulator/messages


@dataclass
class Setup:
    """A control-API client of the running emulator, and the bot's webhook URL."""

    control: httpx.Client
    webhook_url: str


@pytest.fixture
def setup() -> Iterator[Setup]:
    """The emulator, then the bot logged in to it with its webhook registered; both stopped after."""
    with running_emulator(["--seed", "1"]) as emulator:
        argv = [sys.executable, str(BOT), "--api", emulator.url, "--port", "0", "--host", "127.0.0.1"]
        with (
            running_process(argv, r"bot listening on (http://\S+)") as bot,
            httpx.Client(base_url=emulator.url, timeout=WAIT_S + 5) as control,
        ):
            try:
                yield Setup(control, bot.ready.group(1) + "/webhook")
            finally:
                print("--- bot output ---", *bot.output, sep="\n")  # shown by pytest if the test failed
        print("--- emulator output ---", *emulator.output, sep="\n")


def user_sends(setup: Setup, message: dict[str, Any]) -> dict[str, Any]:
    """POST /_emulator/users/USER/messages: the simulated user sends ``message``; the inbound message."""
    response = setup.control.post(f"/_emulator/users/{USER}/messages", json=message)
    assert response.status_code in (200, 201), response.text
    inbound: dict[str, Any] = response.json()["message"]
    assert inbound["from"] == USER and inbound["type"] == message["type"] and inbound["id"], inbound
    if "context" in message:
        assert inbound["context"]["id"] == message["context"]["id"], inbound
    return inbound


def bot_reply(setup: Setup, message_type: str, after: str | None = None) -> dict[str, Any]:
    """The bot's first message of ``message_type`` to USER (after message ``after``), long-polled."""
    params: dict[str, Any] = {"to": USER, "type": message_type, "wait": WAIT_S}
    if after is not None:
        params["after"] = after
    response = setup.control.get("/_emulator/messages", params=params)
    assert response.status_code == 200, response.text
    messages: list[dict[str, Any]] = response.json()["messages"]
    assert messages, f"no {message_type} message to {USER} after {after} within {WAIT_S} s"
    return messages[0]


def quick_reply_payload(record: dict[str, Any]) -> str:
    """The payload the bot gave the template's quick-reply button, checked against the hydrated record."""
    (button,) = [c for c in record["payload"]["template"]["components"] if c["type"].lower() == "button"]
    assert button["sub_type"].lower() == "quick_reply"
    payload: str = button["parameters"][0]["payload"]
    hydrated = record.get("hydrated")
    if hydrated is not None:
        assert payload in [b.get("payload") for b in hydrated["buttons"]], hydrated
    return payload


def settled_deliveries(setup: Setup) -> list[dict[str, Any]]:
    """The delivery log (GET /_emulator/webhooks) once due statuses went out and deliveries settled."""
    drained = setup.control.post("/_emulator/webhooks/drain", params={"timeout": WAIT_S})
    assert drained.status_code == 200, drained.text
    response = setup.control.get("/_emulator/webhooks")
    assert response.status_code == 200, response.text
    webhooks: list[dict[str, Any]] = response.json()["webhooks"]
    return webhooks


def carried_message_ids(delivery: dict[str, Any]) -> set[str]:
    """Ids of the inbound messages a delivery's payload carried."""
    return {m["id"] for m in (delivery["payload"] or {}).get("messages", [])}


def test_a_whole_conversation_reaches_the_bot_and_its_replies_come_back(setup: Setup) -> None:
    hi = user_sends(setup, {"type": "text", "text": {"body": "hi"}})
    buttons = bot_reply(setup, "interactive")
    assert buttons["payload"]["interactive"]["type"] == "button"
    assert [b["reply"]["id"] for b in buttons["payload"]["interactive"]["action"]["buttons"]] == ["menu", "help"]

    tap = {"type": "button_reply", "button_reply": {"id": "menu"}}
    menu_tap = user_sends(setup, {"type": "interactive", "context": {"id": buttons["id"]}, "interactive": tap})
    menu = bot_reply(setup, "interactive", after=buttons["id"])
    assert menu["payload"]["interactive"]["type"] == "list"
    rows = [r["id"] for s in menu["payload"]["interactive"]["action"]["sections"] for r in s["rows"]]
    assert "pasta" in rows

    pick = {"type": "list_reply", "list_reply": {"id": "pasta"}}
    row_pick = user_sends(setup, {"type": "interactive", "context": {"id": menu["id"]}, "interactive": pick})
    template = bot_reply(setup, "template", after=menu["id"])
    assert template["payload"]["template"]["name"] == "order_confirmation"
    payload = quick_reply_payload(template)

    answer = {"type": "button", "context": {"id": template["id"]}, "button": {"payload": payload}}
    quick_reply = user_sends(setup, answer)
    thanks = bot_reply(setup, "text", after=template["id"])
    assert thanks["payload"]["text"]["body"] == f"Thanks, {payload} noted"

    inbound_ids = {m["id"] for m in (hi, menu_tap, row_pick, quick_reply)}
    log = settled_deliveries(setup)
    assert inbound_ids <= set().union(*(carried_message_ids(d) for d in log)), log
    assert any("statuses" in (d["payload"] or {}) for d in log), log  # the replies' statuses reached the bot too
    for delivery in log:
        assert delivery["state"] == "delivered", delivery
        assert delivery["url"] == setup.webhook_url, delivery
        assert len(delivery["attempts"]) == 1, delivery  # the bot answers at once: never retried
        assert delivery["attempts"][0]["status_code"] == 200, delivery


def test_any_other_text_is_echoed(setup: Setup) -> None:
    user_sends(setup, {"type": "text", "text": {"body": "hello there"}})
    echo = bot_reply(setup, "text")
    assert echo["payload"]["text"]["body"] == "You said: hello there"


def test_a_shared_location_is_answered_with_its_coordinates(setup: Setup) -> None:
    user_sends(setup, {"type": "location", "location": {"latitude": 40.78, "longitude": -73.96}})
    answer = bot_reply(setup, "text")
    assert answer["payload"]["text"]["body"] == "You are at 40.78, -73.96"


# --- Cloud mode -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class CloudSetup(Setup):
    """The Cloud-mode bot's process too (its log is complete once it has stopped)."""

    bot: RunningProcess


@contextmanager
def cloud_mode() -> Iterator[CloudSetup]:
    """The emulator posting Cloud webhooks to the bot's URL, and the bot in Cloud mode sending through Graph."""
    port = free_port()  # the bot's URL is a flag of the emulator, which the bot needs first: pick the port now
    webhook_url = f"http://127.0.0.1:{port}/webhook"
    flags = ["--seed", "1", "--webhook-format", "cloud", "--webhook-url", webhook_url]
    with running_emulator(flags) as emulator:
        argv = [sys.executable, str(BOT), "--api", "cloud", "--base-url", emulator.url, "--port", str(port)]
        try:
            with (
                running_process(argv, r"bot listening on (http://\S+)") as bot,
                httpx.Client(base_url=emulator.url, timeout=WAIT_S + 5) as control,
            ):
                yield CloudSetup(control, webhook_url, bot)
        finally:
            print("--- bot output ---", *bot.output, sep="\n")
            print("--- emulator output ---", *emulator.output, sep="\n")


def test_a_whole_cloud_conversation_with_signed_webhooks_the_bot_verifies() -> None:
    with cloud_mode() as cloud:
        inbound = cloud_conversation(cloud)
        log = settled_deliveries(cloud)
        for delivery in log:
            assert_valid_webhook(delivery["payload"], "cloud")
            assert delivery["state"] == "delivered" and delivery["url"] == cloud.webhook_url, delivery
            # the bot answers 401 to a signature it cannot verify: 200 at the first attempt means it verified it
            assert [a.get("status_code") for a in delivery["attempts"]] == [200], delivery
        values = [c["value"] for d in log for e in d["payload"]["entry"] for c in e["changes"]]
        assert [m["id"] for m in inbound] == [m["id"] for v in values for m in v.get("messages", [])]
        assert {s["status"] for v in values for s in v.get("statuses", [])} >= {"sent", "delivered", "read"}
        conversation = cloud.control.get(f"/_emulator/conversations/{USER}").json()["messages"]
        assert all(m["read_at"] is not None for m in conversation if m["direction"] == "inbound")  # read via Graph

        delivered = body_of(log[0]["payload"])
        tampered = delivered.replace(b'"hi"', b'"HI"')  # a delivered payload, changed on the way
        for headers in ({"X-Hub-Signature-256": sign(delivered)}, {}):
            answer = httpx.post(
                cloud.webhook_url, content=tampered, headers={"Content-Type": "application/json", **headers}
            )
            assert answer.status_code == 401, answer.text
    bot_log = "".join(cloud.bot.output)
    assert bot_log.count("webhook callback verified") == 1, bot_log  # the handshake, once, before the first POST
    assert bot_log.count("webhook refused") == 2, bot_log
    assert "You said: HI" not in bot_log


def cloud_conversation(cloud: CloudSetup) -> list[dict[str, Any]]:
    """hi, the menu, pasta, the quick reply, a location; each reply checked; the inbound messages."""
    hi = user_sends(cloud, {"type": "text", "text": {"body": "hi"}})
    buttons = bot_reply(cloud, "interactive")
    assert buttons["payload"]["messaging_product"] == "whatsapp"  # sent through the Cloud API
    assert [b["reply"]["id"] for b in buttons["payload"]["interactive"]["action"]["buttons"]] == ["menu", "help"]
    tap = {"type": "button_reply", "button_reply": {"id": "menu"}}
    menu_tap = user_sends(cloud, {"type": "interactive", "context": {"id": buttons["id"]}, "interactive": tap})
    menu = bot_reply(cloud, "interactive", after=buttons["id"])
    rows = [r["id"] for s in menu["payload"]["interactive"]["action"]["sections"] for r in s["rows"]]
    assert rows == ["pizza", "pasta", "salad"]
    pick = {"type": "list_reply", "list_reply": {"id": "pasta"}}
    row_pick = user_sends(cloud, {"type": "interactive", "context": {"id": menu["id"]}, "interactive": pick})
    template = bot_reply(cloud, "template", after=menu["id"])
    assert template["payload"]["template"]["language"] == {"code": "en_US"}
    assert template["hydrated"]["body"].startswith(
        "Hi Alice Martin, thanks for your order #PASTA-1 (Pasta al pomodoro)!"
    )
    payload = quick_reply_payload(template)
    answer = {"type": "button", "context": {"id": template["id"]}, "button": {"payload": payload}}
    quick_reply = user_sends(cloud, answer)
    thanks = bot_reply(cloud, "text", after=template["id"])
    assert thanks["payload"]["text"]["body"] == f"Thanks, {payload} noted"
    where = user_sends(cloud, {"type": "location", "location": {"latitude": 40.78, "longitude": -73.96}})
    assert bot_reply(cloud, "text", after=thanks["id"])["payload"]["text"]["body"] == "You are at 40.78, -73.96"
    replies = cloud.control.get("/_emulator/messages", params={"to": USER}).json()["messages"]
    assert len(replies) == 5
    assert all(r["id"].startswith("wamid.") and r["api"] == "cloud" for r in replies), replies
    inbound = [hi, menu_tap, row_pick, quick_reply, where]
    assert all(m["id"].startswith("wamid.") for m in inbound), inbound
    return inbound
