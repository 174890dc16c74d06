"""Golden Cloud webhooks, as the emulator should push them: each matches schemas/webhooks/cloud/ and, signed,
is parsed by pywa 4.5 and kapso 0.3 into what a bot reads (reference §9).

One payload per inbound message type (§9.4) and per status (§9.5), each with what pywa 4.x needs:
``user_id`` in the sender's contacts entry and a ``contacts`` entry beside every status (§9.7).
Invalid payloads are the mistakes an emitter could make, On-Premises leftovers first among them.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from kapso_whatsapp.webhooks import NormalizedWebhookResult
from pywa.types import (
    CallbackButton,
    CallbackSelection,
    FlowCompletion,
    Message,
    MessageStatus,
    MessageType,
    PhoneNumberChange,
)
from referencing import Registry, Resource

from emulator.domain.reasons import Reason, Refusal
from tests.cloud_clients import (
    APP_SECRET,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    WABA_ID,
    ClientRejected,
    body_of,
    kapso_update,
    pywa_handshake,
    pywa_update,
    sign,
)
from tests.webhook_schemas import ENTRY, assert_valid_webhook, webhook_schemas

SCHEMA = ENTRY["cloud"]
BUSINESS = "15550000000"
USER = "16505551234"
USER_ID = "US.13491208655302741918"
NEW_NUMBER = "16505559999"
NEW_USER_ID = "US.98765432109876543210"
SENDER = {"profile": {"name": "Sheena Nelson"}, "wa_id": USER, "user_id": USER_ID}
INBOUND_ID = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
OUTBOUND_ID = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
REPLY_TO = {"from": BUSINESS, "id": OUTBOUND_ID}
MEDIA_ID = "1013859600285441"
SHA = "K5PRzkdNSmKeBvXq0r+QvU9cuQwsyOTUt2VgjxiZsXQ="
MEDIA_URL = f"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid={MEDIA_ID}&ext=1750030073&hash=ATuFfL1X"
CARD = {
    "name": {"formatted_name": "John Smith", "first_name": "John", "last_name": "Smith"},
    "phones": [{"phone": "+1 (940) 555-1234", "type": "HOME", "wa_id": "19405551234"}],
    "emails": [{"email": "john@example.com", "type": "WORK"}],
    "birthday": "1990-01-31",
}
REFERRAL = {
    "source_url": "https://fb.me/3cr4Wqqkv",
    "source_id": "120226305854810726",
    "source_type": "ad",
    "body": "Summer sale: 20% off everything",
    "headline": "Chat with us",
    "media_type": "image",
    "image_url": "https://scontent.xx.fbcdn.net/v/t45.1600-4/ad.jpg",
    "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-ZABe4gEH8FFLmRb",
    "welcome_message": {"text": "Hi! How can we help?"},
}
FLOW_ANSWERS = {"flow_token": "AQAAAAACS5FpgQ_cAAAAAD0QI3s.", "delivery": "1_Fast", "rating": "5"}
ERROR_131047 = {
    "code": 131047,
    "title": "Re-engagement message",
    "message": "Re-engagement message",
    "error_data": {
        "details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
    },
    "href": "/documentation/business-messaging/whatsapp/support/error-codes",
}
ERROR_131051 = {
    "code": 131051,
    "title": "Message type unknown",
    "message": "Message type unknown",
    "error_data": {"details": "Message type is currently not supported."},
}
PMP_SERVICE = {"billable": False, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"}
PMP_MARKETING = {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "marketing"}
V = "$.entry[0].changes[0].value"  # JSON path of the value, for the invalid cases


def envelope(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` (contacts, messages, statuses or errors) in the Cloud envelope of the emulator's defaults (a copy)."""
    metadata = {"display_phone_number": BUSINESS, "phone_number_id": PHONE_NUMBER_ID}
    value = copy.deepcopy(value)  # no test edits the shared constants through a payload
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": metadata, **value}}
                ],
            }
        ],
    }


def inbound(type_: str, body: Any = None, **extra: Any) -> dict[str, Any]:
    """A webhook for one message of ``type_`` from Sheena, with its type object and any extra fields."""
    message: dict[str, Any] = {"from": USER, "id": INBOUND_ID, "timestamp": "1749416383", "type": type_}
    if body is not None:
        message[type_] = body
    return envelope({"contacts": [SENDER], "messages": [{**message, **extra}]})


def system(type_: str, **fields: Any) -> dict[str, Any]:
    """A system-message webhook: no contacts array (§9.4)."""
    message = {
        "from": USER,
        "id": INBOUND_ID,
        "timestamp": "1749416383",
        "type": "system",
        "system": {"body": f"User Sheena Nelson changed from {USER} to {NEW_NUMBER}", "type": type_, **fields},
    }
    return envelope({"messages": [message]})


def status(status_: str, contacts: bool = True, **extra: Any) -> dict[str, Any]:
    """A webhook for one status of the business's message to Sheena, with her contacts entry unless told."""
    entry = {"id": OUTBOUND_ID, "status": status_, "timestamp": "1750030073", "recipient_id": USER}
    value: dict[str, Any] = {"statuses": [{**entry, **extra}]}
    return envelope({"contacts": [SENDER], **value} if contacts else value)


def the_message(result: NormalizedWebhookResult) -> dict[str, Any]:
    """kapso's one normalized message, after checking it read it as inbound."""
    (message,) = result.messages
    assert message["kapso"]["direction"] == "inbound"
    return message


# (payload, pywa update class, check of pywa's update, check of kapso's normalized result)
Check = Callable[[Any], bool]
# fmt: off
GOLDEN: list[Any] = [
    pytest.param(inbound("text", {"body": "¿Viene en otro color? 👍"}), Message,
                 lambda u: u.text == "¿Viene en otro color? 👍" and u.from_user.bsuid == USER_ID and u.from_user.wa_id == USER,
                 lambda k: the_message(k)["text"]["body"] == "¿Viene en otro color? 👍" and k.contacts[0]["userId"] == USER_ID, id="text"),
    pytest.param(inbound("text", {"body": "look at this"}, context={"forwarded": True}), Message,
                 lambda u: u.forwarded and not u.forwarded_many_times and u.reply_to_message is None,
                 lambda k: the_message(k)["context"] == {"forwarded": True}, id="text-forwarded"),
    pytest.param(inbound("text", {"body": "seen it, again"}, context={"frequently_forwarded": True}), Message,
                 lambda u: u.forwarded_many_times,
                 lambda k: the_message(k)["context"] == {"frequentlyForwarded": True}, id="text-frequently-forwarded"),
    pytest.param(inbound("text", {"body": "Is this in stock?"}, context={**REPLY_TO, "referred_product": {"catalog_id": "194836987003835", "product_retailer_id": "sku-42"}}), Message,
                 lambda u: u.reply_to_message.id == OUTBOUND_ID and u.reply_to_message.referred_product.sku == "sku-42",
                 lambda k: the_message(k)["context"]["referredProduct"]["productRetailerId"] == "sku-42", id="text-product-enquiry"),
    pytest.param(inbound("text", {"body": "I saw your ad"}, referral=REFERRAL), Message,
                 lambda u: u.referral.ctwa_clid == REFERRAL["ctwa_clid"] and u.referral.source_type == "ad",
                 lambda k: the_message(k)["referral"]["ctwaClid"] == REFERRAL["ctwa_clid"], id="text-click-to-whatsapp-referral"),
    pytest.param(inbound("image", {"caption": "my new phone", "mime_type": "image/jpeg", "sha256": SHA, "id": MEDIA_ID, "url": MEDIA_URL}), Message,
                 lambda u: u.image.id == MEDIA_ID and u.image.url == MEDIA_URL and u.caption == "my new phone",
                 lambda k: the_message(k)["image"]["mimeType"] == "image/jpeg", id="image"),
    pytest.param(inbound("video", {"mime_type": "video/mp4", "sha256": SHA, "id": MEDIA_ID, "url": MEDIA_URL}), Message,
                 lambda u: u.video.mime_type == "video/mp4" and u.video.caption is None,
                 lambda k: the_message(k)["video"]["id"] == MEDIA_ID, id="video-without-caption"),
    pytest.param(inbound("audio", {"mime_type": "audio/ogg; codecs=opus", "sha256": SHA, "id": MEDIA_ID, "url": MEDIA_URL, "voice": True}), Message,
                 lambda u: u.type == MessageType.AUDIO and u.voice is not None and u.audio.voice,
                 lambda k: the_message(k)["audio"]["voice"] is True, id="audio-voice-note"),
    pytest.param(inbound("audio", {"mime_type": "audio/mpeg", "sha256": SHA, "id": MEDIA_ID, "url": MEDIA_URL, "voice": False}), Message,
                 lambda u: u.audio.voice is False and u.voice is None,
                 lambda k: the_message(k)["audio"]["voice"] is False, id="audio-file"),
    pytest.param(inbound("document", {"caption": "our menu", "filename": "menu.pdf", "mime_type": "application/pdf", "sha256": SHA, "id": MEDIA_ID, "url": MEDIA_URL}), Message,
                 lambda u: u.document.filename == "menu.pdf" and u.document.caption == "our menu",
                 lambda k: the_message(k)["document"]["filename"] == "menu.pdf", id="document"),
    pytest.param(inbound("sticker", {"mime_type": "image/webp", "sha256": SHA, "id": MEDIA_ID, "url": MEDIA_URL, "animated": True}), Message,
                 lambda u: u.sticker.animated is True,
                 lambda k: the_message(k)["sticker"]["animated"] is True, id="sticker-animated"),
    pytest.param(inbound("location", {"latitude": 40.782910059774, "longitude": -73.959075808525, "name": "Solomon R. Guggenheim Museum", "address": "1071 5th Ave, New York, NY 10128"}), Message,
                 lambda u: u.location.latitude == 40.782910059774 and u.location.name == "Solomon R. Guggenheim Museum",
                 lambda k: the_message(k)["location"]["longitude"] == -73.959075808525, id="location"),
    pytest.param(inbound("location", {"latitude": 0, "longitude": 0}), Message,
                 lambda u: u.location.current_location,
                 lambda k: the_message(k)["location"] == {"latitude": 0, "longitude": 0}, id="location-current-integers"),
    pytest.param(inbound("contacts", [CARD]), Message,
                 lambda u: u.contacts[0].name.formatted_name == "John Smith" and u.contacts[0].phones[0].wa_id == "19405551234",
                 lambda k: the_message(k)["contacts"][0]["name"]["formattedName"] == "John Smith", id="contacts"),
    pytest.param(inbound("button", {"payload": "No-Button-Payload", "text": "No"}, context=REPLY_TO), CallbackButton,
                 lambda u: u.is_quick_reply and u.data == "No-Button-Payload" and u.title == "No" and u.reply_to_message.id == OUTBOUND_ID,
                 lambda k: the_message(k)["button"] == {"payload": "No-Button-Payload", "text": "No"}, id="button-template-quick-reply"),
    pytest.param(inbound("interactive", {"type": "button_reply", "button_reply": {"id": "change-button", "title": "Change"}}, context=REPLY_TO), CallbackButton,
                 lambda u: not u.is_quick_reply and u.data == "change-button" and u.title == "Change",
                 lambda k: the_message(k)["interactive"]["buttonReply"]["id"] == "change-button", id="interactive-button-reply"),
    pytest.param(inbound("interactive", {"type": "list_reply", "list_reply": {"id": "priority_express", "title": "Express", "description": "Next day"}}, context=REPLY_TO), CallbackSelection,
                 lambda u: u.data == "priority_express" and u.title == "Express" and u.description == "Next day",
                 lambda k: the_message(k)["interactive"]["listReply"]["title"] == "Express", id="interactive-list-reply"),
    pytest.param(inbound("interactive", {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": json.dumps(FLOW_ANSWERS)}}, context=REPLY_TO), FlowCompletion,
                 lambda u: u.token == FLOW_ANSWERS["flow_token"] and u.response == {"delivery": "1_Fast", "rating": "5"} and u.body == "Sent",
                 lambda k: the_message(k)["kapso"]["flowToken"] == FLOW_ANSWERS["flow_token"], id="interactive-flow-completion"),
    pytest.param(inbound("reaction", {"message_id": OUTBOUND_ID, "emoji": "😀"}), Message,
                 lambda u: u.reaction.emoji == "😀" and u.reaction.message_id == OUTBOUND_ID,
                 lambda k: the_message(k)["reaction"]["emoji"] == "😀", id="reaction"),
    pytest.param(inbound("reaction", {"message_id": OUTBOUND_ID}), Message,
                 lambda u: u.reaction.is_removed,
                 lambda k: "emoji" not in the_message(k)["reaction"], id="reaction-removed"),
    pytest.param(inbound("order", {"catalog_id": "194836987003835", "text": "as soon as you can", "product_items": [{"product_retailer_id": "sku-42", "quantity": 2, "item_price": 9.99, "currency": "USD"}]}), Message,
                 lambda u: u.order.products[0].sku == "sku-42" and u.order.text == "as soon as you can" and u.order.total_price == 19.98,
                 lambda k: the_message(k)["kapso"]["orderText"] == "as soon as you can", id="order"),
    pytest.param(system("user_changed_number", wa_id=NEW_NUMBER), PhoneNumberChange,
                 lambda u: u.old_wa_id == USER and u.new_wa_id == NEW_NUMBER and u.new_user_id is None,
                 lambda k: the_message(k)["system"]["waId"] == NEW_NUMBER and not k.contacts, id="system-user-changed-number"),
    pytest.param(system("user_changed_number", wa_id=NEW_NUMBER, user_id=NEW_USER_ID), PhoneNumberChange,
                 lambda u: u.new_wa_id == NEW_NUMBER and u.new_user_id == NEW_USER_ID,
                 lambda k: the_message(k)["system"]["userId"] == NEW_USER_ID, id="system-user-changed-number-and-bsuid"),
    pytest.param(system("user_changed_user_id", user_id=NEW_USER_ID, body="User Sheena Nelson changed their business-scoped user ID"), PhoneNumberChange,
                 lambda u: u.new_user_id == NEW_USER_ID and u.new_wa_id is None,
                 lambda k: len(k.identity_events) == 1 and k.identity_events[0].raw["userId"] == NEW_USER_ID, id="system-user-changed-user-id"),
    pytest.param(inbound("unsupported", {"type": "poll"}, errors=[ERROR_131051]), Message,
                 lambda u: u.type == MessageType.UNSUPPORTED and u.unsupported.type == "poll" and u.error.code == 131051,
                 lambda k: the_message(k)["errors"][0]["code"] == 131051, id="unsupported-131051"),
    pytest.param(status("sent", pricing=PMP_SERVICE), MessageStatus,
                 lambda u: u.status == "sent" and u.pricing.model == "PMP" and u.pricing.type == "free_customer_service" and u.conversation is None,
                 lambda k: k.statuses[0].status == "sent" and k.statuses[0].pricing["pricingModel"] == "PMP", id="status-sent-pmp"),
    pytest.param(status("sent", biz_opaque_callback_data="order-1234", conversation={"id": "72b14d6bd5407799e66f64d1b338e567", "expiration_timestamp": "1750116480", "origin": {"type": "marketing"}}, pricing=PMP_MARKETING), MessageStatus,
                 lambda u: u.tracker == "order-1234" and u.conversation.category == "marketing" and u.conversation.expiration is not None and u.pricing.billable,
                 lambda k: k.statuses[0].conversation["expirationTimestamp"] == "1750116480" and k.statuses[0].extra == {"bizOpaqueCallbackData": "order-1234"}, id="status-sent-v23-conversation-and-tracker"),
    pytest.param(status("delivered", pricing=PMP_SERVICE), MessageStatus,
                 lambda u: u.status == "delivered" and u.pricing.category == "service" and u.from_user.bsuid == USER_ID,
                 lambda k: k.statuses[0].status == "delivered" and k.statuses[0].recipient_id == USER, id="status-delivered"),
    pytest.param(status("delivered", conversation={"id": "72b14d6bd5407799e66f64d1b338e567", "origin": {"type": "service"}}, pricing={"billable": False, "pricing_model": "CBP", "category": "service"}), MessageStatus,
                 lambda u: u.pricing.model == "CBP" and u.pricing.type is None and u.conversation.expiration is None,
                 lambda k: k.statuses[0].pricing["pricingModel"] == "CBP", id="status-delivered-cbp-before-july-2025"),
    pytest.param(status("read"), MessageStatus,
                 lambda u: u.status == "read" and u.pricing is None and u.error is None,
                 lambda k: k.statuses[0].status == "read", id="status-read"),
    pytest.param(status("played"), MessageStatus,
                 lambda u: u.status == "played",
                 lambda k: k.statuses[0].status == "played", id="status-played"),
    pytest.param(status("failed", errors=[ERROR_131047]), MessageStatus,
                 lambda u: u.status == "failed" and u.error.code == 131047 and u.error.details.startswith("Message failed to send"),
                 lambda k: k.statuses[0].errors[0]["code"] == 131047 and k.statuses[0].errors[0]["errorData"]["details"].startswith("Message failed"), id="status-failed-131047"),
    pytest.param(status("sent", recipient_id="", recipient_user_id=USER_ID, pricing=PMP_SERVICE), MessageStatus,
                 lambda u: u.from_user.bsuid == USER_ID,
                 lambda k: k.statuses[0].recipient_id == "" and k.statuses[0].extra == {"recipientUserId": USER_ID}, id="status-sent-to-a-bsuid"),
]
# fmt: on

ERRORS_VALUE = envelope(
    {
        "errors": [
            {
                "code": 131000,
                "title": "Something went wrong",
                "message": "Something went wrong",
                "error_data": {"details": "Message failed to send because of an unknown error."},
            }
        ]
    }
)


@functools.cache
def _full_validator() -> Draft202012Validator:
    """python-jsonschema over the same files, to check that it and jsonschema-rs agree on every case."""
    schemas = webhook_schemas()
    registry: Registry[Any] = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.schemas.values()
    )
    return Draft202012Validator(schemas.schemas[SCHEMA], registry=registry)


def _assert_valid(payload: dict[str, Any]) -> None:
    assert_valid_webhook(payload, "cloud")
    webhook_schemas().validate(SCHEMA, payload)  # the gate the emulator itself calls
    assert not list(_full_validator().iter_errors(payload))


@pytest.mark.parametrize(("payload", "update_type", "pywa_check", "kapso_check"), GOLDEN)
def test_golden_payload_matches_the_cloud_schema(
    payload: dict[str, Any], update_type: type, pywa_check: Check, kapso_check: Check
) -> None:
    _assert_valid(payload)


@pytest.mark.parametrize(("payload", "update_type", "pywa_check", "kapso_check"), GOLDEN)
def test_signed_golden_payload_becomes_pywa_typed_update(
    payload: dict[str, Any], update_type: type, pywa_check: Check, kapso_check: Check
) -> None:
    body = body_of(payload)
    update = pywa_update(body, sign(body))
    assert type(update) is update_type
    assert pywa_check(update), update


@pytest.mark.parametrize(("payload", "update_type", "pywa_check", "kapso_check"), GOLDEN)
def test_signed_golden_payload_is_normalized_by_kapso(
    payload: dict[str, Any], update_type: type, pywa_check: Check, kapso_check: Check
) -> None:
    body = body_of(payload)
    result = kapso_update(body, sign(body))
    assert result.phone_number_id == PHONE_NUMBER_ID
    assert result.display_phone_number == BUSINESS
    assert kapso_check(result), result


def test_errors_value_matches_the_schema_and_reaches_kapso_but_gives_pywa_no_typed_update() -> None:
    _assert_valid(ERRORS_VALUE)
    body = body_of(ERRORS_VALUE)
    with pytest.raises(ClientRejected, match="Unrecognized update payload"):
        pywa_update(body, sign(body))
    result = kapso_update(body, sign(body))
    assert not result.messages and not result.statuses
    assert result.raw["messages"][0]["errors"][0]["code"] == 131000


def test_failed_status_without_contacts_matches_the_schema_but_pywa_drops_it() -> None:
    """Meta omits contacts on failed statuses (§9.7); pywa 4.5 then makes no update, so the emulator adds them."""
    payload = status("failed", contacts=False, errors=[ERROR_131047])
    _assert_valid(payload)
    body = body_of(payload)
    with pytest.raises(ClientRejected, match="KeyError: 'contacts'"):
        pywa_update(body, sign(body))
    assert kapso_update(body, sign(body)).statuses[0].errors[0]["code"] == 131047  # type: ignore[index]


def test_message_without_user_id_is_refused_by_the_schema_and_dropped_by_pywa() -> None:
    payload = inbound("text", {"body": "hi"})
    del payload["entry"][0]["changes"][0]["value"]["contacts"][0]["user_id"]
    with pytest.raises(Refusal) as refused:
        webhook_schemas().validate(SCHEMA, payload)
    assert refused.value.details.startswith(f"{V}.contacts[0]: 'user_id' is required")
    body = body_of(payload)
    with pytest.raises(ClientRejected, match="KeyError: 'user_id'"):
        pywa_update(body, sign(body))
    assert the_message(kapso_update(body, sign(body)))["text"]["body"] == "hi"  # kapso does not mind


def test_pywa_reads_only_the_first_status_of_a_post_and_kapso_reads_all() -> None:
    payload = status("sent", pricing=PMP_SERVICE)
    statuses = payload["entry"][0]["changes"][0]["value"]["statuses"]
    statuses.append({**statuses[0], "status": "delivered"})
    _assert_valid(payload)
    body = body_of(payload)
    assert pywa_update(body, sign(body)).status == "sent"  # type: ignore[attr-defined]
    assert [s.status for s in kapso_update(body, sign(body)).statuses] == ["sent", "delivered"]


def test_pywa_warns_on_the_hyphenated_pricing_category_the_schema_allows() -> None:
    """Meta spells the pricing category authentication-international (§9.6); pywa 4.5 knows only the underscore."""
    payload = status("sent", pricing={**PMP_MARKETING, "category": "authentication-international"})
    _assert_valid(payload)
    body = body_of(payload)
    with pytest.raises(ClientRejected, match="Unknown PricingCategory value: 'authentication-international'"):
        pywa_update(body, sign(body))


def test_pywa_drops_an_update_for_another_phone_number_or_waba() -> None:
    body = body_of(inbound("text", {"body": "hi"}))
    with pytest.raises(ClientRejected, match="phone_id mismatch"):
        pywa_update(body, sign(body), phone_id="999999999999999")
    with pytest.raises(ClientRejected, match="doesn't match the Client's waba_id"):
        pywa_update(body, sign(body), waba_id="999999999999999")


BODY = body_of(inbound("text", {"body": "¿Viene en otro color? 👍"}))
# fmt: off
BAD_SIGNATURES: list[Any] = [
    pytest.param(BODY, sign(BODY, "another-app-secret"), id="other-app-secret"),
    pytest.param(BODY.replace(b"otro", b"OTRO"), sign(BODY), id="body-changed-after-signing"),
    pytest.param(json.dumps(json.loads(BODY), ensure_ascii=False).encode(), sign(BODY), id="same-json-other-bytes"),
    pytest.param(BODY, sign(BODY).removeprefix("sha256="), id="hex-without-sha256-prefix-for-kapso"),
    pytest.param(BODY, "sha256=" + "0" * 64, id="zeros"),
    pytest.param(BODY, None, id="no-header"),
]
# fmt: on


@pytest.mark.parametrize(("body", "signature"), BAD_SIGNATURES)
def test_kapso_rejects_a_wrong_signature(body: bytes, signature: str | None) -> None:
    with pytest.raises(ClientRejected, match="kapso refused the signature"):
        kapso_update(body, signature)


@pytest.mark.parametrize(("body", "signature"), BAD_SIGNATURES)
def test_pywa_rejects_a_wrong_signature(body: bytes, signature: str | None) -> None:
    if signature is not None and not signature.startswith("sha256="):
        # pywa strips an optional "sha256=" and compares the hex: the bare hex is accepted (kapso refuses it).
        assert isinstance(pywa_update(body, signature), Message)
        return
    with pytest.raises(ClientRejected, match=r"pywa refused the signature: HTTP 40[13]"):
        pywa_update(body, signature)


def test_the_right_signature_over_the_exact_bytes_is_accepted_by_both() -> None:
    assert sign(BODY) == sign(BODY, APP_SECRET)
    assert isinstance(pywa_update(BODY, sign(BODY)), Message)
    assert kapso_update(BODY, sign(BODY)).messages
    assert b"\\u00bf" in BODY and b"\\ud83d\\udc4d" in BODY  # Graph's lower-case \u escapes, signed as sent


def test_pywa_answers_the_verification_handshake_with_the_challenge() -> None:
    params = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": VERIFY_TOKEN}
    assert pywa_handshake(params) == ("1158201444", 200)
    assert pywa_handshake({**params, "hub.verify_token": "wrong"}) == ("Forbidden", 403)


def _edit(payload: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A deep copy of ``payload`` with ``edit`` applied to its value."""
    changed = copy.deepcopy(payload)
    edit(changed["entry"][0]["changes"][0]["value"])
    return changed


TEXT = inbound("text", {"body": "hi"})
SENT = status("sent", pricing=PMP_SERVICE)
FAILED = status("failed", errors=[ERROR_131047])
IMAGE = {"mime_type": "image/jpeg", "sha256": SHA, "id": MEDIA_ID, "url": MEDIA_URL}
ONPREM_CONTENT = {  # what emulator.webhooks.payloads.build("cloud", ...) wraps today: On-Premises content
    "contacts": [{"profile": {"name": "Jerry Cooney"}, "wa_id": "250788123123"}],
    "messages": [
        {
            "from": "250788123123",
            "id": "ABGGFlA5FpafAgo6tHcNmNjXmuSf",
            "timestamp": "1454119029",
            "type": "text",
            "text": {"body": "hi"},
        }
    ],
}

# (payload, JSON path the refusal starts with, words in it)
# fmt: off
INVALID: list[Any] = [
    pytest.param(_edit(TEXT, lambda v: v.update(meta={"api_status": "stable"})), V, "unexpected parameter 'meta'", id="stray-key-in-value"),
    pytest.param(_edit(TEXT, lambda v: v["messages"][0].update(group_id="120363")), f"{V}.messages[0]", "'group_id'", id="stray-key-in-message"),
    pytest.param(_edit(TEXT, lambda v: v["messages"][0]["text"].update(preview_url=False)), f"{V}.messages[0].text", "'preview_url'", id="stray-key-in-text"),
    pytest.param(_edit(TEXT, lambda v: v["contacts"][0].update(input=USER)), f"{V}.contacts[0]", "'input'", id="stray-key-in-contact"),
    pytest.param(_edit(SENT, lambda v: v["statuses"][0].update(sender=BUSINESS)), f"{V}.statuses[0]", "'sender'", id="stray-key-in-status"),
    pytest.param(_edit(SENT, lambda v: v["statuses"][0]["pricing"].update(price=0.0)), f"{V}.statuses[0].pricing", "'price'", id="stray-key-in-pricing"),
    pytest.param({**TEXT, "time": 1749416383}, "$", "'time'", id="stray-key-in-envelope"),
    pytest.param(envelope(ONPREM_CONTENT), f"{V}.contacts[0]", "'user_id' is required", id="onprem-content-in-cloud-envelope"),
    pytest.param(_edit(TEXT, lambda v: v["messages"][0].update(id="ABGGFlA5FpafAgo6tHcNmNjXmuSf")), f"{V}.messages[0].id", "wamid", id="onprem-message-id"),
    pytest.param(inbound("voice", {**IMAGE, "mime_type": "audio/ogg"}), f"{V}.messages[0]", "unexpected parameter 'voice'", id="onprem-voice-type"),
    pytest.param(inbound("unknown", errors=[ERROR_131051]), f"{V}.messages[0].type", "must be one of", id="onprem-unknown-type"),
    pytest.param(inbound("unsupported", {"type": "poll"}, errors=[{"code": 501, "title": "Unknown message type", "details": "Message type is not currently supported"}]), f"{V}.messages[0].errors[0]", "'message' is required", id="onprem-error-shape"),
    pytest.param(inbound("image", {**IMAGE, "file": "/usr/local/wamedia/shared/b1cf38"}), f"{V}.messages[0].image", "'file'", id="onprem-media-file"),
    pytest.param(inbound("image", {**IMAGE, "id": "b1c68f38-8734-4ad3-b4a1-ef0c10d683"}), f"{V}.messages[0].image.id", "digits", id="onprem-media-uuid"),
    pytest.param(inbound("text", {"body": "hi"}, context={**REPLY_TO, "mentions": [USER]}), f"{V}.messages[0].context", "'mentions'", id="onprem-context-mentions"),
    pytest.param(status("deleted"), f"{V}.statuses[0].status", "must be one of", id="onprem-deleted-status"),
    pytest.param(status("warning"), f"{V}.statuses[0].status", "must be one of", id="onprem-warning-status"),
    pytest.param(_edit(FAILED, lambda v: v["statuses"][0].update(type="message", message={"recipient_id": f"+{USER}"})), f"{V}.statuses[0]", "'message', 'type'", id="onprem-status-type-and-message"),
    pytest.param(status("failed", errors=[{"code": 470, "title": "Re-engagement message", "details": "x"}]), f"{V}.statuses[0].errors[0]", "is required", id="onprem-failed-error"),
    pytest.param(envelope({"contacts": [{"input": USER, "status": "valid", "wa_id": USER}], "statuses": [SENT["entry"][0]["changes"][0]["value"]["statuses"][0]]}), f"{V}.contacts[0]", "'user_id' is required", id="onprem-contacts-check-result"),
    pytest.param(status("sent", pricing={"billable": True, "pricing_model": "NBP", "category": "business_initiated"}), f"{V}.statuses[0].pricing.pricing_model", "must be one of \"PMP\", \"CBP\"", id="onprem-nbp-pricing"),
    pytest.param(_edit(TEXT, lambda v: v["messages"][0].update(timestamp=1749416383)), f"{V}.messages[0].timestamp", "string", id="message-timestamp-as-number"),
    pytest.param(status("read", timestamp="2025-06-15T23:27:53Z"), f"{V}.statuses[0].timestamp", "Unix seconds", id="status-timestamp-iso"),
    pytest.param(_edit(TEXT, lambda v: v.pop("contacts")), V, "'contacts' is required", id="messages-without-contacts"),
    pytest.param(_edit(TEXT, lambda v: v["contacts"][0].update(user_id="13491208655302741918")), f"{V}.contacts[0].user_id", "business-scoped user id", id="bsuid-without-country"),
    pytest.param(_edit(system("user_changed_number", wa_id=NEW_NUMBER), lambda v: v.update(contacts=[SENDER])), f"{V}.contacts", "must not be present", id="system-with-contacts"),
    pytest.param(system("user_changed_number"), f"{V}.messages[0].system", "'wa_id' is required", id="number-change-without-new-number"),
    pytest.param(system("user_changed_user_id", wa_id=NEW_NUMBER, user_id=NEW_USER_ID), f"{V}.messages[0].system.wa_id", "must not be present", id="user-id-change-with-number"),
    pytest.param(_edit(TEXT, lambda v: v.update(statuses=SENT["entry"][0]["changes"][0]["value"]["statuses"])), V, "exactly one of messages, statuses, errors", id="messages-and-statuses"),
    pytest.param(_edit(ERRORS_VALUE, lambda v: v.update(contacts=[SENDER])), f"{V}.contacts", "must not be present", id="errors-with-contacts"),
    pytest.param(envelope({}), V, "exactly one of", id="empty-value"),
    pytest.param(inbound("image", {k: v for k, v in IMAGE.items() if k != "url"}), f"{V}.messages[0].image", "'url' is required", id="media-without-url"),
    pytest.param(inbound("audio", {**IMAGE, "mime_type": "audio/ogg"}), f"{V}.messages[0].audio", "'voice' is required", id="audio-without-voice"),
    pytest.param(inbound("sticker", {**IMAGE, "mime_type": "image/webp"}), f"{V}.messages[0].sticker", "'animated' is required", id="sticker-without-animated"),
    pytest.param(inbound("document", {**IMAGE, "mime_type": "application/pdf"}), f"{V}.messages[0].document", "'filename' is required", id="document-without-filename"),
    pytest.param(inbound("button", {"payload": "No-Button-Payload", "text": "No"}), f"{V}.messages[0]", "'context' is required", id="button-without-context"),
    pytest.param(inbound("interactive", {"type": "list_reply", "list_reply": {"id": "a", "title": "A"}}, context={"forwarded": True}), f"{V}.messages[0].context", "'from' is required", id="list-reply-without-replied-message"),
    pytest.param(inbound("interactive", {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{\"rating\": \"5\"}"}}, context=REPLY_TO), f"{V}.messages[0].interactive.nfm_reply.response_json", "flow_token", id="flow-reply-without-flow-token"),
    pytest.param(inbound("interactive", {"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": FLOW_ANSWERS}}, context=REPLY_TO), f"{V}.messages[0].interactive.nfm_reply.response_json", "string", id="flow-reply-as-object"),
    pytest.param(inbound("reaction", {"message_id": OUTBOUND_ID, "emoji": ""}), f"{V}.messages[0].reaction.emoji", "empty", id="reaction-removal-as-empty-emoji"),
    pytest.param(inbound("unsupported", {"type": "poll"}), f"{V}.messages[0]", "'errors' is required", id="unsupported-without-errors"),
    pytest.param(inbound("unsupported", {"type": "poll"}, errors=[{**ERROR_131051, "code": 131000}]), f"{V}.messages[0].errors[0].code", "131051", id="unsupported-other-code"),
    pytest.param(inbound("text", {"body": "hi"}, errors=[ERROR_131051]), f"{V}.messages[0].errors", "must not be present", id="errors-on-a-text"),
    pytest.param(status("failed"), f"{V}.statuses[0]", "'errors' is required", id="failed-without-errors"),
    pytest.param(status("failed", errors=[{k: v for k, v in ERROR_131047.items() if k != "href"}]), f"{V}.statuses[0].errors[0]", "'href' is required", id="failed-error-without-href"),
    pytest.param(status("failed", errors=[ERROR_131047], pricing=PMP_SERVICE), f"{V}.statuses[0].pricing", "must not be present", id="failed-with-pricing"),
    pytest.param(status("delivered", errors=[ERROR_131047]), f"{V}.statuses[0].errors", "must not be present", id="errors-on-delivered"),
    pytest.param(status("delivered", conversation={"id": "72b14d6bd5407799e66f64d1b338e567", "expiration_timestamp": "1750116480", "origin": {"type": "service"}}), f"{V}.statuses[0].conversation.expiration_timestamp", "must not be present", id="expiration-on-delivered"),
    pytest.param(status("sent", conversation={"id": "72b14d6bd5407799e66f64d1b338e567", "expiration_timestamp": 1750116480, "origin": {"type": "service"}}), f"{V}.statuses[0].conversation.expiration_timestamp", "string", id="expiration-as-number"),
    pytest.param(status("sent", pricing={**PMP_SERVICE, "pricing_model": "pmp"}), f"{V}.statuses[0].pricing.pricing_model", "must be one of", id="pricing-model-lower-case"),
    pytest.param(status("sent", recipient_id=""), f"{V}.statuses[0]", "'recipient_user_id' is required", id="empty-recipient-without-bsuid"),
    pytest.param(status("sent", recipient_id=f"+{USER}"), f"{V}.statuses[0].recipient_id", "wa_id", id="recipient-with-plus"),
    pytest.param(_edit(SENT, lambda v: v["contacts"][0].pop("user_id")), f"{V}.contacts[0]", "'user_id' is required", id="status-contact-without-user-id"),
    pytest.param(_edit(TEXT, lambda v: v["metadata"].update(display_phone_number="+1 555-000-0000")), f"{V}.metadata.display_phone_number", "digits only", id="display-phone-number-formatted"),
    pytest.param({**TEXT, "object": "page"}, "$.object", "whatsapp_business_account", id="object-not-waba"),
]
# fmt: on


@pytest.mark.parametrize(("payload", "path", "says"), INVALID)
def test_invalid_payload_is_refused_at_its_path(payload: dict[str, Any], path: str, says: str) -> None:
    assert not webhook_schemas().is_valid(SCHEMA, payload)
    assert list(_full_validator().iter_errors(payload))  # both validators agree
    with pytest.raises(Refusal) as refused:
        webhook_schemas().validate(SCHEMA, payload)
    assert refused.value.reason in {Reason.UNEXPECTED_PARAMETER, Reason.MISSING_PARAMETER, Reason.INVALID_PARAMETER}
    assert refused.value.details.startswith(f"{path}: "), refused.value.details
    assert says in refused.value.details, refused.value.details


def test_case_names_are_unique() -> None:
    ids = [p.id for p in GOLDEN + INVALID]
    assert len(ids) == len(set(ids))
