"""The approved-template registry, and template sends checked and hydrated against it.

Definitions are kept in the store (kind ``templates``, key ``name:language``) in the shape Meta's
template management API returns. ``hydrate`` takes the ``template`` object of a send that already
passed the JSON Schema, checks it against the registered definition and returns what the user sees.
Codes (the judgement calls are argued in docs/templates.md):

* 2001 unknown name, no translation for that language code, or a status without a code of its own
  (PENDING, IN_APPEAL, ...); 2060 / 2061 / 2062 for REJECTED / PAUSED / DISABLED;
* 2014 namespace given as ``""``; 1009 namespace given and not the template's;
* 2000 parameter count differs from the placeholders (header, body, a dynamic button), including a
  component the template needs that was not sent at all;
* 2012 a parameter of the wrong kind for its place (an image for a TEXT header, text for an IMAGE one);
* 2013 a button index the template lacks, a sub_type that does not fit the button at that index, or
  a parameter for a URL button whose URL is static;
* 2004 a text parameter over its limit; 2005 the hydrated body over its limit;
* 1009 a header, body or button index sent twice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from emulator import errors
from emulator.store.base import Store

Definition = dict[str, Any]
Definitions = list[Definition]
Param = dict[str, Any]

DEFAULT_NAMESPACE = "88b39973_f0d5_54e1_29cf_e80f1e3da4f2"  # the namespace Meta's own examples use
KIND = "templates"

HEADER_PARAM_MAX = 60
BODY_PARAM_MAX = 1024  # when the template has components besides the body
BODY_ONLY_PARAM_MAX = 32768  # when the body is the template's only component

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_MEDIA = {"IMAGE": "image", "VIDEO": "video", "DOCUMENT": "document", "LOCATION": "location"}
_TEXT_KINDS = ("text", "currency", "date_time")
_SUB_TYPES = {
    "quick_reply": {"QUICK_REPLY"},
    "url": {"URL", "OTP"},
    "copy_code": {"COPY_CODE"},
    "catalog": {"CATALOG"},
}
_STATUS_ERRORS: dict[str, type[errors.WhatsAppError]] = {
    "REJECTED": errors.TemplateRejected,
    "PAUSED": errors.TemplatePaused,
    "DISABLED": errors.TemplateDisabled,
}
_CLOUD_ONLY = ("CAROUSEL", "LIMITED_TIME_OFFER")

# Each error the registry raises: its class (the code) and its text, formatted with the values at hand.
_Error = tuple[type[errors.WhatsAppError], str]
_UNKNOWN = (errors.TemplateMissing, "no template named {name!r}")
_NO_TRANSLATION = (errors.TemplateMissing, "template {name!r} has no {code!r} translation (only {have})")
_CLOUD_ONLY_KIND = (errors.TemplateMissing, "template {name!r} has a {kind} component: Cloud API only")
_NOT_ACTIVE = "template {name!r} ({code}) is {status}, not APPROVED"
_EMPTY_NAMESPACE = (errors.ExpectedNamespaceEmpty, "is empty: leave it out or give your namespace")
_WRONG_NAMESPACE = (errors.ParameterValueNotValid, "{given!r} is not the namespace of {name!r}")
_COUNT = (errors.TemplateParamCountMismatch, "the template {label} has {want} parameter(s), {got} given")
_MISSING = (errors.TemplateParamCountMismatch, "the template {label} has {want} parameter(s), none sent")
_WRONG_KIND = (errors.TemplateParameterFormatMismatch, "the {label} takes type {want}, not {got!r}")
_TOO_LONG = (errors.TemplateParamLengthTooLong, "a {label} text parameter has {size} characters, max {limit}")
_HYDRATED_TOO_LONG = (
    errors.TemplateHydratedTextTooLong,
    "the hydrated body has {size} characters, max {limit}",
)
_TWICE = (errors.ParameterValueNotValid, "{what} sent twice")
_BAD_INDEX = (errors.ParameterValueNotValid, "must be a button position 0-9")
_NO_BUTTON = (errors.TemplateButtonsUnsupported, "the template has no button {index} (it has {count})")
_WRONG_SUB_TYPE = (
    errors.TemplateButtonsUnsupported,
    "button {index} is {kind}, which {sub_type!r} does not fit",
)
_STATIC_URL = (errors.TemplateButtonsUnsupported, "button {index} has a static URL and takes no parameter")


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

    def hydrate(self, template: dict[str, Any]) -> dict[str, Any]:
        """Check a send's ``template`` object against its definition; return what the user sees."""
        path = "$.template"
        definition = self._find(template, "name", path)
        sent = _parse_components(template.get("components") or [], path)
        return _hydrate(definition, sent)

    def hydrate_hsm(self, hsm: dict[str, Any]) -> dict[str, Any]:
        """The same for the deprecated ``hsm`` type: ``localizable_params`` fill the body in order."""
        path = "$.hsm"
        definition = self._find(hsm, "element_name", path)
        given = hsm.get("localizable_params") or []
        params = [{"type": "text", "text": str(p.get("default", ""))} for p in given]
        sent = _Sent(where=path, parts={"body": _Part(path, f"{path}.localizable_params", params)})
        return _hydrate(definition, sent)

    def _find(self, sent: dict[str, Any], name_field: str, path: str) -> Definition:
        """The APPROVED definition a send names, after the namespace checks."""
        namespace, at = sent.get("namespace"), f"{path}.{name_field}"
        if namespace == "":
            raise _fail(_EMPTY_NAMESPACE, f"{path}.namespace")
        name, code = str(sent.get(name_field, "")), str((sent.get("language") or {}).get("code", ""))
        definition = self.get(name, code)
        if definition is None:
            have = ", ".join(d["language"] for d in self.list() if d.get("name") == name)
            if have:
                raise _fail(_NO_TRANSLATION, f"{path}.language.code", name=name, code=code, have=have)
            raise _fail(_UNKNOWN, at, name=name)
        if namespace is not None and namespace != definition.get("namespace"):
            raise _fail(_WRONG_NAMESPACE, f"{path}.namespace", given=namespace, name=name)
        status = definition.get("status", "APPROVED")
        if status != "APPROVED":
            error = _STATUS_ERRORS.get(status, errors.TemplateMissing)
            raise _fail((error, _NOT_ACTIVE), at, name=name, code=code, status=status)
        for kind in (c.get("type") for c in definition.get("components", [])):
            if kind in _CLOUD_ONLY:
                raise _fail(_CLOUD_ONLY_KIND, at, name=name, kind=kind)
        return definition


def definitions_in(body: Any) -> Definitions:
    """The definitions in a control-API body or fixture file: one, a list, or Meta's ``{"data": [...]}``."""
    if isinstance(body, dict) and "data" in body:
        body = body["data"]
    items = body if isinstance(body, list) else [body]
    return [dict(item) for item in items]


# --- the send, parsed -----------------------------------------------------------------------------


@dataclass
class _Part:
    """One sent component: where it is, and its parameters."""

    path: str
    params_path: str
    params: list[Param]
    sub_type: str = ""


@dataclass
class _Sent:
    """The components of one send: header and body by name, buttons by index."""

    where: str  # the path reported when a component the template needs was not sent at all
    parts: dict[str, _Part] = field(default_factory=dict)
    buttons: dict[int, _Part] = field(default_factory=dict)


def _parse_components(components: list[dict[str, Any]], path: str) -> _Sent:
    sent = _Sent(where=f"{path}.components")
    for i, component in enumerate(components):
        at = f"{path}.components[{i}]"
        kind = str(component.get("type", "")).lower()
        sub_type = str(component.get("sub_type", "")).lower()
        part = _Part(at, f"{at}.parameters", list(component.get("parameters") or []), sub_type)
        if kind == "button":
            index = _button_index(component.get("index"), f"{at}.index")
            if index in sent.buttons:
                raise _fail(_TWICE, f"{at}.index", what=f"button {index}")
            sent.buttons[index] = part
        elif kind in ("header", "body"):
            if kind in sent.parts:
                raise _fail(_TWICE, f"{at}.type", what=f"the {kind}")
            sent.parts[kind] = part
    return sent


def _button_index(value: Any, at: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise _fail(_BAD_INDEX, at)
    return int(value)


# --- hydration ------------------------------------------------------------------------------------


def _hydrate(definition: Definition, sent: _Sent) -> dict[str, Any]:
    components = {c.get("type"): c for c in definition.get("components", [])}
    body_limit = BODY_ONLY_PARAM_MAX if set(components) == {"BODY"} else BODY_PARAM_MAX
    return {
        "name": definition["name"],
        "language": definition["language"],
        "namespace": definition.get("namespace"),
        "category": definition.get("category"),
        "header": _header(components.get("HEADER"), sent),
        "body": _body(components.get("BODY", {}).get("text", ""), sent, body_limit),
        "footer": components.get("FOOTER", {}).get("text"),
        "buttons": _buttons(components.get("BUTTONS", {}).get("buttons", []), sent),
    }


def _header(definition: dict[str, Any] | None, sent: _Sent) -> dict[str, Any] | None:
    part = sent.parts.get("header")
    if definition is None:
        _params(part, 0, sent.where, "header")
        return None
    fmt = definition.get("format", "TEXT")
    if fmt == "TEXT":
        text = _fill(definition.get("text", ""), part, sent, "header", HEADER_PARAM_MAX)
        return {"format": fmt, "text": text}
    kind = _MEDIA[fmt]
    params, at = _params(part, 1, sent.where, "header")
    got = params[0].get("type")
    if got != kind:
        raise _fail(_WRONG_KIND, f"{at}[0]", label=f"{fmt} header", want=repr(kind), got=got)
    return {"format": fmt, kind: params[0].get(kind)}


def _body(template_text: str, sent: _Sent, limit: int) -> str:
    text = _fill(template_text, sent.parts.get("body"), sent, "body", limit)
    if len(text) > limit:
        part = sent.parts.get("body")
        at = part.params_path if part is not None else sent.where
        raise _fail(_HYDRATED_TOO_LONG, at, size=len(text), limit=limit)
    return text


def _fill(text: str, part: _Part | None, sent: _Sent, label: str, limit: int) -> str:
    """``text`` with its placeholders filled: ``{{n}}`` by number, named ones in order of appearance."""
    names = list(dict.fromkeys(m.group(1) for m in _PLACEHOLDER.finditer(text)))
    if all(n.isdigit() for n in names):
        names.sort(key=int)
    params, at = _params(part, len(names), sent.where, label)
    pairs = enumerate(zip(names, params, strict=True))
    values = {name: _text_value(param, f"{at}[{j}]", label, limit) for j, (name, param) in pairs}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def _text_value(param: Param, at: str, label: str, limit: int) -> str:
    """A text parameter's text (2004 past ``limit``); a currency or date_time one's fallback_value."""
    kind = param.get("type")
    if kind == "text":
        value = str(param.get("text", ""))
        if len(value) > limit:
            raise _fail(_TOO_LONG, at, label=label, limit=limit, size=len(value))
        return value
    if kind in ("currency", "date_time"):
        return str((param.get(kind) or {}).get("fallback_value", ""))
    want = ", ".join(repr(k) for k in _TEXT_KINDS)
    raise _fail(_WRONG_KIND, at, label=label, want=want, got=kind)


def _params(part: _Part | None, want: int, where: str, label: str) -> tuple[list[Param], str]:
    """The part's parameters and their path, if there are exactly ``want`` of them (else 2000)."""
    params = part.params if part is not None else []
    if len(params) == want:
        return params, part.params_path if part is not None else where
    if part is None:
        raise _fail(_MISSING, where, label=label, want=want)
    raise _fail(_COUNT, part.params_path, label=label, want=want, got=len(params))


def _buttons(defined: list[dict[str, Any]], sent: _Sent) -> list[dict[str, Any]]:
    """Each button of the template as the user sees it; a sent button must fit the one at its index (2013)."""
    for index, part in sent.buttons.items():
        if index >= len(defined):
            raise _fail(_NO_BUTTON, f"{part.path}.index", index=index, count=len(defined))
        kind = defined[index].get("type", "")
        if kind not in _SUB_TYPES.get(part.sub_type, set()):
            raise _fail(_WRONG_SUB_TYPE, f"{part.path}.sub_type", index=index, kind=kind, sub_type=part.sub_type)
    return [_button(i, button, sent.buttons.get(i), sent.where) for i, button in enumerate(defined)]


def _button(index: int, button: dict[str, Any], part: _Part | None, where: str) -> dict[str, Any]:
    """One hydrated button; a quick reply sent without a payload parameter gets payload None."""
    kind, label = button.get("type", ""), f"button {index}"
    out: dict[str, Any] = {"index": index, "type": kind, "text": button.get("text")}
    if kind == "QUICK_REPLY":
        out["payload"] = _single(part, "payload", where, label) if part is not None and part.params else None
    elif kind == "URL":
        out["url"] = _url(index, button.get("url", ""), part, where)
    elif kind == "OTP":
        out["otp_type"], out["code"] = button.get("otp_type"), _single(part, "text", where, label)
    elif kind == "COPY_CODE":
        out["coupon_code"] = _single(part, "coupon_code", where, label)
    elif kind == "PHONE_NUMBER":
        out["phone_number"] = button.get("phone_number")
    return out


def _url(index: int, url: str, part: _Part | None, where: str) -> str:
    if not _PLACEHOLDER.search(url):
        if part is not None and part.params:
            raise _fail(_STATIC_URL, part.params_path, index=index)
        return url
    suffix = _single(part, "text", where, f"button {index}")
    return _PLACEHOLDER.sub(lambda _: suffix, url)


def _single(part: _Part | None, kind: str, where: str, label: str) -> str:
    """The value of the one parameter, of type ``kind``, that a button takes."""
    params, at = _params(part, 1, where, label)
    got = params[0].get("type")
    if got != kind:
        raise _fail(_WRONG_KIND, f"{at}[0]", label=label, want=repr(kind), got=got)
    return str(params[0].get(kind, ""))


def _template_id(tenant: str, key: str) -> str:
    """A stable 16-digit id like Meta's, derived from the key (no randomness outside ids.py)."""
    digest = int(hashlib.sha256(f"{tenant}:{key}".encode()).hexdigest(), 16)
    return str(10**15 + digest % (9 * 10**15))


def _fail(error: _Error, path: str, **values: Any) -> errors.WhatsAppError:
    """The error, its details naming the JSON path first (as the schema gate's do)."""
    cls, text = error
    return cls(f"{path}: {text.format(**values)}", path=path)
