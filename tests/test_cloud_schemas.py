"""Cloud API request bodies through the schema gate (cloud-api reference §3-§4, §6, §7.3; docs/validation.md).

Send bodies are data: tests/cases/cloud_messages_valid.yaml (with the exact bodies pywa 4.5 and kapso 0.3
send) and cloud_messages_invalid.yaml. The smaller bodies (mark as read, media upload, webhook overrides)
are listed here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from emulator.domain.reasons import Reason, Refusal
from emulator.resources import data_dir
from emulator.schemas import SchemaSet
from tests.test_message_schemas import expand, load

ENTRY = "cloud/messages/message.json"
MARK_READ = "cloud/mark_read.json"
MEDIA_UPLOAD = "cloud/media_upload.json"
WEBHOOK_CONFIGURATION = "cloud/webhook_configuration.json"
SUBSCRIBED_APPS = "cloud/subscribed_apps.json"


@pytest.fixture(scope="module")
def schemas() -> SchemaSet:
    return SchemaSet(data_dir("schemas"))


def refusal(schemas: SchemaSet, name: str, body: Any) -> Refusal:
    """The refusal ``body`` gets from schema ``name`` (failing the test if it is accepted)."""
    with pytest.raises(Refusal) as raised:
        schemas.validate(name, body)
    return raised.value


def assert_refused(schemas: SchemaSet, name: str, body: Any, reason: str, path: str, says: str = "") -> None:
    """``body`` is refused for ``reason``, with details that start with ``path`` and then say what is wrong."""
    error = refusal(schemas, name, body)
    where, _, sentence = error.details.partition(": ")
    assert (error.reason, where) == (Reason(reason), path), error.details
    assert sentence, "details name the path and then say what is wrong"
    assert says in sentence


def test_every_cloud_schema_file_is_a_valid_draft_2020_12_schema() -> None:
    root = data_dir("schemas")
    names = []
    for path in sorted((root / "cloud").rglob("*.json")):
        Draft202012Validator.check_schema(json.loads(path.read_text(encoding="utf-8")))
        names.append(path.relative_to(root).as_posix())
    assert {ENTRY, MARK_READ, MEDIA_UPLOAD, WEBHOOK_CONFIGURATION, SUBSCRIBED_APPS} <= set(names)


# --- POST /{phone_number_id}/messages: a message to send --------------------------------------------


@pytest.mark.parametrize("case", load("cloud_messages_valid.yaml"))
def test_valid_message_is_accepted(schemas: SchemaSet, case: dict[str, Any]) -> None:
    schemas.validate(ENTRY, expand(case["body"]))


@pytest.mark.parametrize("case", load("cloud_messages_invalid.yaml"))
def test_invalid_message_is_refused_with_its_reason_and_path(schemas: SchemaSet, case: dict[str, Any]) -> None:
    assert_refused(schemas, ENTRY, expand(case["body"]), case["reason"], case["path"], case.get("says", ""))


def test_case_names_are_unique() -> None:
    names = [p.id for p in load("cloud_messages_valid.yaml", everything=True)]
    names += [p.id for p in load("cloud_messages_invalid.yaml", everything=True)]
    assert len(names) == len(set(names))


def test_every_type_and_interactive_type_the_schemas_name_has_a_valid_case(schemas: SchemaSet) -> None:
    bodies = [expand(param.values[0]["body"]) for param in load("cloud_messages_valid.yaml")]
    types = schemas.schemas[ENTRY]["properties"]["type"]["enum"]
    interactive_types = schemas.schemas["cloud/messages/interactive.json"]["properties"]["type"]["enum"]
    assert set(types) <= {body.get("type", "text") for body in bodies}
    assert set(interactive_types) <= {body["interactive"]["type"] for body in bodies if "interactive" in body}


# --- POST /{phone_number_id}/messages: mark as read, typing indicator (§4) ----------------------------

READ = {
    "messaging_product": "whatsapp",
    "status": "read",
    "message_id": "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTdBNUE3NEYxMzAzMzQ5MkEA",
}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(READ, id="pywa_and_kapso_mark_read"),
        pytest.param({**READ, "typing_indicator": {"type": "text"}}, id="pywa_indicate_typing"),
        pytest.param({**READ, "typing_indicator": True}, id="kapso_typing_indicator_true"),
        pytest.param({**READ, "typing_indicator": False}, id="kapso_typing_indicator_false"),
    ],
)
def test_mark_read_is_accepted(schemas: SchemaSet, body: dict[str, Any]) -> None:
    schemas.validate(MARK_READ, body)


@pytest.mark.parametrize(
    ("body", "reason", "path", "says"),
    [
        pytest.param(
            {k: v for k, v in READ.items() if k != "messaging_product"},
            "missing_parameter",
            "$",
            "'messaging_product'",
            id="without_messaging_product",
        ),
        pytest.param(
            {k: v for k, v in READ.items() if k != "message_id"},
            "missing_parameter",
            "$",
            "'message_id'",
            id="without_message_id",
        ),
        pytest.param(
            {**READ, "status": "delivered"}, "invalid_parameter", "$.status", 'must be "read"', id="status_delivered"
        ),
        pytest.param({**READ, "message_id": ""}, "invalid_parameter", "$.message_id", "", id="empty_message_id"),
        pytest.param(
            {**READ, "typing_indicator": {"type": "audio"}},
            "invalid_parameter",
            "$.typing_indicator.type",
            'must be "text"',
            id="typing_indicator_audio",
        ),
        pytest.param(
            {**READ, "typing_indicator": {}},
            "missing_parameter",
            "$.typing_indicator",
            "'type'",
            id="typing_indicator_without_type",
        ),
        pytest.param(
            {**READ, "typing_indicator": "text"},
            "invalid_parameter",
            "$.typing_indicator",
            "",
            id="typing_indicator_as_a_string",
        ),
        pytest.param(
            {**READ, "recipient_type": "individual"}, "unexpected_parameter", "$", "'recipient_type'", id="unknown_key"
        ),
    ],
)
def test_invalid_mark_read_is_refused(
    schemas: SchemaSet, body: dict[str, Any], reason: str, path: str, says: str
) -> None:
    assert_refused(schemas, MARK_READ, body, reason, path, says)


# --- POST /{phone_number_id}/media: the multipart form fields (§6) ------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            {"messaging_product": "whatsapp", "type": "image/png", "file": "a.png"}, id="pywa_and_kapso_upload"
        ),
        pytest.param({"messaging_product": "whatsapp", "file": "a.png"}, id="meta_curl_without_type"),
        pytest.param(
            {"messaging_product": "whatsapp", "type": "audio/ogg; codecs=opus", "ttl_minutes": "60"},
            id="pywa_ttl_minutes",
        ),
    ],
)
def test_media_upload_form_is_accepted(schemas: SchemaSet, body: dict[str, Any]) -> None:
    schemas.validate(MEDIA_UPLOAD, body)


@pytest.mark.parametrize(
    ("body", "reason", "path"),
    [
        pytest.param({"type": "image/png"}, "missing_parameter", "$", id="without_messaging_product"),
        pytest.param(
            {"messaging_product": "whatsapp", "type": "png"}, "invalid_parameter", "$.type", id="type_not_a_mime_type"
        ),
        pytest.param(
            {"messaging_product": "whatsapp", "ttl_minutes": "soon"},
            "invalid_parameter",
            "$.ttl_minutes",
            id="ttl_minutes_not_a_number",
        ),
        pytest.param(
            {"messaging_product": "whatsapp", "caption": "x"}, "unexpected_parameter", "$", id="unknown_field"
        ),
    ],
)
def test_invalid_media_upload_form_is_refused(schemas: SchemaSet, body: dict[str, Any], reason: str, path: str) -> None:
    assert_refused(schemas, MEDIA_UPLOAD, body, reason, path)


# --- POST /{phone_number_id} and POST /{waba_id}/subscribed_apps: webhook overrides (§7.3) ------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            {"webhook_configuration": {"override_callback_uri": "https://example.com/hook", "verify_token": "t"}},
            id="pywa_set",
        ),
        pytest.param(
            {"webhook_configuration": {"override_callback_uri": "http://127.0.0.1:8000/hook", "verify_token": "t"}},
            id="local_http",
        ),
        pytest.param({"webhook_configuration": {"override_callback_uri": ""}}, id="pywa_clear"),
        pytest.param(
            {"webhook_configuration": {"override_callback_uri": "", "verify_token": "t"}}, id="clear_with_token"
        ),
    ],
)
def test_webhook_configuration_is_accepted(schemas: SchemaSet, body: dict[str, Any]) -> None:
    schemas.validate(WEBHOOK_CONFIGURATION, body)


@pytest.mark.parametrize(
    ("body", "reason", "path", "says"),
    [
        pytest.param({}, "missing_parameter", "$", "'webhook_configuration'", id="empty"),
        pytest.param(
            {"webhook_configuration": {"verify_token": "t"}},
            "missing_parameter",
            "$.webhook_configuration",
            "'override_callback_uri'",
            id="without_uri",
        ),
        pytest.param(
            {"webhook_configuration": {"override_callback_uri": "https://example.com/hook"}},
            "missing_parameter",
            "$.webhook_configuration",
            "'verify_token'",
            id="set_without_verify_token",
        ),
        pytest.param(
            {"webhook_configuration": {"override_callback_uri": "example.com/hook", "verify_token": "t"}},
            "invalid_parameter",
            "$.webhook_configuration.override_callback_uri",
            "http(s) URL",
            id="uri_without_scheme",
        ),
        pytest.param(
            {"webhook_configuration": {"override_callback_uri": "", "fields": ["messages"]}},
            "unexpected_parameter",
            "$.webhook_configuration",
            "'fields'",
            id="unknown_key_inside",
        ),
        pytest.param(
            {"webhook_configuration": {"override_callback_uri": ""}, "verify_token": "t"},
            "unexpected_parameter",
            "$",
            "'verify_token'",
            id="verify_token_outside",
        ),
    ],
)
def test_invalid_webhook_configuration_is_refused(
    schemas: SchemaSet, body: dict[str, Any], reason: str, path: str, says: str
) -> None:
    assert_refused(schemas, WEBHOOK_CONFIGURATION, body, reason, path, says)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="subscribe_or_clear"),
        pytest.param(
            {"override_callback_uri": "https://example.com/" + "x" * 180, "verify_token": "t"},
            id="pywa_set_override_at_200_characters",
        ),
    ],
)
def test_subscribed_apps_body_is_accepted(schemas: SchemaSet, body: dict[str, Any]) -> None:
    schemas.validate(SUBSCRIBED_APPS, body)


@pytest.mark.parametrize(
    ("body", "reason", "path", "says"),
    [
        pytest.param(
            {"override_callback_uri": "https://example.com/" + "x" * 181, "verify_token": "t"},
            "invalid_parameter",
            "$.override_callback_uri",
            "at most 200 characters",
            id="uri_of_201_characters",
        ),
        pytest.param(
            {"override_callback_uri": "https://example.com/hook"},
            "missing_parameter",
            "$",
            "'verify_token'",
            id="override_without_verify_token",
        ),
        pytest.param(
            {"override_callback_uri": "", "verify_token": "t"},
            "invalid_parameter",
            "$.override_callback_uri",
            "http(s) URL",
            id="empty_uri",
        ),
        pytest.param(
            {"callback_url": "https://example.com/hook"},
            "unexpected_parameter",
            "$",
            "'callback_url'",
            id="app_subscription_field",
        ),
    ],
)
def test_invalid_subscribed_apps_body_is_refused(
    schemas: SchemaSet, body: dict[str, Any], reason: str, path: str, says: str
) -> None:
    assert_refused(schemas, SUBSCRIBED_APPS, body, reason, path, says)
