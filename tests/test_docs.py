"""The README documents every setting; the version is the package's."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import emulator
from emulator.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_documents_every_flag_and_variable() -> None:
    for f in dataclasses.fields(Settings):
        assert f"`--{f.name.replace('_', '-')}`" in README, f.name
        assert f"`{ENV_PREFIX}{f.name.upper()}`" in README, f.name


def test_readme_shows_the_two_set_up_commands() -> None:
    assert "make run" in README and "make test" in README


def test_package_version_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert emulator.__version__ == project["version"]
