"""The layers of design.md, checked: replay is a pure client of the control API, and the control API needs no replay."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "emulator"


def _imports(path: Path) -> set[str]:
    """Every module a file imports (at the top or inside a function)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _importing(folder: str, prefix: str) -> dict[str, list[str]]:
    offenders: dict[str, list[str]] = {}
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        bad = sorted(m for m in _imports(path) if m == prefix or m.startswith(prefix + "."))
        if bad:
            offenders[str(path.relative_to(PACKAGE))] = bad
    return offenders


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("replay", "emulator.domain"),
        ("transcripts", "emulator.domain"),
        ("transcripts", "emulator.replay"),
        ("control", "emulator.replay"),
    ],
)
def test_a_layer_does_not_import_what_it_must_not(folder: str, forbidden: str) -> None:
    assert _importing(folder, forbidden) == {}


def test_loading_replay_and_the_pytest_plugin_loads_no_domain_code() -> None:
    code = (
        "import sys, emulator.replay.cli, emulator.replay.testing, emulator.pytest_plugin\n"
        "print(sorted(m for m in sys.modules if m.startswith('emulator.domain')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PACKAGE.parent, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
