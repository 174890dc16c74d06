"""One emulated business number: its services over the shared store, clock and ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.clock import EmulatorClock
from emulator.domain.app_settings import AppSettingsService, default_settings
from emulator.domain.auth import AuthService
from emulator.domain.contacts import ContactsService
from emulator.domain.feed import ChangeFeed
from emulator.domain.media import MediaService
from emulator.domain.messages import INBOUND, MessagesService
from emulator.domain.messages import KIND as MESSAGES
from emulator.domain.templates import TemplateRegistry
from emulator.domain.users import UsersService
from emulator.fixtures import Fixtures
from emulator.ids import IdFactory
from emulator.settings import Settings
from emulator.store import Store

META = "meta"
# What reset clears; tokens, accounts and application settings survive so a running bot keeps working.
RESET_KINDS = ("messages", "inbound", "deliveries", "conversations", "windows", "media")

Notify = Callable[[dict[str, Any]], None]


class Tenant:
    """The domain root for one business number (moto's backend-per-account, in miniature)."""

    def __init__(
        self, name: str, settings: Settings, store: Store, clock: EmulatorClock, fixtures: Fixtures
    ) -> None:
        self.name = name
        self.settings = settings
        self.store = store
        self.clock = clock
        self.fixtures = fixtures
        self.ids = IdFactory(settings.seed, generation=self._next_generation())
        self.notifications: list[Notify] = []
        self.auth = AuthService(
            store,
            name,
            clock,
            initial_password=settings.admin_password,
            ttl_seconds=settings.token_ttl_seconds,
            require_password_change=settings.require_password_change,
        )
        self.app_settings = AppSettingsService(
            store, name, default_settings(webhook_url=settings.webhook_url, wa_id=settings.business_wa_id)
        )
        self.feed = ChangeFeed()
        self.users = UsersService(store, name, self.ids, fixtures.users)
        self.contacts = ContactsService(self.users, self.notify)
        self.templates = TemplateRegistry(store, name, fixtures.templates, settings.template_namespace)
        self.media = MediaService(store, name, self.ids, clock.now)
        self._seq = store.count(name, MESSAGES) + store.count(name, INBOUND)
        self.messages = MessagesService(
            store,
            name,
            ids=self.ids,
            users=self.users,
            media=self.media,
            templates=self.templates,
            feed=self.feed,
            now=clock.now,
            next_seq=self.next_seq,
            business_wa_id=settings.business_wa_id,
        )
        self._restore_clock()
        self.auth.ensure_admin()
        if store.count(name, "users") == 0:
            self.users.load_fixtures()
        if store.count(name, "templates") == 0:
            self.templates.load_fixtures()

    def next_seq(self) -> int:
        """The next number of the tenant's one ordering of inbound and outbound messages."""
        self._seq += 1
        return self._seq

    def notify(self, content: dict[str, Any]) -> None:
        """Hand a webhook notification (bare On-Premises content) to whoever delivers them."""
        for deliver in self.notifications:
            deliver(content)

    def reset(self, *, keep: frozenset[str] = frozenset()) -> None:
        """Back to the fixture state; tokens, accounts and application settings are kept."""
        self.store.clear(self.name, RESET_KINDS, blobs=True)
        if "users" not in keep:
            self.users.load_fixtures()
        if "templates" not in keep:
            self.templates.load_fixtures()
        self._seq = 0
        self.clock.reset()
        self.save_clock()
        self.ids.restart()
        self.feed.publish("reset", {})

    def save_clock(self) -> None:
        """Persist the clock's offset so a restarted emulator keeps the time tests moved it to."""
        self.store.put(
            self.name, META, "clock", {"offset": self.clock.offset, "frozen_at": self.clock.frozen_at}
        )

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
