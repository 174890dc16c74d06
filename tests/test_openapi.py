"""The OpenAPI 3.1 documents: valid, complete (every route, nothing more), and built from the schema files as they are."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_spec_validator import validate
from starlette.routing import Route
from starlette.testclient import TestClient

from emulator.cloud.routes import routes as cloud_routes
from emulator.control.routes import routes as control_routes
from emulator.onprem.routes import routes as onprem_routes
from emulator.openapi.table import TABLES
from emulator.resources import data_dir
from emulator.schemas import SchemaSet
from tests.conftest import assert_error

APIS = ["onprem", "cloud", "control"]


@pytest.fixture(scope="module")
def schema_files() -> dict[str, dict[str, Any]]:
    return SchemaSet(data_dir("schemas")).schemas


def document(client: TestClient, api: str) -> dict[str, Any]:
    response = client.get(f"/_emulator/openapi/{api}.json")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("api", APIS)
def test_each_document_is_valid_openapi_3_1(client: TestClient, api: str) -> None:
    doc = document(client, api)
    assert doc["openapi"] == "3.1.0"
    validate(doc)


@pytest.mark.parametrize("api", APIS)
def test_every_reference_points_into_the_document(client: TestClient, api: str) -> None:
    doc = document(client, api)
    refs = list(_refs(doc))
    assert refs
    for ref in refs:
        node: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        assert isinstance(node, dict | bool), ref


def _refs(node: Any) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _shape(route_path: str) -> str:
    """``/{version:graph_version}/{node:digits}/messages`` and ``/{version}/{phone_number_id}/messages`` alike."""
    return re.sub(r"\{[^}]+\}", "{}", route_path)


def _app_operations(routes: list[Any]) -> set[tuple[str, str]]:
    found = set()
    for route in routes:
        if isinstance(route, Route) and route.methods:
            for method in route.methods - {"HEAD"}:
                found.add((method, _shape(route.path)))
    return found


@pytest.mark.parametrize(("api", "routes"), [("onprem", onprem_routes), ("control", control_routes)])
def test_the_table_lists_exactly_the_app_s_operations(api: str, routes: Any) -> None:
    assert {(op.method, _shape(op.path)) for op in TABLES[api]} == _app_operations(routes())


def test_the_cloud_table_lists_every_graph_operation_once_with_its_version() -> None:
    routes = cloud_routes()
    versioned = _app_operations([r for r in routes if r.path.startswith("/{version")])
    bare = _app_operations([r for r in routes if not r.path.startswith(("/{version", "/whatsapp"))])
    served = versioned | _app_operations([r for r in routes if r.path.startswith("/whatsapp")])
    assert {(m, p.removeprefix("/{}")) for m, p in versioned} == bare  # the same surface without the version
    assert {(op.method, _shape(op.path)) for op in TABLES["cloud"]} == served


def _without_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: "$ref" if k == "$ref" else _without_refs(v) for k, v in node.items() if k not in ("$id", "$schema")}
    if isinstance(node, list):
        return [_without_refs(v) for v in node]
    return node


@pytest.mark.parametrize("api", APIS)
def test_schemas_are_the_schema_files_themselves_not_copies(
    client: TestClient, api: str, schema_files: dict[str, dict[str, Any]]
) -> None:
    components = document(client, api)["components"]["schemas"]
    files = {name.removesuffix(".json").replace("/", "."): schema for name, schema in schema_files.items()}
    assert set(components) <= set(files)
    for key, component in components.items():
        assert _without_refs(component) == _without_refs(files[key]), key


def test_a_body_is_described_by_the_file_its_handler_validates_with(client: TestClient) -> None:
    send = document(client, "onprem")["paths"]["/v1/messages"]["post"]
    assert send["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/onprem.messages.message"
    }
    cloud = document(client, "cloud")["paths"]["/{version}/{phone_number_id}/messages"]["post"]
    either = cloud["requestBody"]["content"]["application/json"]["schema"]["anyOf"]
    assert either == [
        {"$ref": "#/components/schemas/cloud.messages.message"},
        {"$ref": "#/components/schemas/cloud.mark_read"},
    ]


@pytest.mark.parametrize(
    ("api", "envelope"),
    [
        ("onprem", "responses.onprem/$defs/errors"),
        ("cloud", "responses.cloud/$defs/error"),
        ("control", "responses.onprem/$defs/errors"),
    ],
)
def test_every_operation_documents_its_api_s_error_envelope(client: TestClient, api: str, envelope: str) -> None:
    for item in document(client, api)["paths"].values():
        for op in item.values():
            schema = op["responses"]["default"]["content"]["application/json"]["schema"]
            assert schema == {"$ref": f"#/components/schemas/{envelope}"}


def test_the_cloud_document_shows_the_webhooks_the_emulator_sends(client: TestClient) -> None:
    hook = document(client, "cloud")["webhooks"]["notification"]["post"]
    assert hook["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/webhooks.cloud.notification"
    }


def test_an_unknown_document_is_404(client: TestClient) -> None:
    assert_error(client.get("/_emulator/openapi/graph.json"), 404, 1006)
