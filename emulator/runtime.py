"""The running emulator: settings, store, schemas and tenants, with their start, reset and stop."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

from emulator.clock import EmulatorClock
from emulator.domain.tenant import Tenant
from emulator.fixtures import Fixtures, load_fixtures
from emulator.resources import data_dir
from emulator.schemas import SchemaSet
from emulator.settings import Settings
from emulator.store import Store, open_store

DEFAULT_TENANT = "default"


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
        self.fixtures = fixtures if fixtures is not None else load_fixtures(settings.fixtures)
        self._owns_http_client = http_client is None
        self._http_client = http_client
        self.tenants = {
            DEFAULT_TENANT: Tenant(
                DEFAULT_TENANT, settings, self.store, clock or EmulatorClock(), self.fixtures
            )
        }

    def tenant(self, name: str = DEFAULT_TENANT) -> Tenant:
        """A tenant by name."""
        return self.tenants[name]

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The one client for outbound webhooks (created on first use: httpx costs ~90 ms to import)."""
        if self._http_client is None:
            import httpx

            self._http_client = httpx.AsyncClient(timeout=10.0)
        return self._http_client

    async def start(self) -> None:
        """Start background work (webhook delivery)."""

    async def stop(self) -> None:
        """Stop background work and release the store and the HTTP client."""
        if self._owns_http_client and self._http_client is not None:
            await self._http_client.aclose()
        self.store.close()

    async def reset(self, tenant: Tenant, *, keep: Iterable[str] = ()) -> None:
        """Back to the fixture state (see ``Tenant.reset``)."""
        tenant.reset(keep=frozenset(keep))

    async def clock_moved(self, tenant: Tenant) -> None:
        """Let time-driven work (webhook retries, delayed statuses) see the new time."""
