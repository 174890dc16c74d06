"""The webhook delivery queue: ordering, concurrency, retries, give-up, no URL, restart, formats."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.clock import EmulatorClock
from emulator.store import MemoryStore, SqliteStore, Store
from emulator.webhooks.config import WebhookConfig
from emulator.webhooks.payloads import build
from emulator.webhooks.queue import DeliveryQueue

URL = "http://bot.test/hook"
Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def text(body: str, wa_id: str = "15550001") -> dict[str, Any]:
    """Wire-neutral content of one inbound text message."""
    return {
        "contacts": [{"profile": {"name": "Ann"}, "wa_id": wa_id}],
        "messages": [{"from": wa_id, "id": f"ABGG{body}", "timestamp": "1700000000", "type": "text",
                      "text": {"body": body}}],
    }  # fmt: skip


def body_of(request: httpx.Request) -> str:
    return str(json.loads(request.content)["messages"][0]["text"]["body"])


@dataclass
class Rig:
    """A queue wired to a mock receiver whose answers the test scripts."""

    queue: DeliveryQueue
    clock: EmulatorClock
    settings: dict[str, WebhookConfig]
    received: list[httpx.Request] = field(default_factory=list)

    def configure(self, **changes: Any) -> None:
        self.settings["now"] = replace(self.settings["now"], **changes)
        self.queue.kick()

    def bodies(self) -> list[str]:
        return [body_of(r) for r in self.received]


@pytest.fixture
async def rig_factory() -> AsyncIterator[Callable[..., Awaitable[Rig]]]:
    made: list[tuple[DeliveryQueue, httpx.AsyncClient]] = []

    async def make(
        answer: Callable[[httpx.Request], Awaitable[httpx.Response]] | None = None,
        *,
        store: Store | None = None,
        clock: EmulatorClock | None = None,
        **config: Any,
    ) -> Rig:
        received: list[httpx.Request] = []

        async def handler(request: httpx.Request) -> httpx.Response:
            received.append(request)
            return await answer(request) if answer else httpx.Response(200)

        settings = {"now": WebhookConfig(**{"url": URL, "backoff_delay_ms": 1, **config})}
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        clock = clock or EmulatorClock()
        queue = DeliveryQueue(store or MemoryStore(), "default", clock, client, lambda: settings["now"])
        made.append((queue, client))
        await queue.start()
        return Rig(queue, clock, settings, received)

    yield make
    for queue, client in made:
        await queue.stop()
        await client.aclose()


def statuses(*codes: int) -> Callable[[httpx.Request], Awaitable[httpx.Response]]:
    """A receiver answering these status codes in turn, then 200."""
    script = list(codes)

    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(script.pop(0) if script else 200)

    return answer


def always(code: int) -> Callable[[httpx.Request], Awaitable[httpx.Response]]:
    """A receiver that always answers ``code``."""

    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(code)

    return answer


@pytest.mark.anyio
async def test_delivered_on_200_with_json_body_and_attempt_logged(rig_factory: Any) -> None:
    rig = await rig_factory()
    doc = rig.queue.enqueue(text("hi"), recipient="15550001")
    assert doc["state"] == "pending" and doc["id"] == "1"
    await rig.queue.drain()
    [request] = rig.received
    assert request.method == "POST" and str(request.url) == URL
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == text("hi")
    stored = rig.queue.get(doc["id"])
    assert stored is not None and stored["state"] == "delivered"
    assert stored["payload"] == text("hi") and stored["url"] == URL
    [attempt] = stored["attempts"]
    assert attempt["status_code"] == 200 and attempt["url"] == URL
    assert attempt["at"] == pytest.approx(rig.clock.now(), abs=5) and attempt["duration_ms"] >= 0


@pytest.mark.anyio
async def test_500_is_retried_then_delivered_with_each_status_code_logged(rig_factory: Any) -> None:
    rig = await rig_factory(statuses(500, 503))
    doc = rig.queue.enqueue(text("hi"), recipient="15550001")
    await rig.queue.drain(retries=True)
    stored = rig.queue.get(doc["id"])
    assert stored is not None and stored["state"] == "delivered"
    assert [a["status_code"] for a in stored["attempts"]] == [500, 503, 200]
    assert len(rig.received) == 3


@pytest.mark.anyio
async def test_backoff_is_linear_capped_and_ends_when_the_emulator_clock_moves(rig_factory: Any) -> None:
    rig = await rig_factory(statuses(500, 500, 500), backoff_delay_ms=60_000, max_backoff_delay_ms=150_000)
    doc = rig.queue.enqueue(text("hi"), recipient="15550001")
    waits = []
    for _ in range(3):
        await rig.queue.drain()  # settles with the delivery backing off for a minute or more
        stored = rig.queue.get(doc["id"])
        assert stored is not None and stored["state"] == "pending"
        waits.append(round(stored["next_attempt_at"] - stored["attempts"][-1]["at"]))
        rig.clock.advance(waits[-1])  # drain() kicks: the retry is due on the emulator clock
    await rig.queue.drain()
    assert waits == [60, 120, 150]
    stored = rig.queue.get(doc["id"])
    assert stored is not None and stored["state"] == "delivered" and len(stored["attempts"]) == 4


@pytest.mark.anyio
async def test_retries_come_due_in_real_time_even_with_the_emulator_clock_frozen(rig_factory: Any) -> None:
    clock = EmulatorClock()
    clock.freeze(True)
    rig = await rig_factory(statuses(500, 500), clock=clock, backoff_delay_ms=1)
    doc = rig.queue.enqueue(text("hi"), recipient="15550001")
    await rig.queue.drain(retries=True)
    stored = rig.queue.get(doc["id"])
    assert stored is not None and stored["state"] == "delivered" and len(stored["attempts"]) == 3
    assert {a["at"] for a in stored["attempts"]} == {clock.now()}


@pytest.mark.anyio
async def test_connection_error_and_timeout_are_logged_as_errors_and_retried(
    rig_factory: Any, caplog: pytest.LogCaptureFixture
) -> None:
    failures = [httpx.ConnectError("Connection refused"), httpx.ReadTimeout("")]

    async def answer(request: httpx.Request) -> httpx.Response:
        if failures:
            exc = failures.pop(0)
            exc.request = request
            raise exc
        return httpx.Response(200)

    rig = await rig_factory(answer)
    with caplog.at_level(logging.INFO, logger="emulator.webhooks"):
        doc = rig.queue.enqueue(text("hi"), recipient="15550001")
        await rig.queue.drain(retries=True)
    stored = rig.queue.get(doc["id"])
    assert stored is not None and stored["state"] == "delivered"
    first, second, third = stored["attempts"]
    assert first["error"] == "ConnectError: Connection refused" and "status_code" not in first
    assert second["error"] == "ReadTimeout"
    assert third["status_code"] == 200
    levels = [r.levelname for r in caplog.records if r.name == "emulator.webhooks"]
    assert levels == ["WARNING", "WARNING", "INFO"]


@pytest.mark.anyio
async def test_one_recipient_stays_in_order_while_another_proceeds(rig_factory: Any) -> None:
    release_a1 = asyncio.Event()
    b_received = asyncio.Event()

    async def answer(request: httpx.Request) -> httpx.Response:
        body = body_of(request)
        if body == "a1":
            await release_a1.wait()
            return httpx.Response(500) if sum(b == "a1" for b in rig.bodies()) == 1 else httpx.Response(200)
        if body == "b1":
            b_received.set()
        return httpx.Response(200)

    rig = await rig_factory(answer)
    for body, recipient in [("a1", "A"), ("a2", "A"), ("b1", "B"), ("a3", "A")]:
        rig.queue.enqueue(text(body), recipient=recipient)
    await b_received.wait()
    assert rig.bodies() == ["a1", "b1"]  # a2 waits for a1 although a slot is free
    release_a1.set()
    await rig.queue.drain(retries=True)
    assert [b for b in rig.bodies() if b.startswith("a")] == ["a1", "a1", "a2", "a3"]
    assert [d["state"] for d in rig.queue.list(recipient="A")] == ["delivered"] * 3


@pytest.mark.anyio
async def test_max_concurrent_requests_is_respected(rig_factory: Any) -> None:
    in_flight = peak = 0
    two_in_flight, release = asyncio.Event(), asyncio.Event()

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight == 2:
            two_in_flight.set()
        await release.wait()  # hold every request open until the test has looked
        in_flight -= 1
        return httpx.Response(200)

    rig = await rig_factory(answer, max_concurrent_requests=2)
    for n in range(8):
        rig.queue.enqueue(text(f"m{n}"), recipient=f"R{n}")
    await two_in_flight.wait()
    assert (in_flight, peak) == (2, 2)  # all eight were ready, only two went
    release.set()
    await rig.queue.drain()
    assert peak == 2
    assert len(rig.queue.list(state="delivered")) == 8


@pytest.mark.anyio
async def test_without_url_deliveries_wait_and_go_out_once_a_url_is_set(rig_factory: Any) -> None:
    rig = await rig_factory(url="")
    doc = rig.queue.enqueue(text("hi"), recipient="15550001")
    await rig.queue.drain(retries=True)
    stored = rig.queue.get(doc["id"])
    assert stored is not None and stored["state"] == "pending" and stored["attempts"] == []
    assert rig.received == []
    rig.configure(url="http://bot.test/new")
    await rig.queue.drain()
    stored = rig.queue.get(doc["id"])
    assert stored is not None and stored["state"] == "delivered" and stored["url"] == "http://bot.test/new"


@pytest.mark.anyio
async def test_gives_up_after_the_limit_on_the_emulator_clock(rig_factory: Any) -> None:
    rig = await rig_factory(always(500), backoff_delay_ms=60_000)
    doc = rig.queue.enqueue(text("hi"), recipient="15550001")
    await rig.queue.drain()
    rig.clock.advance(3600)
    await rig.queue.drain()
    stored = rig.queue.get(doc["id"])
    assert stored is not None and stored["state"] == "pending" and len(stored["attempts"]) == 2
    rig.clock.advance(24 * 3600)
    await rig.queue.drain()
    stored = rig.queue.get(doc["id"])
    assert stored is not None and stored["state"] == "failed"
    assert len(stored["attempts"]) == 2  # no attempt is made past the deadline
    assert stored["error"].startswith("gave up after 86400 s and 2 attempts; last: 500")
    assert stored["next_attempt_at"] is None


@pytest.mark.anyio
async def test_failed_attempt_past_the_deadline_fails_without_retry(rig_factory: Any) -> None:
    rig = await rig_factory(statuses(500), url="", give_up_after_s=60)
    doc = rig.queue.enqueue(text("hi"), recipient="15550001")
    rig.clock.advance(120)  # waited for a URL past the deadline: one attempt is still made
    rig.configure(url=URL)
    await rig.queue.drain()
    stored = rig.queue.get(doc["id"])
    assert stored is not None and stored["state"] == "failed" and len(stored["attempts"]) == 1


@pytest.mark.anyio
async def test_failed_delivery_does_not_block_the_next_one_of_that_recipient(rig_factory: Any) -> None:
    rig = await rig_factory(statuses(500), give_up_after_s=0)
    first = rig.queue.enqueue(text("one"), recipient="A")
    second = rig.queue.enqueue(text("two"), recipient="A")
    await rig.queue.drain()
    assert [d["state"] for d in rig.queue.list()] == ["failed", "delivered"]
    assert [d["id"] for d in rig.queue.list(state="failed")] == [first["id"]]
    assert [d["id"] for d in rig.queue.list(state="delivered")] == [second["id"]]


@pytest.mark.anyio
async def test_redeliver_enqueues_a_new_delivery_of_the_same_content(rig_factory: Any) -> None:
    rig = await rig_factory()
    doc = rig.queue.enqueue(text("hi"), recipient="15550001")
    await rig.queue.drain()
    again = rig.queue.redeliver(doc["id"])
    assert again["id"] != doc["id"] and again["redelivery_of"] == doc["id"]
    await rig.queue.drain()
    assert rig.bodies() == ["hi", "hi"]
    assert [d["state"] for d in rig.queue.list()] == ["delivered", "delivered"]
    with pytest.raises(KeyError):
        rig.queue.redeliver("nope")


@pytest.mark.anyio
async def test_cloud_format_wraps_the_content_in_the_cloud_envelope(rig_factory: Any) -> None:
    rig = await rig_factory(
        format="cloud", business_wa_id="15550009999", phone_number_id="10654035", waba_id="10229012"
    )
    status = {"id": "gBEG1", "recipient_id": "15550001", "status": "read", "timestamp": "1700000000"}
    rig.queue.enqueue({"statuses": [status]}, recipient="15550001")
    await rig.queue.drain()
    assert json.loads(rig.received[0].content) == {
        "object": "whatsapp_business_account",
        "entry": [{"id": "10229012", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550009999", "phone_number_id": "10654035"},
            "statuses": [status],
        }}]}],
    }  # fmt: skip


def test_onprem_format_is_the_bare_object_and_unknown_keys_are_refused() -> None:
    ids = {"business_wa_id": "1", "phone_number_id": "2", "waba_id": "3"}
    content = {"errors": [{"code": 1, "title": "t"}], "contacts": [{"wa_id": "1"}]}
    assert build("onprem", content, **ids) == content
    assert list(build("onprem", content, **ids)) == ["contacts", "errors"]
    with pytest.raises(ValueError, match="unknown keys"):
        build("onprem", {"object": "x"}, **ids)
    with pytest.raises(ValueError, match="unknown webhook format"):
        build("graph", content, **ids)


@pytest.mark.anyio
async def test_enqueue_refuses_bad_content_and_duplicate_ids(rig_factory: Any) -> None:
    rig = await rig_factory()
    with pytest.raises(ValueError, match="empty"):
        rig.queue.enqueue({}, recipient="A")
    rig.queue.enqueue(text("hi"), recipient="A", delivery_id="x1")
    with pytest.raises(ValueError, match="already exists"):
        rig.queue.enqueue(text("hi"), recipient="A", delivery_id="x1")


@pytest.mark.anyio
async def test_a_bug_fails_one_delivery_and_the_queue_keeps_going(rig_factory: Any) -> None:
    async def answer(request: httpx.Request) -> httpx.Response:
        if body_of(request) == "boom":
            raise RuntimeError("handler bug")
        return httpx.Response(200)

    rig = await rig_factory(answer)
    bad = rig.queue.enqueue(text("boom"), recipient="A")
    good = rig.queue.enqueue(text("fine"), recipient="A")
    await rig.queue.drain()
    stored = rig.queue.get(bad["id"])
    assert stored is not None and stored["state"] == "failed"
    assert stored["error"] == "RuntimeError: handler bug"
    assert rig.queue.get(good["id"]) is not None
    assert [d["state"] for d in rig.queue.list()] == ["failed", "delivered"]


@pytest.mark.anyio
async def test_subscribers_see_every_state_change_and_a_failing_one_is_ignored(rig_factory: Any) -> None:
    rig = await rig_factory(statuses(500))
    seen: list[tuple[str, int]] = []

    def broken(doc: dict[str, Any]) -> None:
        raise RuntimeError("subscriber bug")

    rig.queue.on_change.extend([broken, lambda doc: seen.append((doc["state"], len(doc["attempts"])))])
    rig.queue.enqueue(text("hi"), recipient="A")
    await rig.queue.drain(retries=True)
    assert seen == [("pending", 0), ("pending", 1), ("delivered", 2)]


@pytest.mark.anyio
async def test_drain_times_out_on_a_receiver_that_never_recovers(rig_factory: Any) -> None:
    rig = await rig_factory(always(500), backoff_delay_ms=1)
    rig.queue.enqueue(text("hi"), recipient="A")
    await rig.queue.drain()  # without retries=True a backing-off delivery counts as settled
    with pytest.raises(TimeoutError, match=r"not settled after 0.05 s: \d in flight, \d ready, \d backing"):
        await rig.queue.drain(timeout=0.05, retries=True)


@pytest.mark.anyio
async def test_a_strict_drain_waits_only_for_retries_due_before_its_deadline(rig_factory: Any) -> None:
    rig = await rig_factory(always(500), backoff_delay_ms=60_000)
    rig.queue.enqueue(text("hi"), recipient="A")
    await rig.queue.drain(timeout=5, due_retries=True)  # the retry is due in 60 s: settled now, not in 5 s
    [item] = rig.queue.unsettled()
    assert (item["why"], item["attempts"], item["last_error"]) == ("failing", 1, "HTTP 500")


@pytest.mark.anyio
async def test_a_stopping_process_ends_a_waiting_drain(rig_factory: Any) -> None:
    rig = await rig_factory(always(500), backoff_delay_ms=1)
    rig.queue.enqueue(text("hi"), recipient="A")
    waiting = asyncio.ensure_future(rig.queue.drain(timeout=30, retries=True))
    await asyncio.sleep(0)  # let the drain start waiting (one loop turn, not a wait for time)
    rig.queue.interrupt_drains("the emulator is stopping")
    with pytest.raises(RuntimeError, match="the emulator is stopping"):
        await waiting


@pytest.mark.anyio
async def test_drain_needs_a_started_queue() -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200))) as client:
        queue = DeliveryQueue(MemoryStore(), "default", EmulatorClock(), client, WebhookConfig)
        with pytest.raises(RuntimeError, match="not started"):
            await queue.drain()


@pytest.mark.anyio
async def test_clear_forgets_everything_and_ids_start_again(rig_factory: Any) -> None:
    rig = await rig_factory(url="")
    rig.queue.enqueue(text("one"), recipient="A")
    rig.queue.enqueue(text("two"), recipient="B")
    rig.queue.clear()
    assert rig.queue.list() == []
    rig.configure(url=URL)
    doc = rig.queue.enqueue(text("three"), recipient="A")
    await rig.queue.drain()
    assert doc["id"] == "1" and rig.bodies() == ["three"]


@pytest.mark.anyio
async def test_pending_deliveries_survive_a_restart_with_sqlite(rig_factory: Any, tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    clock = EmulatorClock()
    store = SqliteStore(path)
    down = await rig_factory(statuses(500), store=store, clock=clock, backoff_delay_ms=60_000)
    backing_off = down.queue.enqueue(text("first"), recipient="A")
    queued = down.queue.enqueue(text("second"), recipient="A")
    await down.queue.drain()
    await down.queue.stop()
    store.close()

    store = SqliteStore(path)
    up = await rig_factory(store=store, clock=clock, backoff_delay_ms=60_000)
    await up.queue.drain()
    assert up.received == []  # the first one is still backing off after the restart
    clock.advance(60)
    await up.queue.drain()
    assert up.bodies() == ["first", "second"]
    assert [d["state"] for d in up.queue.list()] == ["delivered", "delivered"]
    first = up.queue.get(backing_off["id"])
    assert first is not None and [a["status_code"] for a in first["attempts"]] == [500, 200]
    assert up.queue.enqueue(text("third"), recipient="A")["id"] not in {backing_off["id"], queued["id"]}
    await up.queue.stop()
    store.close()


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", ["cloud", "onprem", "another"])
async def test_status_rows_are_stored_alike_with_or_without_a_subscriber(rig_factory: Any, fmt: str) -> None:
    store = MemoryStore()
    rig = await rig_factory(store=store, clock=EmulatorClock(base=lambda: 1_767_225_600.5), url="")
    statuses = ("sent", "delivered", "read", "failed", "deleted")
    rig.queue.enqueue_statuses('wamid.H"\\é', statuses, "15550001", fmt)  # without: rows spliced from JSON
    rig.queue.on_change.append(lambda doc: None)
    rig.queue.enqueue_statuses('wamid.H"\\é', statuses, "15550001", fmt)  # with: rows encoded from documents
    rows = [list(doc.items()) for doc in store.items("default", "deliveries")]
    assert [row[1:] for row in rows[:5]] == [row[1:] for row in rows[5:]]
    assert rows[0] == [
        ("id", "1"),
        ("recipient", "15550001"),
        ("created_at", 1_767_225_600.5),
        ("source", ['wamid.H"\\é', "sent"]),
        ("format", fmt),
    ]


@pytest.mark.anyio
async def test_unsettled_names_numbered_ids_by_value_and_ids_kept_from_a_given_one_after_them(
    rig_factory: Any,
) -> None:
    store = MemoryStore()
    first = await rig_factory(always(500), store=store, backoff_delay_ms=60_000)
    first.queue.enqueue(text("given"), recipient="B", delivery_id="order-7")  # a caller's own id
    for n in range(12):
        first.queue.enqueue(text(f"m{n}"), recipient="A")
    await first.queue.stop()
    # a new queue over the same store (a restart): the given id is kept, and no id of this run is a given one
    rig = await rig_factory(always(500), store=store, backoff_delay_ms=60_000)
    await rig.queue.drain(timeout=5)
    names = [item["id"] for item in rig.queue.unsettled()]
    assert names == [str(n) for n in range(1, 13)] + ["order-7"]  # by value: 2 before 10, text after numbers
