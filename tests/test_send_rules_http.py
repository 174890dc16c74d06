"""Every case row of tests/cases/ through the HTTP API: the HTTP status and the code a bot gets (docs/validation.md).

The schema-level tests (test_message_schemas.py, test_cloud_schemas.py) check the reason and the JSON
path of each row without HTTP; this sends each invalid row as a bot would, to ``POST /v1/messages`` or
``POST /{phone_number_id}/messages``, and checks the status and the code in the API's own envelope.
Valid rows that name a ``status`` are sent too. Rows marked ``via: http`` need state (``given``: uploads,
settings, received messages, a moved clock) and run only here; ``failed_status`` rows are accepted and
then fail with their code in the message's failed status.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.cloud.codes import TABLE as CLOUD
from emulator.domain.reasons import Reason
from emulator.onprem.codes import TABLE as ONPREM
from emulator.settings import Settings
from emulator.store import MemoryStore
from tests.conftest import T0, basic, bearer
from tests.test_message_schemas import expand, load

PHONE_NUMBER_ID = Settings().phone_number_id
SEND = {"onprem": "/v1/messages", "cloud": f"/v24.0/{PHONE_NUMBER_ID}/messages"}
CLOUD_AUTH = bearer(Settings().access_token)  # the Cloud API's static token
USER = "15550001111"
_GIVEN = re.compile(r"\{given\.([A-Za-z_]+)\}")


def rows(api: str, *names: str) -> list[Any]:
    """The rows of the case files to send: every invalid row, and valid rows that name a status."""
    params = []
    for name in names:
        for param in load(name, everything=True):
            case = param.values[0]
            if "invalid" in name or "status" in case:
                params.append(pytest.param(api, case, id=param.id))
    return params


CASES = rows("onprem", "messages_invalid.yaml", "messages_valid.yaml") + rows(
    "cloud", "cloud_messages_invalid.yaml", "cloud_messages_valid.yaml"
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    """One emulator for every row (reset before a row that needs state), frozen at T0, logged in on /v1."""
    app = create_app(Settings(seed=7), store=MemoryStore(), clock=EmulatorClock(base=lambda: T0))
    with TestClient(app) as client:
        _login(client)
        yield client


def expected(api: str, case: dict[str, Any]) -> tuple[int | None, int]:
    """The row's code (None for a valid row) and HTTP status."""
    if api == "onprem":
        code = case.get("http_code", case.get("code"))
        default = ONPREM.codes[code].http if code is not None else 201
    else:
        reason = Reason(case["reason"]) if "reason" in case else None
        code = case.get("code", CLOUD.code(reason) if reason is not None else None)
        default = CLOUD.http(reason) if reason is not None else 200
    return code, case.get("status", default)


@pytest.mark.parametrize(("api", "case"), CASES)
def test_a_case_row_gets_its_http_status_and_code(client: TestClient, api: str, case: dict[str, Any]) -> None:
    code, status = expected(api, case)
    stateful = bool(case.get("given") or case.get("failed_status") or case.get("request"))
    if stateful:
        _reset(client)
    try:
        _check(client, api, case, prepare(client, api, case), code, status)
    finally:
        if stateful:
            _reset(client)  # the clock back at T0, the settings back to their defaults


def _check(
    client: TestClient, api: str, case: dict[str, Any], made: dict[str, str], code: int | None, status: int
) -> None:
    body = _fill(expand(case["body"]), made)
    request = case.get("request") or {"method": "POST", "path": SEND[api]}
    headers = CLOUD_AUTH if api == "cloud" else None
    response = client.request(request["method"], _fill(request["path"], made), json=body, headers=headers)
    assert response.status_code == status, response.text
    if code is None:
        return
    if case.get("failed_status"):
        record = client.get(f"/_emulator/messages/{response.json()['messages'][0]['id']}").json()
        assert (record["status"], record["errors"][-1]["code"]) == ("failed", code), record
        return
    error = response.json()["errors"][0] if api == "onprem" else response.json()["error"]
    details = error["details"] if api == "onprem" else error["error_data"]["details"]
    assert error["code"] == code, error
    if "http_code" in case:
        return  # another check than the row's answered first (its path and words are the schema's)
    assert details.startswith(case.get("path", "")), details
    assert case.get("says", "") in details, details


def prepare(client: TestClient, api: str, case: dict[str, Any]) -> dict[str, str]:
    """Make what the row's ``given`` names; the ids made, by name."""
    made: dict[str, str] = {}
    for step in case.get("given", []):
        (kind, value), *_ = step.items()
        if kind == "upload":
            made[value["as"]] = _upload(client, api, value["type"])
        elif kind == "settings":
            assert client.patch("/v1/settings/application", json=value).status_code == 200
        elif kind == "inbound":
            sent = client.post(f"/_emulator/users/{USER}/messages", json={"type": "text", "text": {"body": "hi"}})
            made[value["as"]] = sent.json()["message"]["id"]
        elif kind == "clock":
            assert client.post("/_emulator/clock", json={"advance": value}).status_code == 200
            _login(client)  # the login token may have expired meanwhile
        else:
            raise AssertionError(f"unknown given step {kind!r}")
    return made


def _reset(client: TestClient) -> None:
    assert client.post("/_emulator/reset").status_code == 200
    assert client.delete("/v1/settings/application").status_code == 200


def _login(client: TestClient) -> None:
    client.headers.update(bearer(client.post("/v1/users/login", headers=basic()).json()["users"][0]["token"]))


def _upload(client: TestClient, api: str, mime: str) -> str:
    data = b"\x89PNG sample bytes" if mime.startswith("image/") else b"%PDF-1.4 sample bytes"
    if api == "onprem":
        response = client.post("/v1/media", content=data, headers={"Content-Type": mime})
        assert response.status_code == 201, response.text
        return str(response.json()["media"][0]["id"])
    files = {"file": ("sample", data, mime)}
    form = {"messaging_product": "whatsapp", "type": mime}
    response = client.post(f"/v24.0/{PHONE_NUMBER_ID}/media", files=files, data=form, headers=CLOUD_AUTH)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def _fill(value: Any, made: dict[str, str]) -> Any:
    """``value`` with each ``{given.NAME}`` replaced by the id made for NAME."""
    if not made:
        return value
    text = json.dumps(value)
    return json.loads(_GIVEN.sub(lambda m: made[m.group(1)], text))


def test_every_row_marked_via_http_is_sent_here() -> None:
    sent = {p.id for p in CASES}
    for name in ("messages_invalid.yaml", "cloud_messages_invalid.yaml"):
        http_only = {p.id for p in load(name, everything=True)} - {p.id for p in load(name)}
        assert http_only and http_only <= sent
