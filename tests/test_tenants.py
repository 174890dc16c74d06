"""Tenants: ``/t/{tenant}/...`` is one emulated business of its own; unprefixed paths are the default one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.clock import EmulatorClock
from emulator.settings import Settings
from emulator.store import MemoryStore
from emulator.store.sqlite import SqliteStore
from tests.conftest import T0, assert_error, basic, bearer
from tests.receiver import HOOK, drain, emulator_with_receiver

CLOUD = {"Authorization": "Bearer wa-emulator-token"}
USER = "15550001111"
TEXT = {"to": USER, "type": "text", "text": {"body": "hello"}}


def login(client: TestClient, prefix: str = "") -> dict[str, str]:
    """A bearer header from the tenant's own /v1/users/login."""
    response = client.post(f"{prefix}/v1/users/login", headers=basic())
    assert response.status_code == 200, response.text
    return bearer(response.json()["users"][0]["token"])


def tenant(client: TestClient, name: str) -> dict[str, Any]:
    response = client.get(f"/_emulator/tenants/{name}")
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()["tenant"]
    return view


def opened(client: TestClient, prefix: str) -> None:
    """The fixture user writes first, so that free-form replies are inside the 24-hour window."""
    answer = client.post(f"{prefix}/_emulator/users/{USER}/messages", json={"type": "text", "text": {"body": "hi"}})
    assert answer.status_code == 200, answer.text


def test_a_prefixed_tenant_is_made_on_first_use_and_sees_nothing_of_the_default(client: TestClient) -> None:
    opened(client, "")
    client.post("/v1/messages", json=TEXT, headers=login(client))
    assert client.get("/t/acme/_emulator/messages").json()["messages"] == []
    opened(client, "/t/acme")
    sent = client.post("/t/acme/v1/messages", json=TEXT, headers=login(client, "/t/acme"))
    assert sent.status_code == 201, sent.text
    assert [m["id"] for m in client.get("/t/acme/_emulator/messages").json()["messages"]] == [
        sent.json()["messages"][0]["id"]
    ]
    assert len(client.get("/_emulator/messages").json()["messages"]) == 1
    names = [t["name"] for t in client.get("/_emulator/tenants").json()["tenants"]]
    assert names == ["default", "acme"]


def test_each_tenant_has_its_own_accounts(client: TestClient) -> None:
    default_token = login(client)
    assert_error(client.post("/t/acme/v1/messages", json=TEXT, headers=default_token), 401, 1005)
    client.post("/t/acme/v1/users/login", headers=basic(), json={"new_password": "N3w-Secret!"})
    assert client.post("/v1/users/login", headers=basic()).status_code == 200  # the default's is unchanged
    assert client.post("/t/acme/v1/users/login", headers=basic()).status_code == 401


def test_the_same_seed_gives_each_tenant_other_ids_and_leaves_the_default_ids_as_they_were() -> None:
    def ids(prefix: str, client: TestClient) -> list[str]:
        opened(client, prefix)
        headers = login(client, prefix)
        return [
            client.post(f"{prefix}/v1/messages", json=TEXT, headers=headers).json()["messages"][0]["id"]
            for _ in range(3)
        ]

    with TestClient(create_app(Settings(seed=7), store=MemoryStore())) as alone:
        before = ids("", alone)
    with TestClient(create_app(Settings(seed=7), store=MemoryStore())) as client:
        other = ids("/t/acme", client)
        default = ids("", client)
        again = ids("/t/beta", client)
    assert default == before
    assert not set(other) & set(default) and not set(again) & set(other) and not set(again) & set(default)


def test_each_tenant_has_its_own_clock(client: TestClient) -> None:
    client.post("/t/acme/_emulator/clock", json={"advance": 3600})
    assert client.get("/t/acme/_emulator/clock").json()["now"] == T0 + 3600
    assert client.get("/_emulator/clock").json()["now"] == T0
    assert tenant(client, "acme")["clock"] == {"offset": 3600, "frozen": False}


def test_a_reset_is_per_tenant(client: TestClient) -> None:
    opened(client, "")
    opened(client, "/t/acme")
    client.post("/t/acme/_emulator/reset")
    assert client.get(f"/t/acme/_emulator/conversations/{USER}").json()["messages"] == []
    assert len(client.get(f"/_emulator/conversations/{USER}").json()["messages"]) == 1


def test_a_deleted_tenant_is_gone_and_the_default_cannot_be_deleted(client: TestClient) -> None:
    opened(client, "/t/acme")
    assert client.delete("/_emulator/tenants/acme").json() == {"deleted": "acme"}
    assert_error(client.get("/_emulator/tenants/acme"), 404, 1006)
    assert_error(client.delete("/_emulator/tenants/acme"), 404, 1006)
    assert_error(client.delete("/_emulator/tenants/default"), 400, 1009)
    assert client.get(f"/t/acme/_emulator/conversations/{USER}").json()["messages"] == []  # made again, empty


def test_a_tenant_name_that_no_path_can_hold_is_refused_with_the_rule(client: TestClient) -> None:
    error = assert_error(client.get("/t/no.dots/_emulator/messages"), 404, 1006)
    assert "tenant name" in error["details"]
    assert_error(client.post("/_emulator/tenants", json={"name": "-x"}), 400, 1009)
    assert_error(client.post("/_emulator/tenants", json={"name": "x", "colour": "red"}), 400, 1010)


def test_tenants_get_cloud_ids_derived_from_their_names_or_given(client: TestClient) -> None:
    assert client.get("/t/acme/_emulator/tenants").json()["current"] == "acme"
    view = tenant(client, "acme")
    assert len(view["phone_number_id"]) == 15 and view["phone_number_id"].isdigit()
    assert view["waba_id"] == Settings().waba_id  # numbers of one business account
    assert view["business_wa_id"].startswith("1555") and view["prefix"] == "/t/acme"
    assert view["urls"]["onprem"] == "http://testserver/t/acme"
    assert tenant(client, "default")["urls"]["control"] == "http://testserver/_emulator"
    client.get("/t/106540352242999/_emulator/messages")
    assert tenant(client, "106540352242999")["phone_number_id"] == "106540352242999"  # digits name: that number
    made = client.post("/_emulator/tenants", json={"name": "beta", "phone_number_id": "42", "waba_id": "7"})
    assert made.status_code == 201 and made.json()["tenant"]["phone_number_id"] == "42"
    assert client.post("/_emulator/tenants", json={"name": "beta"}).status_code == 200  # exists: as it is
    taken = client.post("/_emulator/tenants", json={"name": "gamma", "phone_number_id": "42"})
    assert "already tenant beta's" in assert_error(taken, 400, 1009)["details"]


def test_an_unprefixed_graph_path_finds_the_tenant_by_its_phone_number_id(client: TestClient) -> None:
    acme_number = client.post("/_emulator/tenants", json={"name": "acme"}).json()["tenant"]["phone_number_id"]
    opened(client, "/t/acme")
    body = {"messaging_product": "whatsapp", **TEXT}
    sent = client.post(f"/v22.0/{acme_number}/messages", json=body, headers=CLOUD)
    assert sent.status_code == 200, sent.text
    assert client.get("/t/acme/_emulator/messages").json()["messages"][0]["id"] == sent.json()["messages"][0]["id"]
    assert client.get("/_emulator/messages").json()["messages"] == []
    default_number = Settings().phone_number_id
    wrong = client.post(f"/t/acme/v22.0/{default_number}/messages", json=body, headers=CLOUD)
    assert wrong.status_code == 400 and wrong.json()["error"]["error_subcode"] == 33
    unknown = client.post("/v22.0/999/messages", json=body, headers=CLOUD)
    assert unknown.status_code == 400 and unknown.json()["error"]["error_subcode"] == 33
    phones = client.get(f"/v22.0/{Settings().waba_id}/phone_numbers", headers=CLOUD).json()["data"]
    assert {p["id"] for p in phones} == {default_number, acme_number}


def test_a_tenants_media_has_a_url_under_its_prefix_and_is_found_by_its_id_alone(client: TestClient) -> None:
    number = client.post("/_emulator/tenants", json={"name": "acme"}).json()["tenant"]["phone_number_id"]
    files = {"file": ("a.png", b"\x89PNG data", "image/png")}
    data = {"messaging_product": "whatsapp", "type": "image/png"}
    uploaded = client.post(f"/v22.0/{number}/media", files=files, data=data, headers=CLOUD)
    media_id = uploaded.json()["id"]
    url = client.get(f"/v22.0/{media_id}", headers=CLOUD).json()["url"]
    assert url.startswith("http://testserver/t/acme/whatsapp_business/attachments/")
    assert client.get(url, headers=CLOUD).content == b"\x89PNG data"
    assert client.get(f"/t/acme/v22.0/{media_id}", headers=CLOUD).json()["url"] == url


def test_each_tenants_webhooks_go_to_its_own_url_with_its_own_metadata() -> None:
    with emulator_with_receiver(Settings(seed=7, webhook_format="cloud")) as (client, receiver):
        made = client.post("/_emulator/tenants", json={"name": "acme", "webhook_url": HOOK + "/acme"})
        acme = made.json()["tenant"]
        assert acme["webhook"] == {"url": HOOK + "/acme", "format": "cloud"}
        opened(client, "/t/acme")
        opened(client, "")
        drain(client)
        client.post("/t/acme/_emulator/webhooks/drain")
        numbers = [p["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] for p in receiver.payloads]
        assert sorted(numbers) == sorted([acme["phone_number_id"], Settings().phone_number_id])
        acme_log = client.get("/t/acme/_emulator/webhooks").json()["webhooks"]
        assert [d["url"] for d in acme_log] == [HOOK + "/acme"]


def test_a_new_tenant_starts_without_a_webhook_url_but_declared_ones_share_the_flags() -> None:
    settings = Settings(seed=7, webhook_url="http://bot.test/hook", tenants="sales=111,support")
    with TestClient(create_app(settings, store=MemoryStore())) as client:
        views = {t["name"]: t for t in client.get("/_emulator/tenants").json()["tenants"]}
        assert set(views) == {"default", "sales", "support"}
        assert views["sales"]["phone_number_id"] == "111"
        assert views["support"]["webhook"]["url"] == "http://bot.test/hook"
        assert client.get("/t/other/_emulator/messages").status_code == 200
        assert tenant(client, "other")["webhook"]["url"] == ""


def test_a_sqlite_store_brings_its_tenants_back_after_a_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    with TestClient(create_app(Settings(seed=7), store=SqliteStore(path))) as client:
        client.post("/_emulator/tenants", json={"name": "acme", "phone_number_id": "4242"})
        opened(client, "/t/acme")
        client.post("/_emulator/tenants", json={"name": "gone"})
        client.delete("/_emulator/tenants/gone")
    with TestClient(create_app(Settings(seed=7), store=SqliteStore(path))) as client:
        names = [t["name"] for t in client.get("/_emulator/tenants").json()["tenants"]]
        assert names == ["default", "acme"]
        assert tenant(client, "acme")["phone_number_id"] == "4242"
        assert len(client.get(f"/t/acme/_emulator/conversations/{USER}").json()["messages"]) == 1


def test_no_more_tenants_than_the_limit() -> None:
    with TestClient(create_app(Settings(max_tenants=2), store=MemoryStore())) as client:
        assert client.get("/t/one/_emulator/messages").status_code == 200
        error = assert_error(client.get("/t/two/_emulator/messages"), 400, 1009)
        assert "--max-tenants" in error["details"]
        client.delete("/_emulator/tenants/one")
        assert client.get("/t/two/_emulator/messages").status_code == 200


@pytest.mark.parametrize("path", ["/t/acme/_emulator/ui", "/t/acme/_emulator/ui/static/api.js"])
def test_the_page_is_served_under_a_tenant_prefix(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_the_page_data_under_a_prefix_is_the_tenants(client: TestClient) -> None:
    client.put("/t/acme/_emulator/users/4915123456789", json={"name": "Greta"})
    chats = client.get("/t/acme/_emulator/ui/chats").json()["chats"]
    assert "4915123456789" in [c["wa_id"] for c in chats]
    assert "4915123456789" not in [c["wa_id"] for c in client.get("/_emulator/ui/chats").json()["chats"]]


def test_a_tenant_clock_is_its_own_but_runs_on_the_same_real_time() -> None:
    base = EmulatorClock(base=lambda: T0)
    other = base.sibling()
    base.advance(10)
    assert other.now() == T0 and base.now() == T0 + 10
