"""The one place webhooks leave the emulator: one attempt of a delivery, one POST via the injected client."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

import httpx

from emulator.clock import Clock
from emulator.store.base import Doc
from emulator.webhooks.config import WebhookConfig
from emulator.webhooks.payloads import build

logger = logging.getLogger("emulator.webhooks")

Attempt = dict[str, Any]

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATES = (PENDING, DELIVERED, FAILED)


async def attempt(
    doc: Doc,
    cfg: WebhookConfig,
    client: httpx.AsyncClient,
    clock: Clock,
    verified: set[tuple[str, str]] | None = None,
    *,
    injected: str | None = None,
) -> float | None:
    """Make one attempt of a pending delivery and record it in ``doc``.

    Returns the seconds to wait before the next attempt (``doc["next_attempt_at"]`` is set), or
    None once the delivery is finished (``state`` is ``delivered`` or ``failed``). No attempt is
    made for a retry that comes due past the give-up deadline. With ``injected`` (a fault) the
    receiver is not contacted: the attempt is recorded as failed with that error and retried as usual.
    """
    deadline = doc["created_at"] + cfg.give_up_after_s
    if doc["attempts"] and clock.now() >= deadline:
        _give_up(doc, cfg, clock)
        return None
    fmt = doc.get("format") or cfg.format
    payload = build(
        fmt,
        doc["content"],
        business_wa_id=cfg.business_wa_id,
        phone_number_id=cfg.phone_number_id,
        waba_id=cfg.waba_id,
    )
    record: Attempt | None = None
    if injected is not None:
        record = {"at": clock.now(), "url": cfg.url, "error": injected, "duration_ms": 0.0, "injected": True}
    elif fmt == "cloud" and cfg.verify_token and verified is not None and (cfg.url, cfg.verify_token) not in verified:
        record = await handshake(client, cfg.url, cfg.verify_token, timeout_s=cfg.timeout_s, clock=clock)
        if "error" not in record:
            verified.add((cfg.url, cfg.verify_token))
            record = None
    if record is None:
        secret = cfg.app_secret if fmt == "cloud" else ""
        record = await post(client, cfg.url, payload, timeout_s=cfg.timeout_s, clock=clock, app_secret=secret)
    doc.update(payload=payload, url=cfg.url)
    doc["attempts"].append(record)
    outcome = record.get("status_code", record.get("error"))
    if outcome == 200:
        logger.info("webhook %s -> %s: 200 in %.1f ms", doc["id"], cfg.url, record["duration_ms"])
        doc.update(state=DELIVERED, next_attempt_at=None, finished_at=clock.now())
        return None
    now = clock.now()
    if now >= deadline:
        logger.warning("webhook %s -> %s: %s in %.1f ms", doc["id"], cfg.url, outcome, record["duration_ms"])
        _give_up(doc, cfg, clock)
        return None
    delay = cfg.retry_delay_s(len(doc["attempts"]))
    doc["next_attempt_at"] = now + delay
    logger.warning(
        "webhook %s -> %s: %s in %.1f ms; attempt %d, retry in %.3f s",
        *(doc["id"], cfg.url, outcome, record["duration_ms"], len(doc["attempts"]), delay),
    )
    return delay


def signature(body: bytes, app_secret: str) -> str:
    """``sha256=<hex HMAC-SHA256 of the exact body>``, as X-Hub-Signature-256 carries it."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent: compact JSON with non-ASCII escaped as ``\\uXXXX``, as Meta signs it."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()


async def handshake(
    client: httpx.AsyncClient, url: str, verify_token: str, *, timeout_s: float, clock: Clock
) -> Attempt:
    """The Cloud callback verification (§9.1): GET with hub.* parameters; the answer must be the challenge."""
    challenge = str(int(hashlib.sha256(f"{url}:{clock.now()}".encode()).hexdigest()[:8], 16))
    record: Attempt = {"at": clock.now(), "url": url, "verification": True}
    params = {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
    started = time.perf_counter()
    try:
        response = await client.get(url, params=params, timeout=timeout_s)
    except (httpx.HTTPError, ValueError) as exc:  # ValueError: a URL no transport can reach (no host)
        record["error"] = "callback verification failed: " + error_text(exc)
    else:
        record["status_code"] = response.status_code
        if response.status_code != 200 or response.text.strip() != challenge:
            record["error"] = (
                f"callback verification failed: the GET answered {response.status_code} "
                f"{response.text[:80]!r}, not 200 with the challenge {challenge}"
            )
    record["duration_ms"] = round((time.perf_counter() - started) * 1000.0, 3)
    if "error" in record:
        logger.warning("webhook callback %s: %s", url, record["error"])
    return record


async def post(
    client: httpx.AsyncClient,
    url: str,
    payload: dict[str, Any],
    *,
    timeout_s: float,
    clock: Clock,
    app_secret: str = "",
) -> Attempt:
    """POST ``payload`` as JSON; the attempt: ``at``, ``url``, ``status_code`` or ``error``, ``duration_ms``.

    With an ``app_secret`` the body is signed (X-Hub-Signature-256). Transport failures (refused
    connection, timeout, bad protocol) come back as ``error``; any other exception is a bug and
    propagates to the caller.
    """
    record: Attempt = {"at": clock.now(), "url": url}
    started = time.perf_counter()
    body = encode(payload)
    headers = {"content-type": "application/json"}
    if app_secret:
        headers["x-hub-signature-256"] = signature(body, app_secret)
    try:
        response = await client.post(url, content=body, headers=headers, timeout=timeout_s)
    except (httpx.HTTPError, ValueError) as exc:  # ValueError: a URL no transport can reach (no host)
        record["error"] = error_text(exc)
    else:
        record["status_code"] = response.status_code
    record["duration_ms"] = round((time.perf_counter() - started) * 1000.0, 3)
    return record


def error_text(exc: BaseException) -> str:
    """``"ConnectError: [Errno 111] Connection refused"``, or the bare class name if there is no message."""
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _give_up(doc: Doc, cfg: WebhookConfig, clock: Clock) -> None:
    last = doc["attempts"][-1]
    doc["error"] = (
        f"gave up after {cfg.give_up_after_s:g} s and {len(doc['attempts'])} attempts; "
        f"last: {last.get('status_code', last.get('error'))}"
    )
    doc.update(state=FAILED, next_attempt_at=None, finished_at=clock.now())
    logger.warning("webhook %s: %s", doc["id"], doc["error"])
