"""A template send checked against its definition and hydrated: what the user's phone shows.

``parse_components`` reads the ``components`` of a send (any letter case, index as int or numeric
string); ``hydrate`` checks them against the registered definition and fills the placeholders
(named ones by the ``parameter_name`` sent with each value).
Reasons: template_param_count, template_param_format (kind, or an unknown name), template_buttons,
template_param_too_long / template_text_too_long, template_param_whitespace (a text parameter breaking
the whitespace policy), invalid_parameter for a component sent twice (the judgement calls are argued
in docs/templates.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from emulator.domain.reasons import Reason, Refusal

Definition = dict[str, Any]
Param = dict[str, Any]
# Each error: its class (the code) and its text, formatted with the values at hand.
Error = tuple[Reason, str]

HEADER_PARAM_MAX = 60
BODY_PARAM_MAX = 1024  # when the template has components besides the body
BODY_ONLY_PARAM_MAX = 32768  # when the body is the template's only component

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")
_WHITESPACE = re.compile(r"[\n\t]| {5}")  # the whitespace policy: no new line, no tab, at most 4 spaces in a row
_MEDIA = {"IMAGE": "image", "VIDEO": "video", "DOCUMENT": "document", "LOCATION": "location"}
_TEXT_KINDS = ("text", "currency", "date_time")
_SUB_TYPES = {
    "quick_reply": {"QUICK_REPLY"},
    "url": {"URL", "OTP"},
    "copy_code": {"COPY_CODE"},
    "catalog": {"CATALOG"},
}
_COUNT = (Reason.TEMPLATE_PARAM_COUNT, "the template {label} has {want} parameter(s), {got} given")
_MISSING = (Reason.TEMPLATE_PARAM_COUNT, "the template {label} has {want} parameter(s), none sent")
_WRONG_KIND = (Reason.TEMPLATE_PARAM_FORMAT, "the {label} takes type {want}, not {got!r}")
_TOO_LONG = (Reason.TEMPLATE_PARAM_TOO_LONG, "a {label} text parameter has {size} characters, max {limit}")
_EMPTY = (Reason.TEMPLATE_PARAM_WHITESPACE, "a {label} text parameter must not be empty")
_SPACING = (
    Reason.TEMPLATE_PARAM_WHITESPACE,
    "a {label} text parameter cannot have new-line or tab characters or more than 4 consecutive spaces",
)
_HYDRATED_TOO_LONG = (
    Reason.TEMPLATE_TEXT_TOO_LONG,
    "the hydrated body has {size} characters, max {limit}",
)
_UNKNOWN_NAME = (
    Reason.TEMPLATE_PARAM_FORMAT,
    "the {label} has no parameter {name!r} to fill, or it is sent twice (it has {have})",
)
_TWICE = (Reason.INVALID_PARAMETER, "{what} sent twice")
_BAD_INDEX = (Reason.INVALID_PARAMETER, "must be a button position 0-9")
_NO_BUTTON = (Reason.TEMPLATE_BUTTONS, "the template has no button {index} (it has {count})")
_WRONG_SUB_TYPE = (
    Reason.TEMPLATE_BUTTONS,
    "button {index} is {kind}, which {sub_type!r} does not fit",
)
_STATIC_URL = (Reason.TEMPLATE_BUTTONS, "button {index} has a static URL and takes no parameter")


# --- the send, parsed -----------------------------------------------------------------------------


@dataclass
class Part:
    """One sent component: where it is, and its parameters."""

    path: str
    params_path: str
    params: list[Param]
    sub_type: str = ""


@dataclass
class Sent:
    """The components of one send: header and body by name, buttons by index."""

    where: str  # the path reported when a component the template needs was not sent at all
    parts: dict[str, Part] = field(default_factory=dict)
    buttons: dict[int, Part] = field(default_factory=dict)


def parse_components(components: list[dict[str, Any]], path: str) -> Sent:
    sent = Sent(where=f"{path}.components")
    for i, component in enumerate(components):
        at = f"{path}.components[{i}]"
        kind = str(component.get("type", "")).lower()
        sub_type = str(component.get("sub_type", "")).lower()
        part = Part(at, f"{at}.parameters", list(component.get("parameters") or []), sub_type)
        if kind == "button":
            index = _button_index(component.get("index"), f"{at}.index")
            if index in sent.buttons:
                raise fail(_TWICE, f"{at}.index", what=f"button {index}")
            sent.buttons[index] = part
        elif kind in ("header", "body"):
            if kind in sent.parts:
                raise fail(_TWICE, f"{at}.type", what=f"the {kind}")
            sent.parts[kind] = part
    return sent


def _button_index(value: Any, at: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise fail(_BAD_INDEX, at)
    return int(value)


# --- hydration ------------------------------------------------------------------------------------


def hydrate(definition: Definition, sent: Sent) -> dict[str, Any]:
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


def _header(definition: dict[str, Any] | None, sent: Sent) -> dict[str, Any] | None:
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
        raise fail(_WRONG_KIND, f"{at}[0]", label=f"{fmt} header", want=repr(kind), got=got)
    return {"format": fmt, kind: params[0].get(kind)}


def _body(template_text: str, sent: Sent, limit: int) -> str:
    text = _fill(template_text, sent.parts.get("body"), sent, "body", limit)
    if len(text) > limit:
        part = sent.parts.get("body")
        at = part.params_path if part is not None else sent.where
        raise fail(_HYDRATED_TOO_LONG, at, size=len(text), limit=limit)
    return text


def _fill(text: str, part: Part | None, sent: Sent, label: str, limit: int) -> str:
    """``text`` with its placeholders filled: ``{{n}}`` by number, named ones by ``parameter_name``.

    Named placeholders sent without any ``parameter_name`` are filled in order of appearance.
    """
    names = list(dict.fromkeys(m.group(1) for m in _PLACEHOLDER.finditer(text)))
    positional = all(n.isdigit() for n in names)
    if positional:
        names.sort(key=int)
    params, at = _params(part, len(names), sent.where, label)
    indexed = list(enumerate(params)) if positional else _by_name(names, params, at, label)
    pairs = zip(names, indexed, strict=True)
    values = {name: _text_value(param, f"{at}[{j}]", label, limit) for name, (j, param) in pairs}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def _by_name(names: list[str], params: list[Param], at: str, label: str) -> list[tuple[int, Param]]:
    """Each named placeholder's parameter (with its index), matched by ``parameter_name``, in any order."""
    if not any("parameter_name" in p for p in params):
        return list(enumerate(params))
    found: dict[str, tuple[int, Param]] = {}
    for j, param in enumerate(params):
        name = param.get("parameter_name")
        if name not in names or name in found:
            have = ", ".join(names)
            raise fail(_UNKNOWN_NAME, f"{at}[{j}].parameter_name", label=label, name=name, have=have)
        found[str(name)] = (j, param)
    return [found[n] for n in names]


def _text_value(param: Param, at: str, label: str, limit: int) -> str:
    """A text parameter's text (too long past ``limit``); a currency or date_time one's fallback_value."""
    kind = param.get("type")
    if kind == "text":
        value = str(param.get("text", ""))
        if not value.strip():
            raise fail(_EMPTY, at, label=label)
        if _WHITESPACE.search(value):
            raise fail(_SPACING, at, label=label)
        if len(value) > limit:
            raise fail(_TOO_LONG, at, label=label, limit=limit, size=len(value))
        return value
    if kind in ("currency", "date_time"):
        return str((param.get(kind) or {}).get("fallback_value", ""))
    want = ", ".join(repr(k) for k in _TEXT_KINDS)
    raise fail(_WRONG_KIND, at, label=label, want=want, got=kind)


def _params(part: Part | None, want: int, where: str, label: str) -> tuple[list[Param], str]:
    """The part's parameters and their path, if there are exactly ``want`` of them (else a count mismatch)."""
    params = part.params if part is not None else []
    if len(params) == want:
        return params, part.params_path if part is not None else where
    if part is None:
        raise fail(_MISSING, where, label=label, want=want)
    raise fail(_COUNT, part.params_path, label=label, want=want, got=len(params))


def _buttons(defined: list[dict[str, Any]], sent: Sent) -> list[dict[str, Any]]:
    """Each button of the template as the user sees it; a sent button must fit the one at its index."""
    for index, part in sent.buttons.items():
        if index >= len(defined):
            raise fail(_NO_BUTTON, f"{part.path}.index", index=index, count=len(defined))
        kind = defined[index].get("type", "")
        if kind not in _SUB_TYPES.get(part.sub_type, set()):
            raise fail(_WRONG_SUB_TYPE, f"{part.path}.sub_type", index=index, kind=kind, sub_type=part.sub_type)
    return [_button(i, button, sent.buttons.get(i), sent.where) for i, button in enumerate(defined)]


def _button(index: int, button: dict[str, Any], part: Part | None, where: str) -> dict[str, Any]:
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


def _url(index: int, url: str, part: Part | None, where: str) -> str:
    if not _PLACEHOLDER.search(url):
        if part is not None and part.params:
            raise fail(_STATIC_URL, part.params_path, index=index)
        return url
    suffix = _single(part, "text", where, f"button {index}")
    return _PLACEHOLDER.sub(lambda _: suffix, url)


def _single(part: Part | None, kind: str, where: str, label: str) -> str:
    """The value of the one parameter, of type ``kind``, that a button takes."""
    params, at = _params(part, 1, where, label)
    got = params[0].get("type")
    if got != kind:
        raise fail(_WRONG_KIND, f"{at}[0]", label=label, want=repr(kind), got=got)
    return str(params[0].get(kind, ""))


def fail(error: Error, path: str, **values: Any) -> Refusal:
    """The refusal, its details naming the JSON path first (as the schema gate's do)."""
    reason, text = error
    return Refusal(reason, f"{path}: {text.format(**values)}", path=path)
