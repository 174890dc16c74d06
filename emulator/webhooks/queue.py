"""The webhook delivery queue: every outbound webhook goes through here, ordered, retried and logged.

Each delivery is a document in the store (kind ``deliveries``), so ``GET /_emulator/webhooks`` can
show every payload, every attempt and the final state, and a SQLite store carries pending
deliveries over a restart (``start()`` resumes them; delivery is at-least-once: an attempt cut off
by ``stop()`` is made again).

Ordering and concurrency
    Deliveries for one recipient go out strictly in order: the next one waits until the previous
    is ``delivered`` or ``failed`` for good. Different recipients go in parallel, at most
    ``max_concurrent_requests`` attempts in flight.

Retries
    Any answer but HTTP 200, a transport error or a timeout is retried. After the n-th failed
    attempt the delivery waits ``min(n * backoff_delay_ms, max_backoff_delay_ms)``. A retry
    becomes due at whichever comes first: that delay in real time (an event-loop timer), or the
    emulator clock reaching ``next_attempt_at``. The worker notices the second only when woken,
    so whoever moves the emulator clock calls ``kick()`` (``drain()`` kicks too). Once the emulator
    clock is ``give_up_after_s`` past ``created_at``, a failed attempt is not retried and a retry
    coming due is not made: the delivery becomes ``failed`` with an ``error`` text.

No URL
    While no webhook URL is set, deliveries stay ``pending`` with no attempt and no deadline
    check; they go out once a URL is set and ``kick()`` is called.

Compact, and built when sent
    A status webhook is enqueued as a *source*, ``[message_id, status]``, not as content: the
    content is built from the message's record when the delivery is attempted or shown (``resolve``),
    so a queued status costs a short row, not a payload. A delivery never attempted is stored
    without the fields it has not got yet (``_whole`` fills them in). Live documents are kept only
    for deliveries the worker has taken; the rest are ids in their lanes. The log keeps the newest
    ``max_deliveries`` (``--max-webhooks``): past it the oldest 1 % go, pending ones among them
    dropped (counted, and logged), so a load test with no webhook URL runs in constant memory.

``drain()``
    Waits until the queue is settled: no attempt in flight and no delivery that could be
    attempted now. Settled deliveries are delivered, failed, waiting for a URL, or backing off;
    with ``retries=True`` backing off does not count as settled (so a flaky receiver is retried
    until it answers 200 or the deadline passes), with ``due_retries=True`` only a backoff ending
    after the deadline does. Raises TimeoutError past ``timeout`` seconds. ``unsettled()`` then
    says which deliveries are still pending and why (``emulator.webhooks.settling``).

Faults
    The fault rules (``emulator/faults/webhooks.py``) may duplicate a new delivery, delay it, hold it
    back until the next one to its recipient (``drain()`` lets it go), or fail attempts without
    contacting the receiver (a dropped first attempt, an outage); all of it shows in the log.

``redeliver()``
    Enqueues a *new* delivery of the same content (with ``redelivery_of``), leaving the old
    document and its attempts untouched, so the log keeps the whole history.

No polling anywhere: one worker task waits on an asyncio.Event set by ``enqueue``, ``kick``,
finished attempts and a single timer armed for the earliest backoff.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import orjson

from emulator.clock import Clock
from emulator.faults.webhooks import Fail, Wait, WebhookFaults
from emulator.store.base import Doc, Store, pages
from emulator.webhooks import sender, settling
from emulator.webhooks.config import WebhookConfig
from emulator.webhooks.lanes import Lanes
from emulator.webhooks.payloads import check_content
from emulator.webhooks.sender import FAILED, PENDING

logger = logging.getLogger("emulator.webhooks")

KIND = "deliveries"
REORDER_HOLD_S = 5.0  # real seconds a reordered delivery waits for a next one before it goes anyway
GONE = "not sent: its message is no longer kept (--max-messages)"
UNSETTLED_SHOWN = 100  # pending deliveries a strict drain names (it counts them all)
# The JSON of the usual statuses and formats a status row is spliced from (``enqueue_statuses``)
_STATUSES = {status: orjson.dumps(status) for status in ("sent", "delivered", "read", "failed")}
_FORMATS = {fmt: orjson.dumps(fmt) for fmt in ("cloud", "onprem")}

Subscriber = Callable[[Doc], None]
Resolver = Callable[[list[Any], str], Doc | None]  # (source, format) -> content, None if the message is gone
DocList = list[Doc]  # an alias: inside the class ``list`` names the method


class DeliveryQueue:
    """The one outbound webhook queue of a tenant: store-backed, per-recipient ordered, retried."""

    def __init__(
        self,
        store: Store,
        tenant: str,
        clock: Clock,
        http_client: httpx.AsyncClient,
        config: Callable[[], WebhookConfig],
        faults: WebhookFaults | None = None,
        *,
        resolve: Resolver | None = None,
        max_deliveries: int = 100_000,
    ) -> None:
        self._store = store
        self._faults = faults
        self._resolve = resolve
        self.max_deliveries = max_deliveries
        self._tenant = tenant
        self._clock = clock
        self._http = http_client
        self._config = config
        # Called with a snapshot of a delivery after every change; must not block or raise.
        self.on_change: list[Subscriber] = []
        self._lanes = Lanes()
        self._verified: set[tuple[str, str]] = set()  # Cloud callbacks that passed the handshake
        self._pending: dict[str, Doc] = {}  # live documents of the deliveries the worker has taken
        self._failed: set[str] = set()  # ids of failed deliveries still in the log (few)
        self._forgotten: set[str] = set()  # pushed out of the log while their attempt was in flight
        self.stored = store.count(tenant, KIND)
        self.dropped = 0  # pending deliveries pushed out of the log since the last reset
        newest = store.latest(tenant, KIND, 1)  # ids go on from the newest kept (the oldest may be trimmed)
        self._number = max([self.stored, *(int(d["id"]) for d in newest if str(d["id"]).isdigit())])
        self._explicit = False  # a caller gave an id of its own: new numbers must be checked
        self._wake = asyncio.Event()
        self._scan = False  # next pass also checks backoffs against the emulator clock
        self._epoch = 0  # bumped by clear()/stop(): late results of older attempts are dropped
        self._passes = 0
        self._worker: asyncio.Task[None] | None = None
        self._attempts: set[asyncio.Task[None]] = set()
        self._drainers: list[tuple[int, float, asyncio.Future[None]]] = []  # pass, wait for backoffs until
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._release: asyncio.TimerHandle | None = None  # lets reordered deliveries go if nothing follows

    # -- the API ----------------------------------------------------------------------------

    def enqueue(
        self,
        content: Mapping[str, Any],
        *,
        recipient: str,
        delivery_id: str | None = None,
        format: str | None = None,
    ) -> Doc:
        """Record a pending delivery of ``content`` (contacts/messages/statuses/errors); wake the worker.

        ``format`` is the wire format the content was rendered for (the config's at send time if None).
        """
        check_content(content)
        extra = {"content": dict(content)} if format is None else {"content": dict(content), "format": format}
        return self._shown(self._add(recipient, delivery_id, extra))

    def enqueue_statuses(
        self, message_id: str, statuses: tuple[str, ...], recipient: str, format: str, at: float | None = None
    ) -> None:
        """Record a pending delivery for each status, whose content ``resolve`` builds from the message when needed.

        ``at``: when the statuses were reached, the deliveries' ``created_at`` (now if None).

        Every send comes here, so the common case (no fault rule armed, no ids of a caller's own, nobody
        listening) is done in line: what ``_add`` would do, without what does not apply.
        """
        now = self._clock.now() if at is None else at
        if self._explicit or self.on_change or (self._faults is not None and self._faults.armed):
            for status in statuses:  # the general way: ids of a caller's own, a subscriber, fault rules
                self._add(recipient, None, {"created_at": now, "source": [message_id, status], "format": format})
            return
        tenant, store = self._tenant, self._store
        # The rows differ only in id and status: their JSON is the encoding of what they share (one
        # orjson call, not a dict, an encoding and a copy per row), with those two spliced in.
        shared = orjson.dumps({"recipient": recipient, "created_at": now, "source": [message_id]})[1:-2]
        encoded_format = _FORMATS.get(format) or orjson.dumps(format)
        keys = []
        first, self._number = self._number + 1, self._number + len(statuses)
        for number, status in enumerate(statuses, first):
            key = str(number)
            encoded_status = _STATUSES.get(status) or orjson.dumps(status)
            store.put_encoded(
                tenant, KIND, key, b'{"id":"%d",%b,%b],"format":%b}' % (number, shared, encoded_status, encoded_format)
            )
            keys.append(key)
        self._lanes.extend(recipient, keys)
        self.stored += len(statuses)
        if self.stored > self.max_deliveries:
            self._trim()
        if self._drainers or self._config().url:  # with no URL the worker has nothing to do (kick wakes it)
            self._wake.set()

    def get(self, delivery_id: str) -> Doc | None:
        """One delivery document, or None."""
        if delivery_id in self._pending:
            return self._shown(self._pending[delivery_id])
        stored = self._store.get(self._tenant, KIND, delivery_id)
        return None if stored is None else self._shown(stored)

    def list(self, state: str | None = None, recipient: str | None = None) -> DocList:
        """Deliveries oldest first, optionally only those in ``state`` or for ``recipient``."""
        return [doc for page in self.pages(state, recipient) for doc in page]

    def pages(
        self, state: str | None = None, recipient: str | None = None, after: str | None = None
    ) -> Iterator[DocList]:
        """What ``list`` gives (after the delivery ``after``), a store page at a time."""
        for page in pages(self._store, self._tenant, KIND, lambda doc: str(doc["id"]), after=after):
            yield [
                self._shown(doc)
                for doc in page
                if state in (None, doc.get("state", PENDING)) and recipient in (None, doc["recipient"])
            ]

    def redeliver(self, delivery_id: str) -> Doc:
        """Enqueue a new delivery of the same content and recipient; KeyError if there is no such delivery."""
        old = self.get(delivery_id)
        if old is None:
            raise KeyError(delivery_id)
        if old["content"] is None:
            raise ValueError(f"webhook delivery {delivery_id} cannot be sent again: {GONE}")
        extra = {"content": old["content"], "redelivery_of": delivery_id}
        if "format" in old:
            extra["format"] = old["format"]
        return self._shown(self._add(old["recipient"], None, extra, faulted=False))

    @property
    def pending(self) -> int:
        """How many deliveries are pending."""
        return self._lanes.size + self._lanes.held

    def counts(self) -> dict[str, int]:
        """Deliveries in the log by state (those with none left out), as a drain answers them."""
        pending, failed = self.pending, len(self._failed)
        found = {"pending": pending, "delivered": self.stored - pending - failed, "failed": failed}
        return {state: count for state, count in found.items() if count}

    def unsettled(self) -> DocList:
        """The first pending deliveries, oldest first, each with why (call once drained: ``settling.unsettled``).

        At most ``UNSETTLED_SHOWN`` of them: ``pending`` says how many there are.
        """
        try:  # the queue's own ids are numbers, in order by value: int is a key in C (~15 ms fewer at 100 k)
            first = heapq.nsmallest(UNSETTLED_SHOWN, self._lanes.ids(), key=_order if self._explicit else int)
        except ValueError:  # ids a caller gave, kept from before a restart
            first = heapq.nsmallest(UNSETTLED_SHOWN, self._lanes.ids(), key=_order)
        docs = [self._pending.get(i) or self._store.get(self._tenant, KIND, i) for i in first]
        return settling.unsettled([_whole(d) for d in docs if d is not None], self._config().url)

    def clear(self) -> None:
        """Forget every delivery (for reset): attempts in flight are cancelled, ids start again at 1."""
        self._epoch += 1
        for task in self._attempts:
            task.cancel()
        self._lanes = Lanes()
        self._pending.clear()
        self._failed.clear()
        self._forgotten.clear()
        self._number = self.stored = self.dropped = 0
        self._explicit = False
        self._store.clear(self._tenant, [KIND])
        self._wake.set()

    def kick(self) -> None:
        """Re-evaluate due times against the emulator clock and the config (after moving either)."""
        self._scan = True
        self._wake.set()

    async def start(self) -> None:
        """Resume every pending delivery from the store and start the worker (from the app lifespan)."""
        self.begin()

    def begin(self) -> None:
        """``start`` for callers already on the event loop that cannot await (queues made on first use)."""
        if self._worker is not None:
            return
        loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._resume(loop)
        self._scan = True
        self._wake.set()
        self._worker = loop.create_task(self._run(), name=f"webhooks:{self._tenant}")

    async def stop(self) -> None:
        """Stop the worker and cancel attempts in flight; their deliveries stay pending in the store."""
        worker, self._worker = self._worker, None
        if worker is None:
            return
        self._epoch += 1
        tasks = [worker, *self._attempts]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._timer_at = None
        if self._release is not None:
            self._release.cancel()
            self._release = None
        self.interrupt_drains("the webhook delivery queue was stopped")

    def interrupt_drains(self, why: str) -> None:
        """End every ``drain()`` waiting now with RuntimeError(``why``) (the process is stopping)."""
        for _, _, future in self._drainers:
            if not future.done():
                future.set_exception(RuntimeError(why))
        self._drainers.clear()

    async def drain(self, timeout: float = 5.0, *, retries: bool = False, due_retries: bool = False) -> None:
        """Wait until the queue is settled (see the module docstring); TimeoutError past ``timeout``."""
        if self._worker is None:
            raise RuntimeError("the webhook delivery queue is not started")
        self._lanes.release_held()  # deliveries held back for reordering go now: nothing else may follow
        loop = asyncio.get_running_loop()
        until = math.inf if retries else loop.time() + timeout if due_retries else -math.inf
        entry = (self._passes, until, loop.create_future())
        self._drainers.append(entry)
        self.kick()
        try:
            async with asyncio.timeout(timeout):
                await entry[2]
        except TimeoutError:
            lanes = self._lanes
            raise TimeoutError(
                f"webhook deliveries not settled after {timeout} s: {lanes.busy} in flight, "
                f"{lanes.ready} ready, {lanes.waiting} backing off"
            ) from None
        finally:
            if entry in self._drainers:
                self._drainers.remove(entry)

    # -- bookkeeping ------------------------------------------------------------------------

    def _add(self, recipient: str, delivery_id: str | None, extra: Doc, *, faulted: bool = True) -> Doc:
        """Store a new pending delivery (compact: see ``_whole``), queue it, wake the worker; the stored form.

        ``faulted``: the fault rules may act on it (not on a redelivery, nor on a fault's own copies).
        """
        if delivery_id is None:
            delivery_id = self._new_id()
        elif delivery_id in self._pending or self._store.get(self._tenant, KIND, delivery_id) is not None:
            raise ValueError(f"a webhook delivery with id {delivery_id!r} already exists")
        else:
            self._explicit = True
        doc: Doc = {"id": delivery_id, "recipient": recipient, "created_at": self._clock.now(), **extra}
        plan = None
        if faulted and self._faults is not None and self._faults.armed:  # rules match on content: build it now
            if "source" in doc:
                doc["content"] = self._content(doc)
            if doc["content"] is not None:
                plan = self._faults.plan(doc)
        self._store.put(self._tenant, KIND, delivery_id, doc)
        self._lanes.add(recipient, delivery_id, hold=plan is not None and plan.reorder)
        self.stored += 1
        if self.stored > self.max_deliveries:
            self._trim()
        if plan is not None and plan.reorder:
            self._hold_timer()
        if self._drainers or self._config().url:  # with no URL the worker has nothing to do (kick wakes it)
            self._wake.set()
        if self.on_change:
            self._notify(doc)
        for _ in range(plan.copies if plan is not None else 0):
            copy = {k: v for k, v in extra.items() if k != "source"}
            copy.update(content=doc["content"], duplicate_of=delivery_id, faults=doc["faults"])
            self._add(recipient, None, copy, faulted=False)
        return doc

    def _trim(self) -> None:
        """Push the oldest deliveries out of the log (1 % of it); pending ones among them are dropped."""
        keep = self.max_deliveries - max(1, self.max_deliveries // 100)
        gone = self._store.trim(self._tenant, KIND, keep)
        if not gone:
            return
        dropped, busy = self._lanes.drop(set(gone))
        self.dropped += dropped
        for delivery_id in gone:
            self._pending.pop(delivery_id, None)
            self._failed.discard(delivery_id)
        self._forgotten.update(busy)
        self.stored = self._store.count(self._tenant, KIND)
        if dropped and (self.dropped == dropped or self.dropped // 10_000 > (self.dropped - dropped) // 10_000):
            what = "webhook log full (--max-webhooks %d): %d pending deliveries dropped so far"
            logger.warning(what, self.max_deliveries, self.dropped)

    def _content(self, doc: Doc) -> Doc | None:
        """The content of a delivery enqueued as a source, built now from its message."""
        if self._resolve is None:
            return None
        return self._resolve(doc["source"], doc.get("format") or self._config().format)

    def _shown(self, stored: Doc) -> Doc:
        """A delivery as the log shows it: every field, the content built, attempts a copy of the live list."""
        doc = _whole(stored)
        if "source" in doc:
            doc = {k: v for k, v in doc.items() if k != "source"}
            if doc.get("content") is None:
                doc["content"] = self._content(stored)
        return {**doc, "attempts": list(doc["attempts"])}

    def _hold_timer(self) -> None:
        """Reordered deliveries wait for the next one to their recipient, but not for ever."""
        if self._release is None and self._worker is not None:
            self._release = asyncio.get_running_loop().call_later(REORDER_HOLD_S, self._release_held)

    def _release_held(self) -> None:
        self._release = None
        if self._lanes.release_held():
            self._wake.set()

    def _new_id(self) -> str:
        self._number += 1
        key = str(self._number)
        while self._explicit and (key in self._pending or self._store.get(self._tenant, KIND, key) is not None):
            self._number += 1  # a caller gave ids of its own: a number may be taken
            key = str(self._number)
        return key

    def _resume(self, loop: asyncio.AbstractEventLoop) -> None:
        self._lanes = Lanes()
        self._pending = {}
        self._failed = set()
        now = self._clock.now()
        for stored in self._store.items(self._tenant, KIND):
            doc = _whole(stored)
            if doc["state"] == FAILED:
                self._failed.add(doc["id"])
            if doc["state"] != PENDING:
                continue
            due = doc["next_attempt_at"]
            wait = (loop.time() + due - now, due) if doc["attempts"] and due > now else None
            self._lanes.add(doc["recipient"], doc["id"], wait=wait)

    def _save(self, doc: Doc) -> None:
        if doc["id"] in self._forgotten:  # pushed out of the log while it was being sent
            self._forgotten.discard(doc["id"])
            return
        if doc["state"] == FAILED:
            self._failed.add(doc["id"])
        try:
            self._store.put(self._tenant, KIND, doc["id"], doc)
        except Exception:
            logger.exception("webhook %s: could not store the delivery", doc["id"])
        self._notify(doc)

    def _notify(self, doc: Doc) -> None:
        if not self.on_change:
            return
        snapshot = self._shown(doc)
        for subscriber in list(self.on_change):
            try:
                subscriber(snapshot)
            except Exception:
                logger.exception("webhook subscriber %r failed", subscriber)

    # -- the worker -------------------------------------------------------------------------

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            try:
                self._dispatch(loop)
            except Exception:  # never let the worker die; the next wake-up tries again
                logger.exception("webhook dispatcher error")
            await self._wake.wait()

    def _dispatch(self, loop: asyncio.AbstractEventLoop) -> None:
        cfg = self._config()
        emu_now = None
        if self._scan:
            self._scan = False
            emu_now = self._clock.now()
        self._lanes.promote(loop.time(), emu_now)
        if cfg.url:
            limit = max(1, cfg.max_concurrent_requests)
            while self._lanes.busy < limit and (item := self._lanes.take()) is not None:
                recipient, delivery_id = item
                doc = self._taken(recipient, delivery_id)
                if doc is None:
                    continue
                task = loop.create_task(self._attempt(recipient, doc, cfg, self._epoch))
                self._attempts.add(task)
                task.add_done_callback(self._attempts.discard)
        self._arm_timer(loop)
        self._passes += 1
        if self._drainers:
            self._settle(cfg)

    def _taken(self, recipient: str, delivery_id: str) -> Doc | None:
        """The live document of a delivery the worker took, its content built; None if it cannot go."""
        doc = self._pending.get(delivery_id)
        if doc is not None:
            return doc
        stored = self._store.get(self._tenant, KIND, delivery_id)
        doc = None if stored is None else _whole(stored)
        if doc is not None and "source" in doc:
            if doc["content"] is None:
                doc["content"] = self._content(doc)
            del doc["source"]
            if doc["content"] is None:  # its message was forgotten meanwhile: nothing to build it from
                doc.update(state=FAILED, next_attempt_at=None, finished_at=self._clock.now(), error=GONE)
                self._save(doc)
                doc = None
        if doc is None:
            self._lanes.done(recipient)
            self._wake.set()
            return None
        self._pending[delivery_id] = doc
        return doc

    def _arm_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        due = self._lanes.next_real_due()
        if due == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = due
        self._timer = None if due is None else loop.call_at(due, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = self._timer_at = None
        self._wake.set()

    def _settle(self, cfg: WebhookConfig) -> None:
        lanes = self._lanes
        if lanes.busy or (cfg.url and lanes.ready):
            return
        next_due = lanes.next_real_due() if cfg.url else None
        for entry in list(self._drainers):
            since, until, future = entry
            if self._passes > since and not (next_due is not None and next_due <= until):
                if not future.done():
                    future.set_result(None)
                self._drainers.remove(entry)

    async def _attempt(self, recipient: str, doc: Doc, cfg: WebhookConfig, epoch: int) -> None:
        try:
            fault = self._faults.before_attempt(doc) if self._faults is not None else None
            if isinstance(fault, Wait):  # a delayed delivery: no attempt yet, due later on either clock
                doc["next_attempt_at"] = self._clock.now() + fault.seconds
                delay: float | None = fault.seconds
            else:
                injected = fault.error if isinstance(fault, Fail) else None
                delay = await sender.attempt(doc, cfg, self._http, self._clock, self._verified, injected=injected)
        except Exception as exc:  # a bug: fail this delivery, keep the queue going
            logger.exception("webhook %s: internal error, delivery failed", doc["id"])
            doc.update(state=FAILED, next_attempt_at=None, finished_at=self._clock.now())
            doc["error"] = sender.error_text(exc)
            delay = None
        if epoch != self._epoch:
            return
        if delay is None:
            self._pending.pop(doc["id"], None)
            self._lanes.done(recipient)
        else:
            self._lanes.retry(recipient, asyncio.get_running_loop().time() + delay, doc["next_attempt_at"])
        self._save(doc)
        self._wake.set()


def _whole(stored: Doc) -> Doc:
    """A delivery with every field: one never attempted is stored without those it has not got yet."""
    if "state" in stored:
        return stored
    return {
        "content": None,
        "payload": None,
        "url": None,
        "state": PENDING,
        "attempts": [],
        "next_attempt_at": stored["created_at"],
        **stored,
    }


def _order(delivery_id: str) -> tuple[int, str]:
    """Oldest first: ids the queue numbers in order (given ones, any text, after them)."""
    return (int(delivery_id), "") if delivery_id.isdigit() else (1 << 62, delivery_id)
