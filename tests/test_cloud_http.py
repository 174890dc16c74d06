"""The Cloud façade over HTTP, driven by data: tests/cases/cloud_http.yaml (the file says what each field means).

Each case runs against a fresh in-process emulator with Cloud webhooks going to a Receiver that checks
their signatures and schemas. Every answer is checked against Graph's envelope: a send answer has exactly
``messaging_product``, ``contacts`` and ``messages``; an error has exactly Graph's keys, ``(#code) title``
as its message, ``error_data`` with the details, and the headers Graph puts on a 4xx.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from emulator.clock import EmulatorClock
from emulator.cloud.codes import TABLE
from emulator.domain.samples import sample
from emulator.ids import IdFactory
from emulator.settings import Settings
from tests.cloud_clients import ACCESS_TOKEN, PHONE_NUMBER_ID, WABA_ID
from tests.conftest import T0
from tests.receiver import Receiver, drain, emulator_with_receiver, reset
from tests.test_message_schemas import expand, load

ALICE = "15550001111"
ERROR_KEYS = {"message", "type", "code", "error_data", "error_subcode", "fbtrace_id"}
TOKEN_ERRORS = {190}  # Graph's own errors carry no error_data
CASES = load("cloud_http.yaml")


@dataclass
class Emulator:
    """A fresh emulator, its webhook receiver, and the values the case file's placeholders name."""

    client: TestClient
    receiver: Receiver
    values: dict[str, str]

    def fill(self, node: Any) -> Any:
        """``node`` with every ``{placeholder}`` in its strings replaced."""
        if isinstance(node, str):
            for key, value in self.values.items():
                node = node.replace("{" + key + "}", value)
            return node
        if isinstance(node, list):
            return [self.fill(item) for item in node]
        if isinstance(node, dict):
            return {key: self.fill(value) for key, value in node.items()}
        return node


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[TestClient, Receiver]]:
    """One emulator for the module (building one compiles every schema): each case resets it."""
    settings = Settings(seed=7, webhook_format="cloud")
    with emulator_with_receiver(settings, clock=EmulatorClock(base=lambda: T0)) as (client, receiver):
        client.headers.pop("Authorization")  # the /v1 login; each case sends its own credentials
        yield client, receiver


@pytest.fixture
def emulator(running: tuple[TestClient, Receiver]) -> Iterator[Emulator]:
    """The emulator reset, with Alice's "hi" and an uploaded image (the placeholders' values)."""
    client, receiver = running
    reset(client, receiver)
    said = client.post(f"/_emulator/users/{ALICE}/messages", json={"type": "text", "text": {"body": "hi"}})
    mime, data = sample("image")
    uploaded = client.post(
        f"/v26.0/{PHONE_NUMBER_ID}/media",
        data={"messaging_product": "whatsapp", "type": mime},
        files={"file": ("menu.png", data, mime)},
        headers={"Authorization": f"Bearer {ACCESS_TOKEN}"},
    )
    values = {
        "phone": PHONE_NUMBER_ID,
        "waba": WABA_ID,
        "inbound": said.json()["message"]["id"],
        "media": uploaded.json()["id"],
        "alice_bsuid": IdFactory.user_id(ALICE),
    }
    yield Emulator(client, receiver, values)
    assert receiver.invalid == [], "\n".join(receiver.invalid)


def call(emulator: Emulator, case: dict[str, Any]) -> httpx2.Response:
    """Make the case's request with its credentials and body."""
    path = emulator.fill(case["path"])
    auth = case.get("auth", "bearer")
    headers = {"Authorization": "Bearer " + ("EAAnot-a-token" if auth == "unknown" else ACCESS_TOKEN)}
    if auth in ("none", "query"):
        headers = {}
    params = {"access_token": ACCESS_TOKEN} if auth == "query" else None
    kwargs: dict[str, Any] = {"headers": headers, "params": params}
    if "body" in case:
        kwargs["json"] = emulator.fill(expand(case["body"]))
    elif "raw" in case:
        kwargs.update(content=case["raw"].encode(), headers={**headers, "Content-Type": "application/json"})
    elif "form" in case:
        parts: dict[str, Any] = {key: (None, value) for key, value in case["form"].items()}  # multipart fields
        if "file" in case:
            name, mime, text = case["file"]
            parts["file"] = (name, text.encode(), mime)
        kwargs["files"] = parts
    return emulator.client.request(case.get("method", "POST"), path, **kwargs)


def assert_error(response: httpx2.Response, expected: dict[str, Any]) -> None:
    """The Cloud error envelope, with the code, subcode, type and words the case names."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"message", "type", "code", "fbtrace_id"} <= set(error) <= ERROR_KEYS, error
    assert error["code"] == expected["code"], error
    assert error["type"] == expected.get("type", "OAuthException"), error
    assert error.get("error_subcode") == expected.get("subcode"), error
    assert error["fbtrace_id"] and response.headers["x-fb-trace-id"] == error["fbtrace_id"]
    assert response.headers["www-authenticate"].startswith('OAuth "Facebook Platform" "invalid_request"')
    if expected["code"] not in TOKEN_ERRORS and "subcode" not in expected:
        assert error["message"] == f"(#{error['code']}) {TABLE.codes[error['code']].title}", error
        assert set(error["error_data"]) == {"messaging_product", "details"}, error
        assert error["error_data"]["messaging_product"] == "whatsapp" and error["error_data"]["details"]
    else:
        assert "error_data" not in error, error
    words = expected.get("says", "")
    assert words in error["message"] + " " + error.get("error_data", {}).get("details", ""), error


def assert_answer(emulator: Emulator, case: dict[str, Any], body: dict[str, Any]) -> None:
    """A 200's body: the send answer, ``{"success": true}``, or the exact shape or keys the case names."""
    if case["answer"] == "success":
        assert body == {"success": True}
    if case["answer"] == "sent":
        assert set(body) == {"messaging_product", "contacts", "messages"}, body
        assert body["messaging_product"] == "whatsapp"
        (contact,) = body["contacts"]
        assert contact == emulator.fill(case.get("contact", contact)), contact
        assert {"input", "wa_id"} <= set(contact) <= {"input", "wa_id", "user_id"}
        (sent,) = body["messages"]
        assert sent == {"id": sent["id"], **({"message_status": "accepted"} if case.get("accepted") else {})}
        assert sent["id"].startswith("wamid.")
    if "shape" in case:
        assert body == emulator.fill(case["shape"])
    if "keys" in case:
        assert sorted(body) == case["keys"]


def assert_afterwards(emulator: Emulator, case: dict[str, Any], message_id: str) -> None:
    """Once every delivery settled: the record's last status, its failure, and the status webhooks' keys."""
    drain(emulator.client)
    record = emulator.client.get(f"/_emulator/messages/{message_id}").json()
    assert record["api"] == "cloud" and record.get("api_version") == case.get("version", record.get("api_version"))
    webhooks = {s["status"]: s for s in emulator.receiver.statuses(message_id)}
    then = case.get("then")
    if then:
        assert record["status"] == then["status"], record["statuses"]
        assert list(webhooks)[-1] == then["status"]
    if then and "code" in then:
        assert record["errors"][0]["code"] == then["code"], record["errors"]
        assert [e["code"] for e in webhooks["failed"]["errors"]] == [then["code"]]
    for status, keys in case.get("webhook", {}).items():
        assert set(keys.get("has", [])) <= set(webhooks[status]), webhooks[status]
        assert not set(keys.get("lacks", [])) & set(webhooks[status]), webhooks[status]


@pytest.mark.parametrize("case", CASES)
def test_cloud_request_gets_its_answer(emulator: Emulator, case: dict[str, Any]) -> None:
    response = call(emulator, case)
    assert response.status_code == case["status"], response.text
    assert response.headers["content-type"].startswith("application/json")
    if "error" in case:
        assert_error(response, case["error"])
        return
    body = response.json()
    assert_answer(emulator, case, body)
    if case["answer"] == "sent":
        assert_afterwards(emulator, case, body["messages"][0]["id"])


def test_case_names_are_unique_and_every_field_is_known() -> None:
    cases = [param.values[0] for param in CASES]
    assert len({c["name"] for c in cases}) == len(cases)
    known = {"name", "method", "path", "auth", "body", "raw", "form", "file", "status", "answer", "contact"}
    known |= {"accepted", "error", "then", "webhook", "shape", "keys", "version"}
    assert [sorted(set(c) - known) for c in cases if set(c) - known] == []


def test_the_table_covers_every_sync_code_and_both_deferred_ones() -> None:
    cases = [param.values[0] for param in CASES]
    sync = {c["error"]["code"] for c in cases if "error" in c}
    deferred = {c["then"]["code"] for c in cases if "code" in c.get("then", {})}
    assert {100, 190, 131008, 131009, 131021, 131053, 132000, 132001} <= sync
    assert deferred == {131026, 131047}
    assert json.dumps(cases)  # plain data
