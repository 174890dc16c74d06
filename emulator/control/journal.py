"""Handlers of the request journal: ``GET /_emulator/requests`` and one entry by id."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from emulator.control.handlers import _seconds, control
from emulator.domain.reasons import Reason, Refusal
from emulator.journal import Journal, entries_view, entry_view, parse_query
from emulator.web import JSONResponse, tenant_of


def _journal(request: Request) -> Journal:
    journal: Journal = request.app.state.emulator.journal
    return journal


@control
async def list_requests(request: Request) -> Response:
    """GET /_emulator/requests: filters ``status``, ``path``, ``api``, ``after``, ``limit``; ``wait`` long-polls."""
    query = parse_query(request.query_params, tenant_of(request).name)
    deadline = time.monotonic() + _seconds(request.query_params.get("wait"), "wait")
    journal = _journal(request)
    while True:
        found = journal.select(query)
        remaining = deadline - time.monotonic()
        if found or remaining <= 0:
            body = {"requests": entries_view(found), "dropped": journal.dropped, "size": journal.size}
            return JSONResponse(body)
        await journal.feed.wait(remaining)


@control
async def get_request(request: Request) -> Response:
    """GET /_emulator/requests/{id}: one journal entry."""
    raw = request.path_params["request_id"]
    entry = _journal(request).find(int(raw)) if raw.isdigit() and len(raw) < 19 else None
    if entry is None or entry.tenant != tenant_of(request).name:
        raise Refusal(Reason.NOT_FOUND, f"Request {raw} is not in the journal (never made, dropped, or reset)")
    return JSONResponse(entry_view(entry))
