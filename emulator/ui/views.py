"""What the page's sidebar shows: each simulated user with the 24-hour window and the latest message."""

from __future__ import annotations

import asyncio
from typing import Any

from emulator.domain.tenant import Tenant
from emulator.store import Doc
from emulator.views import record_view
from emulator.web import collect


async def chats(tenant: Tenant) -> list[Doc]:
    """One entry per user, most recent conversation first, then users who have none, in order of appearance.

    Each user's latest message comes from the index kept as messages are recorded
    (``Retention.latest``), not from a walk over every record: the sidebar is reloaded on every
    inbound message while a page is open, and a walk over 100 k records took ~2 s. After a
    restart on a persistent store the index is rebuilt once, a chunk at a time, letting other
    requests run in between.
    """
    retention = tenant.messages.retention
    if not retention.indexed:
        for _ in retention.rebuild():
            await asyncio.sleep(0)
    users, _ = await collect(tenant.users.pages())
    entries = [_entry(tenant, user, tenant.messages.latest_with(user["wa_id"])) for user in users]
    return sorted(entries, key=_recency)


def _entry(tenant: Tenant, user: Doc, last: Doc | None) -> Doc:
    shown = record_view(last) if last is not None else None
    return {"wa_id": user["wa_id"], "user": user, "window": tenant.window.view(user["wa_id"]), "last": shown}


def _recency(entry: dict[str, Any]) -> int:
    last = entry["last"]
    return -last["seq"] if last is not None else 0
