"""One emulated business number: its services over the shared store, clock and ids."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from emulator.clock import EmulatorClock
from emulator.domain.app_settings import AppSettingsService, default_settings
from emulator.domain.auth import AuthService
from emulator.domain.billing import BillingService
from emulator.domain.callbacks import CallbackOverrides
from emulator.domain.contacts import ContactsService
from emulator.domain.feed import ChangeFeed
from emulator.domain.lifecycle import StatusLifecycle
from emulator.domain.limits import SendLimits
from emulator.domain.media import MediaService
from emulator.domain.messages import INBOUND, MessagesService, by_id
from emulator.domain.messages import KIND as MESSAGES
from emulator.domain.outbox import Changed, Event, Outbox, StatusesReached
from emulator.domain.reasons import Channel, Reason, Refusal
from emulator.domain.scheduler import Scheduler
from emulator.domain.simulate import UserActions
from emulator.domain.templates import TemplateRegistry
from emulator.domain.timeline import EARLIEST, LATEST, check_target
from emulator.domain.users import UsersService
from emulator.domain.window import WindowService
from emulator.fixtures import Fixtures
from emulator.ids import IdFactory
from emulator.settings import Settings
from emulator.store import Doc, Page, Store, pages

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
        bot_api: Callable[[], str],
    ) -> None:
        self.name = name
        self.settings = settings
        self.store = store
        self.clock = clock
        self.fixtures = fixtures
        self.ids = IdFactory(settings.seed, generation=self._next_generation(), tenant=name)
        self.feed = ChangeFeed()
        self.outbox = Outbox()
        self.outbox.connect(self.publish)  # the runtime connects its own sink, which also delivers webhooks
        self.scheduler = Scheduler(store, name, clock.now, self.outbox)
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
        self.billing = BillingService(store, name, self.ids, entry_point_at=self.window.entry_point_at)
        self.limits = SendLimits(
            pair_s=settings.pair_rate_limit_s,
            per_second=settings.throughput_limit,
            marketing_cap=settings.marketing_cap,
            now=clock.now,
        )
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
            before_record=self._before_record if settings.window_error == "sync" or self.limits.on else None,
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
        if channel.limited and self.limits.on:
            self.limits.sent(record["to"])
            self.lifecycle.accepted(record, user, cap=self.limits.marketing)
        else:
            self.lifecycle.accepted(record, user)
        return record

    def mark_read(self, message_id: str, channel: Channel) -> Doc:
        """The business marks an inbound message as read (refused once the client no longer keeps it)."""
        pass_through = bool(self.app_settings.peek().get("pass_through"))
        return self.messages.mark_read(message_id, channel, pass_through=pass_through)

    def conversation(self, wa_id: str, messages: list[Doc] | None = None) -> Doc:
        """Both directions with one user, in order, with the user and the state of the window.

        ``messages``: those of ``conversation_pages`` already read (else they are read here).
        """
        found = messages if messages is not None else [m for page in self.conversation_pages(wa_id) for m in page]
        return {
            "wa_id": wa_id,
            "user": self.users.peek(wa_id),
            "window": self.window.view(wa_id),
            "messages": sorted(found, key=lambda m: m["seq"]),
        }

    def conversation_pages(self, wa_id: str) -> Iterator[Page]:
        """The messages to and from one user, a store page at a time, in no particular order."""
        yield from self.messages.pages(to=wa_id)
        for page in pages(self.store, self.name, INBOUND, by_id):
            yield [m for m in page if m["from"] == wa_id]

    def next_seq(self) -> int:
        """The next number of the tenant's one ordering of inbound and outbound messages."""
        self._seq += 1
        return self._seq

    def publish(self, event: Event) -> None:
        """The tenant's own part of routing an event: record changes (statuses too) wake the change feed."""
        if isinstance(event, Changed):
            self.feed.publish(event.topic, event.doc)
        elif isinstance(event, StatusesReached):
            self.feed.publish("message", event.record)

    def reset(self, *, keep: frozenset[str] = frozenset()) -> None:
        """Back to the fixture state; tokens, accounts and application settings are kept."""
        self.store.clear(self.name, RESET_KINDS, blobs=True)
        # what they keep in memory of what was just cleared
        self.messages.retention.cleared()
        self.window.cleared()
        self.billing.cleared()
        if "users" not in keep:
            self.users.load_fixtures()
        if "templates" not in keep:
            self.templates.load_fixtures()
        self._seq = 0
        self.scheduler.clear()
        self.limits.clear()
        self.clock.reset()
        self.save_clock()
        self.outbox.emit(Changed("reset", {}))

    def move_clock(self, *, advance: float | None = None, to: float | None = None, freeze: bool | None = None) -> None:
        """Freeze or thaw, then move the clock by ``advance`` seconds or ``to`` a Unix time, within the range.

        Moving back never makes a 24-hour window longer than 24 hours (see ``WindowService.moved_back``).
        """
        before = self.clock.now()
        if to is not None:
            check_target(to, "set")
        if advance is not None:
            check_target(before + advance, "advance")
        if freeze is not None:
            self.clock.freeze(freeze)
        if advance is not None:
            self.clock.advance(advance)
        if to is not None:
            self.clock.set(to)
        if self.clock.now() < before:
            self.window.moved_back()
        self.save_clock()

    def save_clock(self) -> None:
        """Persist the clock's offset so a restarted emulator keeps the time tests moved it to."""
        self.store.put(self.name, META, "clock", {"offset": self.clock.offset, "frozen_at": self.clock.frozen_at})

    def _before_record(self, wa_id: str, message_type: str, channel: Channel) -> None:
        if self.settings.window_error == "sync" and not self.window.allows(wa_id, message_type):
            raise Refusal(Reason.WINDOW_CLOSED, self.window.closed_details(wa_id))
        if channel.limited:
            self.limits.check(wa_id)

    def _restore_clock(self) -> None:
        saved = self.store.get(self.name, META, "clock")
        if saved:
            self.clock.restore(float(saved["offset"]), saved["frozen_at"])
            if not EARLIEST <= self.clock.now() <= LATEST:  # saved by an older version that let it get there
                self.clock.reset()
                self.save_clock()

    def _next_generation(self) -> int:
        boot = self.store.get(self.name, META, "boot") or {"generation": -1}
        generation = int(boot["generation"]) + 1 if self.store.persistent else 0
        self.store.put(self.name, META, "boot", {"generation": generation})
        return generation
