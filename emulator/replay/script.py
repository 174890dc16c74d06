"""Conversation scripts: YAML read with its line numbers, checked by ``schemas/control/script.json``.

An invalid script is refused before anything runs, with the file, the line and the reason
(``order.yaml:12: $.steps[3].tap: must be of type string``). The line comes from pyyaml's node
marks: the document is composed into nodes first, each path's line noted, then constructed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from emulator.durations import parse_duration
from emulator.resources import data_dir
from emulator.schemas import SchemaSet, describe
from emulator.transcripts.export import REGEX

if TYPE_CHECKING:
    import jsonschema

SCHEMA = "control/script.json"
DEFAULT_USER = "15550001111"
DEFAULT_TIMEOUT_S = 10.0
REPLIES = ("tap", "select", "quick_reply", "react", "order", "enquire", "complete_flow")  # answer a bot message
USER_TURNS = ("text", "location", *REPLIES, "change_number", "delete", "send")
ACTIONS = (*USER_TURNS, "expect", "clock", "set_user", "call", "fault")
_MODIFIERS = ("user", "reply_to", "timeout", "referral")
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"

JsonPath = tuple[str | int, ...]


class ScriptError(ValueError):
    """A script that cannot run: where (file, and the line if the problem is on one) and why."""

    def __init__(self, source: str, line: int | None, reason: str) -> None:
        super().__init__(f"{source}:{line}: {reason}" if line is not None else f"{source}: {reason}")
        self.source = source
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Expectation:
    """What one of the bot's messages must be: the fields of an ``expect`` entry."""

    fields: dict[str, Any]
    line: int
    label: str | None = None


@dataclass(frozen=True)
class Step:
    """One step: a user turn, an expectation, a clock move, a user change, an HTTP call or a fault rule."""

    number: int
    line: int
    kind: str
    value: Any
    user: str | None = None
    reply_to: str | None = None
    timeout: float | None = None
    referral: dict[str, Any] | None = None


@dataclass(frozen=True)
class Script:
    """A parsed, valid script."""

    source: str
    name: str
    user: str
    timeout: float
    steps: tuple[Step, ...] = field(default_factory=tuple)


@functools.cache
def default_schemas() -> SchemaSet:
    """The project's schema files, compiled once per process."""
    return SchemaSet(data_dir("schemas"))


def load_script(path: str | Path, schemas: SchemaSet | None = None) -> Script:
    """Read and check the script at ``path``."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(source, None, f"cannot read the script: {exc}") from None
    return parse_script(text, source, schemas)


def parse_script(text: str, source: str = "<script>", schemas: SchemaSet | None = None) -> Script:
    """Parse and check a script's text; ScriptError names the line of the first problem."""
    data, lines = _compose(text, source)
    where = _Where(source, lines)
    if not isinstance(data, dict):
        raise where.error((), "a script is a mapping with 'steps' (and optionally name, user, timeout)")
    _check_actions(data, where)
    _check_schema(data, where, schemas or default_schemas())
    steps = tuple(_step(number, raw, where) for number, raw in enumerate(data["steps"], start=1))
    _check_labels(steps, where)
    return Script(
        source=source,
        name=str(data.get("name") or Path(source).stem),
        user=data.get("user", DEFAULT_USER),
        timeout=float(data.get("timeout", DEFAULT_TIMEOUT_S)),
        steps=steps,
    )


class _Where:
    """Turns a JSON path into the line it was written on."""

    def __init__(self, source: str, lines: dict[JsonPath, int]) -> None:
        self.source = source
        self.lines = lines

    def line(self, path: JsonPath) -> int:
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1

    def error(self, path: JsonPath, reason: str) -> ScriptError:
        return ScriptError(self.source, self.line(path), reason)


def _compose(text: str, source: str) -> tuple[Any, dict[JsonPath, int]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScriptError(source, 1, "the script is empty")
        lines: dict[JsonPath, int] = {}
        _note_lines(node, (), lines, source)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        last_line = max(1, len(text.splitlines()))
        line = min(mark.line + 1, last_line) if mark is not None else 1
        reason = f"not valid YAML: {exc.problem or exc.context}"
        if exc.context and exc.problem and exc.context_mark is not None:
            reason += f" ({exc.context} from line {exc.context_mark.line + 1})"
        raise ScriptError(source, line, reason) from None
    except yaml.YAMLError as exc:
        raise ScriptError(source, 1, f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def _note_lines(node: yaml.Node, path: JsonPath, lines: dict[JsonPath, int], source: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key_line = key_node.start_mark.line + 1
            if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag == _STR_TAG):
                raise ScriptError(source, key_line, f"the key {key_node.value!r} must be a string (put it in quotes)")
            key = str(key_node.value)
            if key in seen:
                raise ScriptError(source, key_line, f"the key {key!r} appears twice in the same mapping")
            seen.add(key)
            lines[(*path, key)] = key_line
            _note_lines(value_node, (*path, key), lines, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _note_lines(item, (*path, index), lines, source)


def _check_actions(data: dict[str, Any], where: _Where) -> None:
    """Exactly one action per step, said plainly (the schema's oneOf says it less readably)."""
    steps = data.get("steps")
    if not isinstance(steps, list):
        return
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        actions = [k for k in step if k in ACTIONS]
        if len(actions) != 1:
            unknown = [k for k in step if k not in ACTIONS and k not in _MODIFIERS]
            got = " and ".join(actions) if actions else "none"
            if unknown and not actions:
                got += f" ({', '.join(repr(k) for k in unknown)} is not a step kind)"
            raise where.error(
                ("steps", index),
                f"$.steps[{index}]: a step has exactly one action ({', '.join(ACTIONS)}); got {got}",
            )
        if "referral" in step and actions != ["text"]:
            raise where.error(("steps", index, "referral"), f"$.steps[{index}].referral: referral goes with text")


def _check_schema(data: dict[str, Any], where: _Where, schemas: SchemaSet) -> None:
    if schemas.is_valid(SCHEMA, data):
        return
    error = schemas.best_error(SCHEMA, data)
    path: JsonPath = tuple(error.absolute_path)
    raise where.error(_pointed_path(error, path), f"{error.json_path}: {describe(error)}")


def _pointed_path(error: jsonschema.ValidationError, path: JsonPath) -> JsonPath:
    """For an unexpected or misplaced key, the key's own line rather than its mapping's."""
    schema_path = list(error.schema_path)
    if "dependentSchemas" in schema_path:
        return (*path, schema_path[schema_path.index("dependentSchemas") + 1])
    if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = [k for k in error.instance if k not in allowed]
        if extra:
            return (*path, extra[0])
    return path


def _step(number: int, raw: dict[str, Any], where: _Where) -> Step:
    index = number - 1
    (kind,) = [k for k in raw if k in ACTIONS]
    value = raw[kind]
    path: JsonPath = ("steps", index, kind)
    if kind == "expect":
        entries = value if isinstance(value, list) else [value]
        value = tuple(
            _expectation(entry, (*path, i) if isinstance(value, list) else path, where)
            for i, entry in enumerate(entries)
        )
    elif kind == "clock":
        value = parse_duration(value)
    timeout = raw.get("timeout")
    return Step(
        number=number,
        line=where.line(("steps", index)),
        kind=kind,
        value=value,
        user=raw.get("user"),
        reply_to=raw.get("reply_to"),
        timeout=float(timeout) if timeout is not None else None,
        referral=raw.get("referral"),
    )


def _expectation(entry: dict[str, Any], path: JsonPath, where: _Where) -> Expectation:
    for sub, text in _strings(entry, ()):
        if text.startswith(REGEX):
            try:
                re.compile(text[len(REGEX) :])
            except re.error as exc:
                at = (*path, *sub)
                raise where.error(at, f"{_json_path(at)}: bad regular expression: {exc}") from None
    fields = {k: v for k, v in entry.items() if k != "as"}
    return Expectation(fields=fields, line=where.line(path), label=entry.get("as"))


def _strings(value: Any, path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*path, index))


def _json_path(path: JsonPath) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _check_labels(steps: tuple[Step, ...], where: _Where) -> None:
    """Labels (``as``) are unique; ``reply_to`` names a label given in an earlier step."""
    defined: set[str] = set()
    for step in steps:
        index = step.number - 1
        if step.reply_to is not None and step.reply_to not in defined:
            known = ", ".join(sorted(defined)) or "none yet"
            raise where.error(
                ("steps", index, "reply_to"),
                f"$.steps[{index}].reply_to: no earlier expectation is labelled {step.reply_to!r} "
                f"(with 'as:'; labels so far: {known})",
            )
        if step.kind == "expect":
            for expectation in step.value:
                if expectation.label in defined:
                    raise ScriptError(where.source, expectation.line, f"the label {expectation.label!r} is used twice")
                if expectation.label is not None:
                    defined.add(expectation.label)
