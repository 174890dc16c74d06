"""The one place webhooks leave the emulator: one attempt of a delivery, one POST via the injected client."""

from __future__ import annotations

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


async def attempt(doc: Doc, cfg: WebhookConfig, client: httpx.AsyncClient, clock: Clock) -> float | None:
    """Make one attempt of a pending delivery and record it in ``doc``.

    Returns the seconds to wait before the next attempt (``doc["next_attempt_at"]`` is set), or
    None once the delivery is finished (``state`` is ``delivered`` or ``failed``). No attempt is
    made for a retry that comes due past the give-up deadline.
    """
    deadline = doc["created_at"] + cfg.give_up_after_s
    if doc["attempts"] and clock.now() >= deadline:
        _give_up(doc, cfg, clock)
        return None
    payload = build(
        cfg.format,
        doc["content"],
        business_wa_id=cfg.business_wa_id,
        phone_number_id=cfg.phone_number_id,
        waba_id=cfg.waba_id,
    )
    record = await post(client, cfg.url, payload, timeout_s=cfg.timeout_s, clock=clock)
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


async def post(
    client: httpx.AsyncClient, url: str, payload: dict[str, Any], *, timeout_s: float, clock: Clock
) -> Attempt:
    """POST ``payload`` as JSON; the attempt: ``at``, ``url``, ``status_code`` or ``error``, ``duration_ms``.

    Transport failures (refused connection, timeout, bad protocol) come back as ``error``; any other
    exception is a bug and propagates to the caller.
    """
    record: Attempt = {"at": clock.now(), "url": url}
    started = time.perf_counter()
    try:
        response = await client.post(url, json=payload, timeout=timeout_s)
    except httpx.HTTPError as exc:
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
