"""Outbound webhooks: payload builders per wire format and the one delivery queue."""

from __future__ import annotations

from emulator.webhooks.config import WebhookConfig
from emulator.webhooks.payloads import FORMATS, WireFormat, build
from emulator.webhooks.queue import KIND, DeliveryQueue
from emulator.webhooks.sender import DELIVERED, FAILED, PENDING, STATES

__all__ = [
    "DELIVERED",
    "FAILED",
    "FORMATS",
    "KIND",
    "PENDING",
    "STATES",
    "DeliveryQueue",
    "WebhookConfig",
    "WireFormat",
    "build",
]
