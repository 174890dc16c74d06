"""The page in a real browser: Playwright drives Debian's Chromium (headless) against a real emulator process.

The emulator's webhooks go to a real HTTP receiver, so a tap in the page is checked where a bot would
see it. Nothing sleeps: Playwright's expectations auto-wait, and the receiver waits with a deadline.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser import CHROMIUM, chromium
from tests.conftest import basic, bearer
from tests.process import RunningEmulator, running_emulator, running_process
from tests.webhook_server import WebhookServer, webhook_server

ALICE = "15550001111"
BOT = Path(__file__).resolve().parents[1] / "examples" / "echo_bot" / "bot.py"
# a 1x1 PNG
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

BUTTONS = {
    "type": "button",
    "header": {"type": "text", "text": "Your order"},
    "body": {"text": "Shall we deliver *today*?"},
    "footer": {"text": "Trattoria"},
    "action": {
        "buttons": [
            {"type": "reply", "reply": {"id": "yes", "title": "Yes please"}},
            {"type": "reply", "reply": {"id": "no", "title": "No"}},
        ]
    },
}
LIST = {
    "type": "list",
    "header": {"type": "text", "text": "Menu"},
    "body": {"text": "Pick a dish"},
    "footer": {"text": "Prices include VAT"},
    "action": {
        "button": "Choose a dish",
        "sections": [
            {
                "title": "Mains",
                "rows": [
                    {"id": "pizza", "title": "Pizza", "description": "Margherita"},
                    {"id": "pasta", "title": "Pasta"},
                ],
            },
            {"title": "Light", "rows": [{"id": "salad", "title": "Greek salad"}]},
        ],
    },
}


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookServer]:
    with webhook_server() as server:
        yield server


@pytest.fixture(scope="module")
def emulator(receiver: WebhookServer) -> Iterator[RunningEmulator]:
    with running_emulator(["--seed", "5", "--webhook-url", receiver.url]) as running:
        yield running


@pytest.fixture(scope="module")
def api(emulator: RunningEmulator) -> Iterator[httpx.Client]:
    """A client of both APIs, logged in like a bot."""
    with httpx.Client(base_url=emulator.url, timeout=10) as client:
        token = client.post("/v1/users/login", headers=basic()).json()["users"][0]["token"]
        client.headers.update(bearer(token))
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    """Debian's Chromium, headless, with a fresh profile (Playwright's own browser download cannot be used here)."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium)")
    with chromium() as context:
        context.set_default_timeout(10_000)
        yield context


@pytest.fixture
def page(
    browser: BrowserContext, api: httpx.Client, receiver: WebhookServer, emulator: RunningEmulator
) -> Iterator[Page]:
    """A fresh emulator state and a page open on Alice's chat, connected to the live stream."""
    assert api.post("/_emulator/reset").status_code == 200
    receiver.clear()
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{emulator.url}/_emulator/ui#{ALICE}")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    yield page
    page.close()
    assert not errors, errors


def user_says(api: httpx.Client, text: str, wa_id: str = ALICE) -> None:
    response = api.post(f"/_emulator/users/{wa_id}/messages", json={"type": "text", "text": {"body": text}})
    assert response.status_code == 200, response.text


def bot_sends(api: httpx.Client, kind: str, content: Any, to: str = ALICE) -> str:
    response = api.post("/v1/messages", json={"to": to, "type": kind, kind: content})
    assert response.status_code == 201, response.text
    message_id: str = response.json()["messages"][0]["id"]
    return message_id


def bubble(page: Page, message_id: str) -> Any:
    return page.locator(f'.row[data-id="{message_id}"]')


def test_a_reply_button_message_shows_its_buttons_under_the_bubble(page: Page, api: httpx.Client) -> None:
    user_says(api, "hi")
    message_id = bot_sends(api, "interactive", BUTTONS)
    row = bubble(page, message_id)
    expect(row.locator(".reply-buttons .reply-button")).to_have_text(["Yes please", "No"])
    expect(row.locator(".bubble .header")).to_have_text("Your order")
    expect(row.locator(".bubble .text strong")).to_have_text("today")
    expect(row.locator(".bubble .footer")).to_have_text("Trattoria")


def test_tapping_a_reply_button_delivers_a_button_reply_webhook(
    page: Page, api: httpx.Client, receiver: WebhookServer
) -> None:
    user_says(api, "hi")
    message_id = bot_sends(api, "interactive", BUTTONS)
    bubble(page, message_id).locator(".reply-button", has_text="Yes please").click()
    reply = receiver.wait_for_message(lambda m: m["type"] == "interactive")
    assert reply["interactive"] == {"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes please"}}
    assert reply["context"]["id"] == message_id
    expect(page.locator(".row.from-user .text").last).to_have_text("Yes please")


def test_a_list_opens_its_sections_and_the_picked_row_arrives(
    page: Page, api: httpx.Client, receiver: WebhookServer
) -> None:
    user_says(api, "hi")
    message_id = bot_sends(api, "interactive", LIST)
    bubble(page, message_id).locator(".list-button").click()
    sheet = page.locator("dialog.sheet")
    expect(sheet.locator("h2")).to_have_text("Choose a dish")
    expect(sheet.locator(".list-section-title")).to_have_text(["Mains", "Light"])
    expect(sheet.locator(".list-row-title")).to_have_text(["Pizza", "Pasta", "Greek salad"])
    expect(sheet.locator(".sheet-send")).to_be_disabled()
    sheet.locator(".list-row", has_text="Greek salad").click()
    sheet.locator(".sheet-send").click()
    reply = receiver.wait_for_message(lambda m: m["type"] == "interactive")
    assert reply["interactive"]["list_reply"] == {"id": "salad", "title": "Greek salad"}
    assert reply["context"]["id"] == message_id
    expect(sheet).to_have_count(0)


def test_ticks_turn_read_live_when_the_clock_passes_the_read_delay(page: Page, api: httpx.Client) -> None:
    assert api.put(f"/_emulator/users/{ALICE}", json={"read_delay_s": 600}).status_code == 200
    user_says(api, "hi")
    message_id = bot_sends(api, "text", {"body": "Your table is ready"})
    ticks = bubble(page, message_id).locator(".ticks")
    expect(ticks).to_have_attribute("data-status", "delivered")
    page.evaluate("window.notReloaded = true")
    assert api.post("/_emulator/clock", json={"advance": 601}).status_code == 200
    expect(ticks).to_have_attribute("data-status", "read")
    expect(ticks).to_have_class("icon-wrap ticks status-read")
    assert page.evaluate("window.notReloaded") is True


def test_text_formatting_is_rendered_and_html_is_shown_as_text(page: Page, api: httpx.Client) -> None:
    user_says(api, "hi")
    body = "<script>window.pwned = 1</script><img src=x onerror='window.pwned = 2'> *bold* _italic_ ~gone~ ```mono```"
    text = bubble(page, bot_sends(api, "text", {"body": body})).locator(".text")
    expect(text).to_contain_text("<script>window.pwned = 1</script><img src=x onerror='window.pwned = 2'>")
    expect(text.locator("strong")).to_have_text("bold")
    expect(text.locator("em")).to_have_text("italic")
    expect(text.locator("s")).to_have_text("gone")
    expect(text.locator("code")).to_have_text("mono")
    expect(text.locator("script, img")).to_have_count(0)
    assert page.evaluate("window.pwned") is None


def test_typing_a_text_sends_it_as_the_user(page: Page, receiver: WebhookServer) -> None:
    page.locator("#composer-text").fill("Table for two at 8?")
    page.locator("#composer-text").press("Enter")
    message = receiver.wait_for_message(lambda m: m["type"] == "text")
    assert message["text"] == {"body": "Table for two at 8?"} and message["from"] == ALICE
    expect(page.locator(".row.from-user .text")).to_have_text(["Table for two at 8?"])
    expect(page.locator("#window")).to_have_attribute("data-open", "true")


def test_a_template_is_hydrated_and_its_quick_reply_sends_the_payload(
    page: Page, api: httpx.Client, receiver: WebhookServer
) -> None:
    template = {
        "name": "order_confirmation",
        "language": {"policy": "deterministic", "code": "en_US"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": t} for t in ("Alice", "#42", "$12.50", "Friday")]},
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "1",
                "parameters": [{"type": "payload", "payload": "agent:42"}],
            },
        ],
    }
    row = bubble(page, bot_sends(api, "template", template))
    expect(row.locator(".text")).to_have_text(
        "Hi Alice, thanks for your order #42! We charged $12.50 and will deliver it on Friday."
    )
    expect(row.locator(".footer")).to_have_text("Questions? Just reply to this message.")
    expect(row.locator(".reply-button")).to_have_text(["View order", "Talk to an agent"])
    row.locator(".reply-button", has_text="Talk to an agent").click()
    reply = receiver.wait_for_message(lambda m: m["type"] == "button")
    assert reply["button"] == {"payload": "agent:42", "text": "Talk to an agent"}


def test_sharing_a_location_sends_it(page: Page, receiver: WebhookServer) -> None:
    page.locator("#attach").click()
    page.locator("#attach-location").click()
    page.locator("dialog.sheet input[name=name]").fill("Trattoria")
    page.locator("dialog.sheet .sheet-send").click()
    message = receiver.wait_for_message(lambda m: m["type"] == "location")
    assert message["location"] == {
        "latitude": 40.7829,
        "longitude": -73.9654,
        "name": "Trattoria",
        "address": "New York, NY",
    }
    expect(page.locator(".row.from-user .loc-name")).to_have_text("Trattoria")


def test_sending_a_photo_uploads_it_and_shows_it(page: Page, receiver: WebhookServer) -> None:
    page.locator("#composer-text").fill("my dog")
    page.locator("#photo-input").set_input_files({"name": "dog.png", "mimeType": "image/png", "buffer": PIXEL})
    message = receiver.wait_for_message(lambda m: m["type"] == "image")
    assert message["image"]["mime_type"] == "image/png" and message["image"]["caption"] == "my dog"
    image = page.locator(".row.from-user .media img")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.decode().then(() => img.naturalWidth)") == 1


def test_the_bot_s_media_location_and_contacts_are_shown(page: Page, api: httpx.Client) -> None:
    user_says(api, "hi")
    image = bubble(page, bot_sends(api, "image", {"link": "https://media.example.com/menu.png", "caption": "Today"}))
    expect(image.locator(".media-link")).to_have_text("https://media.example.com/menu.png")
    expect(image.locator(".caption")).to_have_text("Today")
    place = bubble(
        page, bot_sends(api, "location", {"latitude": 41.9, "longitude": 12.5, "name": "Roma", "address": "Piazza"})
    )
    expect(place.locator(".loc-coords")).to_have_text("41.9, 12.5")
    card = {
        "name": {"formatted_name": "Mario Rossi", "first_name": "Mario"},
        "phones": [{"phone": "+39 06 123", "type": "WORK"}],
    }
    contact = bubble(page, bot_sends(api, "contacts", [card]))
    expect(contact.locator(".contact-name")).to_have_text("Mario Rossi")


def test_a_bubble_shows_its_exact_json_and_webhook_attempts(page: Page, api: httpx.Client) -> None:
    user_says(api, "hi")
    message_id = bot_sends(api, "text", {"body": "Ciao *amici*"})
    bubble(page, message_id).locator(".text").click()
    details = page.locator("#details")
    expect(details.locator("h2")).to_have_text("Sent by the bot")
    expect(details.locator(".details-section pre.json").first).to_contain_text('"body": "Ciao *amici*"')
    expect(details.locator(".delivery")).to_have_count(2)  # delivered, read (sent is off by default)
    expect(details.locator(".delivery .attempts td", has_text="HTTP 200")).to_have_count(2)
    page.locator(".row.from-user .text", has_text="hi").click()
    expect(details.locator("h2")).to_have_text("Sent by the user")
    expect(details.locator(".delivery-state")).to_have_text(["delivered"])


def test_a_failed_message_shows_the_error_code_and_title(page: Page, api: httpx.Client) -> None:
    message_id = bot_sends(api, "text", {"body": "Hello?"})  # Alice never wrote: the window is closed
    row = bubble(page, message_id)
    expect(row.locator(".ticks")).to_have_attribute("data-status", "failed")
    expect(row.locator(".failure")).to_have_text("Not delivered: 470 Re-engagement message")
    expect(page.locator("#window")).to_have_attribute("data-open", "false")


def test_moving_the_clock_closes_the_window_and_reset_empties_the_chat(page: Page, api: httpx.Client) -> None:
    user_says(api, "hi")
    expect(page.locator("#window")).to_contain_text("Window open · 23:59:")
    page.locator("[data-advance='86400']").click()
    expect(page.locator("#window")).to_have_text("Window closed · only templates reach the user")
    expect(page.locator("#clock-offset")).to_have_text("+24 h 0 min")
    page.locator("#reset").click()
    expect(page.locator(".row")).to_have_count(0)
    expect(page.locator("#clock-offset")).to_have_text("")


def test_the_clock_field_takes_a_duration_as_scripts_write_it(page: Page, api: httpx.Client) -> None:
    page.locator("#advance-input").fill("1d 2H")  # spaces and case as a person types them
    page.locator("#advance-input").press("Enter")
    expect(page.locator("#clock-offset")).to_have_text("+1 d 2 h")
    expect(page.locator("#advance-input")).to_have_value("")
    page.locator("#advance-input").fill("soon")
    page.locator("#advance-input").press("Enter")
    expect(page.locator("#advance-input")).to_have_value("soon")  # refused by the emulator: kept, and said
    assert api.get("/_emulator/clock").json()["offset"] == 26 * 3600


def test_the_conversation_downloads_as_a_replay_script(page: Page) -> None:
    link = page.locator("#script-link")
    expect(link).to_have_attribute(
        "href", f"{page.url.split('/_emulator')[0]}/_emulator/conversations/{ALICE}?format=script"
    )


def test_the_sidebar_shows_users_with_their_latest_message_and_window(page: Page, api: httpx.Client) -> None:
    user_says(api, "hello from Bruno", wa_id="15550002222")
    bruno = page.locator(".chat-item[data-wa-id='15550002222']")
    expect(bruno.locator(".chat-preview")).to_have_text("hello from Bruno")
    expect(bruno.locator(".window-badge")).to_have_class("window-badge open")
    expect(page.locator(".chat-item").first).to_have_attribute("data-wa-id", "15550002222")
    expect(page.locator(".chat-item[data-wa-id='15550003333'] .window-badge")).to_have_text("closed")
    bruno.click()
    expect(page.locator("#chat-name")).to_have_text("Bruno Costa")
    expect(page.locator(".row.from-user .text")).to_have_text(["hello from Bruno"])


def test_a_whole_conversation_with_the_example_bot_is_held_in_the_page(browser: BrowserContext) -> None:
    with running_emulator(["--seed", "1"]) as emulator:
        argv = [sys.executable, str(BOT), "--api", emulator.url, "--port", "0", "--host", "127.0.0.1"]
        with running_process(argv, r"bot listening on (http://\S+)"):
            page = browser.new_page()
            page.goto(f"{emulator.url}/_emulator/ui#{ALICE}")
            expect(page.locator("#live")).to_have_attribute("data-state", "live")
            bot = page.locator(".row.from-business")
            page.locator("#composer-text").fill("hi")
            page.locator("#composer-text").press("Enter")
            expect(bot.last.locator(".reply-button")).to_have_text(["See the menu", "Help"])
            bot.last.locator(".reply-button", has_text="See the menu").click()
            expect(bot).to_have_count(2)
            bot.last.locator(".list-button").click()
            page.locator("dialog.sheet .list-row", has_text="Pasta al pomodoro").click()
            page.locator("dialog.sheet .sheet-send").click()
            expect(bot).to_have_count(3)
            expect(bot.last.locator(".template-name")).to_contain_text("order_confirmation")
            bot.last.locator(".reply-button", has_text="Talk to an agent").click()
            expect(bot.last.locator(".text")).to_have_text("Thanks, agent:#PASTA-1 noted")
            page.locator("#attach").click()
            page.locator("#attach-location").click()
            page.locator("dialog.sheet .sheet-send").click()
            expect(bot.last.locator(".text")).to_have_text("You are at 40.7829, -73.9654")
            for ticks in page.locator(".row.from-user .ticks").all():  # blue: the bot marked each one as read
                expect(ticks).to_have_attribute("data-status", "read")
            page.close()


def test_a_tap_the_emulator_refuses_shows_its_error(page: Page, api: httpx.Client, receiver: WebhookServer) -> None:
    assert api.put(f"/_emulator/users/{ALICE}", json={"online": False}).status_code == 200
    user_says(api, "hi")
    message_id = bot_sends(api, "interactive", BUTTONS)  # never delivered to an offline phone
    row = bubble(page, message_id)
    expect(row.locator(".ticks")).to_have_attribute("data-status", "sent")
    receiver.wait_for_message(lambda m: m["type"] == "text")
    row.locator(".reply-button", has_text="No").click()
    expect(page.locator("#toast")).to_contain_text(
        f"1009 Parameter value is not valid: $.context.id: message {message_id}"
    )
    assert [m["type"] for m in receiver.messages()] == ["text"]


# --- Cloud API sends: the same bubbles, and the Cloud-only shapes ---------------------------------------

PICKUP = {
    "name": "pickup",
    "language": "en_US",
    "category": "UTILITY",
    "parameter_format": "NAMED",
    "components": [
        {"type": "BODY", "text": "Hi {{first_name}}, order {{order_id}} is ready at {{store}}."},
        {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "On my way"}]},
    ],
}


def graph_sends(api: httpx.Client, kind: str, content: Any, to: str = ALICE) -> str:
    """A send through the Cloud API (POST /v22.0/{phone_number_id}/messages with the static token)."""
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": kind, kind: content}
    headers = {"Authorization": "Bearer wa-emulator-token"}
    response = api.post("/v22.0/106540352242922/messages", json=body, headers=headers)
    assert response.status_code == 200, response.text
    message_id: str = response.json()["messages"][0]["id"]
    assert message_id.startswith("wamid.")
    return message_id


def test_cloud_api_messages_are_shown_as_the_phone_shows_them(
    page: Page, api: httpx.Client, receiver: WebhookServer
) -> None:
    hi = api.post(f"/_emulator/users/{ALICE}/messages", json={"type": "text", "text": {"body": "hi"}}).json()["message"]
    link = bubble(page, graph_sends(api, "text", {"body": "Menu: https://trattoria.example/menu", "preview_url": True}))
    expect(link.locator(".link-host")).to_have_text("trattoria.example")
    expect(link.locator(".text")).to_have_text("Menu: https://trattoria.example/menu")
    cta_url = {"display_text": "Track order", "url": "https://trattoria.example/t/7"}
    cta = {
        "type": "cta_url",
        "body": {"text": "Your order is on its way"},
        "action": {"name": "cta_url", "parameters": cta_url},
    }
    cta_row = bubble(page, graph_sends(api, "interactive", cta))
    expect(cta_row.locator(".text")).to_have_text("Your order is on its way")
    expect(cta_row.locator(".link-action")).to_have_text("Track order")
    expect(cta_row.locator(".link-action")).to_have_attribute("title", "https://trattoria.example/t/7 (not followed)")
    image = bubble(page, graph_sends(api, "image", {"link": "https://trattoria.example/p.png", "caption": "Today"}))
    expect(image.locator(".media-link")).to_have_text("https://trattoria.example/p.png")
    upload = api.post(
        "/v22.0/106540352242922/media",
        files={"file": ("p.png", PIXEL, "image/png")},
        data={"messaging_product": "whatsapp", "type": "image/png"},
        headers={"Authorization": "Bearer wa-emulator-token"},
    )
    photo = bubble(page, graph_sends(api, "image", {"id": upload.json()["id"]})).locator(".media img")
    expect(photo).to_be_visible()  # a Cloud media id, fetched by the page like any other

    assert api.post("/_emulator/templates", json=PICKUP).status_code == 201
    params = [("store", "Via Roma"), ("first_name", "Alice"), ("order_id", "#7")]  # named: any order
    body = {"type": "BODY", "parameters": [{"type": "text", "parameter_name": n, "text": v} for n, v in params]}
    quick = {
        "type": "BUTTON",
        "sub_type": "QUICK_REPLY",
        "index": 0,
        "parameters": [{"type": "payload", "payload": "omw"}],
    }
    template = {"name": "pickup", "language": {"code": "en_US"}, "components": [body, quick]}
    row = bubble(page, graph_sends(api, "template", template))
    expect(row.locator(".text")).to_have_text("Hi Alice, order #7 is ready at Via Roma.")
    row.locator(".reply-button", has_text="On my way").click()
    assert receiver.wait_for_message(lambda m: m["type"] == "button")["button"] == {
        "payload": "omw",
        "text": "On my way",
    }

    mine = bubble(page, hi["id"])
    reaction = bubble(page, graph_sends(api, "reaction", {"message_id": hi["id"], "emoji": "👍"}))
    expect(reaction.locator(".reaction-note")).to_have_text("Reacted 👍 to “hi”")
    expect(mine.locator(".reaction-badge")).to_have_text("👍")
    graph_sends(api, "reaction", {"message_id": hi["id"], "emoji": ""})
    expect(mine.locator(".reaction-badge")).to_have_count(0)
    expect(page.locator(f".chat-item[data-wa-id='{ALICE}'] .chat-preview")).to_have_text("Removed a reaction")

    link.locator(".text").click()
    expect(page.locator("#details .details-section h3").first).to_have_text(
        "Request body (Cloud API: POST /v22.0/{phone_number_id}/messages)"
    )


PRODUCTS = {
    "type": "product_list",
    "header": {"type": "text", "text": "Pizza"},
    "body": {"text": "Pick yours"},
    "action": {
        "catalog_id": "cat-1",
        "sections": [
            {
                "title": "All",
                "product_items": [{"product_retailer_id": "margherita"}, {"product_retailer_id": "diavola"}],
            }
        ],
    },
}
FLOW = {
    "type": "flow",
    "body": {"text": "Book a table"},
    "action": {
        "name": "flow",
        "parameters": {
            "flow_message_version": "3",
            "flow_token": "booking-7",
            "flow_id": "55",
            "flow_cta": "Book now",
            "flow_action": "navigate",
            "flow_action_payload": {"screen": "WHEN"},
        },
    },
}


def test_reacting_to_a_message_and_removing_the_reaction(
    page: Page, api: httpx.Client, receiver: WebhookServer
) -> None:
    user_says(api, "hi")
    message_id = bot_sends(api, "text", {"body": "Your pizza is on its way"})
    row = bubble(page, message_id)
    row.locator(".react-button").click()
    page.locator("dialog.sheet .emoji", has_text="👍").click()
    reaction = receiver.wait_for_message(lambda m: m["type"] == "reaction")
    assert reaction["reaction"] == {"message_id": message_id, "emoji": "👍"}
    expect(row.locator(".reaction")).to_have_text("👍")
    row.locator(".react-button").click()
    page.locator("dialog.sheet .sheet-send", has_text="Remove reaction").click()
    removed = receiver.wait_for_message(lambda m: m["type"] == "reaction" and "emoji" not in m["reaction"])
    assert removed["reaction"] == {"message_id": message_id}
    expect(row.locator(".reaction")).to_have_count(0)


def test_picking_products_places_an_order(page: Page, api: httpx.Client, receiver: WebhookServer) -> None:
    user_says(api, "hi")
    message_id = bot_sends(api, "interactive", PRODUCTS)
    bubble(page, message_id).locator(".products-button").click()
    sheet = page.locator("dialog.sheet")
    expect(sheet.locator("h2")).to_have_text("View items")
    sheet.get_by_label("diavola").fill("2")
    sheet.locator("input[name=currency]").fill("EUR")
    sheet.locator(".sheet-send").click()
    order = receiver.wait_for_message(lambda m: m["type"] == "order")
    assert order["order"] == {
        "catalog_id": "cat-1",
        "product_items": [{"product_retailer_id": "diavola", "quantity": 2, "item_price": 9.99, "currency": "EUR"}],
    }
    assert order["context"]["id"] == message_id
    expect(page.locator(".row.from-user .order-total")).to_have_text("Total 19.98 EUR")


def test_filling_a_flow_sends_its_response_with_the_token(
    page: Page, api: httpx.Client, receiver: WebhookServer
) -> None:
    user_says(api, "hi")
    message_id = bot_sends(api, "interactive", FLOW)
    bubble(page, message_id).locator(".flow-button", has_text="Book now").click()
    page.locator("dialog.sheet textarea").fill('{"party": "4", "time": "20:00"}')
    page.locator("dialog.sheet .sheet-send").click()
    reply = receiver.wait_for_message(lambda m: m["type"] == "interactive")
    nfm = reply["interactive"]["nfm_reply"]
    assert json.loads(nfm["response_json"]) == {"flow_token": "booking-7", "party": "4", "time": "20:00"}
    expect(page.locator(".row.from-user .flow-line")).to_have_text(["party: 4", "time: 20:00"])


def test_writing_from_an_ad_sends_the_referral(page: Page, receiver: WebhookServer) -> None:
    page.locator("#attach").click()
    page.locator("#attach-ad").click()
    page.locator("dialog.sheet input[name=headline]").fill("2 for 1 pizza")
    page.locator("dialog.sheet .sheet-send").click()
    message = receiver.wait_for_message(lambda m: "referral" in m)
    assert message["text"] == {"body": "Hi! I saw your ad"}
    assert message["referral"]["headline"] == "2 for 1 pizza" and message["referral"]["source_type"] == "ad"
    expect(page.locator(".row.from-user .ad-headline")).to_have_text("2 for 1 pizza")


def test_a_tenants_page_picks_tenants_and_lists_its_active_faults(
    browser: BrowserContext, api: httpx.Client, emulator: RunningEmulator
) -> None:
    api.post("/t/acme/_emulator/users/15550002222/messages", json={"type": "text", "text": {"body": "from acme"}})
    rule = {"match": {"path": "/v1/messages"}, "action": {"error": 1011}, "times": 2}
    assert api.post("/t/acme/_emulator/faults", json=rule).status_code == 201
    page = browser.new_page()
    try:
        page.goto(f"{emulator.url}/t/acme/_emulator/ui")
        expect(page.locator("#live")).to_have_attribute("data-state", "live")
        expect(page.locator("#tenant")).to_have_value("acme")
        expect(page.locator("#chats .chat-name")).to_contain_text(["Bruno Costa"])
        expect(page.locator("#faults .fault-what")).to_have_text(["/v1/messages: error 1011 (next 2)"])
        page.locator("#faults .fault-remove").click()
        expect(page.locator("#faults")).to_be_hidden()
        assert api.get("/t/acme/_emulator/faults").json()["faults"] == []
        page.locator("#tenant").select_option("default")
        expect(page).to_have_url(f"{emulator.url}/_emulator/ui")
        expect(page.locator("#tenant")).to_have_value("default")
    finally:
        page.close()


def test_the_requests_tab_shows_refused_calls_in_red_and_their_body_and_answer(page: Page, api: httpx.Client) -> None:
    user_says(api, "hi")
    accepted = bot_sends(api, "text", {"body": "Ciao"})
    refused = api.post("/v1/messages", json={"to": ALICE, "type": "text", "text": {"body": ""}})
    assert refused.status_code == 400
    expect(page.locator("#refused-count")).to_have_text("1")
    page.locator("#tab-requests").click()
    expect(page.locator("#refused-count")).to_be_hidden()
    items = page.locator(".request-item")
    expect(items).to_have_count(2)  # newest first: the refused send, then the accepted one
    expect(items.first).to_have_class("request-item refused")
    expect(items.first.locator(".request-error")).to_have_text("1009 Parameter value is not valid")
    expect(items.nth(1).locator(".request-status")).to_have_text("201")
    items.first.click()
    details = page.locator("#details")
    expect(details.locator("h2")).to_have_text("POST /v1/messages")
    expect(details.locator(".request-refusal")).to_contain_text("$.text.body: must not be empty")
    expect(details.locator("pre.json").first).to_contain_text('"body": ""')
    expect(details.locator("pre.json").nth(1)).to_contain_text('"code": 1009')
    items.nth(1).click()
    expect(details.locator(".request-accepted")).to_have_text(f"HTTP 201 · message {accepted}")


def test_the_api_reference_shows_each_api_s_operations_and_schemas(
    browser: BrowserContext, emulator: RunningEmulator
) -> None:
    page = browser.new_page()
    page.goto(f"{emulator.url}/_emulator/ui/api#cloud")
    operation = page.locator("#post_phone_number_id_messages")
    expect(operation.locator(".path")).to_have_text("/{version}/{phone_number_id}/messages")
    operation.locator("summary").click()
    operation.locator("a.ref", has_text="cloud.messages.message").click()
    expect(page.locator("#schema-cloud\\.messages\\.message")).to_have_attribute("open", "")
    page.locator("#apis button[data-api='onprem']").click()
    expect(page.locator("#post_v1_messages .path")).to_have_text("/v1/messages")
    page.close()
