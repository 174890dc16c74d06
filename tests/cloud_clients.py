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

from kapso_whatsapp.webhooks import NormalizedWebhookResult, normalize_webhook, verify_signature
from pywa import utils
from pywa.client import WhatsApp
from pywa.types.base_update import BaseUpdate

# The emulator's defaults (cloud contract): the app secret signs, the verify token answers the handshake.
APP_SECRET = "wa-emulator-app-secret"
VERIFY_TOKEN = "wa-emulator-verify-token"
PHONE_NUMBER_ID = "106540352242922"
WABA_ID = "102290129340398"
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


def pywa_update(
    body: bytes,
    signature: str | None,
    *,
    app_secret: str = APP_SECRET,
    phone_id: str | None = PHONE_NUMBER_ID,
    waba_id: str | None = WABA_ID,
) -> BaseUpdate:
    """The typed update pywa makes of ``body``; ClientRejected if it refuses the signature, warns, or makes none."""
    wa = pywa_client(app_secret=app_secret, phone_id=phone_id, waba_id=waba_id)
    refused = wa.webhook_update_validator(body, signature)
    if refused is not None:
        raise ClientRejected(f"pywa refused the signature: HTTP {refused[1]} {refused[0]}")
    produced: list[BaseUpdate] = []

    def keep(_: WhatsApp, update: BaseUpdate) -> None:
        produced.append(update)

    wa.add_handlers(*(handler_type(keep) for handler_type in WhatsApp._handlers_to_updates))
    with _pywa_log() as log, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        answer = wa.webhook_update_handler(body)
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
