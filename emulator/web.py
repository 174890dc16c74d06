"""HTTP plumbing shared by the façades: reading JSON bodies safely and finding the tenant."""

from __future__ import annotations

import asyncio
import functools
import hmac
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse as StarletteJSONResponse
from starlette.responses import Response

from emulator.domain.reasons import Reason, Refusal
from emulator.exchange import exchange_of
from emulator.tenancy import DEFAULT_TENANT, tenant_in

if TYPE_CHECKING:
    from emulator.domain.tenant import Tenant

MAX_DEPTH = 64
# What a request did that only a handler knows, noted in its ASGI scope for the access log and the
# request journal (emulator/requestlog.py): who the token belongs to, and the error answered.
OWNER = "wa_emulator.owner"
ERROR = "wa_emulator.error"
SLICE = 100  # items one request works on before it lets other requests run
GUARD = "wa_emulator_guard"  # the attribute of a guarded endpoint naming its check and the endpoint it guards
Endpoint = Callable[[Request], Awaitable[Response]]
Check = Callable[[Request], None]
T = TypeVar("T")
R = TypeVar("R")
_JSON_TYPES = ("application/json", "text/json")
_JSON_TYPE = b"application/json"


class JSONResponse(StarletteJSONResponse):
    """A JSON response rendered by orjson (compact UTF-8, several times faster than json)."""

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        """Starlette's, made directly in the usual case (nothing but content and status): three calls fewer."""
        if headers is not None or media_type is not None or background is not None:
            super().__init__(content, status_code, headers, media_type, background)
            return
        self.status_code = status_code
        self.background = None
        self.body = body = orjson.dumps(content)  # (render's work, one call fewer)
        if status_code < 200 or status_code in (204, 304):  # no body length for these (Starlette's rule)
            self.raw_headers = [(b"content-type", _JSON_TYPE)]
        else:
            self.raw_headers = [(b"content-length", b"%d" % len(body)), (b"content-type", _JSON_TYPE)]

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def guarded(check: Check, endpoint: Endpoint) -> Endpoint:
    """``endpoint``, run only once ``check`` passed (it raises a refusal otherwise).

    Both are noted on the result too (``GUARD``): ``errors.endpoint`` calls them in turn itself, one
    coroutine fewer per call than going through this wrapper.
    """

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        check(request)
        return await endpoint(request)

    setattr(guarded, GUARD, (check, endpoint))
    return guarded


def header(request: Request, name: bytes) -> bytes | None:
    """A request header's raw value (``name`` in lower case, as ASGI servers give names), or None.

    Cheaper than ``request.headers`` on the send path: no Headers object, no exception for a miss.
    """
    for key, value in request.scope["headers"]:
        if key == name:
            return bytes(value)
    return None


@functools.lru_cache(maxsize=256)
def bearer_in(raw: bytes) -> str | None:
    """The token of an ``Authorization: Bearer`` header's raw value, or None (remembered: a client sends the same)."""
    scheme, _, value = raw.decode("latin-1").partition(" ")
    token = value.strip()
    return token if scheme.lower() == "bearer" and token else None


def secret_matches(given: str, expected: str) -> bool:
    """A constant-time comparison of a token from a request (any characters at all) with a configured one."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def secret_in(given: str, expected: frozenset[str]) -> bool:
    """Whether a token from a request is one of the configured ones, each compared in constant time."""
    raw = given.encode("utf-8", "surrogatepass")
    for known in _encoded(expected):  # noqa: SIM110 (any() over a generator costs four times this loop)
        if hmac.compare_digest(raw, known):
            return True
    return False


@functools.lru_cache(maxsize=16)
def _encoded(secrets: frozenset[str]) -> tuple[bytes, ...]:
    """Configured secrets as bytes, encoded once (settings do not change while serving)."""
    return tuple(secret.encode("utf-8", "surrogatepass") for secret in secrets)


async def collect(pages: Iterable[list[T]], limit: int | None = None) -> tuple[list[T], bool]:
    """Up to ``limit`` items from pages read one by one, other requests running between pages; and if more came."""
    found: list[T] = []
    for page in pages:
        found.extend(page)
        if limit is not None and len(found) > limit:
            return found[:limit], True
        await asyncio.sleep(0)
    return found, False


async def in_slices(items: Sequence[T], work: Callable[[Sequence[T]], list[R]], size: int = SLICE) -> list[R]:
    """``work`` over ``items`` a slice at a time, other requests running between slices; the results in order."""
    done: list[R] = []
    for start in range(0, len(items), size):
        done.extend(work(items[start : start + size]))
        if start + size < len(items):
            await asyncio.sleep(0)
    return done


async def validate_body(request: Request, schema: str, body: object) -> None:
    """Check ``body`` against ``schema``: the refusal for its first problem, found in a worker thread.

    A valid body costs one fast check here; finding the best error of an invalid one walks the whole
    body in Python (half a second for a 1 MB list), so other requests go on meanwhile.
    """
    schemas = request.app.state.emulator.schemas
    if not schemas.is_valid(schema, body):
        await run_in_threadpool(schemas.validate, schema, body)


def tenant_of(request: Request) -> Tenant:
    """The tenant a request addresses: the one its ``/t/{tenant}`` prefix names (made on first use), or the default."""
    tenant: Tenant = request.app.state.emulator.tenant(tenant_in(request.scope) or DEFAULT_TENANT)
    return tenant


def is_prefixed(request: Request) -> bool:
    """Whether the request's path names its tenant (``/t/{tenant}/...``)."""
    return tenant_in(request.scope) is not None


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it passes ``limit`` bytes."""
    receive = request.receive
    exchange = exchange_of(receive)
    whole = None if exchange is None else exchange.whole_body()
    if exchange is not None and whole is not None:  # read ahead by the request log: no receive to go through
        # (read ahead only with a Content-Length that is a number: the exchange has it)
        if exchange.declared > limit or len(whole) > limit:
            raise Refusal(Reason.REQUEST_TOO_LARGE, f"Request body is larger than {limit} bytes")
        return whole
    declared = header(request, b"content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise Refusal(Reason.REQUEST_TOO_LARGE, f"Request body is larger than {limit} bytes")
    # The ASGI messages themselves, not request.stream(): a third of the cost, and nothing else reads the body.
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Refusal(Reason.REQUEST_TOO_LARGE, f"Request body is larger than {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def read_json(request: Request, *, optional: bool = False) -> dict[str, Any]:
    """The request's JSON object; a clear 4xx for a wrong type, size, syntax, shape or depth."""
    body = await read_json_value(request, optional=optional)
    if not isinstance(body, dict):
        raise Refusal(Reason.MALFORMED_REQUEST, "Request body must be a JSON object")
    return body


async def read_json_value(request: Request, *, optional: bool = False) -> Any:
    """The request's JSON value (object or array); a clear 4xx for a wrong type, size, syntax or depth.

    A missing Content-Type is accepted as JSON (curl and some HTTP clients omit it); any other
    non-JSON type is refused with 415.
    """
    raw_type = header(request, b"content-type") or b""
    content_type = "application/json" if raw_type == b"application/json" else _media_type(raw_type)
    if content_type and not (content_type in _JSON_TYPES or content_type.endswith("+json")):
        raise Refusal(Reason.UNSUPPORTED_CONTENT_TYPE, f"Content-Type must be application/json, not {content_type}")
    raw = await read_body(request, request.app.state.emulator.settings.max_body_bytes)
    if optional and not raw.strip():
        return {}
    try:
        if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:
            _check_depth(raw)
        body = orjson.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise Refusal(Reason.MALFORMED_REQUEST, f"Request body is not valid JSON: {_reason(exc)}") from None
    return body


def _media_type(raw: bytes) -> str:
    return raw.decode("latin-1").split(";")[0].strip().lower()


def _check_depth(raw: bytes) -> None:
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > MAX_DEPTH:
                raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        elif byte in (0x5D, 0x7D):
            depth -= 1


def _reason(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return f"nested deeper than {MAX_DEPTH} levels"
    return str(exc).splitlines()[0][:200]
