"""The example bot's logic, in process: its webhook app through TestClient, the /v1 API mocked."""

from __future__ import annotations

import asyncio
import datetime
import importlib.util
import json
import sys
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio.to_thread
import httpx
import pytest
from starlette.testclient import TestClient

BOT_PATH = Path(__file__).resolve().parents[1] / "examples" / "echo_bot" / "bot.py"
USER = "15550001111"


def _load_bot() -> ModuleType:
    spec = importlib.util.spec_from_file_location("echo_bot", BOT_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


echo_bot = _load_bot()


class FakeApi:
    """A /v1 API that records every request and answers like the On-Premises client."""

    def __init__(self, *, refuse_token: str | None = None, gate: threading.Event | None = None) -> None:
        self.requests: list[tuple[str, str, Any, str]] = []
        self.refuse_token = refuse_token
        self.gate = gate
        self._logins = 0
        self.answered_sends = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        auth = request.headers.get("authorization", "")
        self.requests.append((request.method, request.url.path, body, auth))
        path = request.url.path
        if path == "/v1/users/login":
            self._logins += 1
            token = {"token": f"token-{self._logins}", "expires_after": "2026-01-08 00:00:00+00:00"}
            return httpx.Response(200, json={"users": [token]})
        if auth == f"Bearer {self.refuse_token}":
            return httpx.Response(401, json={"errors": [{"code": 1005, "title": "Access denied"}]})
        if request.method == "POST" and path == "/v1/messages":
            if self.gate is not None:  # hold the send until the test lets it go
                await anyio.to_thread.run_sync(self.gate.wait)
            self.answered_sends += 1
            return httpx.Response(201, json={"messages": [{"id": f"gBEG-out-{self.answered_sends}"}]})
        return httpx.Response(200, json={})

    def sent(self) -> list[dict[str, Any]]:
        """Bodies of POST /v1/messages, in order."""
        return [body for method, path, body, _ in self.requests if (method, path) == ("POST", "/v1/messages")]

    def calls(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path, _, _ in self.requests]


def make_bot(api: FakeApi) -> Any:
    return echo_bot.Bot(httpx.AsyncClient(transport=httpx.MockTransport(api), base_url="http://api.test"))


def run(step: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(step())


def deliver(bot: Any, *payloads: Any) -> None:
    """POST each payload to the bot's webhook (each answered 200); leaving the app drains its worker."""
    with TestClient(bot.app()) as client:
        for payload in payloads:
            response = client.post("/webhook", json=payload)
            assert response.status_code == 200, response.text


def inbound(message_type: str, message_id: str = "ABGG-in-1", **fields: Any) -> dict[str, Any]:
    """An On-Premises webhook payload with one message from USER."""
    message = {"from": USER, "id": message_id, "timestamp": "1767225600", "type": message_type, **fields}
    return {"contacts": [{"profile": {"name": "Alice Martin"}, "wa_id": USER}], "messages": [message]}


def test_login_keeps_the_token_and_registers_the_webhook() -> None:
    api = FakeApi()
    bot = make_bot(api)

    async def start() -> None:
        await bot.login()
        await bot.register_webhook("http://127.0.0.1:8080/webhook")

    run(start)
    (login, patch) = api.requests
    assert login[:2] == ("POST", "/v1/users/login") and login[3].startswith("Basic ")
    assert patch == (
        "PATCH",
        "/v1/settings/application",
        {"webhooks": {"url": "http://127.0.0.1:8080/webhook"}},
        "Bearer token-1",
    )


def test_hi_in_any_case_gets_reply_buttons_and_the_message_is_marked_read() -> None:
    api = FakeApi()
    bot = make_bot(api)
    deliver(bot, inbound("text", text={"body": " Hi "}))
    assert api.requests[0][:3] == ("PUT", "/v1/messages/ABGG-in-1", {"status": "read"})
    (sent,) = api.sent()
    assert sent["to"] == USER and sent["type"] == "interactive"
    interactive = sent["interactive"]
    assert interactive["type"] == "button"
    assert interactive["body"]["text"] == "Hi Alice Martin! What would you like to do?"
    assert [b["reply"]["id"] for b in interactive["action"]["buttons"]] == ["menu", "help"]


def test_menu_button_gets_a_list_of_dishes() -> None:
    api = FakeApi()
    bot = make_bot(api)
    reply = {"type": "button_reply", "button_reply": {"id": "menu", "title": "See the menu"}}
    deliver(bot, inbound("interactive", context={"from": "15550000000", "id": "gBEG-1"}, interactive=reply))
    (sent,) = api.sent()
    assert sent["interactive"]["type"] == "list"
    sections = sent["interactive"]["action"]["sections"]
    assert 1 <= len(sections) <= 2
    assert [row["id"] for section in sections for row in section["rows"]] == ["pizza", "pasta", "salad"]


def test_help_button_gets_the_help_text() -> None:
    api = FakeApi()
    bot = make_bot(api)
    reply = {"type": "button_reply", "button_reply": {"id": "help", "title": "Help"}}
    deliver(bot, inbound("interactive", interactive=reply))
    assert api.sent() == [{"recipient_type": "individual", "to": USER, "type": "text", "text": {"body": echo_bot.HELP}}]


def test_list_reply_gets_the_order_confirmation_template_filled_from_the_row() -> None:
    api = FakeApi()
    bot = make_bot(api)
    reply = {"type": "list_reply", "list_reply": {"id": "pasta", "title": "Pasta al pomodoro"}}
    deliver(bot, inbound("interactive", interactive=reply))
    (sent,) = api.sent()
    template = sent["template"]
    assert (template["name"], template["language"]) == (
        "order_confirmation",
        {"policy": "deterministic", "code": "en_US"},
    )
    body, button = template["components"]
    texts = [p.get("text") or p.get("currency", p.get("date_time"))["fallback_value"] for p in body["parameters"]]
    day = datetime.date.today()
    assert texts == ["Alice Martin", "#PASTA-1 (Pasta al pomodoro)", "$12.50", f"{day:%A}, {day:%B} {day.day}"]
    assert body["parameters"][2]["currency"] == {"fallback_value": "$12.50", "code": "USD", "amount_1000": 12500}
    assert button == {
        "type": "button",
        "sub_type": "quick_reply",
        "index": "1",
        "parameters": [{"type": "payload", "payload": "agent:#PASTA-1"}],
    }


def test_template_quick_reply_is_thanked_with_its_payload_or_else_its_text() -> None:
    api = FakeApi()
    bot = make_bot(api)
    deliver(
        bot,
        inbound("button", "ABGG-in-1", button={"payload": "agent:#PASTA-1", "text": "Talk to an agent"}),
        inbound("button", "ABGG-in-2", button={"payload": None, "text": "Talk to an agent"}),
    )
    assert [m["text"]["body"] for m in api.sent()] == [
        "Thanks, agent:#PASTA-1 noted",
        "Thanks, Talk to an agent noted",
    ]


def test_location_is_answered_with_its_coordinates() -> None:
    api = FakeApi()
    bot = make_bot(api)
    deliver(bot, inbound("location", location={"latitude": 40.78, "longitude": -73.96}))
    assert [m["text"]["body"] for m in api.sent()] == ["You are at 40.78, -73.96"]


def test_other_text_is_echoed() -> None:
    api = FakeApi()
    bot = make_bot(api)
    deliver(bot, inbound("text", text={"body": "hello there"}))
    assert [m["text"]["body"] for m in api.sent()] == ["You said: hello there"]


def test_statuses_are_counted_and_never_answered() -> None:
    api = FakeApi()
    bot = make_bot(api)
    statuses = [
        {"id": "gBEG-out-1", "recipient_id": USER, "status": s, "timestamp": "1767225600"}
        for s in ("sent", "delivered", "read")
    ]
    deliver(bot, {"statuses": statuses[:2]}, {"statuses": statuses[2:]})
    assert api.requests == []
    assert bot.statuses_seen == 3


def test_a_refused_token_makes_the_bot_log_in_again_and_retry() -> None:
    api = FakeApi(refuse_token="token-1")
    bot = make_bot(api)
    run(bot.login)
    deliver(bot, inbound("text", text={"body": "hello"}))
    assert api.calls() == [
        ("POST", "/v1/users/login"),
        ("PUT", "/v1/messages/ABGG-in-1"),
        ("POST", "/v1/users/login"),
        ("PUT", "/v1/messages/ABGG-in-1"),
        ("POST", "/v1/messages"),
    ]
    assert api.requests[-1][3] == "Bearer token-2"


def test_the_webhook_answers_200_before_the_reply_is_sent() -> None:
    gate = threading.Event()
    api = FakeApi(gate=gate)
    bot = make_bot(api)
    with TestClient(bot.app()) as client:
        try:
            assert client.post("/webhook", json=inbound("text", text={"body": "slow"})).status_code == 200
            second = inbound("text", "ABGG-in-2", text={"body": "again"})
            assert client.post("/webhook", json=second).status_code == 200
            assert api.answered_sends == 0  # both answered while the first send is still held
        finally:
            gate.set()
    assert [m["text"]["body"] for m in api.sent()] == ["You said: slow", "You said: again"]


def test_a_webhook_that_is_not_json_is_answered_200_and_ignored() -> None:
    api = FakeApi()
    bot = make_bot(api)
    with TestClient(bot.app()) as client:
        response = client.post("/webhook", content=b"{not json", headers={"Content-Type": "application/json"})
        assert response.status_code == 200
    assert api.requests == []


def test_an_error_from_the_api_is_logged_and_the_bot_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    def failing(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(400, json={"errors": [{"code": 1009, "title": "Parameter value is not valid"}]})
        return httpx.Response(200, json={})

    bot = echo_bot.Bot(httpx.AsyncClient(transport=httpx.MockTransport(failing), base_url="http://api.test"))
    deliver(bot, inbound("text", text={"body": "one"}), inbound("text", "ABGG-in-2", text={"body": "two"}))
    assert sum("POST /v1/messages -> 400" in r.getMessage() for r in caplog.records) == 2


def test_a_throttled_or_failing_send_is_tried_again_until_it_goes_through() -> None:
    answers = [503, 429, 201]

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            status = answers.pop(0)
            return httpx.Response(status, json={"messages": [{"id": "gBEG-out-1"}]} if status == 201 else {})
        return httpx.Response(200, json={})

    bot = echo_bot.Bot(httpx.AsyncClient(transport=httpx.MockTransport(flaky), base_url="http://api.test"), backoff_s=0)
    deliver(bot, inbound("text", text={"body": "one"}))
    assert answers == []


def test_a_dropped_connection_is_tried_again_and_the_bot_gives_up_after_its_retries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    posts: list[str] = []

    def dropping(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            posts.append(request.url.path)
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return httpx.Response(200, json={})

    bot = echo_bot.Bot(
        httpx.AsyncClient(transport=httpx.MockTransport(dropping), base_url="http://api.test"), retries=2, backoff_s=0
    )
    deliver(bot, inbound("text", text={"body": "one"}))
    assert posts == ["/v1/messages"] * 3
    assert any("handling a webhook failed" in r.getMessage() for r in caplog.records)


def test_a_message_delivered_twice_is_answered_once() -> None:
    api = FakeApi()
    bot = make_bot(api)
    message = inbound("text", text={"body": "once"})
    deliver(bot, message, message)
    assert [m["text"]["body"] for m in api.sent()] == ["You said: once"]
    assert bot.duplicates_seen == 1
