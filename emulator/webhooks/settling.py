"""Why webhook deliveries are still pending once the queue has settled: what a strict drain reports.

A settled queue has nothing in flight and nothing it could attempt now; a delivery still pending
then is waiting for a webhook URL (none is set), failing (its last attempt did not get a 200 and a
retry is due later), or queued behind one of those for the same recipient.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from emulator.store.base import Doc

NO_URL, FAILING, QUEUED = "no_url", "failing", "queued"
_SHOWN = 3  # deliveries named in the details; the rest are counted


def unsettled(pending: Iterable[Doc], url: str) -> list[Doc]:
    """Each pending delivery with ``why`` (no_url, failing or queued) and its last error, oldest first."""
    out: list[Doc] = []
    for doc in pending:
        attempts = doc["attempts"]
        why = NO_URL if not url else FAILING if attempts else QUEUED
        out.append(
            {
                "id": doc["id"],
                "recipient": doc["recipient"],
                "why": why,
                "attempts": len(attempts),
                "last_error": _error(attempts[-1]) if attempts else None,
                "next_attempt_at": doc["next_attempt_at"] if attempts else None,
            }
        )
    return out


def explain(items: list[Doc], now: float, total: int | None = None) -> str:
    """One sentence per kind of trouble, naming the first deliveries: the details of a refused drain.

    ``items`` may be the first ``total`` pending deliveries only.
    """
    count = max(len(items), total or 0)
    parts = [f"{count} webhook deliver{'y has' if count == 1 else 'ies have'} not reached the bot"]
    for item in items[:_SHOWN]:
        parts.append(f"#{item['id']} to {item['recipient']} {_why(item, now)}")
    if count > _SHOWN:
        parts.append(f"and {count - _SHOWN} more (GET /_emulator/webhooks?state=pending)")
    return "; ".join(parts) + ". Use ?lenient=true to drain without this check."


def _why(item: Doc, now: float) -> str:
    if item["why"] == NO_URL:
        return (
            "waits for a webhook URL: none is set (--webhook-url, PATCH /v1/settings/application or a Cloud override)"
        )
    if item["why"] == QUEUED:
        return "is queued behind a failing delivery to the same recipient"
    due = max(0.0, float(item["next_attempt_at"]) - now)
    return f"is failing: {item['last_error']} after {item['attempts']} attempt(s), next attempt in {due:.0f} s"


def _error(attempt: dict[str, Any]) -> str:
    if attempt.get("error"):
        return str(attempt["error"])
    return f"HTTP {attempt.get('status_code')}"
