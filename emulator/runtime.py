"""The running emulator: settings, store, schemas and tenants, with their background work.

Background work per tenant: the webhook delivery queue (created on first use, or at start when
the store holds deliveries still pending: httpx costs ~90 ms to import and the first health check
should not wait for it), and the scheduler runner that performs delayed statuses when due.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from emulator.clock import EmulatorClock
from emulator.domain.outbox import (
    Changed,
    ContactsChecked,
    Event,
    JobScheduled,
    MessageDeleted,
    MessageReceived,
    SettingsChanged,
    StatusesReached,
)
from emulator.domain.reasons import Reason, Refusal
from emulator.domain.tenant import Tenant
from emulator.faults.rules import FaultBook
from emulator.fixtures import Fixtures, load_fixtures
from emulator.journal import Journal
from emulator.resources import data_dir
from emulator.schemas import SchemaSet
from emulator.settings import Settings
from emulator.store import Store, open_store
from emulator.tenancy import DEFAULT_TENANT, tenant_prefix
from emulator.tenants import TenantDirectory, TenantSpec
from emulator.webhooks.render import render, status_wanted

if TYPE_CHECKING:
    import httpx

    from emulator.webhooks.config import WebhookConfig
    from emulator.webhooks.queue import DeliveryQueue

RESET_SLICE = 10_000  # records freed between two yields to the event loop during a reset
log = logging.getLogger("wa_emulator")


class Emulator:
    """Everything a request handler may reach, built from explicit parts (no module-level state)."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store | None = None,
        clock: EmulatorClock | None = None,
        http_client: httpx.AsyncClient | None = None,
        fixtures: Fixtures | None = None,
        schemas: SchemaSet | None = None,
    ) -> None:
        self.started = time.monotonic()
        self.settings = settings
        self.store = store if store is not None else open_store(settings.store)
        self.schemas = schemas if schemas is not None else SchemaSet(data_dir("schemas"))
        self.fixtures = fixtures if fixtures is not None else load_fixtures(settings.fixtures, self.schemas)
        self.journal = Journal(settings.journal_size, settings.journal_body_bytes)
        self._owns_http_client = http_client is None
        self._http_client = http_client
        self.clock = clock or EmulatorClock()
        self.directory = TenantDirectory(settings, self.store)
        self.faults = FaultBook(settings.seed, on_change=self._faults_changed)
        self.tenants: dict[str, Tenant] = {}
        self._queues: dict[str, DeliveryQueue] = {}
        self._configs: dict[str, WebhookConfig] = {}
        # (tenant, statuses a send reached) -> (format, those sent as webhooks): asked every send
        self._wanted: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]] = {}
        self._runners: dict[str, asyncio.Task[None]] = {}
        self._wakes: dict[str, asyncio.Event] = {}
        self._running = False
        self._flusher: asyncio.Task[None] | None = None
        self._make(self.directory.specs[DEFAULT_TENANT], self.clock)
        for spec in self.directory.saved():
            self._make(spec, self.clock.sibling())

    # -- tenants -------------------------------------------------------------------------------

    def _make(self, spec: TenantSpec, clock: EmulatorClock) -> Tenant:
        tenant = Tenant(
            spec.name,
            spec.settings(self.settings),
            self.store,
            clock,
            self.fixtures,
            bot_api=lambda: self._webhook_config(tenant).format,
        )
        self.directory.add(spec)
        self.tenants[spec.name] = tenant
        tenant.outbox.connect(functools.partial(self._route, tenant))  # (a partial: no Python frame of its own)
        if self._running:
            self._start_tenant(tenant)
        return tenant

    def tenant(self, name: str = DEFAULT_TENANT) -> Tenant:
        """A tenant by name, created on first use."""
        found = self.tenants.get(name)
        return found if found is not None else self.create_tenant(name, {})

    def create_tenant(self, name: str, options: dict[str, Any]) -> Tenant:
        """A new tenant with ``options`` (``schemas/control/tenant.json``); an existing one is answered as it is."""
        found = self.tenants.get(name)
        if found is not None:
            return found
        if len(self.tenants) >= self.settings.max_tenants:
            raise Refusal(
                Reason.INVALID_PARAMETER,
                f"tenant: {self.settings.max_tenants} tenants exist (--max-tenants); delete some first",
            )
        return self._make(self.directory.spec(name, options), self.clock.sibling())

    def _faults_changed(self, owner: str) -> None:
        tenant = self.tenants.get(owner)
        if tenant is not None:  # the page lists its tenant's rules and their hits
            tenant.outbox.emit(Changed("faults", {"owner": owner}))

    def tenant_for_number(self, phone_number_id: str) -> Tenant | None:
        """The tenant whose Cloud phone_number_id this is, or None."""
        name = self.directory.by_phone_number_id(phone_number_id)
        return None if name is None else self.tenants.get(name)

    async def delete_tenant(self, name: str) -> None:
        """Stop a tenant's background work and forget everything it held."""
        if name == DEFAULT_TENANT:
            raise Refusal(Reason.INVALID_PARAMETER, "tenant: the default tenant cannot be deleted (reset it instead)")
        tenant = self.tenants.pop(name, None)
        if tenant is None:
            raise Refusal(Reason.NOT_FOUND, f"Tenant {name} not found")
        tenant.outbox.emit(Changed("deleted", {"tenant": name}))
        runner = self._runners.pop(name, None)
        if runner is not None:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        self._wakes.pop(name, None)
        queue = self._queues.pop(name, None)
        if queue is not None:
            await queue.stop()
        self._forget_config(name)
        self.faults.forget(name)
        self.directory.remove(name)
        self.store.drop(name)

    def _route(self, tenant: Tenant, event: Event) -> None:
        """Where each domain event goes: the change feed, the delivery config, the scheduler, a webhook.

        A send emits one ``StatusesReached`` (its record's change too): it is tested first.
        """
        if type(event) is StatusesReached:
            tenant.publish(event)  # the record's change: the feed first
            found = self._wanted.get((tenant.name, event.statuses))
            fmt, wanted = found if found is not None else self._statuses_wanted(tenant, event.statuses)
            if wanted:  # their content is built when sent
                record = event.record
                self.webhooks(tenant).enqueue_statuses(record["id"], wanted, record["to"], fmt, event.at)
        elif isinstance(event, Changed):
            tenant.publish(event)
        elif isinstance(event, SettingsChanged):
            self._settings_changed(tenant)
        elif isinstance(event, JobScheduled):
            self._wake(tenant)
        elif isinstance(event, MessageReceived | MessageDeleted | ContactsChecked):
            config = self._webhook_config(tenant)
            rendered = render(config.format, event, config)
            if rendered is not None:
                content, recipient = rendered
                self.webhooks(tenant).enqueue(content, recipient=recipient, format=config.format)

    def _statuses_wanted(self, tenant: Tenant, statuses: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
        """The webhook format and those of ``statuses`` it sends a webhook for, kept until the settings change."""
        config = self._webhook_config(tenant)
        wanted = tuple(status for status in statuses if status_wanted(config.format, status, config))
        found = self._wanted[(tenant.name, statuses)] = (config.format, wanted)
        return found

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The one client for outbound webhooks (created on first use)."""
        if self._http_client is None:
            from emulator.webhooks.transport import LeanClient

            self._http_client = LeanClient(timeout=10.0)
        return self._http_client

    def webhooks(self, tenant: Tenant) -> DeliveryQueue:
        """The tenant's delivery queue, created and started on first use."""
        queue = self._queues.get(tenant.name)
        if queue is None:
            from emulator.faults.webhooks import WebhookFaults
            from emulator.webhooks.queue import DeliveryQueue
            from emulator.webhooks.sources import status_content

            faults = WebhookFaults(self.faults, tenant.name, tenant.clock)
            queue = DeliveryQueue(
                self.store,
                tenant.name,
                tenant.clock,
                self.http_client,
                lambda: self._webhook_config(tenant),
                faults,
                resolve=lambda source, fmt: status_content(tenant, source, fmt),
                max_deliveries=self.settings.max_webhooks,
            )
            self._queues[tenant.name] = queue
            if self._running:
                queue.begin()
        return queue

    def as_delivered(self, tenant: Tenant, record: dict[str, Any]) -> dict[str, Any]:
        """An inbound record's message as the bot's webhook carries it (its format, its codes)."""
        from emulator.webhooks.render import cloud_inbound, onprem_inbound

        config = self._webhook_config(tenant)
        user = tenant.users.peek(record["from"])
        if config.format == "cloud":
            content = cloud_inbound(record["message"], user, config)
        else:
            content = onprem_inbound(record["message"], user)
        message: dict[str, Any] = content["messages"][0]
        return message

    async def verify_callback(self, tenant: Tenant, url: str, verify_token: str) -> str | None:
        """Make the Cloud callback handshake with ``url`` now; None if it passed, else why not."""
        from emulator.webhooks.sender import handshake

        result = await handshake(
            self.http_client, url, verify_token, timeout_s=self.settings.webhook_timeout_s, clock=tenant.clock
        )
        return result.get("error")

    async def start(self) -> None:
        """Start background work: resume pending deliveries, run the scheduler."""
        self._running = True
        if self.store.persistent:
            self._flusher = asyncio.create_task(self._flush_store(), name="store-flush")
        for tenant in self.tenants.values():
            self._start_tenant(tenant)

    def _start_tenant(self, tenant: Tenant) -> None:
        # a kept log may hold pending deliveries: the queue resumes them (it reads the log once, not this)
        if self.store.count(tenant.name, "deliveries") or tenant.name in self._queues:
            self.webhooks(tenant).begin()
        self._wakes[tenant.name] = asyncio.Event()
        self._runners[tenant.name] = asyncio.create_task(self._run_scheduler(tenant), name=f"scheduler:{tenant.name}")

    async def stop(self) -> None:
        """Stop background work and release the store and the HTTP client."""
        self._running = False
        for runner in self._runners.values():
            runner.cancel()
        for runner in self._runners.values():
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        for queue in self._queues.values():
            await queue.stop()
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        if self._owns_http_client and self._http_client is not None:
            await self._http_client.aclose()
        self.store.close()

    def closing(self) -> None:
        """The server is stopping: answer long-polls, end event streams and drains now, rather than be waited on."""
        for tenant in self.tenants.values():
            tenant.feed.close()
        for queue in self._queues.values():
            queue.interrupt_drains("the emulator is stopping")

    async def reset(self, tenant: Tenant, *, keep: Iterable[str] = ()) -> None:
        """Back to the fixture state (see ``Tenant.reset``); the delivery log and the request journal emptied.

        The largest kinds are emptied a slice at a time first, letting other requests run between
        slices: freeing 100 000 records at once would hold the event loop for ~50 ms.
        """
        for kind in ("messages", "inbound", "deliveries"):
            while (left := self.store.count(tenant.name, kind)) > RESET_SLICE:
                self.store.trim(tenant.name, kind, left - RESET_SLICE)
                await asyncio.sleep(0)
        if tenant.name in self._queues:
            self._queues[tenant.name].clear()
        self.faults.clear(tenant.name)
        self.journal.clear(tenant.name)
        tenant.reset(keep=frozenset(keep))

    async def clock_moved(self, tenant: Tenant) -> None:
        """Let time-driven work (webhook retries, delayed statuses) see the new time."""
        self._wake(tenant)
        self._kick(tenant)

    async def drain(self, tenant: Tenant, timeout: float = 5.0, *, lenient: bool = False) -> list[dict[str, Any]]:
        """Wait until due statuses are done and webhook deliveries settled (for tests); those that did not go out.

        Strict (the default): retries that come due within ``timeout`` are waited for, and every delivery
        still pending then is returned with why. ``lenient``: settled as the queue sees it, nothing returned.
        """
        tenant.scheduler.run_due()
        queue = self._queues.get(tenant.name)
        if queue is None:
            return []
        await queue.drain(timeout, due_retries=not lenient)
        return [] if lenient else queue.unsettled()

    def webhook_config(self, tenant: Tenant) -> WebhookConfig:
        """The tenant's delivery settings as they are now."""
        return self._webhook_config(tenant)

    def counts(self, tenant: Tenant) -> dict[str, Any]:
        """What the tenant keeps, for ``/_emulator/health``: messages by direction, and the webhook log."""
        retention = tenant.messages.retention
        out: dict[str, Any] = {
            name: {"stored": retention.stored[kind], "forgotten": retention.forgotten[kind], "max": retention.limit}
            for name, kind in (("messages", "messages"), ("inbound", "inbound"))
        }
        queue = self._queues.get(tenant.name)
        out["webhooks"] = {
            "stored": queue.stored if queue else self.store.count(tenant.name, "deliveries"),
            "pending": queue.pending if queue else 0,
            "dropped": queue.dropped if queue else 0,
            "max": self.settings.max_webhooks,
        }
        return out

    async def _flush_store(self) -> None:
        """Commit what a persistent store buffered, every ``FLUSH_S`` (at most that is lost on ``kill -9``)."""
        from emulator.store.sqlite import FLUSH_S

        while True:
            await asyncio.sleep(FLUSH_S)
            try:
                self.store.flush()
            except Exception:  # a full disk must not stop the emulator; the next flush tries again
                log.exception("could not write the store")

    def _webhook_config(self, tenant: Tenant) -> WebhookConfig:
        """The tenant's delivery settings, rebuilt only when the application settings change."""
        config = self._configs.get(tenant.name)
        if config is None:
            config = self._configs[tenant.name] = webhook_config(tenant)
        return config

    def _settings_changed(self, tenant: Tenant) -> None:
        self._forget_config(tenant.name)
        self._kick(tenant)

    def _forget_config(self, name: str) -> None:
        self._configs.pop(name, None)
        for key in [key for key in self._wanted if key[0] == name]:
            del self._wanted[key]

    def _kick(self, tenant: Tenant) -> None:
        if tenant.name in self._queues:
            self._queues[tenant.name].kick()

    def _wake(self, tenant: Tenant) -> None:
        if tenant.name in self._wakes:
            self._wakes[tenant.name].set()

    async def _run_scheduler(self, tenant: Tenant) -> None:
        wake = self._wakes[tenant.name]
        while True:
            wake.clear()
            try:
                tenant.scheduler.run_due()
            except Exception:  # a bug in one job must not stop later ones
                log.exception("scheduled job failed")
            due_in = tenant.scheduler.next_due_in()
            # emulator time flows with real time unless frozen; a moved clock wakes us early
            timeout = None if due_in is None or tenant.clock.frozen_at is not None else due_in
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout)


def webhook_config(tenant: Tenant) -> WebhookConfig:
    """The delivery settings as the application settings and flags say now."""
    from emulator.webhooks.config import WebhookConfig

    app: dict[str, Any] = tenant.app_settings.peek()
    hooks = app["webhooks"]
    settings = tenant.settings
    override = tenant.callbacks.effective()  # a Graph override wins over the application's URL
    url = override["url"] if override else hooks.get("url", "")
    cloud = override is not None or settings.webhook_format == "cloud"
    return WebhookConfig(
        url=url,
        format="cloud" if cloud else "onprem",
        max_concurrent_requests=hooks.get("max_concurrent_requests", 6),
        backoff_delay_ms=app["callback_backoff_delay_ms"],
        max_backoff_delay_ms=app["max_callback_backoff_delay_ms"],
        give_up_after_s=settings.webhook_give_up_s,
        timeout_s=settings.webhook_timeout_s,
        business_wa_id=settings.display_number,
        phone_number_id=settings.phone_number_id,
        waba_id=settings.waba_id,
        app_secret=settings.app_secret,
        verify_token=override["verify_token"] if override else settings.verify_token,
        sent_status=bool(app.get("sent_status")),
        toggles=dict(hooks.get("message", {})),
        notify_user_change_number=bool(app.get("notify_user_change_number", True)),
        show_security_notifications=bool(app.get("show_security_notifications", True)),
        media_url=settings.base_url + tenant_prefix(tenant.name) + "/whatsapp_business/attachments/?mid=",
    )
