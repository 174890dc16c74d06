"""A SQLite-backed emulator that is stopped and started again keeps its state."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.settings import Settings
from emulator.store import SqliteStore
from tests.conftest import T0, basic, bearer


def start(path: Path) -> TestClient:
    return TestClient(create_app(Settings(store=f"sqlite:{path}"), clock=EmulatorClock(base=lambda: T0)))


def test_tokens_users_settings_password_and_clock_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "state" / "emulator.sqlite"
    with start(db) as first:
        first.post("/v1/users/login", headers=basic(), json={"new_password": "Persist-3nt!"})
        token = first.post("/v1/users/login", headers=basic("admin", "Persist-3nt!")).json()["users"][0]["token"]
        first.headers.update(bearer(token))
        first.patch("/v1/settings/application", json={"webhooks": {"url": "http://127.0.0.1:9/kept"}})
        first.put("/_emulator/users/4915123456789", json={"name": "Persistent Pia"})
        first.post("/_emulator/clock", json={"advance": 3600})
    with start(db) as second:
        second.headers.update(bearer(token))
        assert second.get("/v1/health").status_code == 200
        settings = second.get("/v1/settings/application").json()["settings"]["application"]
        assert settings["webhooks"]["url"] == "http://127.0.0.1:9/kept"
        assert second.get("/_emulator/users/4915123456789").json()["user"]["name"] == "Persistent Pia"
        assert second.get("/_emulator/clock").json()["now"] == T0 + 3600
        assert second.post("/v1/users/login", headers=basic("admin", "Persist-3nt!")).status_code == 200


def test_a_restart_does_not_reset_users_back_to_fixtures(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    with start(db) as first:
        first.put("/_emulator/users/15550001111", json={"name": "Renamed"})
    with start(db) as second:
        assert second.get("/_emulator/users/15550001111").json()["user"]["name"] == "Renamed"


def test_delayed_statuses_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    with start(db) as first:
        first.headers.update(bearer(first.post("/v1/users/login", headers=basic()).json()["users"][0]["token"]))
        first.put("/_emulator/users/15550001111", json={"delivery_delay_s": 60, "read_delay_s": 30})
        first.post("/_emulator/users/15550001111/messages", json={"type": "text", "text": {"body": "hi"}})
        sent = first.post("/v1/messages", json={"to": "15550001111", "type": "text", "text": {"body": "later"}})
        message_id = sent.json()["messages"][0]["id"]
        assert first.get(f"/_emulator/messages/{message_id}").json()["status"] == "sent"
    with start(db) as second:
        second.post("/_emulator/clock", json={"advance": 60})
        second.post("/_emulator/webhooks/drain?lenient=true")
        assert second.get(f"/_emulator/messages/{message_id}").json()["status"] == "delivered"  # was: sent for ever
        second.post("/_emulator/clock", json={"advance": 30})
        second.post("/_emulator/webhooks/drain?lenient=true")
        record = second.get(f"/_emulator/messages/{message_id}").json()
        assert [s["status"] for s in record["statuses"]] == ["sent", "delivered", "read"]


def test_a_reset_forgets_delayed_statuses_across_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    with start(db) as first:
        first.headers.update(bearer(first.post("/v1/users/login", headers=basic()).json()["users"][0]["token"]))
        first.put("/_emulator/users/15550001111", json={"delivery_delay_s": 60})
        first.post("/_emulator/users/15550001111/messages", json={"type": "text", "text": {"body": "hi"}})
        first.post("/v1/messages", json={"to": "15550001111", "type": "text", "text": {"body": "later"}})
        first.post("/_emulator/reset")
    with start(db) as second:
        assert second.app.state.emulator.tenant().scheduler.next_due_in() is None  # type: ignore[attr-defined]


def test_a_clock_saved_out_of_range_is_put_back_to_real_time(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    store = SqliteStore(str(db))
    store.put("default", "meta", "clock", {"offset": 1e18, "frozen_at": None})  # as an older version let it be
    store.close()
    with start(db) as again:
        assert again.get("/_emulator/clock").json()["now"] == T0
        assert again.post("/v1/users/login", headers=basic()).status_code == 200
