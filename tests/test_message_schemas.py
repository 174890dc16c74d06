"""POST /v1/messages bodies through the schema gate, then the rules (reference §5, docs/validation.md).

The cases are data: tests/cases/messages_valid.yaml and messages_invalid.yaml.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.domain.message_rules import check_message
from emulator.domain.reasons import Refusal
from emulator.onprem.codes import TABLE as ONPREM
from emulator.resources import data_dir
from emulator.schemas import SchemaSet

ENTRY = "onprem/messages/message.json"
CASES = Path(__file__).parent / "cases"


def expand(node: Any) -> Any:
    """Expand the ``$repeat`` and ``$items`` conventions of the case files."""
    if isinstance(node, list):
        return [expand(item) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"$repeat"}:
        text, count = node["$repeat"]
        return text * count
    if set(node) == {"$items"}:
        template, count = node["$items"]
        return [_numbered(expand(template), i) for i in range(1, count + 1)]
    return {key: expand(value) for key, value in node.items()}


def _numbered(node: Any, i: int) -> Any:
    if isinstance(node, str):
        return node.replace("{i}", str(i))
    if isinstance(node, list):
        return [_numbered(item, i) for item in node]
    if isinstance(node, dict):
        return {key: _numbered(value, i) for key, value in node.items()}
    return copy.deepcopy(node)


def load(name: str, *, everything: bool = False) -> list[Any]:
    """The cases of one file, each as a pytest param named after the case.

    Rows marked ``via: http`` need state only the running API has; they are left out unless
    ``everything`` (tests/test_send_rules_http.py sends them).
    """
    wanted = [case for case in _read(name) if everything or case.get("via") != "http"]
    return [pytest.param(case, id=case["name"]) for case in wanted]


@functools.cache
def _read(name: str) -> list[dict[str, Any]]:
    """A case file, parsed once per test process (pyyaml is slow on the big ones)."""
    cases: list[dict[str, Any]] = yaml.safe_load((CASES / name).read_text(encoding="utf-8"))
    return cases


@pytest.fixture(scope="module")
def schemas() -> SchemaSet:
    return SchemaSet(data_dir("schemas"))


def send(schemas: SchemaSet, body: dict[str, Any]) -> None:
    """What POST /v1/messages does before accepting a body: the schema gate, then the rules."""
    schemas.validate(ENTRY, body)
    check_message(body)


def test_every_schema_file_is_a_valid_draft_2020_12_schema(schemas: SchemaSet) -> None:
    names = list(schemas.check_schemas())
    assert ENTRY in names
    assert "onprem/messages/defs.json" in names


@pytest.mark.parametrize("case", load("messages_valid.yaml"))
def test_valid_message_is_accepted(schemas: SchemaSet, case: dict[str, Any]) -> None:
    send(schemas, expand(case["body"]))


@pytest.mark.parametrize("case", load("messages_invalid.yaml"))
def test_invalid_message_is_rejected_with_its_code_and_path(schemas: SchemaSet, case: dict[str, Any]) -> None:
    with pytest.raises(Refusal) as raised:
        send(schemas, expand(case["body"]))
    error = raised.value
    path, _, sentence = error.details.partition(": ")
    assert (ONPREM.code(error.reason), path) == (case["code"], case["path"]), error.details
    assert sentence, "details name the path and then say what is wrong"
    assert case.get("says", "") in sentence


def test_case_names_are_unique() -> None:
    names = [
        p.id for p in load("messages_valid.yaml", everything=True) + load("messages_invalid.yaml", everything=True)
    ]
    assert len(names) == len(set(names))


def test_expand_builds_long_strings_and_numbered_lists() -> None:
    node = {"a": {"$repeat": ["x", 3]}, "b": {"$items": [{"id": "r{i}", "t": {"$repeat": ["{i}", 2]}}, 2]}}
    assert expand(node) == {"a": "xxx", "b": [{"id": "r1", "t": "11"}, {"id": "r2", "t": "22"}]}
