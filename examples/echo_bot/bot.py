"""An example WhatsApp bot for the Cloud API or the On-Premises API: menu buttons, a list, a template, echoes.

Run it against the emulator (or the real APIs)::

    python examples/echo_bot/bot.py --api onprem --base-url http://127.0.0.1:9090 --port 0
    python examples/echo_bot/bot.py --api cloud --base-url http://127.0.0.1:9090 --port 8080

On-Premises (``/v1``): it logs in, serves ``POST /webhook`` and registers that URL with ``PATCH
/v1/settings/application``. Cloud (Graph): it sends with a bearer access token, answers the callback
verification handshake on ``GET /webhook`` and refuses (401) every ``POST /webhook`` whose
``X-Hub-Signature-256`` is not the app secret's; its callback URL is set where the app is configured
(the emulator's ``--webhook-url`` with ``--webhook-format cloud``), or by the bot itself with
``--register-webhook`` (the phone number's override). Either way it prints one line, ``bot listening on
http://HOST:PORT``, once it is ready. Webhooks are answered 200 at once and handled one at a time by a
worker, so a slow send never makes the API retry. Both modes hold the same conversation.

The unhappy paths a production bot must survive (the emulator's fault rules make them happen): a
call answered 429 or 5xx, a dropped connection or a timeout is tried again a few times with a
growing pause; a message delivered twice by the webhook (at-least-once delivery) is answered once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import hashlib
import hmac
import json
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
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
GRAPH_VERSION = "v22.0"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})  # throttled or the server's trouble: worth another try
SEEN_LIMIT = 10_000  # inbound message ids remembered to spot a webhook delivered twice


class Bot:
    """The conversation logic, its webhook receiver, and its HTTP client for the On-Premises (/v1) API."""

    language: ClassVar[Json] = {"policy": "deterministic", "code": "en_US"}  # of the template it sends

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

    # --- the On-Premises API -------------------------------------------------------------------

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

    async def mark_read(self, message_id: str) -> None:
        """PUT /v1/messages/{id}: the blue ticks."""
        await self.call("PUT", f"/v1/messages/{message_id}", {"status": "read"})

    def inbound(self, payload: Json) -> Iterator[tuple[Json, str]]:
        """Each message a webhook payload carries, with its sender's profile name (the bare On-Prem object)."""
        names = {c.get("wa_id"): c.get("profile", {}).get("name", "") for c in payload.get("contacts", [])}
        for message in payload.get("messages", []):
            yield message, names.get(message.get("from"), "")

    def statuses(self, payload: Json) -> list[Json]:
        """The status notifications a webhook payload carries."""
        found: list[Json] = payload.get("statuses", [])
        return found

    def refuse(self, request: Request, body: bytes) -> Response | None:
        """Why a webhook POST is refused (an On-Premises one never is: it is not signed)."""
        return None

    # --- the conversation ----------------------------------------------------------------------

    async def text(self, to: str, body: str) -> None:
        """Send a text message."""
        await self.send(to, "text", {"body": body})

    async def handle(self, payload: Json) -> None:
        """Handle one webhook payload: reply to each message, count statuses."""
        for message, name in self.inbound(payload):
            if self._already_seen(message["id"]):
                self.duplicates_seen += 1
                logger.info("message %s delivered again: already answered", message["id"])
                continue
            await self.mark_read(message["id"])
            await self.reply(message, name or "there")
        for status in self.statuses(payload):
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
                order = order_confirmation(name, dish, self._orders, datetime.date.today(), self.language)
                await self.send(user, "template", order)
            else:
                await self.text(user, f"Sorry, {dish!r} is not on the menu.")

    # --- the webhook receiver ------------------------------------------------------------------

    async def webhook(self, request: Request) -> Response:
        """POST /webhook: queue the payload and answer 200 at once (unless ``refuse`` says no)."""
        body = await request.body()
        refused = self.refuse(request, body)
        if refused is not None:
            return refused
        try:
            payload = json.loads(body)
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

    def routes(self) -> list[Route]:
        """The webhook's routes."""
        return [Route("/webhook", self.webhook, methods=["POST"])]

    def app(self) -> Starlette:
        """The webhook receiver as an ASGI app."""
        return Starlette(routes=self.routes(), lifespan=self.lifespan)


class CloudBot(Bot):
    """The same conversation over the Cloud API: Graph calls with an access token, signed webhooks."""

    language: ClassVar[Json] = {"code": "en_US"}

    def __init__(
        self,
        api: httpx.AsyncClient,
        *,
        phone_number_id: str,
        access_token: str,
        app_secret: str,
        verify_token: str,
        graph_version: str = GRAPH_VERSION,
    ) -> None:
        super().__init__(api)
        self.node = f"/{graph_version}/{phone_number_id}"  # the business phone number's Graph node
        self.access_token = access_token
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.handshakes = 0  # verification handshakes answered
        self.refused = 0  # webhook POSTs refused for their signature

    async def login(self) -> None:
        """Nothing to do: a Cloud access token is given, not obtained."""

    async def _authenticated(self, method: str, path: str, body: Json) -> httpx.Response:
        """One Graph call with the bearer access token (``call`` tries it again on 429/5xx and timeouts)."""
        headers = {"Authorization": f"Bearer {self.access_token}"}
        return await self.api.request(method, path, json=body, headers=headers)

    async def register_webhook(self, url: str) -> None:
        """POST /{phone_number_id} ``webhook_configuration``: this bot as the number's callback override.

        The API verifies the URL first (a GET handshake this bot answers), so the bot must be serving.
        """
        config = {"override_callback_uri": url, "verify_token": self.verify_token}
        response = await self.call("POST", self.node, {"webhook_configuration": config})
        response.raise_for_status()
        logger.info("webhook override registered: %s", url)

    async def send(self, to: str, kind: str, content: Json) -> None:
        """POST /{phone_number_id}/messages of type ``kind`` to ``to``."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": kind, kind: content}
        response = await self.call("POST", f"{self.node}/messages", body)
        if response.is_success:
            logger.info("sent %s to %s: %s", kind, to, response.json()["messages"][0]["id"])

    async def mark_read(self, message_id: str) -> None:
        """Mark as read (the blue ticks) and show "typing…" until the reply arrives."""
        body = {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
        await self.call("POST", f"{self.node}/messages", {**body, "typing_indicator": {"type": "text"}})

    def inbound(self, payload: Json) -> Iterator[tuple[Json, str]]:
        """Each message of a Cloud envelope (``object``/``entry``/``changes``/``value``), with its sender's name."""
        for value in cloud_values(payload):
            names = {c.get("wa_id"): c.get("profile", {}).get("name", "") for c in value.get("contacts", [])}
            for message in value.get("messages", []):
                yield message, names.get(message.get("from"), "")

    def statuses(self, payload: Json) -> list[Json]:
        """The statuses of a Cloud envelope."""
        return [status for value in cloud_values(payload) for status in value.get("statuses", [])]

    def refuse(self, request: Request, body: bytes) -> Response | None:
        """401 unless X-Hub-Signature-256 is the app secret's signature of these exact bytes."""
        if valid_signature(body, request.headers.get("x-hub-signature-256"), self.app_secret):
            return None
        self.refused += 1
        logger.warning("webhook refused: its X-Hub-Signature-256 is not signed with the app secret")
        return PlainTextResponse("invalid X-Hub-Signature-256", status_code=401)

    async def verify(self, request: Request) -> Response:
        """GET /webhook: the verification handshake; echo ``hub.challenge`` if the verify token is ours."""
        query = request.query_params
        token = query.get("hub.verify_token", "")
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(token.encode(), self.verify_token.encode()):
            self.handshakes += 1
            logger.info("webhook callback verified (handshake %d)", self.handshakes)
            return PlainTextResponse(query.get("hub.challenge", ""))
        logger.warning("webhook verification refused: hub.mode %r, wrong hub.verify_token", query.get("hub.mode"))
        return PlainTextResponse("verification failed", status_code=403)

    def routes(self) -> list[Route]:
        """The webhook's routes: the signed POSTs and the verification GET."""
        return [*super().routes(), Route("/webhook", self.verify, methods=["GET"])]


def cloud_values(payload: Json) -> list[Json]:
    """The ``value`` of every ``messages`` change in a Cloud webhook envelope (none if it is no such envelope)."""
    if payload.get("object") != "whatsapp_business_account":
        return []
    changes = [change for entry in payload.get("entry") or [] for change in entry.get("changes") or []]
    return [change.get("value") or {} for change in changes if change.get("field") == "messages"]


def valid_signature(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether ``header`` is ``sha256=`` and the hex HMAC-SHA256 of ``body`` keyed by the app secret."""
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return header is not None and hmac.compare_digest(header.encode(), expected.encode())


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


def order_confirmation(name: str, dish: str, number: int, day: datetime.date, language: Json) -> Json:
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
        "language": language,
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


def make_bot(args: argparse.Namespace, api: httpx.AsyncClient) -> Bot:
    """The bot for the API ``--api`` names."""
    if args.api == "cloud":
        return CloudBot(
            api,
            phone_number_id=args.phone_number_id,
            access_token=args.access_token,
            app_secret=args.app_secret,
            verify_token=args.verify_token,
            graph_version=args.graph_version,
        )
    return Bot(api, args.username, args.password)


async def run(args: argparse.Namespace) -> None:
    """Log in (On-Prem), serve the webhook, register it (On-Prem, or Cloud if asked), announce it, serve."""
    async with httpx.AsyncClient(base_url=args.base_url, timeout=args.api_timeout) as api:
        bot = make_bot(args, api)
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
        if args.api == "onprem" or args.register_webhook:
            await bot.register_webhook(args.public_url or f"{base}/webhook")
        print(f"bot listening on {base}", flush=True)
        await serving


# Cloud settings: flag, environment variable, default (the emulator's defaults).
CLOUD_OPTIONS = {
    "access_token": ("WHATSAPP_ACCESS_TOKEN", "wa-emulator-token", "Graph access token (Authorization: Bearer)"),
    "phone_number_id": ("WHATSAPP_PHONE_NUMBER_ID", "106540352242922", "id of the business phone number"),
    "app_secret": ("WHATSAPP_APP_SECRET", "wa-emulator-app-secret", "app secret: checks X-Hub-Signature-256"),
    "verify_token": ("WHATSAPP_VERIFY_TOKEN", "wa-emulator-verify-token", "verify token of the webhook handshake"),
    "graph_version": ("WHATSAPP_GRAPH_VERSION", GRAPH_VERSION, "Graph API version in every path"),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; ``--api URL`` (the older form) means ``--api onprem --base-url URL``."""
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", default=env("WHATSAPP_API", "onprem"), help="'onprem' (/v1) or 'cloud' (Graph)")
    parser.add_argument("--base-url", default=env("WHATSAPP_BASE_URL", "http://127.0.0.1:9090"), help="the API's URL")
    parser.add_argument("--host", default="127.0.0.1", help="address the webhook server listens on")
    parser.add_argument("--port", type=int, default=8080, help="port of the webhook server (0: a free one)")
    parser.add_argument("--public-url", default="", help="webhook URL to register, if not HOST:PORT/webhook")
    parser.add_argument("--api-timeout", type=float, default=30.0, help="seconds one API call may take")
    parser.add_argument("--username", default="admin", help="On-Prem: the API user to log in as")
    parser.add_argument("--password", default="secret")
    for name, (variable, default, text) in CLOUD_OPTIONS.items():
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, default=env(variable, default), help=f"Cloud: {text} (env {variable})")
    parser.add_argument(
        "--register-webhook",
        action="store_true",
        help="Cloud: set this bot as the phone number's webhook override (POST /{phone_number_id})",
    )
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    if args.api.startswith(("http://", "https://")):
        args.api, args.base_url = "onprem", args.api
    if args.api not in ("onprem", "cloud"):
        parser.error(f"--api must be 'onprem' or 'cloud' (or the On-Prem API's URL), not {args.api!r}")
    return args


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    for chatty in ("httpx", "httpcore"):  # a line (or ten) per request would drown the bot's own
        logging.getLogger(chatty).setLevel(logging.WARNING)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
