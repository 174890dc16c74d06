"""An example WhatsApp bot for the On-Premises API: menu buttons, a list, a template, echoes.

Run it against the emulator (or a real WhatsApp Business API client)::

    python examples/echo_bot/bot.py --api http://127.0.0.1:9090 --port 0

It logs in, serves ``POST /webhook``, registers that URL with ``PATCH /v1/settings/application``
and prints one line, ``bot listening on http://HOST:PORT``, once it is ready. Webhooks are answered
200 at once and handled one at a time by a worker, so a slow send never makes the API retry.

The unhappy paths a production bot must survive (the emulator's fault rules make them happen): a
call answered 429 or 5xx, a dropped connection or a timeout is tried again a few times with a
growing pause; a message delivered twice by the webhook (at-least-once delivery) is answered once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Json = dict[str, Any]

logger = logging.getLogger("echo_bot")

# id -> (row title, price in thousandths of a dollar, as template currency parameters count money)
MENU: dict[str, tuple[str, int]] = {
    "pizza": ("Pizza Margherita", 11_000),
    "pasta": ("Pasta al pomodoro", 12_500),
    "salad": ("Greek salad", 8_000),
}
SECTIONS = {"Mains": ["pizza", "pasta"], "Light": ["salad"]}
TEMPLATE = "order_confirmation"  # fixtures/templates.json: 4 body parameters; button 1 is a quick reply
AGENT_BUTTON_INDEX = "1"
HELP = 'Say "hi" for the menu, or share your location and I will tell you where you are.'
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})  # throttled or the server's trouble: worth another try
SEEN_LIMIT = 10_000  # inbound message ids remembered to spot a webhook delivered twice


class Bot:
    """The conversation logic and its HTTP client for the /v1 API."""

    def __init__(
        self,
        api: httpx.AsyncClient,
        username: str = "admin",
        password: str = "secret",
        *,
        retries: int = 3,
        backoff_s: float = 0.2,
    ) -> None:
        self.api = api
        self._credentials = (username, password)
        self._token = ""
        self._orders = 0
        self._retries = retries
        self._backoff_s = backoff_s
        self._seen: dict[str, None] = {}  # inbound message ids already handled, oldest first
        self.statuses_seen = 0
        self.duplicates_seen = 0
        self._inbox: asyncio.Queue[Json] | None = None

    async def login(self) -> None:
        """POST /v1/users/login with Basic auth; keep the bearer token."""
        response = await self.api.post("/v1/users/login", auth=self._credentials)
        response.raise_for_status()
        self._token = response.json()["users"][0]["token"]
        logger.info("logged in to %s", self.api.base_url)

    async def call(self, method: str, path: str, body: Json) -> httpx.Response:
        """One call, tried again on 429/5xx, a dropped connection or a timeout (with a growing pause)."""
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                response = await self._authenticated(method, path, body)
            except httpx.TransportError as exc:
                if last:
                    raise
                logger.warning("%s %s failed: %s; trying again", method, path, type(exc).__name__)
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    break
                logger.warning("%s %s -> %d %s; trying again", method, path, response.status_code, response.text)
            await asyncio.sleep(self._backoff_s * (attempt + 1))
        if response.is_error:
            logger.warning("%s %s -> %d %s", method, path, response.status_code, response.text)
        return response

    async def _authenticated(self, method: str, path: str, body: Json) -> httpx.Response:
        """One authenticated call; logs in again once if the token was refused (expired, revoked)."""
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._token}"}
            response = await self.api.request(method, path, json=body, headers=headers)
            if response.status_code != 401 or attempt == 2:
                break
            await self.login()
        return response

    async def register_webhook(self, url: str) -> None:
        """PATCH /v1/settings/application so that the API posts its webhooks to ``url``."""
        response = await self.call("PATCH", "/v1/settings/application", {"webhooks": {"url": url}})
        response.raise_for_status()
        logger.info("webhook registered: %s", url)

    async def send(self, to: str, kind: str, content: Json) -> None:
        """POST /v1/messages of type ``kind`` to ``to``."""
        body = {"recipient_type": "individual", "to": to, "type": kind, kind: content}
        response = await self.call("POST", "/v1/messages", body)
        if response.is_success:
            logger.info("sent %s to %s: %s", kind, to, response.json()["messages"][0]["id"])

    async def text(self, to: str, body: str) -> None:
        """Send a text message."""
        await self.send(to, "text", {"body": body})

    async def handle(self, payload: Json) -> None:
        """Handle one webhook payload: reply to each message, count statuses."""
        names = {c.get("wa_id"): c.get("profile", {}).get("name", "") for c in payload.get("contacts", [])}
        for message in payload.get("messages", []):
            if self._already_seen(message["id"]):
                self.duplicates_seen += 1
                logger.info("message %s delivered again: already answered", message["id"])
                continue
            await self.call("PUT", f"/v1/messages/{message['id']}", {"status": "read"})
            await self.reply(message, names.get(message["from"]) or "there")
        for status in payload.get("statuses", []):
            self.statuses_seen += 1
            logger.debug("status %s of %s (%d seen)", status["status"], status["id"], self.statuses_seen)

    def _already_seen(self, message_id: str) -> bool:
        """True for a message id handled before (webhooks are delivered at least once); remembers it."""
        if message_id in self._seen:
            return True
        self._seen[message_id] = None
        if len(self._seen) > SEEN_LIMIT:
            del self._seen[next(iter(self._seen))]
        return False

    async def reply(self, message: Json, name: str) -> None:
        """Answer one inbound message."""
        user, kind = message["from"], message["type"]
        logger.info("message %s from %s: %s", message["id"], user, kind)
        if kind == "text":
            said = message["text"]["body"]
            if said.strip().casefold() == "hi":
                await self.send(user, "interactive", welcome(name))
            else:
                await self.text(user, f"You said: {said}")
        elif kind == "interactive":
            await self.on_interactive(user, name, message["interactive"])
        elif kind == "button":  # a template's quick reply
            button = message["button"]
            await self.text(user, f"Thanks, {button.get('payload') or button.get('text')} noted")
        elif kind == "location":
            where = message["location"]
            await self.text(user, f"You are at {where['latitude']}, {where['longitude']}")
        else:
            await self.text(user, f"Sorry, I cannot read {kind} messages yet. {HELP}")

    async def on_interactive(self, user: str, name: str, interactive: Json) -> None:
        """A tapped reply button or a picked list row."""
        if interactive["type"] == "button_reply":
            choice = interactive["button_reply"]["id"]
            if choice == "menu":
                await self.send(user, "interactive", menu())
            else:
                await self.text(user, HELP)
        elif interactive["type"] == "list_reply":
            dish = interactive["list_reply"]["id"]
            if dish in MENU:
                self._orders += 1
                order = order_confirmation(name, dish, self._orders, datetime.date.today())
                await self.send(user, "template", order)
            else:
                await self.text(user, f"Sorry, {dish!r} is not on the menu.")

    async def webhook(self, request: Request) -> Response:
        """POST /webhook: queue the payload and answer 200 at once."""
        try:
            payload = await request.json()
        except ValueError:  # not JSON: a retry would not help, so it is acknowledged too
            payload = None
        if self._inbox is not None and isinstance(payload, dict):
            self._inbox.put_nowait(payload)
        else:
            logger.warning("webhook ignored: %r", payload)
        return Response(status_code=200)

    async def _work(self, inbox: asyncio.Queue[Json]) -> None:
        while True:
            payload = await inbox.get()
            try:
                await self.handle(payload)
            except Exception:  # one bad payload must not stop the bot
                logger.exception("handling a webhook failed")
            finally:
                inbox.task_done()

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """Run the worker while serving; on shutdown finish what was already received."""
        self._inbox = inbox = asyncio.Queue[Json]()
        worker = asyncio.create_task(self._work(inbox))
        try:
            yield
        finally:
            self._inbox = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(inbox.join(), timeout=10)
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    def app(self) -> Starlette:
        """The webhook receiver as an ASGI app."""
        return Starlette(routes=[Route("/webhook", self.webhook, methods=["POST"])], lifespan=self.lifespan)


def welcome(name: str) -> Json:
    """Interactive reply buttons: the menu, or help."""
    buttons = [("menu", "See the menu"), ("help", "Help")]
    return {
        "type": "button",
        "header": {"type": "text", "text": "Trattoria Bot"},
        "body": {"text": f"Hi {name}! What would you like to do?"},
        "action": {"buttons": [{"type": "reply", "reply": {"id": i, "title": t}} for i, t in buttons]},
    }


def menu() -> Json:
    """An interactive list of the dishes, in two sections."""
    sections = [
        {"title": title, "rows": [{"id": d, "title": MENU[d][0], "description": price(d)} for d in dishes]}
        for title, dishes in SECTIONS.items()
    ]
    return {
        "type": "list",
        "header": {"type": "text", "text": "Today's menu"},
        "body": {"text": "Pick a dish and we will confirm your order."},
        "footer": {"text": "Prices include VAT"},
        "action": {"button": "Choose a dish", "sections": sections},
    }


def order_confirmation(name: str, dish: str, number: int, day: datetime.date) -> Json:
    """The approved ``order_confirmation`` template, filled in for one dish delivered on ``day``."""
    order = f"#{dish.upper()}-{number}"
    charged = {"fallback_value": price(dish), "code": "USD", "amount_1000": MENU[dish][1]}
    body = [
        {"type": "text", "text": name},
        {"type": "text", "text": f"{order} ({MENU[dish][0]})"},
        {"type": "currency", "currency": charged},
        {"type": "date_time", "date_time": {"fallback_value": f"{day:%A}, {day:%B} {day.day}"}},
    ]
    agent = {"type": "payload", "payload": f"agent:{order}"}
    return {
        "name": TEMPLATE,
        "language": {"policy": "deterministic", "code": "en_US"},
        "components": [
            {"type": "body", "parameters": body},
            {"type": "button", "sub_type": "quick_reply", "index": AGENT_BUTTON_INDEX, "parameters": [agent]},
        ],
    }


def price(dish: str) -> str:
    """``$12.50``."""
    return f"${MENU[dish][1] / 1000:.2f}"


class _Server(uvicorn.Server):
    """uvicorn, with an event set once it accepts connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self.ready.set()


async def run(args: argparse.Namespace) -> None:
    """Log in, serve the webhook, register it, announce it, serve until stopped."""
    async with httpx.AsyncClient(base_url=args.api, timeout=args.api_timeout) as api:
        bot = Bot(api, args.username, args.password)
        await bot.login()
        config = uvicorn.Config(bot.app(), host=args.host, port=args.port, log_level="warning")
        server = _Server(config)
        serving = asyncio.create_task(server.serve())
        started = asyncio.create_task(server.ready.wait())
        await asyncio.wait({serving, started}, return_when=asyncio.FIRST_COMPLETED)
        if not server.ready.is_set():
            started.cancel()
            raise SystemExit("the webhook server did not start")
        host, port = server.servers[0].sockets[0].getsockname()[:2]
        base = f"http://{host}:{port}"
        await bot.register_webhook(args.public_url or f"{base}/webhook")
        print(f"bot listening on {base}", flush=True)
        await serving


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", default="http://127.0.0.1:9090", help="base URL of the /v1 API")
    parser.add_argument("--host", default="127.0.0.1", help="address the webhook server listens on")
    parser.add_argument("--port", type=int, default=8080, help="port of the webhook server (0: a free one)")
    parser.add_argument("--public-url", default="", help="webhook URL to register, if not HOST:PORT/webhook")
    parser.add_argument("--api-timeout", type=float, default=30.0, help="seconds one API call may take")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    for chatty in ("httpx", "httpcore"):  # a line (or ten) per request would drown the bot's own
        logging.getLogger(chatty).setLevel(logging.WARNING)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
