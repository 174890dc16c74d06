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
import logging
import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

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

Subscriber = Callable[[Doc], None]
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
    ) -> None:
        self._store = store
        self._faults = faults
        self._tenant = tenant
        self._clock = clock
        self._http = http_client
        self._config = config
        # Called with a snapshot of a delivery after every change; must not block or raise.
        self.on_change: list[Subscriber] = []
        self._lanes = Lanes()
        self._verified: set[tuple[str, str]] = set()  # Cloud callbacks that passed the handshake
        self._pending: dict[str, Doc] = {}  # the live documents of pending deliveries
        self._number = store.count(tenant, KIND)
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
        extra = {} if format is None else {"format": format}
        return self._add(content, recipient, delivery_id, extra, faulted=self._faults is not None)

    def get(self, delivery_id: str) -> Doc | None:
        """One delivery document, or None."""
        return self._store.get(self._tenant, KIND, delivery_id)

    def list(self, state: str | None = None, recipient: str | None = None) -> DocList:
        """Deliveries oldest first, optionally only those in ``state`` or for ``recipient``."""
        return [doc for page in self.pages(state, recipient) for doc in page]

    def pages(
        self, state: str | None = None, recipient: str | None = None, after: str | None = None
    ) -> Iterator[DocList]:
        """What ``list`` gives (after the delivery ``after``), a store page at a time."""
        for page in pages(self._store, self._tenant, KIND, lambda doc: str(doc["id"]), after=after):
            yield [doc for doc in page if state in (None, doc["state"]) and recipient in (None, doc["recipient"])]

    def redeliver(self, delivery_id: str) -> Doc:
        """Enqueue a new delivery of the same content and recipient; KeyError if there is no such delivery."""
        old = self.get(delivery_id)
        if old is None:
            raise KeyError(delivery_id)
        extra = {"redelivery_of": delivery_id, **({"format": old["format"]} if "format" in old else {})}
        return self._add(old["content"], old["recipient"], None, extra)

    @property
    def pending(self) -> int:
        """How many deliveries are pending."""
        return len(self._pending)

    def unsettled(self) -> DocList:
        """The deliveries still pending, each with why (call once drained: see ``settling.unsettled``)."""
        return settling.unsettled(self._pending.values(), self._config().url)

    def clear(self) -> None:
        """Forget every delivery (for reset): attempts in flight are cancelled, ids start again at 1."""
        self._epoch += 1
        for task in self._attempts:
            task.cancel()
        self._lanes = Lanes()
        self._pending.clear()
        self._number = 0
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

    def _add(
        self, content: Mapping[str, Any], recipient: str, delivery_id: str | None, extra: Doc, *, faulted: bool = False
    ) -> Doc:
        check_content(content)
        if delivery_id is None:
            delivery_id = self._new_id()
        elif delivery_id in self._pending or self.get(delivery_id) is not None:
            raise ValueError(f"a webhook delivery with id {delivery_id!r} already exists")
        now = self._clock.now()
        doc: Doc = {
            "id": delivery_id,
            "recipient": recipient,
            "content": dict(content),
            "payload": None,
            "url": None,
            "state": PENDING,
            "attempts": [],
            "created_at": now,
            "next_attempt_at": now,
            **extra,
        }
        plan = self._faults.plan(doc) if faulted and self._faults is not None else None
        self._store.put(self._tenant, KIND, delivery_id, doc)
        self._pending[delivery_id] = doc
        self._lanes.add(recipient, delivery_id, hold=plan is not None and plan.reorder)
        if plan is not None and plan.reorder:
            self._hold_timer()
        self._wake.set()
        self._notify(doc)
        for _ in range(plan.copies if plan is not None else 0):
            self._add(content, recipient, None, {**extra, "duplicate_of": delivery_id, "faults": doc["faults"]})
        return _snapshot(doc)

    def _hold_timer(self) -> None:
        """Reordered deliveries wait for the next one to their recipient, but not for ever."""
        if self._release is None and self._worker is not None:
            self._release = asyncio.get_running_loop().call_later(REORDER_HOLD_S, self._release_held)

    def _release_held(self) -> None:
        self._release = None
        if self._lanes.release_held():
            self._wake.set()

    def _new_id(self) -> str:
        while True:
            self._number += 1
            key = str(self._number)
            if key not in self._pending and self.get(key) is None:
                return key

    def _resume(self, loop: asyncio.AbstractEventLoop) -> None:
        self._lanes = Lanes()
        self._pending = {}
        now = self._clock.now()
        for doc in self._store.items(self._tenant, KIND):
            if doc["state"] != PENDING:
                continue
            self._pending[doc["id"]] = doc
            due = doc["next_attempt_at"]
            wait = (loop.time() + due - now, due) if doc["attempts"] and due > now else None
            self._lanes.add(doc["recipient"], doc["id"], wait=wait)

    def _save(self, doc: Doc) -> None:
        try:
            self._store.put(self._tenant, KIND, doc["id"], doc)
        except Exception:
            logger.exception("webhook %s: could not store the delivery", doc["id"])
        self._notify(doc)

    def _notify(self, doc: Doc) -> None:
        if not self.on_change:
            return
        snapshot = _snapshot(doc)
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
                doc = self._pending[delivery_id]
                task = loop.create_task(self._attempt(recipient, doc, cfg, self._epoch))
                self._attempts.add(task)
                task.add_done_callback(self._attempts.discard)
        self._arm_timer(loop)
        self._passes += 1
        if self._drainers:
            self._settle(cfg)

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


def _snapshot(doc: Doc) -> Doc:
    """A copy safe to hand out: later attempts are appended to the live document, not to this one."""
    return {**doc, "attempts": list(doc["attempts"])}
