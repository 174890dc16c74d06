"""The example bot's Cloud mode, in process: envelopes parsed, signatures checked, the handshake, Graph calls.

Its webhook app runs through TestClient and the Graph API is an ``httpx.MockTransport`` that checks
every body against the emulator's own Cloud request schemas. Webhook bodies are signed as the
emulator signs them (``emulator.webhooks.sender``) and are valid Cloud webhooks (``schemas/webhooks/cloud``).
"""

from __future__ import annotations

import asyncio
import datetime
import json
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from emulator.resources import data_dir
from emulator.schemas import SchemaSet
from emulator.webhooks.sender import encode, signature
from tests.replay_bots import load_echo_bot
from tests.webhook_schemas import assert_valid_webhook

echo_bot = load_echo_bot()
USER = "15550001111"
PHONE_NUMBER_ID = "106540352242922"
SECRET = "wa-emulator-app-secret"
VERIFY = "wa-emulator-verify-token"
MESSAGES = f"/v22.0/{PHONE_NUMBER_ID}/messages"
SCHEMAS = SchemaSet(data_dir("schemas"))


class FakeGraph:
    """A Graph API that records every request, checks its body like the emulator, and answers like Cloud."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, Any, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        self.requests.append((request.method, request.url.path, body, request.headers.get("authorization", "")))
        if request.url.path == MESSAGES and "status" in body:
            SCHEMAS.validate("cloud/mark_read.json", body)
            return httpx.Response(200, json={"success": True})
        if request.url.path == MESSAGES:
            SCHEMAS.validate("cloud/messages/message.json", body)
            sent = {"input": body["to"], "wa_id": body["to"]}
            return httpx.Response(
                200, json={"messaging_product": "whatsapp", "contacts": [sent], "messages": [{"id": "wamid.out"}]}
            )
        SCHEMAS.validate("cloud/webhook_configuration.json", body)
        return httpx.Response(200, json={"success": True})

    def sent(self) -> list[dict[str, Any]]:
        """Bodies of the sends (not the read receipts), in order."""
        return [b for m, p, b, _ in self.requests if (m, p) == ("POST", MESSAGES) and "type" in b]


def make_bot(graph: FakeGraph, app_secret: str = SECRET) -> Any:
    client = httpx.AsyncClient(transport=httpx.MockTransport(graph), base_url="http://graph.test")
    return echo_bot.CloudBot(
        client, phone_number_id=PHONE_NUMBER_ID, access_token="tok-1", app_secret=app_secret, verify_token=VERIFY
    )


def envelope(value: dict[str, Any]) -> dict[str, Any]:
    """A Cloud webhook: ``value`` (messages or statuses) in the object/entry/changes envelope."""
    metadata = {"display_phone_number": "15550000000", "phone_number_id": PHONE_NUMBER_ID}
    change = {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": metadata, **value}}
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [change]}]}
    assert_valid_webhook(payload, "cloud")
    return payload


def inbound(message_type: str, message_id: str = "wamid.in-1", **fields: Any) -> dict[str, Any]:
    """A Cloud webhook with one message from USER (Alice Martin)."""
    message = {"from": USER, "id": message_id, "timestamp": "1767225600", "type": message_type, **fields}
    contact = {"profile": {"name": "Alice Martin"}, "wa_id": USER, "user_id": "US.1000000000000000001"}
    return envelope({"contacts": [contact], "messages": [message]})


def post(client: TestClient, payload: dict[str, Any], secret: str = SECRET) -> httpx.Response:
    """POST a webhook signed as the emulator signs it (the exact bytes, keyed by the app secret)."""
    body = encode(payload)
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature(body, secret)}
    return client.post("/webhook", content=body, headers=headers)


def deliver(bot: Any, *payloads: dict[str, Any]) -> None:
    """POST each signed payload (each answered 200); leaving the app drains the bot's worker."""
    with TestClient(bot.app()) as client:
        for payload in payloads:
            response = post(client, payload)
            assert response.status_code == 200, response.text


def test_hi_is_marked_read_with_typing_and_answered_with_reply_buttons_through_graph() -> None:
    graph = FakeGraph()
    deliver(make_bot(graph), inbound("text", text={"body": "Hi"}))
    (read, send) = graph.requests
    assert read == (
        "POST",
        MESSAGES,
        {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.in-1",
            "typing_indicator": {"type": "text"},
        },
        "Bearer tok-1",
    )
    assert send[:2] == ("POST", MESSAGES) and send[3] == "Bearer tok-1"
    body = send[2]
    assert {k: body[k] for k in ("messaging_product", "recipient_type", "to", "type")} == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": USER,
        "type": "interactive",
    }
    assert body["interactive"] == echo_bot.welcome("Alice Martin")


def test_the_cloud_conversation_is_the_on_prem_one() -> None:
    graph = FakeGraph()
    tap = {"type": "button_reply", "button_reply": {"id": "menu", "title": "See the menu"}}
    pick = {"type": "list_reply", "list_reply": {"id": "pasta", "title": "Pasta al pomodoro"}}
    context = {"from": "15550000000", "id": "wamid.out"}
    deliver(
        make_bot(graph),
        inbound("interactive", "wamid.in-1", context=context, interactive=tap),
        inbound("interactive", "wamid.in-2", context=context, interactive=pick),
        inbound("button", "wamid.in-3", context=context, button={"payload": "agent:#PASTA-1", "text": "Talk"}),
        inbound("location", "wamid.in-4", location={"latitude": 40.78, "longitude": -73.96}),
        inbound("text", "wamid.in-5", text={"body": "hello there"}),
        inbound(
            "audio",
            "wamid.in-6",
            audio={"id": "1", "mime_type": "audio/ogg", "sha256": "x", "url": "http://m/1", "voice": True},
        ),
    )
    menu, template, *texts = graph.sent()
    assert menu["interactive"] == echo_bot.menu()
    day = datetime.date.today()
    assert template["template"] == echo_bot.order_confirmation("Alice Martin", "pasta", 1, day, {"code": "en_US"})
    assert [t["text"]["body"] for t in texts] == [
        "Thanks, agent:#PASTA-1 noted",
        "You are at 40.78, -73.96",
        "You said: hello there",
        f"Sorry, I cannot read audio messages yet. {echo_bot.HELP}",
    ]


def test_statuses_are_counted_and_never_answered() -> None:
    graph = FakeGraph()
    bot = make_bot(graph)
    contact = {"profile": {"name": "Alice Martin"}, "wa_id": USER, "user_id": "US.1000000000000000001"}
    statuses = [
        {"id": "wamid.out", "recipient_id": USER, "status": s, "timestamp": "1767225600"} for s in ("sent", "read")
    ]
    deliver(bot, envelope({"contacts": [contact], "statuses": statuses}))
    assert graph.requests == [] and bot.statuses_seen == 2


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({}, "no signature"),
        ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, "a wrong signature"),
        ({"X-Hub-Signature-256": signature(encode({"object": "other"}), SECRET)}, "another body's signature"),
        ({"X-Hub-Signature-256": "sha1=abc"}, "a SHA-1 signature"),
        ({"X-Hub-Signature-256": "sha256=ü".encode("latin-1")}, "a non-ASCII header"),
    ],
)
def test_a_webhook_not_signed_with_the_app_secret_is_refused_with_401(headers: dict[str, Any], why: str) -> None:
    graph = FakeGraph()
    bot = make_bot(graph)
    with TestClient(bot.app()) as client:
        body = encode(inbound("text", text={"body": "hi"}))
        response = client.post("/webhook", content=body, headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 401, why
    assert graph.requests == [] and bot.refused == 1


def test_a_webhook_signed_with_another_secret_is_refused_and_the_right_one_accepted() -> None:
    graph = FakeGraph()
    bot = make_bot(graph, app_secret="the-real-secret")
    with TestClient(bot.app()) as client:
        assert post(client, inbound("text", text={"body": "one"})).status_code == 401
        assert post(client, inbound("text", text={"body": "two"}), secret="the-real-secret").status_code == 200
    assert [m["text"]["body"] for m in graph.sent()] == ["You said: two"]


def test_the_handshake_echoes_the_challenge_only_for_our_verify_token() -> None:
    bot = make_bot(FakeGraph())
    hub = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": VERIFY}
    with TestClient(bot.app()) as client:
        ok = client.get("/webhook", params=hub)
        assert (ok.status_code, ok.text) == (200, "1158201444")
        assert client.get("/webhook", params={**hub, "hub.verify_token": "guess"}).status_code == 403
        assert client.get("/webhook", params={**hub, "hub.mode": "unsubscribe"}).status_code == 403
        assert client.get("/webhook").status_code == 403
    assert bot.handshakes == 1


def test_a_payload_that_is_no_messages_envelope_is_acknowledged_and_ignored() -> None:
    graph = FakeGraph()
    bot = make_bot(graph)
    template_update = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "time": 1, "changes": [{"field": "message_template_status_update", "value": {}}]}],
    }
    on_prem = {"contacts": [{"wa_id": USER}], "messages": [{"from": USER, "id": "x", "type": "text"}]}
    deliver(bot, template_update, on_prem, {"object": "page", "entry": "nonsense"})
    with TestClient(bot.app()) as client:
        body = b"{not json"
        response = client.post("/webhook", content=body, headers={"X-Hub-Signature-256": signature(body, SECRET)})
        assert response.status_code == 200
    assert graph.requests == []


def test_register_webhook_sets_the_phone_number_override_with_the_verify_token() -> None:
    graph = FakeGraph()
    asyncio.run(make_bot(graph).register_webhook("http://127.0.0.1:8080/webhook"))
    config = {"override_callback_uri": "http://127.0.0.1:8080/webhook", "verify_token": VERIFY}
    assert graph.requests == [("POST", f"/v22.0/{PHONE_NUMBER_ID}", {"webhook_configuration": config}, "Bearer tok-1")]


def test_the_command_line_picks_the_api_and_keeps_the_older_api_url_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "from-env")
    cloud = echo_bot.parse_args(["--api", "cloud", "--base-url", "http://emu:9090", "--app-secret", "s"])
    assert (cloud.api, cloud.base_url, cloud.access_token, cloud.app_secret) == (
        "cloud",
        "http://emu:9090",
        "from-env",
        "s",
    )
    assert (cloud.phone_number_id, cloud.verify_token, cloud.graph_version) == (PHONE_NUMBER_ID, VERIFY, "v22.0")
    older = echo_bot.parse_args(["--api", "http://emu:9090"])
    assert (older.api, older.base_url) == ("onprem", "http://emu:9090")
    assert echo_bot.parse_args([]).api == "onprem"
    with pytest.raises(SystemExit):
        echo_bot.parse_args(["--api", "graph"])
