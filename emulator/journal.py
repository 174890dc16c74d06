"""The request journal: every call to the emulated APIs (``/v1`` and the Cloud API), accepted or refused.

Like WireMock's: a bounded, in-memory list (the oldest entries dropped past ``--journal-size``) that
``GET /_emulator/requests`` lists and filters and ``POST /_emulator/reset`` empties. Appending is the
only work on the hot path, and it stores one flat tuple; the dicts the control API shows are built
when the journal is listed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any, NamedTuple

import orjson

from emulator.domain.feed import ChangeFeed
from emulator.domain.reasons import Reason, Refusal
from emulator.release import let_go

Doc = dict[str, Any]
Headers = Iterable[tuple[bytes, bytes]]


class Entry(NamedTuple):
    """One call as the middleware saw it (bodies capped at ``--journal-body-bytes``)."""

    id: int
    tenant: str  # the tenant the call addressed (its /t/{tenant} prefix, or the owner of a Cloud number)
    at: float  # emulator time when the call arrived
    method: str
    path: str
    query: bytes  # as requested (shown decoded)
    api: str  # "onprem" or "cloud"
    status: int
    duration_s: float
    owner: str | None  # On-Premises username, or the static access token used
    error: tuple[int, str, str] | None  # code, title, details of a refusal
    request_headers: Headers  # as the server gave them (only the content type is shown)
    request_body: bytes
    request_size: int
    response_headers: Headers  # as the app sent them
    response_body: bytes
    response_size: int


class Journal:
    """The last ``size`` calls, oldest first; waiters and the page hear of each one through ``feed``."""

    def __init__(self, size: int, body_bytes: int) -> None:
        self.size = size
        self.body_bytes = body_bytes
        self._entries: deque[Entry] = deque(maxlen=size)
        self._last_id = 0
        self.dropped = 0  # entries pushed out by newer ones since the last reset
        self.feed = ChangeFeed()

    def add(self, *fields: Any) -> None:
        """Record one call: the fields of ``Entry`` after its ``id``."""
        self._last_id += 1
        if len(self._entries) == self.size:
            self.dropped += 1
        # tuple.__new__ directly: Entry(...) runs NamedTuple's __new__, a Python function of 17 parameters
        self._entries.append(tuple.__new__(Entry, (self._last_id, *fields)))
        feed = self.feed
        if feed.heard:  # (nobody listens but a page or a long poll: no document per call otherwise)
            feed.publish("request", {"id": self._last_id, "tenant": fields[0]})

    def clear(self, tenant: str) -> None:
        """Forget a tenant's entries (ids go on from where they were, so a poller's ``after`` stays valid)."""
        kept = [e for e in self._entries if e.tenant != tenant]
        gone, self._entries = self._entries, deque(kept, maxlen=self.size)
        let_go(gone)  # the entries' bodies freed a chunk at a time, not while a reset holds the event loop
        self.dropped = 0

    def find(self, entry_id: int) -> Entry | None:
        """One entry by id, if it is still kept."""
        for entry in reversed(self._entries):
            if entry.id == entry_id:
                return entry
        return None

    def select(self, query: Query) -> list[Entry]:
        """The entries that match, oldest first (the newest ``limit`` of them if one is given)."""
        found = [e for e in self._entries if query.matches(e)]
        return found[-query.limit :] if query.limit else found


class Query(NamedTuple):
    """The filters of ``GET /_emulator/requests``."""

    tenant: str = "default"
    statuses: tuple[str, ...] = ()  # "404" or a class such as "4xx"
    path: str = ""
    api: str = ""
    after: int = 0
    limit: int = 0

    def matches(self, entry: Entry) -> bool:
        """Whether an entry passes every filter given."""
        if entry.tenant != self.tenant or entry.id <= self.after or (self.api and entry.api != self.api):
            return False
        if self.path not in entry.path:
            return False
        return not self.statuses or any(_status_matches(s, entry.status) for s in self.statuses)


def _status_matches(wanted: str, status: int) -> bool:
    return str(status)[0] == wanted[0] if wanted.endswith("xx") else str(status) == wanted


def parse_query(params: Any, tenant: str) -> Query:
    """The filters from query parameters; a malformed one is refused naming it."""
    statuses = tuple(s.strip().lower() for s in params.get("status", "").split(",") if s.strip())
    for each in statuses:
        if not (len(each) == 3 and each[0] in "12345" and (each[1:] == "xx" or each[1:].isdigit())):
            raise Refusal(
                Reason.INVALID_PARAMETER, f"status: must be a status such as 404 or a class such as 4xx, not {each!r}"
            )
    api = params.get("api", "")
    if api not in ("", "onprem", "cloud"):
        raise Refusal(Reason.INVALID_PARAMETER, f"api: must be onprem or cloud (got {api!r})")
    return Query(tenant, statuses, params.get("path", ""), api, _count(params, "after"), _count(params, "limit"))


def _count(params: Any, name: str) -> int:
    raw = params.get(name, "0")
    if not raw.isdigit() or len(raw) > 18:
        raise Refusal(Reason.INVALID_PARAMETER, f"{name}: must be a whole number (got {raw!r})")
    return int(raw)


def entry_view(entry: Entry) -> Doc:
    """An entry as the control API and the page show it."""
    error = None if entry.error is None else dict(zip(("code", "title", "details"), entry.error, strict=True))
    return {
        "id": entry.id,
        "tenant": entry.tenant,
        "at": entry.at,
        "method": entry.method,
        "path": entry.path,
        "query": entry.query.decode("latin-1"),
        "api": entry.api,
        "status": entry.status,
        "duration_ms": round(entry.duration_s * 1000, 3),
        "owner": entry.owner,
        "message_id": _message_id(entry),
        "error": error,
        "request": _body_view(entry.request_headers, entry.request_body, entry.request_size),
        "response": _body_view(entry.response_headers, entry.response_body, entry.response_size),
    }


def entries_view(entries: Iterable[Entry]) -> list[Doc]:
    """Each entry as shown."""
    return [entry_view(e) for e in entries]


def _body_view(headers: Headers, body: bytes, size: int) -> Doc:
    """The body as text (``null`` when it is not UTF-8, media say), with its type, size and whether it was cut."""
    content_type = _content_type(headers)
    truncated = len(body) < size
    try:
        text: str | None = body.decode()
    except UnicodeDecodeError as exc:
        # a cap may cut a character in two: keep what comes before it
        text = body[: exc.start].decode() if truncated and exc.start >= len(body) - 3 else None
    return {"content_type": content_type, "size": size, "truncated": truncated, "body": text}


def _content_type(headers: Headers) -> str:
    """The first ``content-type`` header's value (ASGI gives names in lower case; the app's are lower case too)."""
    for key, value in headers:
        if key == b"content-type":
            return bytes(value).decode("latin-1")
    return ""


def _message_id(entry: Entry) -> str | None:
    """The id of the message a call created (both APIs answer ``{"messages": [{"id"}]}``)."""
    if entry.status >= 300 or not entry.path.endswith("/messages") or b'"messages"' not in entry.response_body:
        return None
    try:
        answer = orjson.loads(entry.response_body)
        message_id = answer["messages"][0]["id"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return message_id if isinstance(message_id, str) else None
