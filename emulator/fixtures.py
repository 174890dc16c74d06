"""Fixture files: the users and approved templates an emulator starts (and resets) with."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.domain.reasons import Refusal
from emulator.resources import data_dir
from emulator.schemas import SchemaSet

FLAG = "--fixtures / WA_EMULATOR_FIXTURES"


@dataclass(frozen=True)
class Fixtures:
    """The contents of a fixtures directory."""

    users: list[dict[str, Any]] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)


def load_fixtures(directory: str = "", schemas: SchemaSet | None = None) -> Fixtures:
    """Read ``users.json`` and ``templates.json`` from ``directory`` (the built-in ones by default).

    A missing file means none of that kind. A file that is not valid JSON, or (given ``schemas``) does
    not match the schema of ``PUT /_emulator/users/{wa_id}`` or ``POST /_emulator/templates``, raises
    ValueError naming the flag, the file and the first problem.
    """
    root = Path(directory) if directory else data_dir("fixtures")
    if not root.is_dir():
        raise ValueError(f"{FLAG}: {root} is not a directory")
    users = _read(root / "users.json")
    templates = _read(root / "templates.json")
    if schemas is not None:
        _check(root / "users.json", users, schemas)
        _check(root / "templates.json", templates, schemas)
    if isinstance(templates, dict) and isinstance(templates.get("data"), list):
        templates = templates["data"]  # the answer of Meta's template management API, pasted as it is
    return Fixtures(users=_as_list(root / "users.json", users), templates=_as_list(root / "templates.json", templates))


def _read(path: Path) -> Any:
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{FLAG}: cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{FLAG}: {path}: not valid JSON ({exc})") from None


def _check(path: Path, data: Any, schemas: SchemaSet) -> None:
    """Users as ``PUT /_emulator/users/{wa_id}`` takes them (with a wa_id); templates as POST /_emulator/templates."""
    if path.name != "users.json":
        _validate(schemas, "control/template.json", data, f"{FLAG}: {path}: $")
        return
    if not isinstance(data, list):
        raise ValueError(f"{FLAG}: {path}: expected a JSON list of users")
    for index, user in enumerate(data):
        where = f"{FLAG}: {path}: $[{index}]"
        if not isinstance(user, dict) or "wa_id" not in user:
            raise ValueError(f"{where}: a user is an object with a wa_id")
        _validate(schemas, "control/user.json", user, where)


def _validate(schemas: SchemaSet, name: str, value: Any, where: str) -> None:
    try:
        schemas.validate(name, value)
    except Refusal as refusal:  # its details start with the JSON path ("$.name: ...")
        raise ValueError(where + refusal.details.removeprefix("$")) from None


def _as_list(path: Path, data: Any) -> list[dict[str, Any]]:
    if isinstance(data, dict):
        return [data]  # one template definition, as POST /_emulator/templates takes it
    if not isinstance(data, list):
        raise ValueError(f"{FLAG}: {path}: expected a JSON list")
    return data
