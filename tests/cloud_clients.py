"""Feed a signed Cloud webhook to real client libraries' own parsers, signature checking on.

A helper for other tests, not a test module::

    from tests.cloud_clients import body_of, kapso_update, pywa_update, sign

    body = body_of(payload)                  # or the exact bytes the emulator POSTed
    update = pywa_update(body, sign(body))   # pywa.types.Message, CallbackButton, MessageStatus, ...
    result = kapso_update(body, sign(body))  # kapso's NormalizedWebhookResult

Nothing here opens a socket: pywa's ``WhatsApp`` is built with no token (so no HTTP client) and no
server, and its update handler is called directly, as its own Starlette route does after the
signature check. Both libraries see the exact bytes and the ``X-Hub-Signature-256`` value.

What each library needs from a payload (pywa 4.5, kapso-whatsapp-cloud-api 0.3):

* pywa reads only ``entry[0].changes[0].value`` and only its first message or status; it drops an
  update whose ``entry[0].id`` is not its ``waba_id`` or whose ``metadata.phone_number_id`` is not its
  ``phone_id``. Messages (and button, list, flow replies) need ``contacts[0].user_id``; list replies
  need ``context``; statuses need a ``contacts`` entry (``user_id`` optional there); errors need
  ``code`` and ``message``; system messages need ``from`` and ``system.body`` and no contacts. A value
  with only ``errors`` gives no typed update. An unknown enum value (a status, a pricing category) only
  makes pywa warn and read UNKNOWN; ``pywa_update`` treats any warning as a rejection.
* kapso never refuses a payload: ``normalize_webhook`` camelCases every key and copies what it finds.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import re
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import httpx2
from kapso_whatsapp import WhatsAppClient
from kapso_whatsapp.webhooks import NormalizedWebhookResult, normalize_webhook, verify_signature
from pywa import utils
from pywa.client import WhatsApp
from pywa.types.base_update import BaseUpdate
from starlette.testclient import TestClient

# The emulator's defaults (cloud contract): the app secret signs, the verify token answers the handshake.
APP_SECRET = "wa-emulator-app-secret"
VERIFY_TOKEN = "wa-emulator-verify-token"
PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"
ACCESS_TOKEN = "wa-emulator-token"
EMULATOR = "http://testserver"  # the in-process emulator's base URL (the TestClient's host)
_SHOWN = 400  # characters of one pywa log line quoted in a failure
_PREFIX = re.compile(r"^(\[[^\]]*\] )+")  # pywa's "[update hash] [endpoint] "
_NOISE = ("Received raw update", "Constructed update", "Checking if handler", "Finished processing")


class ClientRejected(AssertionError):
    """A client library refused a webhook, or made no typed update of it."""


def sign(body: bytes, app_secret: str = APP_SECRET) -> str:
    """The ``X-Hub-Signature-256`` value for ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def body_of(payload: Mapping[str, Any]) -> bytes:
    """``payload`` serialized as Graph does: compact, non-ASCII escaped as ``\\uXXXX`` (reference §9.2)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()


def pywa_client(
    *, app_secret: str = APP_SECRET, phone_id: str | None = PHONE_NUMBER_ID, waba_id: str | None = WABA_ID
) -> WhatsApp:
    """A pywa client that validates signatures and filters by phone number id and WABA id, with no network."""
    return WhatsApp(
        phone_id=phone_id,
        waba_id=waba_id,
        server=None,
        app_secret=app_secret,
        verify_token=VERIFY_TOKEN,
        validate_updates=True,
        filter_updates=True,
    )


class EmulatorTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport (sync and async) that hands every request to an in-process emulator's TestClient.

    A client library given ``httpx.Client(transport=EmulatorTransport(client))`` talks to the emulator
    exactly as it would over the network: its own URLs, headers and bodies (the TestClient's own headers,
    such as its login token, are not added). ``host`` set: a request to any other host is refused, which
    proves the library was pointed at the emulator and sent nothing to Meta.
    """

    def __init__(self, client: TestClient, host: str | None = None) -> None:
        self._client = client
        self._host = host
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._host is not None and request.url.host != self._host:
            raise httpx.ConnectError(f"{request.url.host} is not the emulator ({self._host})", request=request)
        request.read()
        self.requests.append(request)
        # starlette's TestClient is built on httpx2, the client libraries on httpx: copy the request across
        copy = httpx2.Request(
            request.method, str(request.url), headers=request.headers.multi_items(), content=request.content
        )
        answer = self._client.send(copy)
        headers = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in _HOP_HEADERS]
        return httpx.Response(answer.status_code, headers=headers, content=answer.content)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self.handle_request(request)


_HOP_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


def pywa_bot(client: TestClient, *, api_version: str = "26.0", base_url: str = EMULATOR) -> WhatsApp:
    """A pywa bot pointed at an in-process emulator the way a user points it at a running one.

    pywa has no base-URL option: it sets ``https://graph.facebook.com/v{api_version}`` on the httpx
    session it is given, so the session's ``base_url`` is changed after the client is built. The
    session refuses any other host, so nothing can reach Meta. Close ``bot.api._session`` after use.
    """
    session = httpx.Client(transport=EmulatorTransport(client, host=httpx.URL(base_url).host))
    bot = WhatsApp(
        phone_id=PHONE_NUMBER_ID,
        waba_id=WABA_ID,
        token=ACCESS_TOKEN,
        session=session,
        api_version=api_version,
        server=None,
        app_secret=APP_SECRET,
        verify_token=VERIFY_TOKEN,
        validate_updates=True,
        filter_updates=True,
    )
    session.base_url = httpx.URL(f"{base_url}/v{api_version}")
    return bot


def kapso_bot(client: TestClient, *, graph_version: str = "v24.0", base_url: str = EMULATOR) -> WhatsAppClient:
    """A kapso client with ``base_url`` on the emulator (its own option), its requests handed to ``client``.

    kapso builds its httpx.AsyncClient lazily with no transport option, so the in-process transport
    goes in its private ``_http._client`` (against a running emulator ``base_url`` alone is enough).
    """
    bot = WhatsAppClient(access_token=ACCESS_TOKEN, base_url=base_url, graph_version=graph_version, max_retries=0)
    transport = EmulatorTransport(client, host=httpx.URL(base_url).host)
    bot._http._client = httpx.AsyncClient(transport=transport, headers=bot._http._headers)
    return bot


def pywa_update(
    body: bytes,
    signature: str | None,
    *,
    app_secret: str = APP_SECRET,
    phone_id: str | None = PHONE_NUMBER_ID,
    waba_id: str | None = WABA_ID,
    client: WhatsApp | None = None,
) -> BaseUpdate:
    """The typed update pywa makes of ``body``; ClientRejected if it refuses the signature, warns, or makes none.

    ``client``: parse with this pywa client (a bot's own, with a token, so the update can reply or
    download) instead of a network-less one built from the other arguments.
    """
    wa = client or pywa_client(app_secret=app_secret, phone_id=phone_id, waba_id=waba_id)
    refused = wa.webhook_update_validator(body, signature)
    if refused is not None:
        raise ClientRejected(f"pywa refused the signature: HTTP {refused[1]} {refused[0]}")
    produced: list[BaseUpdate] = []

    def keep(_: WhatsApp, update: BaseUpdate) -> None:
        produced.append(update)

    handlers = [handler_type(keep) for handler_type in WhatsApp._handlers_to_updates]
    wa.add_handlers(*handlers)
    with _pywa_log() as log, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            answer = wa.webhook_update_handler(body)
        finally:
            wa.remove_handlers(*handlers)
    if caught:
        raise ClientRejected("pywa warned: " + "; ".join(str(w.message).replace("\n", " ") for w in caught))
    if answer != ("ok", 200):
        raise ClientRejected(f"pywa answered {answer!r}")
    if not produced:
        raise ClientRejected("pywa made no typed update: " + (" | ".join(log) or "(nothing logged)"))
    return produced[0]


def pywa_handshake(params: Mapping[str, str], *, verify_token: str = VERIFY_TOKEN) -> tuple[str | None, int]:
    """pywa's answer to the verification GET: ``(challenge, 200)`` for the right token, else ``("Forbidden", 403)``.

    pywa checks only ``hub.verify_token`` (not ``hub.mode``).
    """
    wa = WhatsApp(server=None, verify_token=verify_token)
    return wa.webhook_challenge_handler(vt=params.get(utils.HUB_VT), ch=params.get(utils.HUB_CH))


def kapso_update(body: bytes, signature: str | None, *, app_secret: str = APP_SECRET) -> NormalizedWebhookResult:
    """kapso's ``verify_signature`` then ``normalize_webhook`` on the exact bytes; ClientRejected on a bad signature."""
    if not verify_signature(app_secret=app_secret, raw_body=body, signature_header=signature):
        raise ClientRejected("kapso refused the signature")
    return normalize_webhook(body.decode("utf-8"))


@contextlib.contextmanager
def _pywa_log() -> Iterator[list[str]]:
    """pywa's warnings and errors while the block runs (why an update was dropped), tracebacks included."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            line = _PREFIX.sub("", record.getMessage())
            if line.startswith(_NOISE):
                return
            if record.exc_info and record.exc_info[1] is not None:
                line += f": {type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
            lines.append(line if len(line) <= _SHOWN else line[:_SHOWN] + "...")

    logger = logging.getLogger("pywa")
    handler, level = Keep(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)  # a filtered-out update is logged at DEBUG only
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
