"""Orders and product enquiries: what a user can buy or ask about is what the business showed them.

A *shop message* is an interactive ``product`` (one product), ``product_list`` (its sections'
products) or ``catalog_message`` (the whole catalog: any product, but the message names no
catalog, so the user's order or question gives the ``catalog_id``). An order or an enquiry names
the shop message in ``context.id``, or the latest one the user received that offers its products.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from emulator.domain.reasons import Reason, Refusal
from emulator.domain.replies import refuse
from emulator.store import Doc

SHOP_TYPES = ("product", "product_list", "catalog_message")


@dataclass(frozen=True)
class Shop:
    """What one shop message offers: its catalog (None for a catalog message) and products (None: any)."""

    record: Doc
    catalog_id: str | None
    products: frozenset[str] | None

    def offers(self, retailer_id: str) -> bool:
        """True when the user could pick this product from the message."""
        return self.products is None or retailer_id in self.products


def shop_of(record: Doc) -> Shop | None:
    """The shop a message shows, or None if it shows no products."""
    interactive = (record.get("payload") or {}).get("interactive") or {}
    action = interactive.get("action") or {}
    kind = interactive.get("type")
    if kind == "product":
        return Shop(record, action["catalog_id"], frozenset({action["product_retailer_id"]}))
    if kind == "product_list":
        items = [i["product_retailer_id"] for s in action["sections"] for i in s["product_items"]]
        return Shop(record, action["catalog_id"], frozenset(items))
    if kind == "catalog_message":
        return Shop(record, None, None)
    return None


def find_shop(replied: Doc | None, received: Iterable[Doc], wanted: list[str], path: str) -> Shop:
    """The shop message replied to, or the latest received one offering every product in ``wanted``."""
    if replied is not None:
        shop = shop_of(replied)
        if shop is None:
            raise refuse("$.context.id", f"message {replied['id']} shows no products (product, list or catalog)")
        for retailer_id in wanted:
            if not shop.offers(retailer_id):
                have = ", ".join(repr(p) for p in sorted(shop.products or ()))
                raise refuse(path, f"message {replied['id']} offers no product {retailer_id!r} (it has {have})")
        return shop
    shops = [s for s in (shop_of(r) for r in received) if s is not None]
    if not shops:
        raise refuse(path, "the user received no product, product list or catalog message to pick products from")
    for shop in reversed(shops):
        if all(shop.offers(retailer_id) for retailer_id in wanted):
            return shop
    raise refuse(path, f"no product message the user received offers {', '.join(repr(w) for w in wanted)}")


def catalog_of(shop: Shop, given: str | None, path: str) -> str:
    """The catalog id: the shop message's (a given one must agree), or the given one for a catalog message."""
    if shop.catalog_id is None:
        if not given:
            raise Refusal(Reason.MISSING_PARAMETER, f"{path}: a catalog message names no catalog: give catalog_id")
        return given
    if given and given != shop.catalog_id:
        raise refuse(path, f"message {shop.record['id']} shows catalog {shop.catalog_id}, not {given}")
    return shop.catalog_id


def order(given: dict[str, Any], replied: Doc | None, received: Iterable[Doc]) -> tuple[Doc, Doc]:
    """The order the phone sends (catalog filled in, one currency) and the shop message it came from."""
    items: list[dict[str, Any]] = given["product_items"]
    shop = find_shop(replied, received, [i["product_retailer_id"] for i in items], "$.order.product_items")
    currency = items[0]["currency"]
    for n, item in enumerate(items):
        if item["currency"] != currency:
            raise refuse(
                f"$.order.product_items[{n}].currency", f"a cart has one currency ({currency}), not {item['currency']}"
            )
    filled: Doc = {"catalog_id": catalog_of(shop, given.get("catalog_id"), "$.order.catalog_id")}
    if given.get("text"):
        filled["text"] = given["text"]
    filled["product_items"] = [
        {k: item[k] for k in ("product_retailer_id", "quantity", "item_price", "currency")} for item in items
    ]
    return filled, shop.record


def enquiry(given: dict[str, Any], replied: Doc | None, received: Iterable[Doc]) -> tuple[Doc, Doc]:
    """``context.referred_product`` as the phone fills it, and the shop message the product was seen in."""
    path = "$.context.referred_product"
    retailer_id = given["product_retailer_id"]
    shop = find_shop(replied, received, [retailer_id], f"{path}.product_retailer_id")
    catalog_id = catalog_of(shop, given.get("catalog_id"), f"{path}.catalog_id")
    return {"catalog_id": catalog_id, "product_retailer_id": retailer_id}, shop.record
