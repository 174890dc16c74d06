"""``assert_valid_webhook``: every payload the emulator pushes must match ``schemas/webhooks/`` (design.md).

A helper for other tests, not a test module::

    from tests.webhook_schemas import assert_valid_webhook

    assert_valid_webhook(delivery["payload"])            # On-Premises body
    assert_valid_webhook(delivery["payload"], "cloud")   # Cloud envelope
"""

from __future__ import annotations

import functools
import json
from typing import Any

from emulator.domain.reasons import Refusal
from emulator.resources import data_dir
from emulator.schemas import SchemaSet, describe

ENTRY = {
    "onprem": "webhooks/onprem/notification.json",
    "cloud": "webhooks/cloud/notification.json",
}
_SHOWN = 2000  # characters of the payload quoted in a failure


@functools.cache
def webhook_schemas() -> SchemaSet:
    """Every schema file, compiled once per test process."""
    return SchemaSet(data_dir("schemas"))


def assert_valid_webhook(payload: dict[str, Any], fmt: str = "onprem") -> None:
    """Raise AssertionError with the JSON path and the problem unless ``payload`` is a valid ``fmt`` webhook."""
    if fmt not in ENTRY:
        raise ValueError(f"unknown webhook format {fmt!r}; allowed: {', '.join(ENTRY)}")
    schemas = webhook_schemas()
    name = ENTRY[fmt]
    if schemas.is_valid(name, payload):
        return
    shown = json.dumps(payload, sort_keys=True, default=str)
    if len(shown) > _SHOWN:
        shown = shown[:_SHOWN] + "..."
    try:
        error = schemas.best_error(name, payload)
    except Refusal:  # jsonschema-rs refused what python-jsonschema accepts: still a failure
        raise AssertionError(f"{fmt} webhook rejected by jsonschema-rs only ({name}): {shown}") from None
    raise AssertionError(f"{fmt} webhook does not match {name}: {error.json_path}: {describe(error)}\n{shown}")
