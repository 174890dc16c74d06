"""Who the tenants are: their names, their ids (phone_number_id, WABA, number) and the registry of them.

A tenant is one emulated business. The default one has the ids of the flags; another one gets:

* ``phone_number_id``: its name if the name is all digits (``/t/106540352242923/...`` *is* that
  phone number), else 15 digits derived from the name, or the one given at creation;
* ``waba_id``: the default's (numbers of one business account) unless one is given;
* the business number (``business_wa_id``, Cloud ``display_phone_number``): ``1555`` and nine
  digits derived from the name, unless one is given.

Derived ids depend on the name alone, so a tenant has the same ids in every run. The registry
lives in the store, so a SQLite-backed emulator brings its tenants back after a restart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from emulator.domain.reasons import Reason, Refusal
from emulator.ids import derived_digits
from emulator.settings import TENANT_NAME, Settings
from emulator.store import Store
from emulator.tenancy import DEFAULT_TENANT

REGISTRY = "_registry"  # a tenant name no path can address (names start with a letter or digit)
KIND = "tenants"
NAME_RULE = "a tenant name is 1 to 64 letters, digits, '-' or '_', starting with a letter or digit"


@dataclass(frozen=True)
class TenantSpec:
    """What makes a tenant one business: its name, ids and where its webhooks go at first."""

    name: str
    phone_number_id: str
    waba_id: str
    business_wa_id: str
    verified_name: str = ""
    webhook_url: str = ""
    webhook_format: str = ""

    def settings(self, base: Settings) -> Settings:
        """The emulator's settings as this tenant sees them (its ids, its webhook)."""
        if self.name == DEFAULT_TENANT:
            return base
        return base.replace(
            phone_number_id=self.phone_number_id,
            waba_id=self.waba_id,
            business_wa_id=self.business_wa_id,
            display_phone_number="",
            verified_name=self.verified_name or base.verified_name,
            webhook_url=self.webhook_url,
            webhook_format=self.webhook_format or base.webhook_format,
        )

    def as_doc(self) -> dict[str, Any]:
        """The stored form."""
        return asdict(self)


def check_name(name: str) -> None:
    """Refuse a name no path could address."""
    if not TENANT_NAME.fullmatch(name):
        raise Refusal(Reason.INVALID_PARAMETER, f"tenant: {name!r} is not a tenant name ({NAME_RULE})")


class TenantDirectory:
    """Specs of the tenants that exist, found by name or by phone_number_id, kept in the store."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self._settings = settings
        self._store = store
        default = TenantSpec(
            DEFAULT_TENANT, settings.phone_number_id, settings.waba_id, settings.business_wa_id, settings.verified_name
        )
        self.specs: dict[str, TenantSpec] = {DEFAULT_TENANT: default}
        self._numbers = {default.phone_number_id: DEFAULT_TENANT}  # phone_number_id -> name

    def saved(self) -> list[TenantSpec]:
        """The tenants a persistent store remembers, then those of ``--tenants`` (made at start)."""
        found = [TenantSpec(**doc) for doc in self._store.items(REGISTRY, KIND)]
        known = {spec.name for spec in found}
        declared = self._settings.declared_tenants
        for name, number in declared.items():
            if name not in known:
                options = {"phone_number_id": number} if number else {}
                found.append(self.spec(name, {**options, "webhook_url": self._settings.webhook_url}))
        return found

    def spec(self, name: str, options: dict[str, Any]) -> TenantSpec:
        """The spec of a new tenant: ``options`` (``control/tenant.json``) over the derived ids."""
        check_name(name)
        number = options.get("phone_number_id") or (name if name.isdigit() and len(name) <= 20 else "")
        spec = TenantSpec(
            name=name,
            phone_number_id=number or "1" + derived_digits(f"phone_number_id:{name}", 14),
            waba_id=options.get("waba_id") or self._settings.waba_id,
            business_wa_id=options.get("business_wa_id") or "1555" + derived_digits(f"number:{name}", 9),
            verified_name=options.get("verified_name", ""),
            webhook_url=options.get("webhook_url", ""),
            webhook_format=options.get("webhook_format", ""),
        )
        owner = self.by_phone_number_id(spec.phone_number_id)
        if owner is not None and owner != name:
            raise Refusal(
                Reason.INVALID_PARAMETER,
                f"phone_number_id: {spec.phone_number_id} is already tenant {owner}'s phone number",
            )
        return spec

    def add(self, spec: TenantSpec) -> None:
        """Know a tenant (and remember it in the store)."""
        self.specs[spec.name] = spec
        self._numbers[spec.phone_number_id] = spec.name
        if spec.name != DEFAULT_TENANT:
            self._store.put(REGISTRY, KIND, spec.name, spec.as_doc())

    def remove(self, name: str) -> None:
        """Forget a tenant."""
        spec = self.specs.pop(name, None)
        if spec is not None:
            self._numbers.pop(spec.phone_number_id, None)
        self._store.delete(REGISTRY, KIND, name)

    def by_phone_number_id(self, phone_number_id: str) -> str | None:
        """The name of the tenant with this phone_number_id, or None."""
        return self._numbers.get(phone_number_id)

    def with_waba(self, waba_id: str) -> list[str]:
        """Names of the tenants under this WhatsApp Business Account, the default first."""
        return [spec.name for spec in self.specs.values() if spec.waba_id == waba_id]
