"""The approved-template registry, and template sends checked and hydrated against it.

The registry (this module) finds the definition a send names; ``emulator.domain.hydration`` checks
the send's components against it and fills the placeholders.

Definitions are kept in the store (kind ``templates``, key ``name:language``) in the shape Meta's
template management API returns. ``hydrate`` takes the ``template`` object of a send that already
passed the JSON Schema, checks it against the registered definition and returns what the user sees.
Reasons (the judgement calls are argued in docs/templates.md; each API's table gives the codes):

* template_missing: unknown name, no translation for that language code, or a status with no reason
  of its own (PENDING, IN_APPEAL, ...); template_rejected / template_paused / template_disabled;
* template_namespace_empty for a namespace given as ``""``; invalid_parameter for another account's;
* template_param_count: the parameter count differs from the placeholders (header, body, a dynamic
  button), including a component the template needs that was not sent at all;
* template_param_format: a parameter of the wrong kind for its place (an image for a TEXT header);
* template_buttons: a button index the template lacks, a sub_type that does not fit the button at
  that index, or a parameter for a URL button whose URL is static;
* template_param_too_long / template_text_too_long: a text parameter, or the hydrated body, over its limit;
* invalid_parameter: a header, body or button index sent twice.
"""

from __future__ import annotations

import hashlib
from typing import Any

from emulator.domain.hydration import Part, Sent, fail, hydrate, parse_components
from emulator.domain.reasons import Reason, Refusal
from emulator.store.base import Store

Definition = dict[str, Any]
Definitions = list[Definition]
Param = dict[str, Any]

DEFAULT_NAMESPACE = "88b39973_f0d5_54e1_29cf_e80f1e3da4f2"  # the namespace Meta's own examples use
KIND = "templates"

_STATUS_ERRORS: dict[str, Reason] = {
    "REJECTED": Reason.TEMPLATE_REJECTED,
    "PAUSED": Reason.TEMPLATE_PAUSED,
    "DISABLED": Reason.TEMPLATE_DISABLED,
}
_EXTRA_KINDS = ("CAROUSEL", "LIMITED_TIME_OFFER")  # sendable only where the channel says so

_UNKNOWN = (Reason.TEMPLATE_MISSING, "no template named {name!r}")
_NO_TRANSLATION = (Reason.TEMPLATE_MISSING, "template {name!r} has no {code!r} translation (only {have})")
_UNSENDABLE_KIND = (Reason.TEMPLATE_MISSING, "template {name!r} has a {kind} component, which this API cannot send")
_NOT_ACTIVE = "template {name!r} ({code}) is {status}, not APPROVED"
_EMPTY_NAMESPACE = (Reason.TEMPLATE_NAMESPACE_EMPTY, "is empty: leave it out or give your namespace")
_WRONG_NAMESPACE = (Reason.INVALID_PARAMETER, "{given!r} is not the namespace of {name!r}")


class TemplateRegistry:
    """One tenant's approved templates, and the checks a template or hsm send must pass."""

    def __init__(self, store: Store, tenant: str, fixtures: Definitions, namespace: str) -> None:
        self.store = store
        self.tenant = tenant
        self.fixtures = list(fixtures)
        self.namespace = namespace

    def load_fixtures(self) -> None:
        """Replace every definition with the fixture ones (at start and on reset)."""
        self.store.clear(self.tenant, [KIND])
        for definition in self.fixtures:
            self.add(definition)

    def list(self) -> Definitions:
        """Every definition, in the order first added."""
        return self.store.items(self.tenant, KIND)

    def get(self, name: str, language: str) -> Definition | None:
        """One definition by name and language code, or None."""
        return self.store.get(self.tenant, KIND, f"{name}:{language}")

    def add(self, definition: Definition) -> Definition:
        """Register a schema-valid definition, filling namespace, status and id; replaces name+language."""
        key = f"{definition['name']}:{definition['language']}"
        existing = self.store.get(self.tenant, KIND, key) or {}
        doc = dict(definition)
        doc.setdefault("namespace", self.namespace)
        doc.setdefault("status", "APPROVED")
        doc.setdefault("id", existing.get("id") or _template_id(self.tenant, key))
        self.store.put(self.tenant, KIND, key, doc)
        return doc

    def delete(self, name: str, template_id: str | None = None) -> int:
        """Forget every language of a template (or only the one with ``template_id``); how many went."""
        gone = 0
        for definition in self.list():
            if definition.get("name") == name and template_id in (None, definition.get("id")):
                key = f"{definition['name']}:{definition['language']}"
                gone += int(self.store.delete(self.tenant, KIND, key))
        if not gone:
            raise Refusal(
                Reason.TEMPLATE_MISSING,
                f"name: no template named {name!r}" + (f" with id {template_id}" if template_id else ""),
            )
        return gone

    def find_id(self, template_id: str) -> Definition | None:
        """The definition with a template id, or None."""
        return next((d for d in self.list() if d.get("id") == template_id), None)

    def hydrate(self, template: dict[str, Any], kinds: frozenset[str] = frozenset()) -> dict[str, Any]:
        """Check a send's ``template`` object against its definition; return what the user sees.

        ``kinds`` are the extra component kinds (carousel, limited-time offer) the caller's API can send.
        """
        path = "$.template"
        definition = self._find(template, "name", path, kinds)
        sent = parse_components(template.get("components") or [], path)
        return hydrate(definition, sent)

    def hydrate_hsm(self, hsm: dict[str, Any]) -> dict[str, Any]:
        """The same for the deprecated ``hsm`` type: ``localizable_params`` fill the body in order."""
        path = "$.hsm"
        definition = self._find(hsm, "element_name", path)
        given = hsm.get("localizable_params") or []
        params = [{"type": "text", "text": str(p.get("default", ""))} for p in given]
        sent = Sent(where=path, parts={"body": Part(path, f"{path}.localizable_params", params)})
        return hydrate(definition, sent)

    def _find(
        self, sent: dict[str, Any], name_field: str, path: str, kinds: frozenset[str] = frozenset()
    ) -> Definition:
        """The APPROVED definition a send names, after the namespace checks."""
        namespace, at = sent.get("namespace"), f"{path}.{name_field}"
        if namespace == "":
            raise fail(_EMPTY_NAMESPACE, f"{path}.namespace")
        name, code = str(sent.get(name_field, "")), str((sent.get("language") or {}).get("code", ""))
        definition = self.get(name, code)
        if definition is None:
            have = ", ".join(d["language"] for d in self.list() if d.get("name") == name)
            if have:
                raise fail(_NO_TRANSLATION, f"{path}.language.code", name=name, code=code, have=have)
            raise fail(_UNKNOWN, at, name=name)
        if namespace is not None and namespace != definition.get("namespace"):
            raise fail(_WRONG_NAMESPACE, f"{path}.namespace", given=namespace, name=name)
        status = definition.get("status", "APPROVED")
        if status != "APPROVED":
            error = _STATUS_ERRORS.get(status, Reason.TEMPLATE_MISSING)
            raise fail((error, _NOT_ACTIVE), at, name=name, code=code, status=status)
        for kind in (c.get("type") for c in definition.get("components", [])):
            if kind in _EXTRA_KINDS and kind not in kinds:
                raise fail(_UNSENDABLE_KIND, at, name=name, kind=kind)
        return definition


def definitions_in(body: Any) -> Definitions:
    """The definitions in a control-API body or fixture file: one, a list, or Meta's ``{"data": [...]}``."""
    if isinstance(body, dict) and "data" in body:
        body = body["data"]
    items = body if isinstance(body, list) else [body]
    return [dict(item) for item in items]


def _template_id(tenant: str, key: str) -> str:
    """A stable 16-digit id like Meta's, derived from the key (no randomness outside ids.py)."""
    digest = int(hashlib.sha256(f"{tenant}:{key}".encode()).hexdigest(), 16)
    return str(10**15 + digest % (9 * 10**15))
