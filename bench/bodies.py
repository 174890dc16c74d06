"""The sends the benchmark makes: text, reply buttons and a list, through either API."""

from __future__ import annotations

from typing import Any

USER = "15550001111"
PHONE_NUMBER_ID = "106540352242922"  # the default --phone-number-id
CLOUD_PATH = f"/v21.0/{PHONE_NUMBER_ID}/messages"
ONPREM_PATH = "/v1/messages"

TEXT: dict[str, Any] = {"to": USER, "type": "text", "text": {"body": "Your order *A-1027* has shipped."}}
BUTTONS: dict[str, Any] = {
    "to": USER,
    "type": "interactive",
    "interactive": {
        "type": "button",
        "header": {"type": "text", "text": "Delivery"},
        "body": {"text": "When should we deliver?"},
        "footer": {"text": "Reply below"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "today", "title": "Today"}},
                {"type": "reply", "reply": {"id": "tomorrow", "title": "Tomorrow"}},
                {"type": "reply", "reply": {"id": "later", "title": "Later"}},
            ]
        },
    },
}
LIST: dict[str, Any] = {
    "to": USER,
    "type": "interactive",
    "interactive": {
        "type": "list",
        "header": {"type": "text", "text": "Menu"},
        "body": {"text": "Pick a dish"},
        "action": {
            "button": "See dishes",
            "sections": [
                {
                    "title": "Mains",
                    "rows": [{"id": f"main-{i}", "title": f"Main {i}", "description": "Tasty"} for i in range(5)],
                },
                {"title": "Desserts", "rows": [{"id": f"dessert-{i}", "title": f"Dessert {i}"} for i in range(5)]},
            ],
        },
    },
}
BODIES = {"text": TEXT, "buttons": BUTTONS, "list": LIST}
APIS = {"onprem": ONPREM_PATH, "cloud": CLOUD_PATH}


def for_api(api: str, body: dict[str, Any]) -> dict[str, Any]:
    """The body as ``api`` takes it: Cloud sends name the messaging product."""
    return {"messaging_product": "whatsapp", **body} if api == "cloud" else body
