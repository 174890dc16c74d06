"""POST|GET|DELETE /v1/media (reference §9)."""

from __future__ import annotations

import hashlib

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.settings import Settings
from emulator.store import MemoryStore
from tests.conftest import assert_error, basic, bearer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(api: TestClient, data: bytes, content_type: str) -> str:
    response = api.post("/v1/media", content=data, headers={"Content-Type": content_type})
    assert response.status_code == 201, response.text
    media_id: str = response.json()["media"][0]["id"]
    return media_id


def test_upload_then_download_returns_the_same_bytes_and_type(api: TestClient) -> None:
    media_id = upload(api, PNG, "image/png")
    assert len(media_id) == 36
    response = api.get(f"/v1/media/{media_id}")
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"


def test_delete_removes_the_media(api: TestClient) -> None:
    media_id = upload(api, PNG, "image/png")
    assert api.delete(f"/v1/media/{media_id}").status_code == 200
    assert_error(api.get(f"/v1/media/{media_id}"), 404, 1006)
    assert_error(api.delete(f"/v1/media/{media_id}"), 404, 1006)


@pytest.mark.parametrize(
    "content_type",
    [
        "image/jpeg",
        "image/png",
        "image/webp",
        "audio/aac",
        "audio/mp4",
        "audio/amr",
        "audio/mpeg",
        "audio/ogg; codecs=opus",
        "Audio/OGG;codecs=opus",
        "video/mp4",
        "video/3gpp",
        "application/pdf",
        "text/plain",
    ],
)
def test_supported_types_are_accepted(api: TestClient, content_type: str) -> None:
    upload(api, b"data", content_type)


@pytest.mark.parametrize(
    ("content_type", "code"),
    [("", 1009), ("not a mime", 1009), ("audio/ogg", 1009)],
    ids=["missing", "malformed", "ogg-without-opus"],
)
def test_unsupported_types_are_refused(api: TestClient, content_type: str, code: int) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    assert_error(api.post("/v1/media", content=b"data", headers=headers), 400, code)


def test_an_empty_upload_is_refused_with_1008(api: TestClient) -> None:
    assert_error(api.post("/v1/media", content=b"", headers={"Content-Type": "image/png"}), 400, 1008)


@pytest.mark.parametrize(
    ("content_type", "limit"),
    [("image/png", 5 * 1024 * 1024), ("image/webp", 100 * 1024), ("audio/aac", 16 * 1024 * 1024)],
)
def test_media_over_its_type_limit_is_refused_with_1009(api: TestClient, content_type: str, limit: int) -> None:
    upload(api, b"x" * limit, content_type)
    error = assert_error(
        api.post("/v1/media", content=b"x" * (limit + 1), headers={"Content-Type": content_type}), 400, 1009
    )
    assert "at most" in error["details"]


def test_an_upload_over_the_upload_limit_is_413(clock: EmulatorClock) -> None:
    app = create_app(Settings(media_max_bytes=1000), store=MemoryStore(), clock=clock)
    with TestClient(app) as client:
        token = client.post("/v1/users/login", headers=basic()).json()["users"][0]["token"]
        response = client.post("/v1/media", content=b"x" * 1001, headers={**bearer(token), "Content-Type": "image/png"})
        assert_error(response, 413, 1025)


def test_a_message_can_name_an_uploaded_media(api: TestClient) -> None:
    media_id = upload(api, PNG, "image/png")
    response = api.post(
        "/v1/messages", json={"to": "15550001111", "type": "image", "image": {"id": media_id, "caption": "x"}}
    )
    assert response.status_code == 201


def test_a_media_id_in_an_interactive_header_must_exist(api: TestClient) -> None:
    body = {
        "to": "15550001111",
        "type": "interactive",
        "interactive": {
            "type": "button",
            "header": {"type": "image", "image": {"id": "00000000-0000-4000-a000-000000000000"}},
            "body": {"text": "b"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "a", "title": "A"}}]},
        },
    }
    error = assert_error(api.post("/v1/messages", json=body), 404, 1006)
    assert error["details"].startswith("$.interactive.header.image.id")


def test_media_needs_a_token(client: TestClient) -> None:
    assert_error(client.post("/v1/media", content=PNG, headers={"Content-Type": "image/png"}), 401, 1005)


def test_reset_clears_media(api: TestClient) -> None:
    media_id = upload(api, PNG, "image/png")
    api.post("/_emulator/reset")
    assert_error(api.get(f"/v1/media/{media_id}"), 404, 1006)


def test_sha256_is_kept_for_inbound_use(api: TestClient) -> None:
    media_id = upload(api, PNG, "image/png")
    media = api.app.state.emulator.tenant().media.find(media_id)  # type: ignore[attr-defined]
    assert media["sha256"] == hashlib.sha256(PNG).hexdigest()
