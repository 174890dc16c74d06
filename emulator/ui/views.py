"""What the page's sidebar shows: each simulated user with the 24-hour window and the latest message."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from emulator.domain.messages import INBOUND, by_id
from emulator.domain.tenant import Tenant
from emulator.store import Doc, pages
from emulator.views import record_view
from emulator.web import collect


async def chats(tenant: Tenant) -> list[Doc]:
    """One entry per user, most recent conversation first, then users who have none, in order of appearance.

    One pass over the records (not one conversation query per user): the sidebar is reloaded on
    every inbound message while a page is open. Read a store page at a time, letting other
    requests run in between.
    """
    latest: dict[str, Doc] = {}
    records = itertools.chain(tenant.messages.pages(), pages(tenant.store, tenant.name, INBOUND, by_id))
    for page in records:
        for record in page:
            wa_id = record["to"] if record["direction"] == "outbound" else record["from"]
            if wa_id not in latest or record["seq"] > latest[wa_id]["seq"]:
                latest[wa_id] = record
        await asyncio.sleep(0)
    users, _ = await collect(tenant.users.pages())
    entries = [_entry(tenant, user, latest.get(user["wa_id"])) for user in users]
    return sorted(entries, key=_recency)


def _entry(tenant: Tenant, user: Doc, last: Doc | None) -> Doc:
    shown = record_view(last) if last is not None else None
    return {"wa_id": user["wa_id"], "user": user, "window": tenant.window.view(user["wa_id"]), "last": shown}


def _recency(entry: dict[str, Any]) -> int:
    last = entry["last"]
    return -last["seq"] if last is not None else 0
