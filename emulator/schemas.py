"""The one validation gate: JSON Schema files compiled once, failures turned into refusals.

The hot path asks ``jsonschema-rs`` whether a body is valid. Only for a body that is not does
python-``jsonschema`` (read from the same files) find the best error and its JSON path, which
becomes a wire-neutral reason (each façade's table turns it into its API's code):

* a subschema may name reasons per keyword: ``"x-wa-reasons": {"maxLength": "too_long"}`` (``"*"`` = any);
* otherwise ``required`` -> missing_parameter, ``additionalProperties``/``unevaluatedProperties`` ->
  unexpected_parameter, anything else -> invalid_parameter;
* a subschema marked ``"x-wa-first": true`` is reported before any other failure (a message's ``type``:
  an unknown type says which types there are, rather than that its object is unexpected).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs

if TYPE_CHECKING:
    import jsonschema

    from emulator.domain.reasons import Refusal

BASE_URI = "https://wa-emulator.dev/schemas/"
_CODES_KEY = "x-wa-reasons"
_FIRST_KEY = "x-wa-first"
# reasons by name: replay validates its scripts here and imports nothing of the domain (the reasons
# are imported only to refuse a request)
_DEFAULT_REASONS = {
    "required": "missing_parameter",
    "dependentRequired": "missing_parameter",
    "additionalProperties": "unexpected_parameter",
    "unevaluatedProperties": "unexpected_parameter",
    "false": "unexpected_parameter",
}


class SchemaSet:
    """Every schema under a directory, by path relative to it (``onprem/login.json``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.schemas: dict[str, dict[str, Any]] = {}
        for path in sorted(root.rglob("*.json")):
            name = path.relative_to(root).as_posix()
            schema = json.loads(path.read_text(encoding="utf-8"))
            schema.setdefault("$id", BASE_URI + name)
            self.schemas[name] = schema
        self._registry = jsonschema_rs.Registry([(s["$id"], s) for s in self.schemas.values()])
        # Each compiled on first use (~1-4 ms each, ~30 ms for all): most are not needed to start serving.
        self._fast: dict[str, jsonschema_rs.Validator] = {}
        self._slow: dict[str, jsonschema.protocols.Validator] = {}

    def validate(self, name: str, instance: Any) -> None:
        """Raise the refusal for the first problem in ``instance``, or return."""
        if (self._fast.get(name) or self._compile(name)).is_valid(instance):
            return
        error = self.best_error(name, instance)
        raise to_refusal(error)

    def is_valid(self, name: str, instance: Any) -> bool:
        """True when ``instance`` matches the schema (fast path only)."""
        return (self._fast.get(name) or self._compile(name)).is_valid(instance)

    def _compile(self, name: str) -> jsonschema_rs.Validator:
        validator = self._fast[name] = jsonschema_rs.validator_for(self.schemas[name], registry=self._registry)
        return validator

    def best_error(self, name: str, instance: Any) -> jsonschema.ValidationError:
        """The most relevant error python-jsonschema finds (only called for invalid instances)."""
        from jsonschema.exceptions import best_match

        errors = list(self._slow_validator(name).iter_errors(instance))
        first = [e for e in errors if isinstance(e.schema, dict) and e.schema.get(_FIRST_KEY)]
        error: jsonschema.ValidationError | None = best_match(first or errors, key=_relevance)
        if error is None:  # the two validators disagree: report it rather than accept silently
            from emulator.domain.reasons import Reason, Refusal

            raise Refusal(Reason.INTERNAL, f"schema {name}: fast and full validators disagree")
        return error

    def _slow_validator(self, name: str) -> jsonschema.protocols.Validator:
        if name not in self._slow:
            from jsonschema import Draft202012Validator
            from referencing import Registry, Resource

            registry: Registry[Any] = Registry().with_resources(
                (s["$id"], Resource.from_contents(s)) for s in self.schemas.values()
            )
            self._slow[name] = Draft202012Validator(self.schemas[name], registry=registry)
        return self._slow[name]

    def check_schemas(self) -> Iterable[str]:
        """Names of every schema, each checked against its meta-schema (raises on the first bad one)."""
        from jsonschema import Draft202012Validator

        for name, schema in self.schemas.items():
            Draft202012Validator.check_schema(schema)
            yield name


def _relevance(error: jsonschema.ValidationError) -> Any:
    from jsonschema.exceptions import relevance

    # Prefer a missing field (1008) over a wrong one elsewhere, as a client reads top to bottom.
    key: tuple[Any, ...] = relevance(error)  # type: ignore[assignment]  # typed loosely upstream
    return (error.validator == "required", *key)


def to_refusal(error: jsonschema.ValidationError) -> Refusal:
    """The refusal for one JSON Schema failure, with its JSON path first in ``details``."""
    from emulator.domain.reasons import Reason, Refusal

    keyword = str(error.validator)
    named = error.schema.get(_CODES_KEY, {}) if isinstance(error.schema, dict) else {}
    if keyword == "false" or error.schema is False:
        keyword = "false"
    reason = named.get(keyword, named.get("*", _DEFAULT_REASONS.get(keyword, "invalid_parameter")))
    path = error.json_path
    return Refusal(Reason(reason), f"{path}: {describe(error)}", path=path)


def describe(error: jsonschema.ValidationError) -> str:
    """A short, actionable sentence for a failure (never the whole offending value)."""
    keyword, value = error.validator, error.instance
    expected: Any = error.validator_value
    schema: dict[str, Any] = dict(error.schema) if isinstance(error.schema, dict) else {}
    size = len(value) if isinstance(value, str | list | dict) else 0
    match keyword:
        case "required":
            missing = error.message.replace(" is a required property", " is required")
            # A subschema that gives its required fields a code of their own says why in its description.
            why = schema.get("description") if _CODES_KEY in schema else None
            return f"{missing} ({why})" if why else missing
        case "additionalProperties" | "unevaluatedProperties":
            extra = sorted(set(value) - set(schema.get("properties", {}))) if isinstance(value, dict) else []
            return "unexpected parameter " + ", ".join(repr(e) for e in extra) if extra else error.message
        case "maxLength":
            return f"must be at most {expected} characters long (got {size})"
        case "minLength":
            return "must not be empty" if expected == 1 else f"must be at least {expected} characters long"
        case "maxItems":
            return f"must have at most {expected} items (got {size})"
        case "minItems":
            return f"must have at least {expected} item{'s' if expected != 1 else ''} (got {size})"
        case "type":
            return f"must be of type {expected if isinstance(expected, str) else ' or '.join(expected)}"
        case "enum":
            return "must be one of " + ", ".join(json.dumps(v) for v in expected)
        case "const":
            return f"must be {json.dumps(expected)}"
        case "pattern":
            return str(schema.get("description") or f"must match the pattern {expected}")
        case "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum":
            return error.message if len(error.message) < 200 else f"is out of range ({keyword} {expected})"
    text = schema.get("description")
    message = error.message
    return text or (message if len(message) <= 200 else message[:197] + "...")
