"""schemas/webhooks/ accepts what the real API sends (reference §4, §6, §7.1, §8, §12 and the guides) and
catches what it would not send.

Valid payloads are the reference's and the guides' examples (placeholders such as ``91xxxxxxxxxx``
replaced by digits); invalid ones are the mistakes an emitter could make.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.webhook_schemas import ENTRY, assert_valid_webhook, webhook_schemas

JERRY = {"profile": {"name": "Jerry Cooney"}, "wa_id": "250788123123"}
KERRY = {"profile": {"name": "Kerry Fisher"}, "wa_id": "16505551234"}
SHA = "29ed500fa64eb55fc19dc4124acb300e5dcc54a0f822a301ae99944db"
MEDIA_ID = "b1c68f38-8734-4ad3-b4a1-ef0c10d683"
TITLE_470 = "Re-engagement message"
DETAILS_470 = (
    "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
)
TITLE_470_OLD = (
    "Failed to send message because you are outside the support window for freeform messages to this user. "
    "Please use a valid HSM notification or reconsider."
)


def inbound(type_: str, body: Any = None, **extra: Any) -> dict[str, Any]:
    """An inbound message from Jerry (§8.3), with its type object and any extra fields."""
    message: dict[str, Any] = {
        "from": "250788123123",
        "id": "ABGGFlA5FpafAgo6tHcNmNjXmuSf",
        "timestamp": "1454119029",
        "type": type_,
    }
    if body is not None:
        message[type_] = body
    return {**message, **extra}


def received(*messages: dict[str, Any]) -> dict[str, Any]:
    """An inbound-message notification: the sender's contacts entry, then the messages."""
    return {"contacts": [JERRY], "messages": list(messages)}


def status(status_: str, **extra: Any) -> dict[str, Any]:
    """A status notification for one outbound message (§8.4)."""
    entry = {
        "id": "gBEGkYiEB1VXAglK1ZEqA1YKPrU",
        "recipient_id": "16315551234",
        "status": status_,
        "timestamp": "1660019986",
    }
    return {"statuses": [{**entry, **extra}]}


def conversation(origin: str = "authentication", **extra: Any) -> dict[str, Any]:
    return {"id": "72569257438b471cae074da84bed1b83", "origin": {"type": origin}, **extra}


PRICING = {"billable": True, "pricing_model": "CBP", "category": "authentication"}
CONTEXT = {"from": "16315558007", "id": "gBGGFmkiWVVPAgkgQkwi7IORac0"}
CARD = {
    "name": {"formatted_name": "John Smith", "first_name": "John", "last_name": "Smith"},
    "phones": [{"phone": "+1 (940) 555-1234", "type": "HOME", "wa_id": "19405551234"}],
    "emails": [{"email": "john@example.com", "type": "WORK"}],
    "birthday": "1990-01-31",
}
ERROR_1026 = {"code": 1026, "href": "/docs/whatsapp/api/errors", "title": "Receiver Incapable"}
FAILED_1026 = status(
    "failed", id="gBGGFlAwCWFvAgkyHMGKnRu4JeA", recipient_id="919876543210", timestamp="1670394125",
    errors=[ERROR_1026], type="message", message={"recipient_id": "+919876543210"},
)  # fmt: skip

# The guides' location callback (interactive-messages guide, step 4), "#Optional" comments dropped.
GUIDE_LOCATION_CLOUD = {
    "object": "whatsapp_business_account",
    "entry": [{
        "id": "12345",
        "changes": [{
            "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "12345", "phone_number_id": "12345"},
                "contacts": [{"profile": {"name": "John Doe"}, "wa_id": "12345"}],
                "messages": [{
                    "context": {"from": "12345", "id": "test-id"},
                    "from": "123450",
                    "id": "test-id",
                    "timestamp": "16632",
                    "location": {
                        "address": "1071 5th Ave, New York, NY 10128",
                        "latitude": 37.421996751527,
                        "longitude": -122.08407156636,
                        "name": "Solomon R. Guggenheim Museum",
                    },
                    "type": "location",
                }],
            },
            "field": "messages",
        }],
    }],
}  # fmt: skip

# The interactive-templates guide's "Callback from a Quick Reply Button Click" (its errors placeholder dropped).
GUIDE_QUICK_REPLY = {
    "contacts": [KERRY],
    "messages": [{
        "button": {"payload": "No-Button-Payload", "text": "No"},
        "context": {"from": "16315558007", "id": "gBGGFmkiWVVPAgkgQkwi7IORac0"},
        "from": "16505551234",
        "id": "ABGGFmkiWVVPAgo-sKD87hgxPHdF",
        "timestamp": "1591210827",
        "type": "button",
    }],
}  # fmt: skip

# fmt: off
VALID_ONPREM: list[Any] = [
    pytest.param(received(inbound("text", {"body": "hello world"})), id="text"),
    pytest.param(received(inbound("text", {"body": "fwd"}, context={"forwarded": True})), id="text-forwarded-context-flags-only"),
    pytest.param(received(inbound("text", {"body": "hi"}, context={**CONTEXT, "frequently_forwarded": False, "mentions": ["16505551234"]})), id="text-context-with-flags-and-mentions"),
    pytest.param(received(inbound("image", {"id": MEDIA_ID, "mime_type": "image/jpeg", "sha256": SHA, "caption": "Check out my new phone!"})), id="image-with-caption"),
    pytest.param(received(inbound("image", {"id": MEDIA_ID, "mime_type": "image/png", "sha256": SHA})), id="image-without-caption"),
    pytest.param(received(inbound("video", {"id": MEDIA_ID, "mime_type": "video/mp4", "sha256": SHA, "caption": "look"})), id="video"),
    pytest.param(received(inbound("audio", {"id": MEDIA_ID, "mime_type": "audio/mpeg", "sha256": SHA})), id="audio"),
    pytest.param(received(inbound("voice", {"id": MEDIA_ID, "mime_type": "audio/ogg; codecs=opus", "sha256": SHA})), id="voice"),
    pytest.param(received(inbound("sticker", {"id": MEDIA_ID, "mime_type": "image/webp", "sha256": SHA})), id="sticker"),
    pytest.param(received(inbound("document", {"id": MEDIA_ID, "mime_type": "application/pdf", "sha256": SHA, "filename": "menu.pdf", "caption": "our menu"})), id="document"),
    pytest.param(received(inbound("document", {"id": MEDIA_ID, "mime_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "sha256": SHA})), id="document-long-mime-type"),
    pytest.param(received(inbound("location", {"latitude": 40.782910059774, "longitude": -73.959075808525, "name": "Solomon R. Guggenheim Museum", "address": "1071 5th Ave, New York, NY 10128"}, context=CONTEXT)), id="location-guide"),
    pytest.param(received(inbound("location", {"latitude": 0, "longitude": 0, "url": "https://example.com"})), id="location-integers-and-url"),
    pytest.param(received(inbound("contacts", [CARD])), id="contacts"),
    pytest.param(GUIDE_QUICK_REPLY, id="button-template-quick-reply-guide"),
    pytest.param(received(inbound("button", {"payload": None, "text": "BUTTON1"}, context=CONTEXT)), id="button-null-payload"),
    pytest.param(received(inbound("interactive", {"type": "button_reply", "button_reply": {"id": "0", "title": "BUTTON1"}}, context=CONTEXT)), id="interactive-button-reply"),
    pytest.param(received(inbound("interactive", {"type": "list_reply", "list_reply": {"id": "0", "title": "ROW1", "description": "first row"}}, context=CONTEXT)), id="interactive-list-reply"),
    pytest.param(received(inbound("interactive", {"type": "list_reply", "list_reply": {"id": "row-2", "title": "ROW2"}}, context=CONTEXT)), id="interactive-list-reply-without-description"),
    pytest.param(received(inbound("unknown", errors=[{"code": 501, "title": "Unknown message type", "details": "Message type is not currently supported"}])), id="unknown-501"),
    pytest.param(received(inbound("order", {"catalog_id": "1234", "text": "thanks", "product_items": [{"product_retailer_id": "sku-1", "quantity": 2, "item_price": 9.99, "currency": "USD"}]})), id="order"),
    pytest.param(received(inbound("reaction", {"message_id": CONTEXT["id"], "emoji": "\U0001F44D"})), id="reaction"),
    pytest.param(received(inbound("reaction", {"message_id": CONTEXT["id"]})), id="reaction-removed"),
    pytest.param(received(inbound("interactive", {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": '{"flow_token": "t", "party": "4"}'}}, context=CONTEXT)), id="interactive-flow-completion"),
    pytest.param(received(inbound("text", {"body": "Spicy?"}, context={**CONTEXT, "referred_product": {"catalog_id": "c-1", "product_retailer_id": "sku-1"}})), id="text-product-enquiry"),
    pytest.param(received(inbound("text", {"body": "hi"}, referral={"source_url": "https://fb.me/x", "source_id": "1", "source_type": "ad", "headline": "Sale", "media_type": "image", "image_url": "https://x.example/a.jpg", "ctwa_clid": "ARab"})), id="text-from-an-ad"),
    pytest.param(received(inbound("system", {"body": "Jerry changed from 250788123123 to 250788123124", "new_wa_id": "250788123124", "type": "user_changed_number"})), id="system-number-change"),
    pytest.param(received(inbound("system", {"body": "Jerry's security code changed", "type": "user_identity_changed", "user": "250788123123", "identity": "Sjvjlx8G6Z0="})), id="system-identity-change"),
    pytest.param({"contacts": [JERRY, KERRY], "messages": [inbound("text", {"body": "a"}), {**inbound("text", {"body": "b"}), "from": "16505551234", "id": "ABGGFmkiWVVPAgo-sKD87hgxPHdF"}]}, id="two-senders-in-one-post"),
    pytest.param(status("sent", conversation=conversation(expiration_timestamp="1660106400"), pricing=PRICING), id="sent-expiration-as-string"),
    pytest.param(status("sent", conversation=conversation("marketing", expiration_timestamp=1660106400), pricing={**PRICING, "category": "marketing"}), id="sent-expiration-as-number"),
    pytest.param(status("delivered", conversation=conversation("service"), pricing={"billable": False, "pricing_model": "CBP", "category": "service"}), id="delivered-with-conversation"),
    pytest.param(status("delivered", conversation=conversation("business_initiated"), pricing={"billable": True, "pricing_model": "NBP", "category": "business_initiated"}), id="delivered-legacy-origin-nbp"),
    pytest.param(status("sent"), id="sent-bare"),
    pytest.param(status("read"), id="read"),
    pytest.param(status("failed", errors=[{"code": 470, "title": TITLE_470, "details": DETAILS_470}]), id="failed-470"),
    pytest.param(status("failed", errors=[{"code": 470, "title": TITLE_470_OLD}]), id="failed-470-older-title"),
    pytest.param(FAILED_1026, id="failed-1026"),
    pytest.param({**FAILED_1026, "errors": [ERROR_1026]}, id="failed-1026-with-top-level-errors-too"),
    pytest.param(status("deleted", type="message", message={"recipient_id": "16315551234"}), id="deleted"),
    pytest.param(status("warning"), id="warning"),
    pytest.param({"contacts": [{"wa_id": "16315551000", "input": "16315551000", "status": "valid"}, {"input": "6315551002", "status": "invalid"}, {"input": "+163155588", "status": "failed"}]}, id="contacts-check-results"),
    pytest.param({"errors": [{"code": 1014, "title": "Internal error", "details": "Upload failed on bad image", "href": "location for error detail"}]}, id="out-of-band-errors"),
    pytest.param({**received(inbound("text", {"body": "hi"})), **status("read")}, id="messages-and-statuses-in-one-post"),
]
# fmt: on


# (payload, JSON path in the message, words in the message)
# fmt: off
INVALID_ONPREM: list[Any] = [
    pytest.param({}, "$", "at least one of", id="empty"),
    pytest.param({"statuses": []}, "$.statuses", "at least 1", id="empty-statuses"),
    pytest.param({**GUIDE_LOCATION_CLOUD}, "$", "object", id="cloud-envelope-posted-as-onprem"),
    pytest.param({**status("read"), "meta": {"api_status": "stable"}}, "$", "meta", id="unknown-top-level-key"),
    pytest.param(received(inbound("text", {"body": "hi"}, timestamp=1454119029)), "$.messages[0].timestamp", "string", id="message-timestamp-as-number"),
    pytest.param(status("read", timestamp=1660019986), "$.statuses[0].timestamp", "string", id="status-timestamp-as-number"),
    pytest.param(status("read", timestamp="2026-01-01T00:00:00Z"), "$.statuses[0].timestamp", "Unix seconds", id="status-timestamp-iso"),
    pytest.param(status("failed"), "$.statuses[0]", "'errors' is required", id="failed-without-errors"),
    pytest.param(status("failed", errors=[]), "$.statuses[0].errors", "at least 1", id="failed-with-empty-errors"),
    pytest.param(status("delivered", errors=[ERROR_1026]), "$.statuses[0].errors", "not be present", id="errors-on-delivered"),
    pytest.param(status("failed", errors=[{"code": "470", "title": TITLE_470}]), "$.statuses[0].errors[0].code", "integer", id="error-code-as-string"),
    pytest.param(status("failed", errors=[{"code": 470, "message": TITLE_470}]), "$.statuses[0].errors[0]", "'title' is required", id="error-cloud-style-message"),
    pytest.param(status("failed", errors=[{**ERROR_1026, "error_data": {"details": "x"}}]), "$.statuses[0].errors[0]", "error_data", id="error-extra-key"),
    pytest.param(status("read", conversation=conversation()), "$.statuses[0].conversation", "not be present", id="read-with-conversation"),
    pytest.param(status("read", pricing=PRICING), "$.statuses[0].pricing", "not be present", id="read-with-pricing"),
    pytest.param(status("failed", errors=[ERROR_1026], conversation=conversation()), "$.statuses[0].conversation", "not be present", id="failed-with-conversation"),
    pytest.param(status("delivered", conversation=conversation(expiration_timestamp="1660106400")), "$.statuses[0].conversation.expiration_timestamp", "not be present", id="delivered-with-expiration"),
    pytest.param(status("sent", conversation=conversation(expiration_timestamp=1660106400.5)), "$.statuses[0].conversation.expiration_timestamp", "Unix seconds", id="expiration-as-float"),
    pytest.param(status("sent", conversation={"id": "72569257438b471cae074da84bed1b83"}), "$.statuses[0].conversation", "'origin' is required", id="conversation-without-origin"),
    pytest.param(status("sent", conversation=conversation("markting")), "$.statuses[0].conversation.origin.type", "must be one of", id="origin-type-typo"),
    pytest.param(status("sent", conversation=conversation(), pricing={**PRICING, "billable": "true"}), "$.statuses[0].pricing.billable", "boolean", id="billable-as-string"),
    pytest.param(status("sent", conversation=conversation(), pricing={**PRICING, "pricing_model": "cbp"}), "$.statuses[0].pricing.pricing_model", "must be one of", id="pricing-model-lower-case"),
    pytest.param(status("sending"), "$.statuses[0].status", "must be one of", id="status-sending"),
    pytest.param(status("read", recipient_id="+16315551234"), "$.statuses[0].recipient_id", "digits only", id="status-recipient-with-plus"),
    pytest.param(status("read", recipient="16315551234"), "$.statuses[0]", "recipient", id="status-misspelt-field"),
    pytest.param(status("deleted", type="status"), "$.statuses[0].type", 'must be "message"', id="status-type-not-message"),
    pytest.param({"messages": [inbound("text", {"body": "hi"})]}, "$", "'contacts' is required", id="messages-without-contacts"),
    pytest.param({"contacts": [{"wa_id": "250788123123"}], "messages": [inbound("text", {"body": "hi"})]}, "$.contacts[0]", "'profile' is required", id="message-contact-without-profile"),
    pytest.param({"contacts": [{"input": "250788123123", "status": "valid", "wa_id": "250788123123"}], "messages": [inbound("text", {"body": "hi"})]}, "$.contacts[0]", "profile", id="check-result-beside-messages"),
    pytest.param({"contacts": [JERRY]}, "$.contacts[0]", "required", id="message-contact-without-messages"),
    pytest.param({"contacts": [{"input": "16315551000", "status": "valid"}]}, "$.contacts[0]", "'wa_id' is required", id="check-valid-without-wa-id"),
    pytest.param({"contacts": [{"input": "6315551002", "status": "invalid", "wa_id": "6315551002"}]}, "$.contacts[0].wa_id", "not be present", id="check-invalid-with-wa-id"),
    pytest.param({"contacts": [{"input": "6315551002", "status": "processing"}]}, "$.contacts[0].status", "must be one of", id="check-processing"),
    pytest.param(received(inbound("text", {"body": "hi"}, **{"from": "+250788123123"})), "$.messages[0].from", "digits only", id="from-with-plus"),
    pytest.param(received(inbound("text", {"body": "hi", "preview_url": False})), "$.messages[0].text", "preview_url", id="text-extra-key"),
    pytest.param(received(inbound("text", {"body": ""})), "$.messages[0].text.body", "empty", id="text-empty-body"),
    pytest.param(received(inbound("text")), "$.messages[0]", "'text' is required", id="text-without-text-object"),
    pytest.param(received(inbound("text", {"body": "hi"}, image={"id": MEDIA_ID, "mime_type": "image/jpeg", "sha256": SHA})), "$.messages[0].image", "only one allowed", id="text-with-image-object-too"),
    pytest.param(received(inbound("sms")), "$.messages[0].type", "must be one of", id="type-not-known"),
    pytest.param(received({k: v for k, v in inbound("text", {"body": "hi"}).items() if k != "id"}), "$.messages[0]", "'id' is required", id="message-without-id"),
    pytest.param(received(inbound("text", {"body": "hi"}, context={"id": "gBGGFmkiWVVPAgkgQkwi7IORac0"})), "$.messages[0].context", "both id", id="context-id-without-from"),
    pytest.param(received(inbound("text", {"body": "hi"}, context={**CONTEXT, "group_id": "x"})), "$.messages[0].context", "group_id", id="context-extra-key"),
    pytest.param(received(inbound("image", {"id": MEDIA_ID, "mime_type": "image/jpeg", "sha256": SHA, "file": "/usr/local/wamedia/shared/b1cf38"})), "$.messages[0].image", "file", id="image-deprecated-file"),
    pytest.param(received(inbound("image", {"id": MEDIA_ID, "mime_type": "image/jpeg"})), "$.messages[0].image", "'sha256' is required", id="image-without-sha256"),
    pytest.param(received(inbound("image", {"id": MEDIA_ID, "mime_type": "jpeg", "sha256": SHA})), "$.messages[0].image.mime_type", "MIME type", id="image-bad-mime-type"),
    pytest.param(received(inbound("image", {"id": MEDIA_ID, "mime_type": "Image/JPEG", "sha256": SHA})), "$.messages[0].image.mime_type", "lower-case", id="image-upper-case-mime-type"),
    pytest.param(received(inbound("image", {"id": MEDIA_ID, "mime_type": "image/jpeg", "sha256": SHA, "filename": "a.jpg"})), "$.messages[0].image", "filename", id="image-with-filename"),
    pytest.param(received(inbound("audio", {"id": MEDIA_ID, "mime_type": "audio/mpeg", "sha256": SHA, "caption": "hi"})), "$.messages[0].audio", "caption", id="audio-with-caption"),
    pytest.param(received(inbound("voice", {"id": MEDIA_ID, "mime_type": "audio/ogg; codecs=opus", "sha256": SHA, "caption": "hi"})), "$.messages[0].voice", "caption", id="voice-with-caption"),
    pytest.param(received(inbound("sticker", {"id": MEDIA_ID, "mime_type": "image/webp", "sha256": SHA, "caption": "hi"})), "$.messages[0].sticker", "caption", id="sticker-with-caption"),
    pytest.param(received(inbound("location", {"latitude": "40.78", "longitude": -73.96})), "$.messages[0].location.latitude", "number", id="location-latitude-as-string"),
    pytest.param(received(inbound("location", {"latitude": 40.78})), "$.messages[0].location", "'longitude' is required", id="location-without-longitude"),
    pytest.param(received(inbound("location", {"latitude": 40.78, "longitude": -73.96, "lat": 1})), "$.messages[0].location", "lat", id="location-extra-key"),
    pytest.param(received(inbound("button", {"text": "No"}, context=CONTEXT)), "$.messages[0].button", "'payload' is required", id="button-without-payload"),
    pytest.param(received(inbound("button", {"payload": "No-Button-Payload"}, context=CONTEXT)), "$.messages[0].button", "'text' is required", id="button-without-text"),
    pytest.param(received(inbound("interactive", {"type": "button_reply", "button_reply": {"title": "BUTTON1"}}, context=CONTEXT)), "$.messages[0].interactive.button_reply", "'id' is required", id="button-reply-without-id"),
    pytest.param(received(inbound("interactive", {"type": "button_reply", "button_reply": {"id": "0"}}, context=CONTEXT)), "$.messages[0].interactive.button_reply", "'title' is required", id="button-reply-without-title"),
    pytest.param(received(inbound("interactive", {"type": "button_reply", "list_reply": {"id": "0", "title": "ROW1"}}, context=CONTEXT)), "$.messages[0].interactive", "'button_reply' is required", id="button-reply-type-with-list-reply"),
    pytest.param(received(inbound("interactive", {"type": "button", "button_reply": {"id": "0", "title": "B"}}, context=CONTEXT)), "$.messages[0].interactive.type", "must be one of", id="interactive-outbound-type-name"),
    pytest.param(received(inbound("interactive", {"type": "list_reply", "list_reply": {"id": "0", "title": "ROW1", "payload": "x"}}, context=CONTEXT)), "$.messages[0].interactive.list_reply", "payload", id="list-reply-extra-key"),
    pytest.param(received(inbound("unknown")), "$.messages[0]", "'errors' is required", id="unknown-without-errors"),
    pytest.param(received(inbound("unknown", errors=[{"code": 500, "title": "Generic error", "details": "x"}])), "$.messages[0].errors[0].code", "501", id="unknown-with-other-code"),
    pytest.param(received(inbound("unknown", {"body": "hi"}, errors=[{"code": 501, "title": "Unknown message type", "details": "x"}])), "$.messages[0]", "unknown", id="unknown-with-type-object"),
    pytest.param(received(inbound("contacts", [{"name": {"formatted_name": "John Smith", "first_name": "John"}, "phones": [{"phone": "1", "type": 1}]}])), "$.messages[0].contacts[0].phones[0].type", "must be of type string", id="contacts-card-phone-type-not-text"),
    pytest.param(received(inbound("order", {"catalog_id": "1234", "product_items": [{"product_retailer_id": "sku-1", "quantity": "2", "item_price": 9.99, "currency": "USD"}]})), "$.messages[0].order.product_items[0].quantity", "integer", id="order-quantity-as-string"),
    pytest.param(received(inbound("reaction", {"message_id": CONTEXT["id"], "emoji": ""})), "$.messages[0].reaction.emoji", "empty", id="reaction-with-empty-emoji"),
    pytest.param(received(inbound("system", {"body": "x", "wa_id": "250788123124", "type": "user_changed_number"})), "$.messages[0].system", "wa_id", id="system-number-change-with-cloud-wa-id"),
    pytest.param(received(inbound("system", {"body": "x", "type": "user_identity_changed", "user": "250788123123"})), "$.messages[0].system", "'identity' is required", id="system-identity-change-without-hash"),
    pytest.param(received(inbound("interactive", {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{}"}}, context=CONTEXT)), "$.messages[0].interactive.nfm_reply.response_json", "flow_token", id="flow-completion-without-token"),
    pytest.param(received(inbound("text", {"body": "hi"}, referral={"source_url": "https://fb.me/x", "source_id": "1"})), "$.messages[0].referral", "'source_type' is required", id="referral-without-source-type"),
]
# fmt: on


@functools.cache
def _full_validator(name: str) -> Draft202012Validator:
    """python-jsonschema over the same files, to check that it and jsonschema-rs agree on every case."""
    schemas = webhook_schemas()
    registry: Registry[Any] = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.schemas.values()
    )
    return Draft202012Validator(schemas.schemas[name], registry=registry)


def test_every_webhook_schema_is_a_valid_draft_2020_12_schema() -> None:
    schemas = webhook_schemas()
    names = [name for name in schemas.schemas if name.startswith("webhooks/")]
    for name in names:
        Draft202012Validator.check_schema(schemas.schemas[name])
    assert set(ENTRY.values()) <= set(names)
    assert {"webhooks/onprem/message.json", "webhooks/onprem/status.json"} <= set(names)


@pytest.mark.parametrize("payload", VALID_ONPREM)
def test_valid_onprem_payload_is_accepted(payload: dict[str, Any]) -> None:
    assert_valid_webhook(payload)
    assert not list(_full_validator(ENTRY["onprem"]).iter_errors(payload))


@pytest.mark.parametrize(("payload", "path", "says"), INVALID_ONPREM)
def test_invalid_onprem_payload_is_caught_at_its_path(payload: dict[str, Any], path: str, says: str) -> None:
    _assert_caught(payload, "onprem", path, says)


def _assert_caught(payload: dict[str, Any], fmt: str, path: str, says: str) -> None:
    assert not webhook_schemas().is_valid(ENTRY[fmt], payload)
    with pytest.raises(AssertionError) as raised:
        assert_valid_webhook(copy.deepcopy(payload), fmt)
    first_line = str(raised.value).splitlines()[0]
    assert f": {path}: " in first_line, first_line
    assert says in first_line, first_line


def test_the_helper_names_the_path_and_the_problem() -> None:
    with pytest.raises(
        AssertionError, match=r"webhooks/onprem/notification.json: \$\.statuses\[0\]: 'errors' is required"
    ):
        assert_valid_webhook(status("failed"))


def test_the_helper_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown webhook format"):
        assert_valid_webhook(status("read"), "graph")


def test_case_names_are_unique() -> None:
    ids = [p.id for p in VALID_ONPREM + INVALID_ONPREM]
    assert len(ids) == len(set(ids))
