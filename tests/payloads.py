"""Interactive message bodies several tests send as the bot (a product list and a flow)."""

from __future__ import annotations

from typing import Any

SHOP: dict[str, Any] = {
    "type": "product_list",
    "header": {"type": "text", "text": "Pizza"},
    "body": {"text": "Pick yours"},
    "action": {
        "catalog_id": "cat-1",
        "sections": [{"title": "All", "product_items": [{"product_retailer_id": "diavola"}]}],
    },
}
FLOW: dict[str, Any] = {
    "type": "flow",
    "body": {"text": "Book a table"},
    "action": {
        "name": "flow",
        "parameters": {
            "flow_message_version": "3",
            "flow_token": "t-1",
            "flow_id": "9",
            "flow_cta": "Book",
            "flow_action": "data_exchange",
        },
    },
}
