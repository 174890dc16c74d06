"""Fixture files: the users and approved templates an emulator starts (and resets) with."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.resources import data_dir


@dataclass(frozen=True)
class Fixtures:
    """The contents of a fixtures directory."""

    users: list[dict[str, Any]] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)


def load_fixtures(directory: str = "") -> Fixtures:
    """Read ``users.json`` and ``templates.json`` from ``directory`` (the built-in ones by default).

    A missing file means none of that kind; a file that is not valid JSON raises ValueError naming it.
    """
    root = Path(directory) if directory else data_dir("fixtures")
    if not root.is_dir():
        raise ValueError(f"--fixtures / WA_EMULATOR_FIXTURES: {root} is not a directory")
    return Fixtures(users=_read_list(root / "users.json"), templates=_read_list(root / "templates.json"))


def _read_list(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]  # the answer of Meta's template management API, pasted as it is
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list")
    return data
