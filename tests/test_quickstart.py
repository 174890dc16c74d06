"""The README's quick start works as written: its window call and every send, for both APIs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from starlette.testclient import TestClient

from tests.conftest import basic, bearer

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
QUICK_START = README[README.index("## Quick start") : README.index("## Settings")]
BODY = re.compile(r"-d '(\{.*\})'")


def sends(variable: str) -> list[dict[str, object]]:
    """The bodies of the quick start's ``curl -s $VARIABLE ...`` lines."""
    lines = [line for line in QUICK_START.splitlines() if line.startswith(f"curl -s ${variable} ")]
    return [json.loads(BODY.search(line).group(1)) for line in lines]  # type: ignore[union-attr]


def test_the_quick_start_sends_every_common_type_through_both_apis() -> None:
    for variable in ("C", "V"):
        kinds = [b["type"] if b["type"] != "interactive" else b["interactive"]["type"] for b in sends(variable)]  # type: ignore[index]
        assert kinds == ["text", "button", "list", "template", "image"], variable
    assert "WA_EMULATOR_PORT" in QUICK_START and "make replay" in QUICK_START
    assert "470" in QUICK_START and "131047" in QUICK_START and "never wrote" in QUICK_START


def test_the_quick_start_runs_as_written(client: TestClient) -> None:
    window = BODY.search(QUICK_START[QUICK_START.index("/_emulator/users/15550001111/messages") :])
    assert window is not None
    assert client.post("/_emulator/users/15550001111/messages", json=json.loads(window.group(1))).status_code == 200
    for body in sends("C"):
        answer = client.post("/v22.0/106540352242922/messages", json=body, headers=bearer("wa-emulator-token"))
        assert answer.status_code == 200, answer.text
    token = client.post("/v1/users/login", headers=basic()).json()["users"][0]["token"]
    for body in sends("V"):
        answer = client.post("/v1/messages", json=body, headers=bearer(token))
        assert answer.status_code == 201, answer.text
    records = client.get("/_emulator/messages").json()["messages"]
    assert len(records) == 10 and all(not r["errors"] for r in records)
    assert client.get("/_emulator/requests?status=4xx").json()["requests"] == []
