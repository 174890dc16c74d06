"""One journaled call's messages as they go by: the request body read ahead, the answer's start and body.

The request log (``emulator/requestlog.py``) hands the app an ``Exchange``'s ``receive`` and ``send``,
which note what goes by (bodies up to the journal's cap, sizes in full). Layers below that get them
unchanged use the exchange directly rather than wrapping again: ``read_body`` takes a body read ahead
whole without a ``receive`` coroutine, ``errors.endpoint`` sends a plain response through ``answer``
(no ``Response.__call__`` and no ``send`` per message), and ``ErrorBoundary`` asks whether the answer started. Each
saves a coroutine per call; a layer that wraps ``receive`` or ``send`` itself just hides the exchange.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.types import Message, Receive, Send


class Exchange:
    """The request body read so far and the answer sent so far, for the journal (bodies up to ``cap``)."""

    __slots__ = (
        "answer_body",
        "answer_headers",
        "answer_size",
        "asked_body",
        "asked_size",
        "cap",
        "capturing",
        "declared",
        "pending",
        "server_receive",
        "server_send",
        "status",
    )

    def __init__(self, receive: Receive, send: Send, cap: int, declared: int) -> None:
        self.server_receive = receive
        self.server_send = send
        self.cap = cap
        self.declared = declared  # the request's Content-Length (0 if none or not a number)
        self.pending: list[Message] = []  # read ahead, not handed on yet
        self.capturing = True  # whether the server may still send body: False once all of it was read ahead
        self.asked_body = b""
        self.asked_size = 0
        self.status = 0  # until the answer starts
        self.answer_headers: Any = ()
        self.answer_body = b""
        self.answer_size = 0

    async def read_ahead(self) -> None:
        """Read a declared body up to the cap now, so that it is journaled even if the app never reads it."""
        if not self.declared:  # (a chunked one is captured as the app reads it)
            return
        while len(self.asked_body) < self.cap:
            message = await self.server_receive()
            self.pending.append(message)
            if message["type"] != "http.request":
                return
            self._asked(message.get("body", b""))
            if not message.get("more_body", False):
                # the whole body is in: only http.disconnect can follow, nothing more to capture
                self.capturing = False
                return

    def whole_body(self) -> bytes | None:
        """The body if it was read ahead whole in one message that the app has not had yet (it has it now)."""
        pending = self.pending
        if self.capturing or len(pending) != 1:
            return None
        body: bytes = pending.pop().get("body", b"")
        return body

    async def receive(self) -> Message:
        """The app's ``receive``: what was read ahead, then the server's messages (their bodies noted)."""
        if self.pending:
            return self.pending.pop(0)
        message = await self.server_receive()
        if self.capturing and message["type"] == "http.request":
            self._asked(message.get("body", b""))
        return message

    async def send(self, message: Message) -> None:
        """The app's ``send``: the answer's status, headers and body noted on the way to the server."""
        kind = message["type"]
        if kind == "http.response.body":
            self._answered(message.get("body", b""))
        elif kind == "http.response.start":
            self.status = message["status"]
            self.answer_headers = message.get("headers", ())
        await self.server_send(message)

    async def answer(self, status: int, headers: Any, body: bytes | memoryview) -> None:
        """A whole answer sent at once (its start, then its body), noted as ``send`` would note them."""
        self.status = status
        self.answer_headers = headers
        await self.server_send({"type": "http.response.start", "status": status, "headers": headers})
        self._answered(body)
        await self.server_send({"type": "http.response.body", "body": body})

    def _asked(self, data: bytes) -> None:
        self.asked_size += len(data)
        room = self.cap - len(self.asked_body)
        if room > 0 and data:
            self.asked_body += data[:room]

    def _answered(self, data: bytes | memoryview) -> None:
        self.answer_size += len(data)
        room = self.cap - len(self.answer_body)
        if room > 0 and data:
            self.answer_body += data[:room]


def exchange_of(receive_or_send: Any) -> Exchange | None:
    """The exchange whose ``receive`` or ``send`` this is (None for any other callable)."""
    owner = getattr(receive_or_send, "__self__", None)
    return owner if type(owner) is Exchange else None
