"""pywa 4.5 drives the Cloud façade with its own calls, and parses every webhook the emulator pushes.

The bot is pywa exactly as a user runs it, pointed at the in-process emulator (``pywa_bot``: only the
base URL and the token differ from production). Each send is checked twice: pywa got what it expects
(a ``SentMessage`` whose id is a wamid) and the emulator recorded that very message. On the webhook
side a simulated user talks to the bot with ``--webhook-format cloud``; the receiver answers the
callback verification with pywa's own ``webhook_challenge_handler`` and keeps the exact bytes and
``X-Hub-Signature-256`` of every POST, which pywa's own parser then checks and turns into typed updates.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from pywa import WhatsApp
from pywa import errors as pywa_errors
from pywa.types import (
    Button,
    CallbackButton,
    CallbackSelection,
    Contact,
    FlowButton,
    Message,
    MessageStatus,
    MessageStatusType,
    MessageType,
    ProductsSection,
    Section,
    SectionList,
    SectionRow,
    URLButton,
)
from pywa.types import templates as t
from pywa.types.sent_update import SentMessage
from starlette.testclient import TestClient

from emulator.clock import EmulatorClock
from emulator.domain.samples import sample
from emulator.settings import Settings
from emulator.webhooks.sender import encode
from tests.cloud_clients import EMULATOR, body_of, pywa_bot, pywa_handshake, pywa_update, sign
from tests.conftest import T0
from tests.process import running_emulator
from tests.receiver import Receiver, drain, emulator_with_receiver, record_of, reset, user_sends

ALICE = "15550001111"  # a fixture user; she writes first, so her 24-hour window is open
BRUNO = "15550002222"  # a fixture user who never wrote: his window is closed
INCAPABLE = "15550200001"  # magic number: WhatsApp cannot deliver to it (131026)
NOT_ON_WHATSAPP = "15550100001"  # magic number: no WhatsApp account (131026)
MEDIA_KINDS = ("image", "video", "audio", "document", "sticker")
SETTINGS = Settings(seed=7, webhook_format="cloud", public_url=EMULATOR)  # media URLs on the in-process host


class PywaReceiver(Receiver):
    """A Receiver whose callback verification is answered by pywa's own ``webhook_challenge_handler``."""

    def __init__(self, verify_token: str | None = None) -> None:
        super().__init__()
        self.pywa_verify_token = verify_token or self.verify_token

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            return super().handle(request)
        params = dict(request.url.params)
        self.handshakes.append(params)
        challenge, status = pywa_handshake(params, verify_token=self.pywa_verify_token)
        return httpx.Response(status, text=challenge or "")


@dataclass
class Chat:
    """The emulator, its webhook receiver, the pywa bot, and what Alice already did."""

    client: TestClient
    receiver: PywaReceiver
    bot: WhatsApp
    inbound: str = ""  # the id of Alice's first message
    media: dict[str, str] = field(default_factory=dict)  # an uploaded media id per kind

    def user_sends(self, wa_id: str, action: dict[str, Any]) -> dict[str, Any]:
        """A simulated user sends ``action``; the message as the webhook carries it."""
        return user_sends(self.client, wa_id, action)

    def record(self, message_id: str) -> dict[str, Any]:
        """The emulator's record of an outbound message."""
        return record_of(self.client, message_id)

    def updates(self) -> list[Any]:
        """Every webhook POSTed so far, checked and parsed by pywa (the bot's own client)."""
        drain(self.client)
        return [pywa_update(body, signature, client=self.bot) for body, signature in self.receiver.bodies]


@contextlib.contextmanager
def _emulator(api_version: str = "26.0", verify_token: str | None = None) -> Iterator[Chat]:
    """The emulator with Cloud webhooks to a PywaReceiver, and a pywa bot calling API ``api_version``."""
    receiver = PywaReceiver(verify_token)
    with emulator_with_receiver(SETTINGS, clock=EmulatorClock(base=lambda: T0), receiver=receiver) as (client, _):
        bot = pywa_bot(client, api_version=api_version)
        try:
            yield Chat(client, receiver, bot)
        finally:
            bot.api._session.close()


def _open(chat: Chat) -> Chat:
    """Alice writes "hi" (her window opens) and the bot uploads one file of each media kind."""
    chat.inbound = chat.user_sends(ALICE, {"type": "text", "text": {"body": "hi"}})["id"]
    chat.media = {
        kind: chat.bot.upload_media(media=sample(kind)[1], mime_type=sample(kind)[0]).id for kind in MEDIA_KINDS
    }
    return chat


@pytest.fixture(scope="module")
def running() -> Iterator[tuple[TestClient, PywaReceiver]]:
    """One emulator for the tests that do not need their own (building one compiles every schema)."""
    receiver = PywaReceiver()
    with emulator_with_receiver(SETTINGS, clock=EmulatorClock(base=lambda: T0), receiver=receiver) as (client, _):
        yield client, receiver


@pytest.fixture
def chat(running: tuple[TestClient, PywaReceiver]) -> Iterator[Chat]:
    """The shared emulator reset, a new pywa bot, Alice's "hi" and the uploads."""
    client, receiver = running
    reset(client, receiver)
    bot = pywa_bot(client)
    try:
        yield _open(Chat(client, receiver, bot))
    finally:
        bot.api._session.close()
    assert receiver.invalid == [], "\n".join(receiver.invalid)


@pytest.fixture
def fresh_chat() -> Iterator[Chat]:
    """A new emulator of its own: its first webhook makes the callback verification handshake."""
    with _emulator() as chat:
        yield _open(chat)


# --- sends: every message type pywa offers ----------------------------------------------------------

NAMED = t.Template(
    name="order_ready",
    language=t.TemplateLanguage.ENGLISH_US,
    category=t.TemplateCategory.UTILITY,
    parameter_format=t.ParamFormat.NAMED,
    components=[
        t.BodyText("Hi {{first_name}}, order {{order_id}} is ready.", first_name="Jessica", order_id="42"),
        t.Buttons(buttons=[t.QuickReplyButton(text="Thanks")]),
    ],
)
TRIP = [
    t.HeaderText.params("12/26"),
    t.BodyText.params("ski trip", "Jul 29", "Tahoe"),
    t.QuickReplyButton.params(callback_data="trip-yes", index=0),
    t.QuickReplyButton.params(callback_data="trip-no", index=1),
]


def _named_template(chat: Chat) -> SentMessage:
    chat.bot.create_template(NAMED)
    params = [
        t.BodyText.params(first_name="Ann", order_id="43"),
        t.QuickReplyButton.params(callback_data="thx", index=0),
    ]
    return chat.bot.send_template(to=ALICE, name="order_ready", language=t.TemplateLanguage.ENGLISH_US, params=params)


def _media_template(chat: Chat) -> SentMessage:
    params = [
        t.HeaderImage.params(image=chat.media["image"]),
        t.BodyText.params("Ann", "Quest", "113-0921387", "23rd Nov"),
        t.URLButton.params(url_variable="1Z999AA1", index=0),
    ]
    return chat.bot.send_template(
        to=ALICE, name="oculus_shipment_update", language=t.TemplateLanguage.ENGLISH, params=params
    )


def _by_id(kind: str) -> Callable[[Chat], SentMessage]:
    def send(chat: Chat) -> SentMessage:
        method = getattr(chat.bot, f"send_{kind}")
        media_id = chat.media[kind]
        return method(ALICE, media_id, **({"filename": "menu.pdf"} if kind == "document" else {}))  # type: ignore[no-any-return]

    return send


CARD = Contact(
    name=Contact.Name(formatted_name="John Smith", first_name="John"),
    phones=[Contact.Phone(phone="+1 650 555 1234", type="CELL", wa_id="16505551234")],
    emails=[Contact.Email(email="john@example.com", type="WORK")],
)
LIST = SectionList(
    button_title="Menu",
    sections=[Section(title="Sizes", rows=[SectionRow(title="Large", callback_data="size-l", description="16 in")])],
)
Send = Callable[[Chat], SentMessage]
Check = Callable[[dict[str, Any], Chat], bool]
# fmt: off
SENDS: list[Any] = [
    pytest.param(lambda c: c.bot.send_message(ALICE, "See https://example.com", preview_url=True), "text",
                 lambda p, c: p["text"] == {"body": "See https://example.com", "preview_url": True}, id="text-with-preview"),
    pytest.param(lambda c: c.bot.send_message(ALICE, "Sure!", reply_to_message_id=c.inbound, tracker="order-7"), "text",
                 lambda p, c: p["context"] == {"message_id": c.inbound} and p["biz_opaque_callback_data"] == "order-7", id="text-reply-with-tracker"),
    pytest.param(lambda c: c.bot.send_message(ALICE, "Pick", header="Head", footer="Foot", buttons=[Button("Yes", "yes"), Button("No", "no")]), "interactive",
                 lambda p, c: p["interactive"]["type"] == "button" and len(p["interactive"]["action"]["buttons"]) == 2, id="reply-buttons"),
    pytest.param(lambda c: c.bot.send_message(ALICE, "Choose a size", buttons=LIST), "interactive",
                 lambda p, c: p["interactive"]["action"]["sections"][0]["rows"][0]["id"] == "size-l", id="section-list"),
    pytest.param(lambda c: c.bot.send_message(ALICE, "Visit", buttons=URLButton(title="Site", url="https://example.com")), "interactive",
                 lambda p, c: p["interactive"]["type"] == "cta_url", id="cta-url"),
    pytest.param(lambda c: c.bot.send_message(ALICE, "Form", buttons=FlowButton(title="Open", flow_id="1234567890", flow_token="tok")), "interactive",
                 lambda p, c: p["interactive"]["action"]["parameters"]["flow_id"] == "1234567890", id="flow-button"),
    pytest.param(lambda c: c.bot.request_location(ALICE, "Where are you?"), "interactive",
                 lambda p, c: p["interactive"]["type"] == "location_request_message", id="location-request"),
    *[pytest.param(_by_id(kind), kind, lambda p, c, k=kind: p[k]["id"] == c.media[k], id=f"{kind}-by-id") for kind in MEDIA_KINDS],
    pytest.param(lambda c: c.bot.send_image(ALICE, sample("image")[1], mime_type="image/png"), "image",
                 lambda p, c: set(p["image"]) == {"id"} and p["image"]["id"] not in c.media.values(), id="image-from-bytes-uploaded-first"),
    pytest.param(lambda c: c.bot.send_image(ALICE, "https://example.com/a.jpg", caption="Cap"), "image",
                 lambda p, c: p["image"] == {"link": "https://example.com/a.jpg", "caption": "Cap"}, id="image-by-link"),
    pytest.param(lambda c: c.bot.send_video(ALICE, "https://example.com/a.mp4", caption="Clip"), "video",
                 lambda p, c: p["video"]["link"] == "https://example.com/a.mp4", id="video-by-link"),
    pytest.param(lambda c: c.bot.send_audio(ALICE, "https://example.com/a.mp3"), "audio",
                 lambda p, c: p["audio"] == {"link": "https://example.com/a.mp3"}, id="audio-by-link"),
    pytest.param(lambda c: c.bot.send_voice(ALICE, "https://example.com/a.ogg"), "audio",
                 lambda p, c: p["audio"]["voice"] is True, id="voice-by-link"),
    pytest.param(lambda c: c.bot.send_document(ALICE, "https://example.com/a.pdf", filename="a.pdf", caption="Menu"), "document",
                 lambda p, c: p["document"]["filename"] == "a.pdf", id="document-by-link"),
    pytest.param(lambda c: c.bot.send_sticker(ALICE, "https://example.com/a.webp"), "sticker",
                 lambda p, c: p["sticker"] == {"link": "https://example.com/a.webp"}, id="sticker-by-link"),
    pytest.param(lambda c: c.bot.send_location(ALICE, 37.48, -122.14, name="HQ", address="1 Hacker Way"), "location",
                 lambda p, c: p["location"]["name"] == "HQ", id="location"),
    pytest.param(lambda c: c.bot.send_contact(ALICE, CARD), "contacts",
                 lambda p, c: p["contacts"][0]["name"]["formatted_name"] == "John Smith", id="contact"),
    pytest.param(lambda c: c.bot.send_reaction(ALICE, "👍", c.inbound), "reaction",
                 lambda p, c: p["reaction"]["emoji"] == "👍", id="reaction"),
    pytest.param(lambda c: c.bot.remove_reaction(ALICE, c.inbound), "reaction",
                 lambda p, c: p["reaction"]["emoji"] == "", id="reaction-removal"),
    pytest.param(lambda c: c.bot.send_template(ALICE, "upcoming_trip_reminder", t.TemplateLanguage.ENGLISH, TRIP), "template",
                 lambda p, c: [x["type"] for x in p["template"]["components"]] == ["HEADER", "BODY", "button", "button"], id="template-positional"),
    pytest.param(_named_template, "template",
                 lambda p, c: p["template"]["components"][0]["parameters"][0]["parameter_name"] == "first_name", id="template-named"),
    pytest.param(_media_template, "template",
                 lambda p, c: "image" in p["template"]["components"][0]["parameters"][0], id="template-image-header-and-url-button"),
    pytest.param(lambda c: c.bot.send_catalog(ALICE, "Browse our catalog", footer="Free shipping", thumbnail_product_sku="sku-1"), "interactive",
                 lambda p, c: p["interactive"]["type"] == "catalog_message", id="catalog"),
    pytest.param(lambda c: c.bot.send_product(ALICE, catalog_id="194836987003835", sku="sku-1", body="Look"), "interactive",
                 lambda p, c: p["interactive"]["action"]["product_retailer_id"] == "sku-1", id="product"),
    pytest.param(lambda c: c.bot.send_products(ALICE, "194836987003835", [ProductsSection(title="Popular", skus=["sku-1", "sku-2"])], title="Our picks", body="Pick one"), "interactive",
                 lambda p, c: p["interactive"]["type"] == "product_list", id="products"),
]
# fmt: on


@pytest.mark.parametrize(("send", "kind", "check"), SENDS)
def test_pywa_send_is_recorded_under_the_wamid_pywa_got(chat: Chat, send: Send, kind: str, check: Check) -> None:
    sent = send(chat)
    assert sent.id.startswith("wamid.")
    assert sent.from_phone_id == "106540352242922"
    record = chat.record(sent.id)
    assert (record["id"], record["type"], record["to"], record["api"]) == (sent.id, kind, ALICE, "cloud")
    assert record["api_version"] == "v26.0"
    assert record["payload"]["messaging_product"] == "whatsapp"
    assert check(record["payload"], chat), record["payload"]
    statuses = [s for s in chat.updates() if isinstance(s, MessageStatus) and s.id == sent.id]
    assert [s.status for s in statuses] == (["sent"] if kind == "reaction" else ["sent", "delivered", "read"])
    assert {s.tracker for s in statuses} == {record["payload"].get("biz_opaque_callback_data")}  # echoed on each


def test_every_kind_of_message_is_covered() -> None:
    covered = {p.values[1] for p in SENDS}
    assert covered == {"text", "interactive", "template", "location", "contacts", "reaction", *MEDIA_KINDS}


# --- mark as read, typing, media, templates, the phone number ------------------------------------------


def test_pywa_marks_a_message_read_and_shows_typing(chat: Chat) -> None:
    assert chat.bot.mark_message_as_read(chat.inbound).success
    assert chat.bot.indicate_typing(chat.inbound).success
    inbound = [
        m for m in chat.client.get(f"/_emulator/conversations/{ALICE}").json()["messages"] if m["id"] == chat.inbound
    ]
    assert inbound[0]["read_at"] == T0


def test_pywa_uploads_gets_downloads_and_deletes_media(chat: Chat, tmp_path: Path) -> None:
    mime, data = sample("document")
    uploaded = chat.bot.upload_media(media=data, mime_type=mime, filename="menu.pdf")
    url = chat.bot.get_media_url(uploaded.id)
    assert (url.id, url.mime_type, url.file_size) == (uploaded.id, mime, len(data))
    assert url.url.startswith(EMULATOR + "/")
    assert chat.bot.get_media_bytes(url.url) == data
    assert chat.bot.download_media(url=url.url, path=tmp_path, filename="menu.pdf").read_bytes() == data
    assert chat.bot.delete_media(uploaded.id).success
    with pytest.raises(pywa_errors.WhatsAppError) as gone:
        chat.bot.get_media_url(uploaded.id)
    assert (gone.value.code, gone.value.subcode) == (100, 33)


def test_pywa_creates_lists_reads_and_deletes_templates(chat: Chat) -> None:
    created = chat.bot.create_template(NAMED)
    assert created.status == t.TemplateStatus.APPROVED
    english = [t.TemplateLanguage.ENGLISH_US, t.TemplateLanguage.ENGLISH]  # pywa sends "en_US,en"
    found = chat.bot.get_templates(statuses=[t.TemplateStatus.APPROVED], languages=english)
    assert "order_ready" in [each.name for each in found]
    assert {each.language for each in found} == set(english)
    assert found.total_count == len(list(found)) and found.message_template_count > found.total_count
    details = chat.bot.get_template(created.id)
    assert (details.name, details.parameter_format) == ("order_ready", t.ParamFormat.NAMED)
    assert chat.bot.delete_template("order_ready").success
    assert "order_ready" not in [each.name for each in chat.bot.get_templates()]


def test_pywa_reads_the_business_phone_number(chat: Chat) -> None:
    number = chat.bot.get_business_phone_number()
    assert (number.id, number.display_phone_number, number.verified_name) == (
        "106540352242922",
        "15550000000",
        "Emulated Business",
    )
    assert [n.id for n in chat.bot.get_business_phone_numbers()] == ["106540352242922"]


# fmt: off
REFUSED: list[Any] = [
    pytest.param(lambda c: c.bot.send_template(ALICE, "no_such_template", t.TemplateLanguage.ENGLISH), pywa_errors.TemplateNotExists, 132001, id="template-missing"),
    pytest.param(lambda c: c.bot.send_template(ALICE, "upcoming_trip_reminder", t.TemplateLanguage.ENGLISH, TRIP[1:2]), pywa_errors.TemplateParamCountMismatch, 132000, id="template-param-count"),
    pytest.param(lambda c: c.bot.send_image(ALICE, "1234567890"), pywa_errors.MediaUploadError, 131053, id="media-unknown-id"),
    pytest.param(lambda c: c.bot.send_message("15550000000", "me?"), pywa_errors.RecipientCannotBeSender, 131021, id="to-the-business-itself"),
]
# fmt: on


@pytest.mark.parametrize(("send", "error", "code"), REFUSED)
def test_pywa_raises_its_own_exception_for_a_cloud_error(chat: Chat, send: Send, error: type, code: int) -> None:
    with pytest.raises(error) as raised:
        send(chat)
    assert raised.value.code == code
    assert raised.value.details


def test_pywa_with_an_unknown_token_gets_its_expired_token_error(chat: Chat) -> None:
    chat.bot.api._session.headers["Authorization"] = "Bearer EAAnot-a-token"
    with pytest.raises(pywa_errors.ExpiredAccessToken) as raised:
        chat.bot.send_message(ALICE, "hi")
    assert raised.value.raw_response is not None and raised.value.raw_response.status_code == 401


# --- webhooks: every one the emulator pushes, through pywa's own parser ----------------------------------


def _seen(update: Any) -> tuple[Any, ...]:
    """What a bot reads from an inbound update (statuses are checked apart)."""
    if isinstance(update, CallbackButton):
        return ("button", update.data, update.title, update.reply_to_message and update.reply_to_message.id)
    if isinstance(update, CallbackSelection):
        return ("row", update.data, update.title, update.description)
    assert isinstance(update, Message), update
    if update.type == MessageType.LOCATION:
        return ("location", update.location.latitude, update.location.longitude, update.location.name)
    if update.type == MessageType.IMAGE:
        return ("image", update.caption, update.image.mime_type, update.image.url.startswith(EMULATOR))
    return (str(update.type), update.text)


def _statuses(updates: list[Any]) -> dict[str, list[str]]:
    """Each message's statuses, in the order pywa read them."""
    found: dict[str, list[str]] = {}
    for update in updates:
        if isinstance(update, MessageStatus):
            found.setdefault(update.id, []).append(str(update.status))
    return found


def test_a_conversation_reaches_pywa_as_typed_updates(chat: Chat) -> None:
    buttons = chat.bot.send_message(ALICE, "Pizza?", buttons=[Button("Yes", "yes"), Button("No", "no")])
    drain(chat.client)
    chat.user_sends(
        ALICE,
        {
            "type": "interactive",
            "context": {"id": buttons.id},
            "interactive": {"type": "button_reply", "button_reply": {"id": "yes"}},
        },
    )
    menu = chat.bot.send_message(ALICE, "Choose a size", buttons=LIST)
    drain(chat.client)
    chat.user_sends(
        ALICE,
        {
            "type": "interactive",
            "context": {"id": menu.id},
            "interactive": {"type": "list_reply", "list_reply": {"id": "size-l"}},
        },
    )
    trip = chat.bot.send_template(ALICE, "upcoming_trip_reminder", t.TemplateLanguage.ENGLISH, TRIP)
    drain(chat.client)
    chat.user_sends(ALICE, {"type": "button", "context": {"id": trip.id}, "button": {"payload": "trip-yes"}})
    chat.user_sends(
        ALICE, {"type": "location", "location": {"latitude": 40.7829, "longitude": -73.9590, "name": "Guggenheim"}}
    )
    chat.user_sends(ALICE, {"type": "image", "image": {"caption": "my pizza"}})
    updates = chat.updates()
    assert [_seen(u) for u in updates if not isinstance(u, MessageStatus)] == [
        ("text", "hi"),
        ("button", "yes", "Yes", buttons.id),
        ("row", "size-l", "Large", "16 in"),
        ("button", "trip-yes", "Yes", trip.id),
        ("location", 40.7829, -73.959, "Guggenheim"),
        ("image", "my pizza", "image/png", True),
    ]
    assert _statuses(updates) == {m.id: ["sent", "delivered", "read"] for m in (buttons, menu, trip)}
    assert all(u.from_user.wa_id == ALICE and u.from_user.bsuid.startswith("US.") for u in updates)


CARD_SENT = {
    "name": {"formatted_name": "John Smith", "first_name": "John"},
    "phones": [{"phone": "+1 650 555 1234", "type": "CELL", "wa_id": "16505551234"}],
}
# fmt: off
INBOUND: list[Any] = [
    pytest.param({"type": "video", "video": {"caption": "the clip"}}, lambda u: u.type == MessageType.VIDEO and u.video.caption == "the clip", id="video"),
    pytest.param({"type": "audio", "audio": {}}, lambda u: u.type == MessageType.AUDIO and u.audio.voice is False and u.voice is None, id="audio"),
    pytest.param({"type": "voice", "voice": {}}, lambda u: u.type == MessageType.AUDIO and u.audio.voice is True and u.voice is not None, id="voice-note-as-audio"),
    pytest.param({"type": "document", "document": {"filename": "menu.pdf", "caption": "menu"}}, lambda u: u.document.filename == "menu.pdf" and u.caption == "menu", id="document"),
    pytest.param({"type": "sticker", "sticker": {}}, lambda u: u.type == MessageType.STICKER and u.sticker.animated is False, id="sticker"),
    pytest.param({"type": "contacts", "contacts": [CARD_SENT]}, lambda u: u.contacts[0].phones[0].wa_id == "16505551234", id="contacts"),
    pytest.param({"type": "unknown"}, lambda u: u.type == MessageType.UNSUPPORTED and u.error.code == 131051, id="unsupported-131051"),
]
# fmt: on


@pytest.mark.parametrize(("action", "check"), INBOUND)
def test_every_inbound_kind_reaches_pywa_as_a_message(
    chat: Chat, action: dict[str, Any], check: Callable[[Any], bool], tmp_path: Path
) -> None:
    chat.user_sends(ALICE, action)
    update = chat.updates()[-1]
    assert isinstance(update, Message) and check(update), update
    media = update.media
    if media is not None:
        kind = "voice" if action["type"] == "voice" else action["type"]
        assert media.download(path=tmp_path).read_bytes() == sample(kind)[1]


def test_every_webhook_is_signed_over_the_exact_bytes_the_sender_encodes(chat: Chat) -> None:
    chat.bot.send_message(ALICE, "¿Algo más? 👍")
    chat.user_sends(ALICE, {"type": "text", "text": {"body": "Sí, gracias 🙏"}})
    drain(chat.client)
    assert len(chat.receiver.bodies) == 1 + 3 + 1  # hi; sent, delivered, read; the reply
    for body, signature in chat.receiver.bodies:
        payload = json.loads(body)
        assert body == encode(payload) == body_of(payload)
        assert signature == sign(body)
    assert b"S\\u00ed, gracias \\ud83d\\ude4f" in chat.receiver.bodies[-1][0]
    assert chat.updates()[-1].text == "Sí, gracias 🙏"


# fmt: off
UNDELIVERABLE: list[Any] = [
    pytest.param(lambda c: c.bot.send_message(BRUNO, "Are you there?"), 131047, pywa_errors.ReEngagementMessage, id="outside-the-window-131047"),
    pytest.param(lambda c: c.bot.send_template(INCAPABLE, "hello_world", t.TemplateLanguage.ENGLISH_US), 131026, pywa_errors.MessageUndeliverable, id="incapable-user-131026"),
    pytest.param(lambda c: c.bot.send_message(NOT_ON_WHATSAPP, "hi"), 131026, pywa_errors.MessageUndeliverable, id="not-on-whatsapp-131026"),
]
# fmt: on


@pytest.mark.parametrize(("send", "code", "error"), UNDELIVERABLE)
def test_an_undeliverable_send_is_accepted_then_pywa_reads_a_failed_status(
    chat: Chat, send: Send, code: int, error: type
) -> None:
    sent = send(chat)
    assert sent.id.startswith("wamid.")
    (status,) = [u for u in chat.updates() if isinstance(u, MessageStatus) and u.id == sent.id]
    assert status.status == MessageStatusType.FAILED
    assert isinstance(status.error, error)
    assert (status.error.code, bool(status.error.details)) == (code, True)
    assert chat.record(sent.id)["errors"][0]["code"] == code


def test_pywa_answers_the_callback_verification_and_then_gets_webhooks(fresh_chat: Chat) -> None:
    chat = fresh_chat
    (handshake,) = chat.receiver.handshakes
    assert handshake["hub.mode"] == "subscribe" and handshake["hub.verify_token"] == chat.receiver.verify_token
    assert handshake["hub.challenge"].isdigit()
    assert isinstance(chat.updates()[0], Message)


def test_a_callback_pywa_does_not_verify_gets_no_webhooks() -> None:
    with _emulator(verify_token="the-bots-own-token") as chat:
        chat.user_sends(ALICE, {"type": "text", "text": {"body": "hi"}})
        drain(chat.client, lenient=True)  # the callback fails its handshake: nothing can go out
        (delivery,) = chat.client.get("/_emulator/webhooks").json()["webhooks"]
        assert chat.receiver.bodies == [] and len(chat.receiver.handshakes) == 1
        assert delivery["state"] == "pending"
        assert "callback verification failed: the GET answered 403" in delivery["attempts"][0]["error"]


def test_pywa_sets_callback_overrides_that_pywa_verifies(fresh_chat: Chat) -> None:
    chat = fresh_chat
    assert chat.bot.override_phone_callback_url("http://bot.test/phone-hook", chat.receiver.verify_token).success
    assert chat.bot.override_waba_callback_url("http://bot.test/waba-hook", chat.receiver.verify_token).success
    with pytest.raises(pywa_errors.WhatsAppError) as refused:
        chat.bot.override_phone_callback_url("http://bot.test/other-hook", "not-the-bots-token")
    assert "callback verification failed" in refused.value.details
    tokens = [h.get("hub.verify_token") for h in chat.receiver.handshakes[-3:]]
    assert tokens == [chat.receiver.verify_token, chat.receiver.verify_token, "not-the-bots-token"]
    assert chat.bot.delete_phone_callback_url().success and chat.bot.delete_waba_callback_url().success


def test_a_pywa_bot_replies_reads_and_downloads_through_the_update(chat: Chat, tmp_path: Path) -> None:
    chat.user_sends(ALICE, {"type": "image", "image": {"caption": "look"}})
    update = chat.updates()[-1]
    assert isinstance(update, Message) and update.image is not None
    reply = update.reply_text("Nice!", buttons=[Button("Thanks", "thanks")], quote=True)
    record = chat.record(reply.id)
    assert record["to"] == ALICE
    assert record["payload"]["recipient"] == update.from_user.bsuid  # pywa replies to the BSUID, not the number
    assert record["payload"]["context"] == {"message_id": update.id}
    assert update.mark_as_read().success
    assert update.image.download(path=tmp_path).read_bytes() == sample("image")[1]
    assert update.react("👍").id.startswith("wamid.")


@pytest.mark.parametrize(("api_version", "has_conversation"), [("23.0", True), ("24.0", False), ("26.0", False)])
def test_pywa_reads_a_conversation_on_status_webhooks_up_to_v23_only(api_version: str, has_conversation: bool) -> None:
    with _emulator(api_version=api_version) as chat:
        _open(chat)
        sent = chat.bot.send_message(ALICE, "Hello")
        sent_status, delivered = [u for u in chat.updates() if isinstance(u, MessageStatus) and u.id == sent.id][:2]
        assert chat.record(sent.id)["api_version"] == f"v{api_version}"
        assert (sent_status.conversation is not None, delivered.conversation is not None) == (has_conversation,) * 2
        assert sent_status.pricing is not None and sent_status.pricing.model == "PMP"


def test_pywa_runs_against_a_running_emulator_with_only_the_base_url_and_token_changed() -> None:
    """The recipe users follow: a plain httpx session whose base_url is moved to the emulator after pywa set it."""
    with running_emulator(["--webhook-format", "cloud"]) as emulator:
        session = httpx.Client()
        bot = WhatsApp(phone_id="106540352242922", token="wa-emulator-token", session=session)
        session.base_url = httpx.URL(f"{emulator.url}/v26.0")  # pywa 4.5 calls v26.0 unless told otherwise
        with session:
            image = httpx.post(f"{emulator.url}/_emulator/users/{ALICE}/messages", json={"type": "image", "image": {}})
            url = image.json()["message"]["image"]["url"]  # as the webhook carries it
            assert url.startswith(emulator.url + "/")
            assert bot.get_media_bytes(url) == sample("image")[1]
            sent = bot.send_message(ALICE, "Got it!")
            record = httpx.get(f"{emulator.url}/_emulator/messages/{sent.id}").json()
            assert (record["to"], record["api_version"]) == (ALICE, "v26.0")
