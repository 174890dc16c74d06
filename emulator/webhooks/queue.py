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
    until it answers 200 or the deadline passes). Raises TimeoutError past ``timeout`` seconds.

``redeliver()``
    Enqueues a *new* delivery of the same content (with ``redelivery_of``), leaving the old
    document and its attempts untouched, so the log keeps the whole history.

Retention
    The log keeps at most ``max_deliveries`` deliveries (``--max-webhooks``); the oldest go first,
    1 % at a time. A pending one pushed out (no URL for a long time, or a receiver that keeps
    failing) is dropped and counted in ``dropped``. Stored deliveries are compact (``log``):
    a status webhook names its message and is built when it is sent.

No polling anywhere: one worker task waits on an asyncio.Event set by ``enqueue``, ``kick``,
finished attempts and a single timer armed for the earliest backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from emulator.clock import Clock
from emulator.store.base import Doc, Store, walk
from emulator.webhooks import log, sender
from emulator.webhooks.config import WebhookConfig
from emulator.webhooks.lanes import Lanes
from emulator.webhooks.payloads import check_content
from emulator.webhooks.sender import FAILED, PENDING

logger = logging.getLogger("emulator.webhooks")

KIND = "deliveries"
CHUNK = 500  # deliveries read per step of a scan (a control call lets others run between steps)
GONE = "not sent: its message is no longer kept (--max-messages) or was reset"

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
        *,
        resolve: log.Resolver | None = None,
        max_deliveries: int = 100_000,
    ) -> None:
        self._store = store
        self._tenant = tenant
        self._clock = clock
        self._http = http_client
        self._config = config
        self._resolve = resolve  # builds the content of a delivery enqueued with a source
        self.max_deliveries = max_deliveries
        # Called with a snapshot of a delivery after every change; must not block or raise.
        self.on_change: list[Subscriber] = []
        self._lanes = Lanes()
        self._verified: set[tuple[str, str]] = set()  # Cloud callbacks that passed the handshake
        self.stored = store.count(tenant, KIND)
        self.dropped = 0  # pending deliveries pushed out of the log
        self._failed: set[str] = set()  # ids of failed deliveries still in the log (few)
        self._forgotten: set[str] = set()  # pushed out while their attempt was in flight
        self._explicit = False  # an id was given by the caller: new ids must be checked
        self._sending = bool(config().url)  # a URL is set: new deliveries wake the worker (see kick)
        newest = store.latest(tenant, KIND, 1)
        self._number = max([self.stored, *(int(d["id"]) for d in newest if str(d["id"]).isdigit())])
        self._wake = asyncio.Event()
        self._scan = False  # next pass also checks backoffs against the emulator clock
        self._epoch = 0  # bumped by clear()/stop(): late results of older attempts are dropped
        self._passes = 0
        self._worker: asyncio.Task[None] | None = None
        self._attempts: set[asyncio.Task[None]] = set()
        self._drainers: list[tuple[int, bool, asyncio.Future[None]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None

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
        if delivery_id is not None:
            self._explicit = True
            if self._store.get(self._tenant, KIND, delivery_id) is not None:
                raise ValueError(f"a webhook delivery with id {delivery_id!r} already exists")
        extra: Doc = {"content": dict(content)} if format is None else {"content": dict(content), "format": format}
        return self.show(self._add(recipient, delivery_id, extra))

    def enqueue_source(self, source: list[Any], recipient: str, format: str, at: float) -> None:
        """Record a pending delivery (created ``at``) whose content ``resolve(source, format)`` builds when sent."""
        if self._explicit:
            key = self._new_id()
        else:  # _new_id, inline: two or three enqueues a send
            self._number += 1
            key = str(self._number)
        self._keep({"id": key, "recipient": recipient, "created_at": at, "source": source, "format": format})

    def get(self, delivery_id: str) -> Doc | None:
        """One delivery as the log shows it, or None."""
        stored = self._store.get(self._tenant, KIND, delivery_id)
        return None if stored is None else self.show(stored)

    def list(self, state: str | None = None, recipient: str | None = None) -> DocList:
        """Deliveries oldest first, optionally only those in ``state`` or for ``recipient`` (all: see ``chunks``)."""
        keep = log.matcher(state, recipient)
        return [self.show(d) for chunk in self.chunks() for d in chunk if keep(d)]

    def chunks(self, after: str | None = None) -> Iterator[DocList]:
        """Stored deliveries after ``after``, oldest first, a few hundred at a time (``show`` shows one)."""
        return walk(self._store, self._tenant, KIND, after, CHUNK)

    def show(self, stored: Doc) -> Doc:
        """A stored delivery as the log shows it: content, and the payload once attempted."""
        cfg = self._config()
        return log.shown(stored, log.content_of(stored, self._resolve, cfg.format), cfg)

    def counts(self) -> dict[str, int]:
        """Deliveries in the log by state, and how many pending ones were dropped from it."""
        pending, failed = self._lanes.size, len(self._failed)
        delivered = self.stored - pending - failed
        return {
            "stored": self.stored,
            "pending": pending,
            "delivered": delivered,
            "failed": failed,
            "dropped": self.dropped,
        }

    def redeliver(self, delivery_id: str) -> Doc:
        """Enqueue a new delivery of the same content and recipient; KeyError if there is no such delivery."""
        old = self._store.get(self._tenant, KIND, delivery_id)
        if old is None:
            raise KeyError(delivery_id)
        extra: Doc = {k: old[k] for k in ("content", "source", "format") if k in old}
        return self.show(self._add(old["recipient"], None, {**extra, "redelivery_of": delivery_id}))

    def clear(self) -> None:
        """Forget every delivery (for reset): attempts in flight are cancelled, ids start again at 1."""
        self._epoch += 1
        for task in self._attempts:
            task.cancel()
        self._lanes = Lanes()
        self._number = self.stored = 0
        self._failed.clear()
        self._store.clear(self._tenant, [KIND])
        self._wake.set()

    def kick(self) -> None:
        """Re-evaluate due times against the emulator clock and the config (after moving either)."""
        self._sending = bool(self._config().url)
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
        for _, _, future in self._drainers:
            if not future.done():
                future.set_exception(RuntimeError("the webhook delivery queue was stopped"))
        self._drainers.clear()

    async def drain(self, timeout: float = 5.0, *, retries: bool = False) -> None:
        """Wait until the queue is settled (see the module docstring); TimeoutError past ``timeout``."""
        if self._worker is None:
            raise RuntimeError("the webhook delivery queue is not started")
        entry = (self._passes, retries, asyncio.get_running_loop().create_future())
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

    def _add(self, recipient: str, delivery_id: str | None, extra: Doc) -> Doc:
        """Store a new pending delivery (its compact form, answered)."""
        doc: Doc = {
            "id": delivery_id or self._new_id(),
            "recipient": recipient,
            "created_at": self._clock.now(),
            **extra,
        }
        self._keep(doc)
        return doc

    def _keep(self, doc: Doc) -> None:
        """Store a new pending delivery, queue it in its lane, and wake the worker if it can send it."""
        self._store.put(self._tenant, KIND, doc["id"], doc)
        self._lanes.add(doc["recipient"], doc["id"])
        self.stored += 1
        if self.stored > self.max_deliveries:
            self._trim()
        if self._sending or self._drainers:
            self._wake.set()
        if self.on_change:
            self._notify(doc)

    def _new_id(self) -> str:
        self._number += 1
        key = str(self._number)
        while self._explicit and self._store.get(self._tenant, KIND, key) is not None:
            self._number += 1
            key = str(self._number)
        return key

    def _trim(self) -> None:
        """Push the oldest deliveries out of the log (1 % of it); pending ones among them are dropped."""
        gone = self._store.trim(self._tenant, KIND, self.max_deliveries - max(1, self.max_deliveries // 100))
        dropped, busy = self._lanes.drop(set(gone))
        self.dropped += dropped
        self._forgotten.update(busy)
        self._failed.difference_update(gone)
        self.stored = self._store.count(self._tenant, KIND)
        if dropped and (self.dropped == dropped or self.dropped // 10_000 > (self.dropped - dropped) // 10_000):
            what = "webhook log full (--max-webhooks %d): %d pending deliveries dropped so far"
            logger.warning(what, self.max_deliveries, self.dropped)

    def _resume(self, loop: asyncio.AbstractEventLoop) -> None:
        self._lanes = Lanes()
        self._failed = set()
        now = self._clock.now()
        for chunk in self.chunks():
            for stored in chunk:
                state = log.state_of(stored)
                if state == FAILED:
                    self._failed.add(stored["id"])
                if state != PENDING:
                    continue
                doc = log.whole(stored, None)
                due = doc["next_attempt_at"]
                wait = (loop.time() + due - now, due) if doc["attempts"] and due > now else None
                self._lanes.add(doc["recipient"], doc["id"], wait=wait)

    def _save(self, doc: Doc) -> None:
        if doc["id"] in self._forgotten:  # pushed out of the log while it was being sent
            self._forgotten.discard(doc["id"])
            return
        if doc["state"] == FAILED:
            self._failed.add(doc["id"])
        stored = log.stored_form(doc)
        try:
            self._store.put(self._tenant, KIND, doc["id"], stored)
        except Exception:
            logger.exception("webhook %s: could not store the delivery", doc["id"])
        if self.on_change:
            self._notify(stored)

    def _notify(self, stored: Doc) -> None:
        snapshot = self.show(stored)
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
        self._sending = bool(cfg.url)
        emu_now = None
        if self._scan:
            self._scan = False
            emu_now = self._clock.now()
        self._lanes.promote(loop.time(), emu_now)
        if cfg.url:
            limit = max(1, cfg.max_concurrent_requests)
            while self._lanes.busy < limit and (item := self._lanes.take()) is not None:
                recipient, delivery_id = item
                stored = self._store.get(self._tenant, KIND, delivery_id)
                if stored is None:  # pushed out of the log by now
                    self._lanes.done(recipient)
                    continue
                task = loop.create_task(self._attempt(recipient, stored, cfg, self._epoch))
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
        for entry in list(self._drainers):
            since, retries, future = entry
            if self._passes > since and not (retries and cfg.url and lanes.waiting):
                if not future.done():
                    future.set_result(None)
                self._drainers.remove(entry)

    async def _attempt(self, recipient: str, stored: Doc, cfg: WebhookConfig, epoch: int) -> None:
        doc = log.whole(stored, None)
        try:
            doc["content"] = log.content_of(stored, self._resolve, cfg.format)
            if doc["content"] is None:  # a status of a message no longer kept (--max-messages)
                doc.update(state=FAILED, next_attempt_at=None, finished_at=self._clock.now(), error=GONE)
                delay = None
            else:
                delay = await sender.attempt(doc, cfg, self._http, self._clock, self._verified)
        except Exception as exc:  # a bug: fail this delivery, keep the queue going
            logger.exception("webhook %s: internal error, delivery failed", doc["id"])
            doc.update(state=FAILED, next_attempt_at=None, finished_at=self._clock.now())
            doc["error"] = sender.error_text(exc)
            delay = None
        if epoch != self._epoch:
            return
        if delay is None:
            self._lanes.done(recipient)
        else:
            self._lanes.retry(recipient, asyncio.get_running_loop().time() + delay, doc["next_attempt_at"])
        self._save(doc)
        self._wake.set()
