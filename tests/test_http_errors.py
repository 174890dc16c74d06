"""Every bad request gets the On-Premises envelope with the right code: never a bare 500 or a trace."""

from __future__ import annotations

import logging
import re
import socket

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.replay.server import ThreadedServer
from emulator.settings import Settings
from emulator.store import MemoryStore
from tests.conftest import assert_error, basic


def test_unknown_path_is_404_with_1006(client: TestClient) -> None:
    error = assert_error(client.get("/v1/no-such-thing"), 404, 1006)
    assert "/v1/no-such-thing" in error["details"]


def test_wrong_method_is_405_with_1025(client: TestClient) -> None:
    assert_error(client.delete("/v1/users/login"), 405, 1025)
    assert_error(client.put("/_emulator/clock", json={}), 405, 1025)


def test_malformed_json_is_400_with_1025(api: TestClient) -> None:
    error = assert_error(
        api.post("/v1/contacts", content=b'{"contacts": [', headers={"Content-Type": "application/json"}),
        400,
        1025,
    )
    assert "not valid JSON" in error["details"]


@pytest.mark.parametrize("raw", [b"[]", b'"text"', b"42", b"null"])
def test_a_body_that_is_not_an_object_is_400_with_1025(api: TestClient, raw: bytes) -> None:
    assert_error(api.post("/v1/contacts", content=raw, headers={"Content-Type": "application/json"}), 400, 1025)


def test_a_wrong_content_type_is_415_with_1025(api: TestClient) -> None:
    response = api.post(
        "/v1/contacts", content=b"contacts=1", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_error(response, 415, 1025)


def test_a_missing_content_type_is_read_as_json(api: TestClient) -> None:
    response = api.post("/v1/contacts", content=b'{"blocking":"wait","contacts":["16315551000"]}')
    assert response.status_code == 200


def test_absurd_nesting_is_400_with_1025(api: TestClient) -> None:
    raw = b'{"contacts": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    error = assert_error(api.post("/v1/contacts", content=raw, headers={"Content-Type": "application/json"}), 400, 1025)
    assert "nested deeper" in error["details"]


def test_a_lone_surrogate_escape_is_400_with_1025_not_a_500(api: TestClient) -> None:
    raw = b'{"blocking": "wait", "contacts": ["\\ud800"]}'
    assert_error(api.post("/v1/contacts", content=raw, headers={"Content-Type": "application/json"}), 400, 1025)


def test_brackets_inside_strings_do_not_count_as_nesting(api: TestClient) -> None:
    strings = ["[" * 32 + "{" * 32] * 2  # 128 brackets, each string within the 64 characters of a number
    response = api.post("/v1/contacts", json={"blocking": "wait", "contacts": strings})
    assert response.json()["contacts"][0]["status"] == "invalid"


def test_a_body_over_the_size_limit_is_413_with_1025(clock: EmulatorClock) -> None:
    app = create_app(Settings(max_body_bytes=100), store=MemoryStore(), clock=clock)
    with TestClient(app) as client:
        token = client.post("/v1/users/login", headers=basic()).json()["users"][0]["token"]
        big = {"blocking": "wait", "contacts": ["16315551000"] * 20}
        response = client.post("/v1/contacts", json=big, headers={"Authorization": f"Bearer {token}"})
        assert_error(response, 413, 1025)


class BrokenStore(MemoryStore):
    """Fails every token lookup: any authenticated /v1 call meets a bug."""

    def get(self, tenant: str, kind: str, key: str) -> dict[str, object] | None:
        if kind == "tokens":
            raise RuntimeError("disk on fire")
        return super().get(tenant, kind, key)


def test_an_unexpected_exception_is_500_with_1014_and_no_trace(
    clock: EmulatorClock, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(), store=BrokenStore(), clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR):
        response = client.get("/v1/health", headers={"Authorization": "Bearer x"})
    error = assert_error(response, 500, 1014)
    assert error == {"code": 1014, "title": "Internal error", "details": "Internal error"}
    assert "disk on fire" not in response.text and "Traceback" not in response.text
    assert "disk on fire" in caplog.text


def test_a_refused_request_loses_nothing_already_recorded(api: TestClient) -> None:
    api.put("/_emulator/users/4915123456789", json={"name": "Kept"})
    api.patch("/v1/settings/application", json={"webhooks": {"url": "http://127.0.0.1:9/hook"}})
    api.post("/v1/contacts", content=b"{broken", headers={"Content-Type": "application/json"})
    api.patch("/v1/settings/application", content=b"[" * 5000, headers={"Content-Type": "application/json"})
    api.put("/_emulator/users/4915123456789", json={"status": "nope"})
    assert api.get("/_emulator/users/4915123456789").json()["user"]["name"] == "Kept"
    settings = api.get("/v1/settings/application").json()["settings"]["application"]
    assert settings["webhooks"]["url"] == "http://127.0.0.1:9/hook"


LATIN_1_BEARER = {"Authorization": "Bearer \u00e9t\u00e9".encode("latin-1")}  # found by fuzzing: were 500s


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/_emulator/users", LATIN_1_BEARER),
        ("/_emulator/ui/chats", LATIN_1_BEARER),
        ("/_emulator/ui/chats?token=%C3%A9", {}),
        ("/v1/health", LATIN_1_BEARER),
        ("/v18.0/106540352242922/phone_numbers", LATIN_1_BEARER),
        ("/v18.0/106540352242922?access_token=%C3%A9", {}),
    ],
)
def test_a_token_that_is_not_ascii_is_refused_with_401_not_a_500(
    clock: EmulatorClock, path: str, headers: dict[str, bytes]
) -> None:
    app = create_app(Settings(control_token="secret-token"), store=MemoryStore(), clock=clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get(path, headers=headers).status_code == 401


def _read_response(sock: socket.socket) -> tuple[bytes, bytes]:
    """One HTTP/1.1 response (head and body, by Content-Length) from a socket; b"" if it was closed."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data, b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head, re.IGNORECASE).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head, body


def test_after_a_500_the_connection_still_answers_the_next_request(caplog: pytest.LogCaptureFixture) -> None:
    with ThreadedServer(create_app(Settings(), store=BrokenStore())) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\n\r\n")
            head, body = _read_response(sock)
            assert head.startswith(b"HTTP/1.1 500") and b"1014" in body
            sock.sendall(b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n")
            head, body = _read_response(sock)  # was b"": uvicorn dropped the connection after the 500
            assert head.startswith(b"HTTP/1.1 200"), head
    assert caplog.text.count("RuntimeError: disk on fire") == 1  # logged once, not again by uvicorn
