"""Bots for the replay tests: a tiny in-process one, and the example bot with a reply changed.

``python tests/replay_bots.py --say "You said:=You wrote:" --api URL --port 0`` runs the example bot
(examples/echo_bot/bot.py) with every text it sends rewritten: a new build whose reply changed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
ECHO_BOT = ROOT / "examples" / "echo_bot" / "bot.py"


class MiniBot:
    """Answers ``ping`` with ``pong``, ``buttons`` with reply buttons yes/no, ``shop`` with a product list and
    ``book`` with a flow, and says in a text what it got of anything else (an order, a reaction, a flow's
    answers, a product question, an ad, a number change); ``POST /remind?to=`` sends a text."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        self._token = ""
        self._tasks: set[asyncio.Task[None]] = set()

    def app(self) -> Starlette:
        """The bot's HTTP side: its webhook and a trigger for a message of its own."""
        return Starlette(
            routes=[
                Route("/webhook", self.webhook, methods=["POST"]),
                Route("/remind", self.remind, methods=["POST"]),
            ]
        )

    async def webhook(self, request: Request) -> Response:
        payload = await request.json()
        for message in payload.get("messages", []):
            task = asyncio.create_task(self.answer(message))  # answer 200 at once, as a real bot does
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return Response(status_code=200)

    async def remind(self, request: Request) -> Response:
        response = await self.send({"to": request.query_params["to"], "type": "text", "text": {"body": "reminder"}})
        return JSONResponse(response, status_code=200)

    async def answer(self, message: dict[str, Any]) -> None:
        said = (message.get("text") or {}).get("body", "")
        if said == "ping":
            await self.send({"to": message["from"], "type": "text", "text": {"body": "pong"}})
        elif said in INTERACTIVE:
            await self.send({"to": message["from"], "type": "interactive", "interactive": INTERACTIVE[said]})
        else:
            heard = noticed(message)
            if heard:
                to = (message.get("system") or {}).get("new_wa_id") or message["from"]
                await self.send({"to": to, "type": "text", "text": {"body": heard}})

    async def send(self, body: dict[str, Any]) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.api_url, timeout=10) as api:
            if not self._token:
                login = await api.post("/v1/users/login", auth=("admin", "secret"))
                self._token = login.json()["users"][0]["token"]
            response = await api.post("/v1/messages", json=body, headers={"Authorization": f"Bearer {self._token}"})
            answer: dict[str, Any] = response.json()
            return answer


INTERACTIVE: dict[str, dict[str, Any]] = {
    "buttons": {
        "type": "button",
        "body": {"text": "Sure?"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": i, "title": i.title()}} for i in ("yes", "no")]},
    },
    "shop": {
        "type": "product_list",
        "header": {"type": "text", "text": "Pizza"},
        "body": {"text": "Pick yours"},
        "action": {
            "catalog_id": "cat-1",
            "sections": [{"title": "All", "product_items": [{"product_retailer_id": "margherita"}]}],
        },
    },
    "book": {
        "type": "flow",
        "body": {"text": "Book a table"},
        "action": {
            "name": "flow",
            "parameters": {
                "flow_message_version": "3",
                "flow_token": "booking-1",
                "flow_id": "77",
                "flow_cta": "Book",
                "flow_action": "data_exchange",
            },
        },
    },
}


def noticed(message: dict[str, Any]) -> str:
    """What the mini bot says it got, for the kinds it does not answer otherwise ("" for none)."""
    if "referral" in message:
        return f"welcome from ad {message['referral']['source_id']}"
    kind = message["type"]
    context = message.get("context") or {}
    if kind == "order":
        return "order: " + ", ".join(
            f"{i['quantity']} {i['product_retailer_id']}" for i in message["order"]["product_items"]
        )
    if kind == "reaction":
        return f"reaction {message['reaction'].get('emoji', 'removed')}"
    if kind == "interactive" and message["interactive"]["type"] == "nfm_reply":
        return "booked " + message["interactive"]["nfm_reply"]["response_json"]
    if "referred_product" in context:
        return f"about {context['referred_product']['product_retailer_id']}"
    if kind == "system":
        return "new number noted"
    return ""


def load_echo_bot() -> ModuleType:
    """examples/echo_bot/bot.py as a module."""
    spec = importlib.util.spec_from_file_location("echo_bot", ECHO_BOT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def changed_echo_bot(argv: list[str]) -> None:
    """Run the example bot with ``--say OLD=NEW`` rewrites applied to every text it sends."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--say", action="append", default=[], metavar="OLD=NEW")
    args, rest = parser.parse_known_args(argv)
    changes = [tuple(change.split("=", 1)) for change in args.say]
    bot = load_echo_bot()
    original = bot.Bot.text

    async def text(self: Any, to: str, body: str) -> None:
        for old, new in changes:
            body = body.replace(old, new)
        await original(self, to, body)

    bot.Bot.text = text
    bot.main(rest)


if __name__ == "__main__":
    changed_echo_bot(sys.argv[1:])
