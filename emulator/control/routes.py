"""Every route of the control API (``/_emulator``), one line each."""

from __future__ import annotations

from starlette.routing import Route

from emulator.control import faults as f
from emulator.control import handlers as h
from emulator.control import journal as j
from emulator.control import reference
from emulator.control import tenants as t


def routes() -> list[Route]:
    """The control surface: paths and shapes are a contract (design.md)."""
    return [
        Route("/_emulator/health", h.health, methods=["GET"]),
        Route("/_emulator/config", h.config, methods=["GET"]),
        Route("/_emulator/reset", h.reset, methods=["POST"]),
        Route("/_emulator/clock", h.get_clock, methods=["GET"]),
        Route("/_emulator/clock", h.move_clock, methods=["POST"]),
        Route("/_emulator/messages", h.list_messages, methods=["GET"]),
        Route("/_emulator/messages/{message_id}", h.get_message, methods=["GET"]),
        Route("/_emulator/templates", h.list_templates, methods=["GET"]),
        Route("/_emulator/templates", h.add_templates, methods=["POST"]),
        Route("/_emulator/users", h.list_users, methods=["GET"]),
        Route("/_emulator/users/{wa_id}", h.get_user, methods=["GET"]),
        Route("/_emulator/users/{wa_id}", h.put_user, methods=["PUT"]),
        Route("/_emulator/users/{wa_id}/messages", h.user_sends, methods=["POST"]),
        Route("/_emulator/conversations/{wa_id}", h.conversation, methods=["GET"]),
        Route("/_emulator/webhooks", h.list_webhooks, methods=["GET"]),
        Route("/_emulator/webhooks/drain", h.drain_webhooks, methods=["POST"]),
        Route("/_emulator/webhooks/{delivery_id}", h.get_webhook, methods=["GET"]),
        Route("/_emulator/webhooks/{delivery_id}/redeliver", h.redeliver_webhook, methods=["POST"]),
        Route("/_emulator/tenants", t.list_tenants, methods=["GET"]),
        Route("/_emulator/tenants", t.create_tenant, methods=["POST"]),
        Route("/_emulator/tenants/{tenant}", t.get_tenant, methods=["GET"]),
        Route("/_emulator/tenants/{tenant}", t.delete_tenant, methods=["DELETE"]),
        Route("/_emulator/faults", f.list_faults, methods=["GET"]),
        Route("/_emulator/faults", f.add_fault, methods=["POST"]),
        Route("/_emulator/faults", f.clear_faults, methods=["DELETE"]),
        Route("/_emulator/faults/{fault_id}", f.get_fault, methods=["GET"]),
        Route("/_emulator/faults/{fault_id}", f.delete_fault, methods=["DELETE"]),
        Route("/_emulator/requests", j.list_requests, methods=["GET"]),
        Route("/_emulator/requests/{request_id}", j.get_request, methods=["GET"]),
        Route("/_emulator/openapi/{api}.json", reference.openapi, methods=["GET"]),
    ]
