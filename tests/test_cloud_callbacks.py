"""Cloud callbacks (cloud-api.md §7.3, §9.1-9.2): the handshake, signatures, overrides and their routing."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from emulator.settings import Settings
from tests.cloud_clients import body_of, pywa_update, sign
from tests.receiver import HOOK, Receiver, drain, emulator_with_receiver

USER = "16505551234"
CLOUD = Settings(seed=7, webhook_format="cloud")
TOKEN = {"Authorization": "Bearer wa-emulator-token"}
PHONE = "/v22.0/106540352242922"
WABA = "/v22.0/102290129340398"
OVERRIDE = "http://override.test/hook"


def say(client: TestClient, text: str = "hi") -> None:
    response = client.post(f"/_emulator/users/{USER}/messages", json={"type": "text", "text": {"body": text}})
    assert response.status_code == 200, response.text


def webhooks(client: TestClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/_emulator/webhooks").json()["webhooks"]
    return found


def test_the_first_post_to_a_callback_follows_the_handshake_with_the_verify_token() -> None:
    with emulator_with_receiver(CLOUD) as (client, receiver):
        say(client)
        say(client, "again")
        drain(client)
        assert len(receiver.handshakes) == 1  # once per URL and token, not per delivery
        handshake = receiver.handshakes[0]
        assert handshake["hub.mode"] == "subscribe"
        assert handshake["hub.verify_token"] == "wa-emulator-verify-token"
        assert handshake["hub.challenge"].isdigit()
        assert [m["text"]["body"] for m in receiver.messages()] == ["hi", "again"]


def test_a_callback_that_fails_the_handshake_gets_no_post_and_the_log_says_why() -> None:
    with emulator_with_receiver(CLOUD) as (client, receiver):
        receiver.verify_token = "the-bot-expects-another-token"
        say(client)
        drain(client, lenient=True)  # strict, it would answer 503: the delivery is failing
        assert receiver.payloads == []
        [delivery] = webhooks(client)
        assert delivery["state"] == "pending"
        attempt = delivery["attempts"][0]
        assert attempt["verification"] is True and attempt["status_code"] == 403
        assert "callback verification failed" in attempt["error"]
        receiver.verify_token = "wa-emulator-verify-token"  # the bot is fixed: the retry goes through
        client.post("/_emulator/clock", json={"advance": 10})
        drain(client)
        assert [m["text"]["body"] for m in receiver.messages()] == ["hi"]


def test_every_cloud_post_is_signed_over_its_exact_bytes_and_parses_in_pywa() -> None:
    with emulator_with_receiver(CLOUD) as (client, receiver):
        say(client, "héllo ✓")
        drain(client)
        [payload] = receiver.payloads
        body = body_of(payload)
        assert b"\\u00e9" in body  # non-ASCII escaped, as Meta signs it
        update = pywa_update(body, sign(body))
        assert update.text == "héllo ✓"
        assert receiver.invalid == []  # the Receiver refused any POST whose signature did not match


def test_a_phone_number_override_is_verified_then_routes_messages() -> None:
    with emulator_with_receiver(CLOUD) as (client, receiver):
        config = {"webhook_configuration": {"override_callback_uri": OVERRIDE, "verify_token": "phone-token"}}
        receiver.verify_token = "phone-token"
        assert client.post(PHONE, json=config, headers=TOKEN).json() == {"success": True}
        assert receiver.handshakes[-1]["hub.verify_token"] == "phone-token"
        view = client.get(PHONE + "?fields=webhook_configuration", headers=TOKEN).json()
        assert view["webhook_configuration"]["phone_number"] == OVERRIDE
        say(client)
        drain(client)
        assert webhooks(client)[-1]["url"] == OVERRIDE
        cleared = {"webhook_configuration": {"override_callback_uri": ""}}
        assert client.post(PHONE, json=cleared, headers=TOKEN).json() == {"success": True}
        receiver.verify_token = "wa-emulator-verify-token"
        say(client, "back")
        drain(client)
        assert webhooks(client)[-1]["url"] == HOOK


def test_an_override_that_fails_the_handshake_is_refused_with_2200_and_not_used() -> None:
    with emulator_with_receiver(CLOUD) as (client, _):
        config = {"webhook_configuration": {"override_callback_uri": OVERRIDE, "verify_token": "wrong"}}
        response = client.post(PHONE, json=config, headers=TOKEN)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == 2200 and "Callback verification failed" in error["error_data"]["details"]
        say(client)
        drain(client)
        assert webhooks(client)[-1]["url"] == HOOK


def test_a_waba_override_routes_unless_the_phone_number_has_its_own() -> None:
    with emulator_with_receiver(CLOUD) as (client, receiver):
        receiver.verify_token = "waba-token"
        body = {"override_callback_uri": "http://waba.test/hook", "verify_token": "waba-token"}
        assert client.post(WABA + "/subscribed_apps", json=body, headers=TOKEN).json() == {"success": True}
        apps = client.get(WABA + "/subscribed_apps", headers=TOKEN).json()["data"]
        assert apps[0]["override_callback_uri"] == "http://waba.test/hook"
        say(client)
        drain(client)
        assert webhooks(client)[-1]["url"] == "http://waba.test/hook"
        phone = {"webhook_configuration": {"override_callback_uri": OVERRIDE, "verify_token": "waba-token"}}
        client.post(PHONE, json=phone, headers=TOKEN)
        say(client, "to the phone override")
        drain(client)
        assert webhooks(client)[-1]["url"] == OVERRIDE
        assert client.delete(WABA + "/subscribed_apps", headers=TOKEN).json() == {"success": True}


def test_an_override_turns_onprem_webhooks_into_cloud_ones() -> None:
    with emulator_with_receiver(Settings(seed=7)) as (client, receiver):
        receiver.verify_token = "t"
        body = {"webhook_configuration": {"override_callback_uri": OVERRIDE, "verify_token": "t"}}
        assert client.post(PHONE, json=body, headers=TOKEN).status_code == 200
        say(client)
        drain(client)
        assert receiver.payloads[-1]["object"] == "whatsapp_business_account"


def test_receiver_refuses_a_bad_signature() -> None:
    """The test receiver itself must catch a wrong signature, or the tests above prove nothing."""
    import httpx

    receiver = Receiver()
    payload = {"object": "whatsapp_business_account", "entry": []}
    request = httpx.Request("POST", HOOK, content=body_of(payload), headers={"x-hub-signature-256": "sha256=00"})
    assert receiver.handle(request).status_code == 401
    assert receiver.invalid


def test_an_override_with_no_host_is_refused_with_2200_not_a_500() -> None:
    """Found by the property-based run: ``http:///`` reached the HTTP client, which raised."""
    with emulator_with_receiver(CLOUD) as (client, _):
        body = {"webhook_configuration": {"override_callback_uri": "http:///", "verify_token": "t"}}
        response = client.post(PHONE, json=body, headers=TOKEN)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] in (2200, 131009, 100)
