"""Fault rules: what traffic each matches, what it does, how often it fires, and how often it did.

A rule is added through a tenant's control API (its *owner*, who lists, deletes and resets it) and
matches that tenant's traffic, or another tenant's (``match.tenant``), or every tenant's (``"*"``).
Rules are tried in the order they were added; the first that fires is applied and the rest are not
consulted (their counts do not move). How often a rule fires:

* ``times: N``: the next N matches, then the rule is spent (it stays listed, ``active: false``);
* ``every: N``: every N-th match (N, 2N, ...);
* ``probability: p``: each match draws from the rule's own stream, seeded by ``--seed``, the owner
  and the rule's id, so the same run fires on the same requests;
* none of them: every match, until the rule is deleted or its owner reset.

Rules live in memory (not in the store): a restart forgets them.
"""

from __future__ import annotations

import fnmatch
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from emulator.cloud.codes import FAULT_CODES as CLOUD_STATUSES
from emulator.cloud.codes import TABLE as CLOUD
from emulator.domain.reasons import Reason, Refusal
from emulator.ids import seeded_stream
from emulator.onprem.codes import FAULT_CODES as ONPREM_STATUSES
from emulator.onprem.codes import TABLE as ONPREM

Doc = dict[str, Any]
ALL_TENANTS = "*"
WEBHOOK = "webhook"
APIS = {"onprem": (ONPREM, ONPREM_STATUSES), "cloud": (CLOUD, CLOUD_STATUSES)}
API_EFFECTS = ("error", "status", "drop", "timeout", "latency_ms")
WEBHOOK_EFFECTS = ("duplicate", "delay_s", "reorder", "drop_first", "outage_s")


@dataclass
class FaultRule:
    """One rule and its counters: ``matched`` requests or deliveries it matched, ``hits`` it fired on."""

    id: str
    owner: str
    tenant: str
    match: Doc
    action: Doc
    created_at: float
    times: int | None = None
    every: int | None = None
    probability: float | None = None
    rng: random.Random = field(default_factory=random.Random, repr=False)
    matched: int = 0
    hits: int = 0

    @property
    def api(self) -> str | None:
        """``onprem``, ``cloud``, ``webhook``, or None (either API)."""
        api = self.match.get("api")
        return str(api) if api is not None else None

    @property
    def active(self) -> bool:
        """False once a ``times`` rule has fired that many times."""
        return self.times is None or self.hits < self.times

    @property
    def until(self) -> float | None:
        """When a receiver outage ends (emulator time), for an outage rule."""
        seconds = self.action.get("outage_s")
        return None if seconds is None else self.created_at + float(seconds)

    @property
    def needs_body(self) -> bool:
        """True when matching needs the request body (message type or recipient)."""
        return "type" in self.match or "to" in self.match

    def applies_to(self, tenant: str) -> bool:
        """Whether the rule is about this tenant's traffic."""
        return self.tenant in (tenant, ALL_TENANTS)

    def draw(self) -> bool:
        """Count one match; True if the fault fires on it (and count the hit)."""
        self.matched += 1
        fire = self.every is None or self.matched % self.every == 0
        if fire and self.probability is not None:
            fire = self.rng.random() < self.probability
        if fire:
            self.hits += 1
        return fire

    def view(self) -> Doc:
        """The rule as ``GET /_emulator/faults`` shows it."""
        out: Doc = {"id": self.id, "tenant": self.tenant, "match": dict(self.match), "action": dict(self.action)}
        for key in ("times", "every", "probability"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.until is not None:
            out["until"] = self.until
        out.update(matched=self.matched, hits=self.hits, active=self.active, created_at=self.created_at)
        return out


class FaultBook:
    """Every fault rule of the emulator, by owner; asked by the request middleware and the delivery queues."""

    def __init__(self, seed: int, on_change: Callable[[str], None] | None = None) -> None:
        self._seed = seed
        self._rules: dict[tuple[str, str], FaultRule] = {}
        self._numbers: dict[str, int] = {}
        self.on_change = on_change or (lambda _owner: None)
        self.request_rules = 0  # rules that may match API requests: none means no work per request
        self.webhook_rules = 0  # rules that may match webhook deliveries: none means no work per delivery

    # -- the control API ------------------------------------------------------------------------

    def add(self, owner: str, body: Doc, now: float) -> FaultRule:
        """A rule from a ``control/fault.json``-valid body (its codes checked against the API's table)."""
        match = dict(body.get("match") or {})
        action = dict(body["action"])
        if match.get("api") == WEBHOOK:
            _check_webhook_action(action)
        else:
            match = _check_api_action(match, action)
        number = self._numbers.get(owner, 0) + 1
        self._numbers[owner] = number
        rule_id = str(number)
        rule = FaultRule(
            id=rule_id,
            owner=owner,
            tenant=str(match.pop("tenant", owner)),
            match=match,
            action=action,
            created_at=now,
            times=body.get("times"),
            every=body.get("every"),
            probability=body.get("probability"),
            rng=seeded_stream(self._seed, "fault", owner, rule_id),
        )
        self._rules[(owner, rule_id)] = rule
        self._recount()
        self.on_change(owner)
        return rule

    def list(self, owner: str) -> list[FaultRule]:
        """The rules an owner added, oldest first."""
        return [rule for (who, _), rule in self._rules.items() if who == owner]

    def get(self, owner: str, rule_id: str) -> FaultRule:
        """One rule; 404 if the owner has no such rule."""
        rule = self._rules.get((owner, rule_id))
        if rule is None:
            raise Refusal(Reason.NOT_FOUND, f"Fault rule {rule_id} not found")
        return rule

    def remove(self, owner: str, rule_id: str) -> None:
        """Delete one rule (404 if there is none)."""
        self.get(owner, rule_id)
        del self._rules[(owner, rule_id)]
        self._recount()
        self.on_change(owner)

    def clear(self, owner: str) -> None:
        """Delete every rule of an owner (its reset); rule ids start again at 1."""
        for key in [key for key in self._rules if key[0] == owner]:
            del self._rules[key]
        self._numbers.pop(owner, None)
        self._recount()
        self.on_change(owner)

    def forget(self, tenant: str) -> None:
        """A tenant is deleted: its rules, and the rules about its traffic alone, go with it."""
        for key, rule in list(self._rules.items()):
            if rule.owner == tenant or rule.tenant == tenant:
                del self._rules[key]
        self._numbers.pop(tenant, None)
        self._recount()

    # -- asked by the traffic --------------------------------------------------------------------

    def wants_body(self, tenant: str, api: str) -> bool:
        """Whether some live rule for this request needs its body to decide."""
        return any(rule.needs_body for rule in self._live(tenant, api))

    def for_request(
        self, tenant: str, api: str, method: str, path: str, message_type: str | None, to: str | None
    ) -> FaultRule | None:
        """The rule that fires on this API request, if any."""
        for rule in self._live(tenant, api):
            if _request_matches(rule.match, method, path, message_type, to) and rule.draw():
                self.on_change(rule.owner)
                return rule
        return None

    def for_delivery(self, tenant: str, recipient: str, content: Doc) -> FaultRule | None:
        """The rule that fires on a new webhook delivery (outages aside), if any."""
        for rule in self._live(tenant, WEBHOOK):
            if "outage_s" in rule.action:
                continue
            if _delivery_matches(rule.match, recipient, content) and rule.draw():
                self.on_change(rule.owner)
                return rule
        return None

    def outage(self, tenant: str, recipient: str, content: Doc, now: float) -> FaultRule | None:
        """The outage rule whose window covers ``now`` for this delivery, if any (counted as a hit)."""
        for rule in self._live(tenant, WEBHOOK):
            until = rule.until
            covered = until is not None and rule.created_at <= now < until
            if covered and _delivery_matches(rule.match, recipient, content):
                rule.matched += 1
                rule.hits += 1
                return rule
        return None

    def _live(self, tenant: str, api: str) -> Iterator[FaultRule]:
        for rule in list(self._rules.values()):
            if rule.active and rule.applies_to(tenant) and (rule.api == api or (rule.api is None and api != WEBHOOK)):
                yield rule

    def _recount(self) -> None:
        self.request_rules = sum(1 for rule in self._rules.values() if rule.api != WEBHOOK)
        self.webhook_rules = len(self._rules) - self.request_rules


def _request_matches(match: Doc, method: str, path: str, message_type: str | None, to: str | None) -> bool:
    if "method" in match and str(match["method"]).upper() != method:
        return False
    if "path" in match and not fnmatch.fnmatchcase(path, str(match["path"])):
        return False
    if "type" in match and match["type"] != message_type:
        return False
    return "to" not in match or _digits(str(match["to"])) == to


def _delivery_matches(match: Doc, recipient: str, content: Doc) -> bool:
    if "to" in match and _digits(str(match["to"])) != recipient:
        return False
    kind = match.get("type")
    if kind == "message" and not content.get("messages"):
        return False
    if kind == "contacts" and (not content.get("contacts") or content.get("messages")):
        return False
    statuses = [s.get("status") for s in content.get("statuses", [])]
    if kind == "status" and not statuses:
        return False
    return "status" not in match or match["status"] in statuses


def _check_api_action(match: Doc, action: Doc) -> Doc:
    """The match with the API an error code belongs to filled in; a refusal for a code no API has."""
    effects = [key for key in ("error", "drop", "timeout") if key in action or (key == "error" and "status" in action)]
    if len(effects) > 1:
        raise Refusal(
            Reason.INVALID_PARAMETER, "$.action: one of error (or status), drop and timeout; latency_ms goes with any"
        )
    api = match.get("api")
    apis = [api] if api else list(APIS)
    if "error" in action:
        knowing = [name for name in apis if int(action["error"]) in APIS[name][0].codes]
        if not knowing:
            where = f"the {api} API" if api else "either API"
            raise Refusal(Reason.INVALID_PARAMETER, f"$.action.error: {action['error']} is no error code of {where}")
        if len(knowing) == 1:
            match["api"] = knowing[0]
    elif "status" in action:
        missing = [name for name in apis if int(action["status"]) not in APIS[name][1]]
        if missing:
            known = ", ".join(f"{name}: {sorted(APIS[name][1])}" for name in apis)
            raise Refusal(
                Reason.INVALID_PARAMETER, f"$.action.status: give an error code, or a status that has one ({known})"
            )
    return match


def _check_webhook_action(action: Doc) -> None:
    effects = [key for key in WEBHOOK_EFFECTS if key in action]
    if len(effects) != 1:
        raise Refusal(
            Reason.INVALID_PARAMETER, f"$.action: a webhook fault does exactly one of {', '.join(WEBHOOK_EFFECTS)}"
        )


def effect(action: Doc) -> str:
    """The main effect of an action, for the log: ``error``, ``drop``, ``duplicate``, ..."""
    for key in (*API_EFFECTS, *WEBHOOK_EFFECTS):
        if key in action:
            return key
    return "none"


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())
