"""The pytest plugin with a Cloud API bot: ``wa_emulator.cloud`` configures it, the helpers work unchanged.

The example bot runs in Cloud mode against the plugin's emulator and sets itself as the phone number's
webhook override (``--register-webhook``): the emulator verifies it with the handshake, then posts it
signed Cloud webhooks. The override is cleared afterwards, so other modules get the /v1 bot's webhook back.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import httpx
import pytest

from emulator.replay.testing import CloudAccount, WaEmulator
from tests.process import running_process
from tests.replay_bots import ECHO_BOT, ROOT

ORDER = ROOT / "fixtures" / "conversations" / "order_pizza.yaml"


@pytest.fixture(scope="module")
def cloud(wa_emulator_url: str) -> Iterator[CloudAccount]:
    """The example bot in Cloud mode, configured from ``wa_emulator.cloud``, its webhook registered by itself."""
    emulator = WaEmulator(wa_emulator_url)
    account = emulator.cloud
    argv = [sys.executable, str(ECHO_BOT), "--api", "cloud", "--base-url", account.base_url, "--port", "0"]
    argv += ["--phone-number-id", account.phone_number_id, "--access-token", account.access_token]
    argv += ["--app-secret", account.app_secret, "--verify-token", account.verify_token, "--register-webhook"]
    try:
        with running_process(argv, r"bot listening on (http://\S+)") as process:
            try:
                yield account
            finally:
                print("--- bot output ---", *process.output, sep="\n")
    finally:
        clear = {"webhook_configuration": {"override_callback_uri": ""}}
        headers = {"Authorization": f"Bearer {account.access_token}"}
        httpx.post(f"{account.base_url}/v22.0/{account.phone_number_id}", json=clear, headers=headers)
        emulator.close()


def test_the_fixture_exposes_the_cloud_account_beside_the_url(wa_emulator: WaEmulator) -> None:
    assert wa_emulator.cloud == CloudAccount(
        base_url=wa_emulator.url,
        phone_number_id="106540352242922",
        waba_id="102290129340398",
        access_token="wa-emulator-token",
        app_secret="wa-emulator-app-secret",
        verify_token="wa-emulator-verify-token",
    )
    assert wa_emulator.cloud.messages_url == f"{wa_emulator.url}/v22.0/106540352242922/messages"


def test_a_whole_cloud_conversation_with_the_helpers(cloud: CloudAccount, wa_emulator: WaEmulator) -> None:
    user = wa_emulator.user("15550001111")
    user.send_text("hi")
    welcome = user.expect(type="interactive", buttons=["menu", "help"], timeout=5)
    assert welcome.id.startswith("wamid.") and welcome.payload["messaging_product"] == "whatsapp"
    assert welcome.text == "Hi Alice Martin! What would you like to do?"
    user.tap(welcome, "menu")
    menu = user.expect(type="interactive", rows=["pizza", "pasta", "salad"])
    user.select(menu, "Pasta al pomodoro")
    order = user.expect(type="template", template={"name": "order_confirmation", "language": "en_US"})
    user.quick_reply(order, "Talk to an agent")
    user.expect(type="text", text=r"re:^Thanks, agent:#PASTA-\d+ noted$")
    wa_emulator.clock.advance(hours=25)
    user.share_location(52.52, 13.405)
    assert user.expect(type="text").text == "You are at 52.52, 13.405"
    wa_emulator.drain()
    deliveries = wa_emulator.session.call("GET", "/_emulator/webhooks")["webhooks"]
    assert deliveries and all(d["payload"]["object"] == "whatsapp_business_account" for d in deliveries)
    assert all(d["state"] == "delivered" for d in deliveries), deliveries


def test_a_failure_is_expected_with_either_api_s_code(cloud: CloudAccount, wa_emulator: WaEmulator) -> None:
    user = wa_emulator.user("15550200001")  # the "receiver incapable" range
    user.send_text("hi")
    assert user.expect(type="interactive", failed=1026).failed == 131026


def test_run_script_replays_a_fixture_against_the_cloud_bot(cloud: CloudAccount, wa_emulator: WaEmulator) -> None:
    wa_emulator.run_script(ORDER)


def test_a_test_can_play_the_cloud_bot_with_the_account(wa_emulator: WaEmulator) -> None:
    account = wa_emulator.cloud
    body = {"messaging_product": "whatsapp", "to": "15550003333", "type": "text", "text": {"body": "Hello!"}}
    headers = {"Authorization": f"Bearer {account.access_token}"}
    sent = httpx.post(account.messages_url, json=body, headers=headers)
    assert sent.status_code == 200, sent.text
    message = wa_emulator.user("15550003333").expect(type="text", text="Hello!", failed=131047)  # no window yet
    assert message.id == sent.json()["messages"][0]["id"]
