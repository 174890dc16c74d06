"""One emulated business number: its services over the shared store, clock and ids."""

from __future__ import annotations

from collections.abc import Callable

from emulator.clock import EmulatorClock
from emulator.domain.app_settings import AppSettingsService, default_settings
from emulator.domain.auth import AuthService
from emulator.domain.billing import BillingService
from emulator.domain.callbacks import CallbackOverrides
from emulator.domain.contacts import ContactsService
from emulator.domain.feed import ChangeFeed
from emulator.domain.lifecycle import StatusLifecycle
from emulator.domain.media import MediaService
from emulator.domain.messages import INBOUND, MessagesService
from emulator.domain.messages import KIND as MESSAGES
from emulator.domain.outbox import Changed, Event, Outbox
from emulator.domain.reasons import Channel, Reason, Refusal
from emulator.domain.scheduler import Scheduler
from emulator.domain.simulate import UserActions
from emulator.domain.templates import TemplateRegistry
from emulator.domain.users import UsersService
from emulator.domain.window import WindowService
from emulator.fixtures import Fixtures
from emulator.ids import IdFactory
from emulator.settings import Settings
from emulator.store import Doc, Store

META = "meta"
# What reset clears; tokens, accounts and application settings survive so a running bot keeps working.
RESET_KINDS = (MESSAGES, INBOUND, "deliveries", "windows", "billing", "media")


class Tenant:
    """The domain root for one business number (moto's backend-per-account, in miniature)."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        store: Store,
        clock: EmulatorClock,
        fixtures: Fixtures,
        *,
        bot_api: Callable[[], str] = lambda: "onprem",
    ) -> None:
        self.name = name
        self.settings = settings
        self.store = store
        self.clock = clock
        self.fixtures = fixtures
        self.ids = IdFactory(settings.seed, generation=self._next_generation())
        self.feed = ChangeFeed()
        self.outbox = Outbox()
        self.outbox.connect(self.publish)  # the runtime connects its own sink, which also delivers webhooks
        self.scheduler = Scheduler(clock.now, self.outbox)
        self._seq = max((d.get("seq", 0) for k in (MESSAGES, INBOUND) for d in store.latest(name, k, 1)), default=0)
        self.auth = AuthService(
            store,
            name,
            clock,
            initial_password=settings.admin_password,
            ttl_seconds=settings.token_ttl_seconds,
            require_password_change=settings.require_password_change,
        )
        self.app_settings = AppSettingsService(
            store, name, default_settings(webhook_url=settings.webhook_url, wa_id=settings.business_wa_id), self.outbox
        )
        self.users = UsersService(store, name, self.ids, fixtures.users)
        self.contacts = ContactsService(self.users, self.outbox)
        self.callbacks = CallbackOverrides(store, name, self.outbox)
        self.templates = TemplateRegistry(store, name, fixtures.templates, settings.template_namespace)
        self.media = MediaService(store, name, self.ids, clock.now)
        self.window = WindowService(store, name, clock.now)
        self.billing = BillingService(store, name, self.ids, clock.now)
        self.messages = MessagesService(
            store,
            name,
            ids=self.ids,
            users=self.users,
            media=self.media,
            templates=self.templates,
            outbox=self.outbox,
            now=clock.now,
            next_seq=self.next_seq,
            business_wa_id=settings.business_wa_id,
            before_record=self._window_check if settings.window_error == "sync" else None,
            max_messages=settings.max_messages,
        )
        self.lifecycle = StatusLifecycle(
            messages=self.messages,
            users=self.users,
            window=self.window,
            billing=self.billing,
            scheduler=self.scheduler,
            outbox=self.outbox,
            now=clock.now,
        )
        self.actions = UserActions(
            store,
            name,
            ids=self.ids,
            users=self.users,
            messages=self.messages,
            media=self.media,
            window=self.window,
            lifecycle=self.lifecycle,
            outbox=self.outbox,
            now=clock.now,
            next_seq=self.next_seq,
            business_wa_id=settings.business_wa_id,
            bot_api=bot_api,
        )
        self._restore_clock()
        self.auth.ensure_admin()
        if store.count(name, "users") == 0:
            self.users.load_fixtures()
        if store.count(name, "templates") == 0:
            self.templates.load_fixtures()

    def send_message(self, body: Doc, channel: Channel) -> Doc:
        """A send through either API: accept (or refuse) it, then start its status lifecycle."""
        record, user = self.messages.send(body, channel)
        self.lifecycle.accepted(record, user)
        return record

    def conversation(self, wa_id: str, messages: list[Doc] | None = None) -> Doc:
        """Both directions with one user, in order, with the user and the state of the window.

        ``messages`` is a page of them already found (see the control API); by default every one.
        """
        if messages is None:
            outbound = self.messages.list(to=wa_id)
            inbound = [m for chunk in self.messages.chunks(kind=INBOUND) for m in chunk if m["from"] == wa_id]
            messages = sorted(outbound + inbound, key=lambda m: m["seq"])
        return {"wa_id": wa_id, "user": self.users.peek(wa_id), "window": self.window.view(wa_id), "messages": messages}

    def next_seq(self) -> int:
        """The next number of the tenant's one ordering of inbound and outbound messages."""
        self._seq += 1
        return self._seq

    def publish(self, event: Event) -> None:
        """The tenant's own part of routing an event: record changes wake the change feed."""
        if isinstance(event, Changed):
            self.feed.publish(event.topic, event.doc)

    def reset(self, *, keep: frozenset[str] = frozenset()) -> None:
        """Back to the fixture state; tokens, accounts and application settings are kept."""
        self.store.clear(self.name, RESET_KINDS, blobs=True)
        for service in (self.messages.retention, self.window, self.billing):
            service.cleared()  # what they keep in memory of what was just cleared
        if "users" not in keep:
            self.users.load_fixtures()
        if "templates" not in keep:
            self.templates.load_fixtures()
        self._seq = 0
        self.scheduler.clear()
        self.clock.reset()
        self.save_clock()
        self.outbox.emit(Changed("reset", {}))

    def save_clock(self) -> None:
        """Persist the clock's offset so a restarted emulator keeps the time tests moved it to."""
        self.store.put(self.name, META, "clock", {"offset": self.clock.offset, "frozen_at": self.clock.frozen_at})

    def _window_check(self, wa_id: str, message_type: str) -> None:
        if not self.window.allows(wa_id, message_type):
            raise Refusal(Reason.WINDOW_CLOSED)

    def _restore_clock(self) -> None:
        saved = self.store.get(self.name, META, "clock")
        if saved:
            self.clock.offset = float(saved["offset"])
            self.clock.frozen_at = saved["frozen_at"]

    def _next_generation(self) -> int:
        boot = self.store.get(self.name, META, "boot") or {"generation": -1}
        generation = int(boot["generation"]) + 1 if self.store.persistent else 0
        self.store.put(self.name, META, "boot", {"generation": generation})
        return generation
