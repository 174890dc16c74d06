"""Webhook payload builders, one per wire format; the only place that knows the webhook envelopes.

Domain code hands over wire-neutral *content*: a dict with the optional keys ``contacts``,
``messages``, ``statuses`` and ``errors``, each exactly as the On-Premises client posts it
(reference §8.2). ``build`` turns that into what one wire format puts on the wire:

- ``onprem``: the bare object itself (§8.2);
- ``cloud``: wrapped in ``object``/``entry``/``changes`` with ``messaging_product`` and
  ``metadata`` (§12).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

WireFormat = Literal["onprem", "cloud"]

FORMATS: tuple[str, ...] = get_args(WireFormat)
CONTENT_KEYS = ("contacts", "messages", "statuses", "errors")
_KEYS = frozenset(CONTENT_KEYS)


def check_content(content: Mapping[str, Any]) -> None:
    """Raise ValueError unless ``content`` has at least one known key and no other."""
    if content and _KEYS.issuperset(content):  # the usual case, checked without building anything
        return
    unknown = sorted(set(content) - set(CONTENT_KEYS))
    if unknown:
        raise ValueError(f"webhook content has unknown keys {unknown}; allowed: {', '.join(CONTENT_KEYS)}")
    if not content:
        raise ValueError(f"webhook content is empty; give one of {', '.join(CONTENT_KEYS)}")


def build(
    fmt: str, content: Mapping[str, Any], *, business_wa_id: str, phone_number_id: str, waba_id: str
) -> dict[str, Any]:
    """The webhook body for ``content`` in wire format ``fmt`` ("onprem" or "cloud")."""
    check_content(content)
    bare = {key: content[key] for key in CONTENT_KEYS if key in content}
    if fmt == "onprem":
        return bare
    if fmt == "cloud":
        value = {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": business_wa_id, "phone_number_id": phone_number_id},
            **bare,
        }
        return {
            "object": "whatsapp_business_account",
            "entry": [{"id": waba_id, "changes": [{"field": "messages", "value": value}]}],
        }
    raise ValueError(f"unknown webhook format {fmt!r}; allowed: {', '.join(FORMATS)}")
