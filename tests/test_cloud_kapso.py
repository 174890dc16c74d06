"""kapso-whatsapp-cloud-api 0.3 drives the Cloud façade with its own calls, and reads every webhook.

The bot is kapso's async ``WhatsAppClient`` with ``base_url`` on the in-process emulator and the
emulator's token (``kapso_bot``). Each send is checked on both sides: kapso's ``SendMessageResponse``
carries the wamid the emulator recorded. Every webhook the emulator pushes (``--webhook-format cloud``)
goes through kapso's own ``verify_signature`` on the exact bytes and ``X-Hub-Signature-256``, then
``normalize_webhook``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
from kapso_whatsapp import WhatsAppClient
from kapso_whatsapp.exceptions import AuthenticationError, NotFoundError, ValidationError, WhatsAppAPIError
from kapso_whatsapp.webhooks import NormalizedWebhookResult
from starlette.testclient import TestClient

from emulator.clock import EmulatorClock
from emulator.domain.samples import sample
from emulator.settings import Settings
from tests.cloud_clients import EMULATOR, PHONE_NUMBER_ID, WABA_ID, kapso_bot, kapso_update
from tests.conftest import T0
from tests.receiver import Receiver, drain, emulator_with_receiver, record_of, reset, user_sends

ALICE = "15550001111"
BRUNO = "15550002222"  # never wrote: his window is closed
INCAPABLE = "15550200001"
NOT_ON_WHATSAPP = "15550100001"
T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one of kapso's (async) calls to the end."""
    return asyncio.run(coroutine)


@dataclass
class Chat:
    """The emulator, its webhook receiver, the kapso bot, and what Alice already did."""

    client: TestClient
    receiver: Receiver
    bot: WhatsAppClient
    inbound: str = ""
    media: dict[str, str] = field(default_factory=dict)

    def user_sends(self, wa_id: str, action: dict[str, Any]) -> dict[str, Any]:
        """A simulated user sends ``action``; the message as the webhook carries it."""
        return user_sends(self.client, wa_id, action)

    def record(self, message_id: str) -> dict[str, Any]:
        """The emulator's record of an outbound message."""
        return record_of(self.client, message_id)

    def results(self) -> list[NormalizedWebhookResult]:
        """Every webhook POSTed so far, signature-checked and normalized by kapso."""
        drain(self.client)
        return [kapso_update(body, signature) for body, signature in self.receiver.bodies]

    def inbound_messages(self) -> list[dict[str, Any]]:
        """kapso's normalized inbound messages, in order."""
        found = [m for result in self.results() for m in result.messages]
        assert all(m["kapso"]["direction"] == "inbound" for m in found)
        return found

    def statuses(self) -> dict[str, list[Any]]:
        """kapso's statuses by message id, in order."""
        found: dict[str, list[Any]] = {}
        for result in self.results():
            for status in result.statuses:
                found.setdefault(status.id, []).append(status)
        return found


@contextlib.contextmanager
def _emulator(graph_version: str = "v24.0") -> Iterator[Chat]:
    settings = Settings(seed=7, webhook_format="cloud", public_url=EMULATOR)
    with emulator_with_receiver(settings, clock=EmulatorClock(base=lambda: T0)) as (client, receiver):
        bot = kapso_bot(client, graph_version=graph_version)
        try:
            yield Chat(client, receiver, bot)
        finally:
            run(bot.close())


def _open(chat: Chat) -> Chat:
    """Alice writes "hi" (her window opens) and the bot uploads an image and a sticker."""
    chat.inbound = chat.user_sends(ALICE, {"type": "text", "text": {"body": "hi"}})["id"]
    for kind in ("image", "sticker"):
        mime, data = sample(kind)
        chat.media[kind] = run(chat.bot.media.upload(phone_number_id=PHONE_NUMBER_ID, file=data, type=mime)).id
    return chat


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[TestClient, Receiver]]:
    """One emulator for the module (building one compiles every schema): each test resets it."""
    settings = Settings(seed=7, webhook_format="cloud", public_url=EMULATOR)
    with emulator_with_receiver(settings, clock=EmulatorClock(base=lambda: T0)) as (client, receiver):
        yield client, receiver


@pytest.fixture
def chat(running: tuple[TestClient, Receiver]) -> Iterator[Chat]:
    """The shared emulator reset, a new kapso bot, Alice's "hi" and the uploads."""
    client, receiver = running
    reset(client, receiver)
    bot = kapso_bot(client)
    try:
        yield _open(Chat(client, receiver, bot))
    finally:
        run(bot.close())
    assert receiver.invalid == [], "\n".join(receiver.invalid)


# --- sends: every message type kapso offers ----------------------------------------------------------

TO = {"phone_number_id": PHONE_NUMBER_ID, "to": "+" + ALICE}
TRIP = {
    "name": "upcoming_trip_reminder",
    "language": {"code": "en"},
    "components": [
        {"type": "header", "parameters": [{"type": "text", "text": "12/26"}]},
        {"type": "body", "parameters": [{"type": "text", "text": t} for t in ("ski trip", "Jul 29", "Tahoe")]},
        {
            "type": "button",
            "subType": "quick_reply",
            "index": "0",
            "parameters": [{"type": "payload", "payload": "trip-yes"}],
        },
    ],
}
NAMED = {
    "name": "order_ready",
    "language": "en_US",
    "category": "UTILITY",
    "parameter_format": "NAMED",
    "components": [
        {
            "type": "BODY",
            "text": "Hi {{first_name}}, order {{order_id}} is ready.",
            "example": {
                "body_text_named_params": [
                    {"param_name": "first_name", "example": "Jessica"},
                    {"param_name": "order_id", "example": "42"},
                ]
            },
        }
    ],
}


async def _named_template(chat: Chat) -> Any:
    await chat.bot.templates.create(business_account_id=WABA_ID, **NAMED)
    body = [
        {"type": "text", "text": "Ann", "parameterName": "first_name"},
        {"type": "text", "text": "43", "parameter_name": "order_id"},
    ]
    template = {
        "name": "order_ready",
        "language": {"code": "en_US"},
        "components": [{"type": "body", "parameters": body}],
    }
    return await chat.bot.messages.send_template(**TO, template=template)


Send = Callable[[Chat], Awaitable[Any]]
Check = Callable[[dict[str, Any], Chat], bool]
# fmt: off
SENDS: list[Any] = [
    pytest.param(lambda c: c.bot.messages.send_text(**TO, body="See https://example.com", preview_url=True), "text",
                 lambda p, c: p["text"] == {"body": "See https://example.com", "preview_url": True}, id="text-with-preview"),
    pytest.param(lambda c: c.bot.messages.send_text(**TO, body="Sure!", context={"message_id": c.inbound}, biz_opaque_callback_data="order-7"), "text",
                 lambda p, c: p["context"] == {"message_id": c.inbound} and p["biz_opaque_callback_data"] == "order-7", id="text-reply-with-tracker"),
    pytest.param(lambda c: c.bot.messages.send_image(**TO, image={"id": c.media["image"], "caption": "Cap"}), "image",
                 lambda p, c: p["image"] == {"id": c.media["image"], "caption": "Cap"}, id="image-by-id"),
    pytest.param(lambda c: c.bot.messages.send_image(**TO, image={"link": "https://example.com/a.jpg"}), "image",
                 lambda p, c: p["image"]["link"] == "https://example.com/a.jpg", id="image-by-link"),
    pytest.param(lambda c: c.bot.messages.send_video(**TO, video={"link": "https://example.com/a.mp4", "caption": "Clip"}), "video",
                 lambda p, c: p["video"]["caption"] == "Clip", id="video-by-link"),
    pytest.param(lambda c: c.bot.messages.send_audio(**TO, audio={"link": "https://example.com/a.ogg", "voice": True}), "audio",
                 lambda p, c: p["audio"]["voice"] is True, id="audio-voice-note"),
    pytest.param(lambda c: c.bot.messages.send_document(**TO, document={"link": "https://example.com/a.pdf", "filename": "a.pdf"}), "document",
                 lambda p, c: p["document"]["filename"] == "a.pdf", id="document-by-link"),
    pytest.param(lambda c: c.bot.messages.send_sticker(**TO, sticker={"id": c.media["sticker"]}), "sticker",
                 lambda p, c: p["sticker"] == {"id": c.media["sticker"]}, id="sticker-by-id"),
    pytest.param(lambda c: c.bot.messages.send_location(**TO, location={"latitude": -33.45, "longitude": -70.66, "name": "Santiago"}), "location",
                 lambda p, c: p["location"]["name"] == "Santiago", id="location"),
    pytest.param(lambda c: c.bot.messages.send_contacts(**TO, contacts=[{"name": {"formattedName": "John Doe", "firstName": "John"}, "phones": [{"phone": "+15559876543", "type": "CELL", "waId": "15559876543"}]}]), "contacts",
                 lambda p, c: p["contacts"][0]["name"]["formatted_name"] == "John Doe", id="contacts"),
    pytest.param(lambda c: c.bot.messages.send_reaction(**TO, reaction={"message_id": c.inbound, "emoji": "👍"}), "reaction",
                 lambda p, c: p["reaction"] == {"message_id": c.inbound, "emoji": "👍"}, id="reaction"),
    pytest.param(lambda c: c.bot.messages.send_reaction(**TO, reaction={"message_id": c.inbound}), "reaction",
                 lambda p, c: p["reaction"]["emoji"] == "", id="reaction-removal"),
    pytest.param(lambda c: c.bot.messages.send_interactive_buttons(**TO, body_text="Pizza?", buttons=[{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}], header_text="Head", footer_text="Foot"), "interactive",
                 lambda p, c: p["interactive"]["type"] == "button", id="reply-buttons"),
    pytest.param(lambda c: c.bot.messages.send_interactive_list(**TO, body_text="Choose", button_text="Sizes", sections=[{"title": "Sizes", "rows": [{"id": "size-l", "title": "Large", "description": "16 in"}]}]), "interactive",
                 lambda p, c: p["interactive"]["type"] == "list", id="list"),
    pytest.param(lambda c: c.bot.messages.send_interactive_cta_url(**TO, body_text="Visit", parameters={"display_text": "Visit Site", "url": "https://example.com"}), "interactive",
                 lambda p, c: p["interactive"]["type"] == "cta_url", id="cta-url"),
    pytest.param(lambda c: c.bot.messages.send_interactive_flow(**TO, body_text="Form", parameters={"flow_id": "1234567890", "flow_cta": "Start", "flow_token": "tok"}), "interactive",
                 lambda p, c: p["interactive"]["type"] == "flow", id="flow"),
    pytest.param(lambda c: c.bot.messages.send_interactive_location_request(**TO, body_text="Where are you?"), "interactive",
                 lambda p, c: p["interactive"]["type"] == "location_request_message", id="location-request"),
    pytest.param(lambda c: c.bot.messages.send_interactive_product(**TO, catalog_id="194836987003835", product_retailer_id="sku-1"), "interactive",
                 lambda p, c: p["interactive"]["type"] == "product", id="product"),
    pytest.param(lambda c: c.bot.messages.send_interactive_product_list(**TO, catalog_id="194836987003835", header_text="Our picks", body_text="Pick", sections=[{"title": "Popular", "product_items": [{"product_retailer_id": "sku-1"}]}]), "interactive",
                 lambda p, c: p["interactive"]["type"] == "product_list", id="product-list"),
    pytest.param(lambda c: c.bot.messages.send_interactive_catalog(**TO, body_text="Browse", thumbnail_product_retailer_id="sku-1"), "interactive",
                 lambda p, c: p["interactive"]["type"] == "catalog_message", id="catalog"),
    pytest.param(lambda c: c.bot.messages.send_template(**TO, template={"name": "hello_world", "language": "en_US"}), "template",
                 lambda p, c: p["template"]["language"] == {"code": "en_US"}, id="template-language-as-string"),
    pytest.param(lambda c: c.bot.messages.send_template(**TO, template=TRIP), "template",
                 lambda p, c: p["template"]["components"][2]["sub_type"] == "quick_reply", id="template-positional"),
    pytest.param(_named_template, "template",
                 lambda p, c: p["template"]["components"][0]["parameters"][0]["parameter_name"] == "first_name", id="template-named"),
]
# fmt: on


@pytest.mark.parametrize(("send", "kind", "check"), SENDS)
def test_kapso_send_is_recorded_under_the_wamid_kapso_got(chat: Chat, send: Send, kind: str, check: Check) -> None:
    answer = run(send(chat))  # type: ignore[arg-type]
    (message,) = answer.messages
    assert message.id.startswith("wamid.")
    assert (answer.messaging_product, answer.contacts[0].input, answer.contacts[0].wa_id) == (
        "whatsapp",
        "+" + ALICE,
        ALICE,
    )
    assert message.message_status == ("accepted" if kind == "template" else None)
    record = chat.record(message.id)
    assert (record["type"], record["to"], record["api"], record["api_version"]) == (kind, ALICE, "cloud", "v24.0")
    assert check(record["payload"], chat), record["payload"]
    statuses = [s.status for s in chat.statuses().get(message.id, [])]
    assert statuses == (["sent"] if kind == "reaction" else ["sent", "delivered", "read"])


def test_kapso_marks_a_message_read_and_shows_typing(chat: Chat) -> None:
    assert run(chat.bot.messages.mark_read(phone_number_id=PHONE_NUMBER_ID, message_id=chat.inbound)) == {
        "success": True
    }
    typing = chat.bot.messages.mark_read(
        phone_number_id=PHONE_NUMBER_ID, message_id=chat.inbound, typing_indicator=True
    )
    assert run(typing) == {"success": True}
    inbound = [
        m for m in chat.client.get(f"/_emulator/conversations/{ALICE}").json()["messages"] if m["id"] == chat.inbound
    ]
    assert inbound[0]["read_at"] == T0


def test_kapso_uploads_gets_downloads_and_deletes_media(chat: Chat) -> None:
    mime, data = sample("document")
    uploaded = run(chat.bot.media.upload(phone_number_id=PHONE_NUMBER_ID, file=data, type=mime, filename="menu.pdf"))
    metadata = run(chat.bot.media.get(media_id=uploaded.id, phone_number_id=PHONE_NUMBER_ID))
    assert (metadata.id, metadata.mime_type, int(metadata.file_size)) == (uploaded.id, mime, len(data))
    assert run(chat.bot.media.download(media_id=uploaded.id)) == data
    assert run(chat.bot.media.delete(media_id=uploaded.id)) == {"success": True}
    with pytest.raises(WhatsAppAPIError) as gone:
        run(chat.bot.media.get(media_id=uploaded.id))
    assert (gone.value.error_code, gone.value.error_subcode, gone.value.status_code) == (100, 33, 400)


def test_kapso_creates_lists_reads_and_deletes_templates(chat: Chat) -> None:
    created = run(chat.bot.templates.create(business_account_id=WABA_ID, **NAMED))
    assert (created["status"], created["category"]) == ("APPROVED", "UTILITY")
    listed = run(chat.bot.templates.list(business_account_id=WABA_ID, status="APPROVED", language="en_US"))
    assert "order_ready" in [each["name"] for each in listed["data"]] and "paging" in listed
    assert {each["language"] for each in listed["data"]} == {"en_US"}
    assert run(chat.bot.templates.get(template_id=created["id"]))["parameter_format"] == "NAMED"
    assert run(chat.bot.templates.delete(business_account_id=WABA_ID, name="order_ready")) == {"success": True}
    assert "order_ready" not in [
        each["name"] for each in run(chat.bot.templates.list(business_account_id=WABA_ID))["data"]
    ]


# fmt: off
REFUSED: list[Any] = [
    pytest.param(lambda c: c.bot.messages.send_template(**TO, template={"name": "no_such_template", "language": "en"}), 132001, 404, id="template-missing"),
    pytest.param(lambda c: c.bot.messages.send_template(**TO, template={**TRIP, "components": TRIP["components"][1:2]}), 132000, 400, id="template-param-count"),
    pytest.param(lambda c: c.bot.messages.send_image(**TO, image={"id": "1234567890"}), 131053, 400, id="media-unknown-id"),
    pytest.param(lambda c: c.bot.messages.send_text(phone_number_id="999999999", to=ALICE, body="hi"), 100, 400, id="unknown-phone-number-id"),
]
# fmt: on


@pytest.mark.parametrize(("send", "code", "http"), REFUSED)
def test_kapso_raises_with_the_cloud_error_code_and_status(chat: Chat, send: Send, code: int, http: int) -> None:
    with pytest.raises(WhatsAppAPIError) as raised:
        run(send(chat))  # type: ignore[arg-type]
    assert (raised.value.error_code, raised.value.status_code) == (code, http)
    assert type(raised.value) is (NotFoundError if http == 404 else ValidationError)


def test_kapso_with_an_unknown_token_gets_its_authentication_error(chat: Chat) -> None:
    assert chat.bot._http._client is not None
    chat.bot._http._client.headers["Authorization"] = "Bearer EAAnot-a-token"
    with pytest.raises(AuthenticationError) as raised:
        run(chat.bot.messages.send_text(**TO, body="hi"))
    assert (raised.value.error_code, raised.value.status_code) == (190, 401)


# --- webhooks: every one the emulator pushes, through kapso's verify_signature + normalize_webhook ---


def test_a_conversation_reaches_kapso_normalized(chat: Chat) -> None:
    buttons = run(
        chat.bot.messages.send_interactive_buttons(
            **TO, body_text="Pizza?", buttons=[{"id": "yes", "title": "Yes"}, {"id": "no", "title": "No"}]
        )
    )
    drain(chat.client)
    chat.user_sends(
        ALICE,
        {
            "type": "interactive",
            "context": {"id": buttons.messages[0].id},
            "interactive": {"type": "button_reply", "button_reply": {"id": "yes"}},
        },
    )
    sections = [{"title": "Sizes", "rows": [{"id": "size-l", "title": "Large", "description": "16 in"}]}]
    menu = run(
        chat.bot.messages.send_interactive_list(**TO, body_text="Choose", button_text="Sizes", sections=sections)
    )
    drain(chat.client)
    chat.user_sends(
        ALICE,
        {
            "type": "interactive",
            "context": {"id": menu.messages[0].id},
            "interactive": {"type": "list_reply", "list_reply": {"id": "size-l"}},
        },
    )
    trip = run(chat.bot.messages.send_template(**TO, template=TRIP))
    drain(chat.client)
    chat.user_sends(
        ALICE, {"type": "button", "context": {"id": trip.messages[0].id}, "button": {"payload": "trip-yes"}}
    )
    chat.user_sends(ALICE, {"type": "location", "location": {"latitude": 40.7829, "longitude": -73.959}})
    chat.user_sends(ALICE, {"type": "image", "image": {"caption": "my pizza"}})
    messages = chat.inbound_messages()
    assert [m["type"] for m in messages] == ["text", "interactive", "interactive", "button", "location", "image"]
    assert messages[0]["text"] == {"body": "hi"}
    assert messages[1]["interactive"]["buttonReply"] == {"id": "yes", "title": "Yes"}
    assert messages[2]["interactive"]["listReply"] == {"id": "size-l", "title": "Large", "description": "16 in"}
    assert messages[3]["button"] == {"payload": "trip-yes", "text": "Yes"}
    assert messages[3]["context"]["id"] == trip.messages[0].id
    assert messages[4]["location"] == {"latitude": 40.7829, "longitude": -73.959}
    assert messages[5]["image"]["caption"] == "my pizza" and messages[5]["image"]["url"].startswith(EMULATOR)
    sent = [buttons.messages[0].id, menu.messages[0].id, trip.messages[0].id]
    assert {k: [s.status for s in v] for k, v in chat.statuses().items()} == {
        m: ["sent", "delivered", "read"] for m in sent
    }
    results = chat.results()
    assert all(r.phone_number_id == PHONE_NUMBER_ID and r.contacts[0]["waId"] == ALICE for r in results)


CARD = {
    "name": {"formatted_name": "John Smith", "first_name": "John"},
    "phones": [{"phone": "+1 650 555 1234", "type": "CELL", "wa_id": "16505551234"}],
}
# fmt: off
INBOUND: list[Any] = [
    pytest.param({"type": "video", "video": {"caption": "the clip"}}, lambda m: m["video"]["caption"] == "the clip", id="video"),
    pytest.param({"type": "audio", "audio": {}}, lambda m: m["audio"]["voice"] is False, id="audio"),
    pytest.param({"type": "voice", "voice": {}}, lambda m: m["type"] == "audio" and m["audio"]["voice"] is True, id="voice-note-as-audio"),
    pytest.param({"type": "document", "document": {"filename": "menu.pdf"}}, lambda m: m["document"]["filename"] == "menu.pdf", id="document"),
    pytest.param({"type": "sticker", "sticker": {}}, lambda m: m["sticker"]["animated"] is False, id="sticker"),
    pytest.param({"type": "contacts", "contacts": [CARD]}, lambda m: m["contacts"][0]["phones"][0]["waId"] == "16505551234", id="contacts"),
    pytest.param({"type": "unknown"}, lambda m: m["type"] == "unsupported" and m["errors"][0]["code"] == 131051, id="unsupported-131051"),
]
# fmt: on


@pytest.mark.parametrize(("action", "check"), INBOUND)
def test_every_inbound_kind_reaches_kapso(
    chat: Chat, action: dict[str, Any], check: Callable[[dict[str, Any]], bool]
) -> None:
    chat.user_sends(ALICE, action)
    message = chat.inbound_messages()[-1]
    assert check(message), message
    kind = message["type"]
    if kind in ("video", "audio", "document", "sticker"):
        expected = sample("voice" if action["type"] == "voice" else kind)[1]
        assert run(chat.bot.media.download(media_id=message[kind]["id"])) == expected


def test_kapso_downloads_the_image_a_user_sent(chat: Chat) -> None:
    chat.user_sends(ALICE, {"type": "image", "image": {"caption": "look"}})
    image = chat.inbound_messages()[-1]["image"]
    assert run(chat.bot.media.download(media_id=image["id"])) == sample("image")[1]


# fmt: off
UNDELIVERABLE: list[Any] = [
    pytest.param(lambda c: c.bot.messages.send_text(phone_number_id=PHONE_NUMBER_ID, to=BRUNO, body="Are you there?"), 131047, id="outside-the-window-131047"),
    pytest.param(lambda c: c.bot.messages.send_template(phone_number_id=PHONE_NUMBER_ID, to=INCAPABLE, template={"name": "hello_world", "language": "en_US"}), 131026, id="incapable-user-131026"),
    pytest.param(lambda c: c.bot.messages.send_text(phone_number_id=PHONE_NUMBER_ID, to=NOT_ON_WHATSAPP, body="hi"), 131026, id="not-on-whatsapp-131026"),
]
# fmt: on


@pytest.mark.parametrize(("send", "code"), UNDELIVERABLE)
def test_an_undeliverable_send_is_accepted_then_kapso_reads_a_failed_status(chat: Chat, send: Send, code: int) -> None:
    message_id = run(send(chat)).messages[0].id  # type: ignore[arg-type]
    (status,) = chat.statuses()[message_id]
    assert status.status == "failed"
    assert status.errors[0]["code"] == code and status.errors[0]["errorData"]["details"]


@pytest.mark.parametrize(("graph_version", "has_conversation"), [("v23.0", True), ("v24.0", False)])
def test_kapso_reads_a_conversation_on_status_webhooks_up_to_v23_only(
    graph_version: str, has_conversation: bool
) -> None:
    with _emulator(graph_version) as chat:
        _open(chat)
        message_id = run(chat.bot.messages.send_text(**TO, body="Hello")).messages[0].id
        sent, delivered, read = chat.statuses()[message_id]
        assert (sent.conversation is not None, delivered.conversation is not None) == (has_conversation,) * 2
        assert sent.pricing["pricingModel"] == "PMP" and read.pricing is None
