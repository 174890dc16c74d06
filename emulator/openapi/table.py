"""The route table the OpenAPI documents are built from: each operation's path, method, body schema and answer.

Shapes are never written here: a body names its schema file in ``schemas/`` (the one the handler
validates with), an answer names a ``$defs`` entry of ``schemas/responses/<api>.json``. Only query and
path parameters, which no schema file holds, are described inline. ``tests/test_openapi.py`` checks
that this table and the app's routes list the same operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RAW = "raw"  # a body of any bytes, its Content-Type its MIME type (media upload)
MULTIPART = "multipart:"  # prefix: a multipart form whose fields the named schema describes
BINARY = "binary"  # an answer of raw bytes (media download)
NONE = ""

STRING: dict[str, Any] = {"type": "string"}
DIGITS: dict[str, Any] = {"type": "string", "pattern": "^[0-9]+$"}
SECONDS: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 60}


@dataclass(frozen=True)
class Param:
    """A query or path parameter."""

    name: str
    description: str = ""
    schema: dict[str, Any] = field(default_factory=lambda: STRING)
    where: str = "query"
    required: bool = False


@dataclass(frozen=True)
class Op:
    """One operation: its body's schema file ("a.json|b.json" for either, MULTIPART + file, RAW or NONE), its answer."""

    method: str
    path: str
    body: str
    answer: str  # a $defs entry of schemas/responses/<api>.json, or BINARY
    summary: str
    params: tuple[Param, ...] = ()
    status: int = 200
    optional: bool = False  # the body may be left out
    auth: str = "bearer"  # security scheme, NONE for none
    also: str = ""  # another content type the answer may have
    also_statuses: tuple[int, ...] = ()  # other success statuses with the same answer


def in_path(name: str, description: str, schema: dict[str, Any] | None = None) -> Param:
    """A path parameter (always required)."""
    return Param(name, description, schema or STRING, "path", True)


MESSAGE = (in_path("message_id", "the id of a message"),)
TENANT = (in_path("tenant", "a tenant's name"),)
FAULT = (in_path("fault_id", "the id of a fault rule"),)
MEDIA = (in_path("media_id", "an id from POST /v1/media"),)

ONPREM = (
    Op(
        "POST", "/v1/users/login", "onprem/login.json", "login", "Basic auth in, token out", optional=True, auth="basic"
    ),
    Op("POST", "/v1/users/logout", NONE, "empty", "Revoke the token used"),
    Op("POST", "/v1/contacts", "onprem/contacts.json", "contacts", "Which numbers are WhatsApp users"),
    Op("POST", "/v1/messages", "onprem/messages/message.json", "message_created", "Send a message", status=201),
    Op("PUT", "/v1/messages/{message_id}", "onprem/mark_read.json", "empty", "Mark an inbound message read", MESSAGE),
    Op("POST", "/v1/media", RAW, "media_created", "Upload media, its MIME type as Content-Type", status=201),
    Op("GET", "/v1/media/{media_id}", NONE, BINARY, "Download media: the bytes and type uploaded", MEDIA),
    Op("DELETE", "/v1/media/{media_id}", NONE, "empty", "Forget media", MEDIA),
    Op("GET", "/v1/settings/application", NONE, "settings", "The application settings (the webhook URL among them)"),
    Op("PATCH", "/v1/settings/application", "onprem/settings_application.json", "empty", "Change the fields given"),
    Op("DELETE", "/v1/settings/application", NONE, "empty", "Back to the default settings"),
    Op("GET", "/v1/health", NONE, "health", "The gateway's health"),
)

VERSION = in_path(
    "version",
    "a Graph version such as v22.0 (every path works without it too)",
    {"type": "string", "pattern": r"^v[0-9]{1,2}\.[0-9]$", "example": "v22.0"},
)
PHONE = (VERSION, in_path("phone_number_id", "the business number's id", {**DIGITS, "example": "106540352242922"}))
WABA = (VERSION, in_path("waba_id", "the WhatsApp Business Account's id", {**DIGITS, "example": "102290129340398"}))
NODE = (VERSION, in_path("node_id", "the phone number, the WABA, an uploaded media or a template", DIGITS))
FILTERS = tuple(Param(name, f"only templates with this {name}") for name in ("name", "status", "language", "category"))
BY_NAME = (Param("name", "the template's name", required=True), Param("hsm_id", "only the template with this id"))
FIELDS = (Param("fields", "fields of the phone number, comma-separated"), Param("phone_number_id", "media's owner"))
SEND_OR_READ = "cloud/messages/message.json|cloud/mark_read.json"
UPLOAD = MULTIPART + "cloud/media_upload.json"

CLOUD = (
    Op("POST", "/{version}/{phone_number_id}/messages", SEND_OR_READ, "send_or_read", "Send; or mark read", PHONE),
    Op(
        "POST",
        "/{version}/{phone_number_id}/media",
        UPLOAD,
        "id",
        "Upload media (file, type, messaging_product)",
        PHONE,
    ),
    Op("GET", "/{version}/{waba_id}/phone_numbers", NONE, "list", "The WABA's phone numbers", WABA),
    Op("GET", "/{version}/{waba_id}/message_templates", NONE, "list", "The templates", (*WABA, *FILTERS)),
    Op("POST", "/{version}/{waba_id}/message_templates", "control/template.json", "template_created", "Add one", WABA),
    Op("DELETE", "/{version}/{waba_id}/message_templates", NONE, "success", "Delete a template", (*WABA, *BY_NAME)),
    Op("GET", "/{version}/{waba_id}/subscribed_apps", NONE, "list", "The app subscribed to the WABA", WABA),
    Op(
        "POST",
        "/{version}/{waba_id}/subscribed_apps",
        "cloud/subscribed_apps.json",
        "success",
        "Subscribe",
        WABA,
        optional=True,
    ),
    Op("DELETE", "/{version}/{waba_id}/subscribed_apps", NONE, "success", "Unsubscribe (clears the callback)", WABA),
    Op("GET", "/{version}/{node_id}", NONE, "node", "A phone number, WABA, media or template", (*NODE, *FIELDS)),
    Op(
        "POST", "/{version}/{node_id}", "cloud/webhook_configuration.json", "success", "Set the number's callback", NODE
    ),
    Op("DELETE", "/{version}/{node_id}", NONE, "success", "Delete an uploaded media", NODE),
    Op(
        "GET",
        "/whatsapp_business/attachments/",
        NONE,
        BINARY,
        "Download media by the url Graph gave",
        (Param("mid", "the media id", required=True),),
    ),
)

WA_ID = (in_path("wa_id", "a simulated user's number: 8 to 15 digits, no '+'"),)
DELIVERY = (in_path("delivery_id", "a delivery's id"),)
WAIT = Param("wait", "long-poll: seconds to wait for one that matches", SECONDS)
MESSAGES = (
    Param("to", "recipient, in any phone format"),
    Param("type"),
    Param("status", "latest status"),
    Param("after", "a message id"),
    WAIT,
)
HOOKS = (Param("state", schema={"enum": ["pending", "delivered", "failed"]}), Param("recipient"))
COUNT = {"type": "integer", "minimum": 0}
REQUESTS = (
    Param("status", "a status (404) or class (4xx); several comma-separated"),
    Param("path", "only paths containing this"),
    Param("api", schema={"enum": ["onprem", "cloud"]}),
    Param("after", "only entries after this id", COUNT),
    Param("limit", "only the newest N", COUNT),
    WAIT,
)
ENTRY = (in_path("request_id", "an entry's id", {"type": "integer", "minimum": 1}),)
APIS = (in_path("api", "which API", {"enum": ["onprem", "cloud", "control"]}),)

CONTROL = (
    Op("GET", "/_emulator/health", NONE, "health", "Answers as soon as the server accepts requests", auth=NONE),
    Op("POST", "/_emulator/reset", "control/reset.json", "reset", "Back to the fixture state", optional=True),
    Op("GET", "/_emulator/clock", NONE, "clock", "The emulator's clock"),
    Op("POST", "/_emulator/clock", "control/clock.json", "clock", "Move, set or freeze the clock"),
    Op("GET", "/_emulator/messages", NONE, "messages", "The bot's messages, oldest first", MESSAGES),
    Op("GET", "/_emulator/messages/{message_id}", NONE, "record", "One message with its statuses", MESSAGE),
    Op("GET", "/_emulator/templates", NONE, "templates", "The approved-template registry"),
    Op("POST", "/_emulator/templates", "control/template.json", "templates", "Add templates", status=201),
    Op("GET", "/_emulator/users", NONE, "users", "The simulated users"),
    Op("GET", "/_emulator/users/{wa_id}", NONE, "one_user", "One user (created on first use)", WA_ID),
    Op("PUT", "/_emulator/users/{wa_id}", "control/user.json", "one_user", "Create or update a user", WA_ID),
    Op(
        "POST",
        "/_emulator/users/{wa_id}/messages",
        "control/inbound.json",
        "inbound",
        "The user sends a message to the business (and opens the 24-hour window)",
        WA_ID,
    ),
    Op(
        "GET",
        "/_emulator/conversations/{wa_id}",
        NONE,
        "conversation",
        "Both directions; ?format=script as a script",
        (*WA_ID, Param("format", schema={"enum": ["json", "script"]})),
        also="application/yaml",
    ),
    Op("GET", "/_emulator/webhooks", NONE, "webhooks", "The webhook delivery log", HOOKS),
    Op(
        "POST",
        "/_emulator/webhooks/drain",
        NONE,
        "drain",
        "Wait until due statuses ran and deliveries settled",
        (Param("timeout", "seconds to wait (default 5)", SECONDS),),
    ),
    Op("GET", "/_emulator/webhooks/{delivery_id}", NONE, "delivery", "One delivery with every attempt", DELIVERY),
    Op("POST", "/_emulator/webhooks/{delivery_id}/redeliver", NONE, "delivery", "Send it again", DELIVERY, status=201),
    Op("GET", "/_emulator/config", NONE, "config", "The Cloud account and the webhook in effect"),
    Op("GET", "/_emulator/tenants", NONE, "tenants", "Every tenant"),
    Op(
        "POST",
        "/_emulator/tenants",
        "control/tenant.json",
        "tenant",
        "Create a tenant (200: it existed)",
        status=201,
        also_statuses=(200,),
    ),
    Op("GET", "/_emulator/tenants/{tenant}", NONE, "tenant", "One tenant", TENANT),
    Op("DELETE", "/_emulator/tenants/{tenant}", NONE, "deleted", "Delete a tenant and all it holds", TENANT),
    Op("GET", "/_emulator/faults", NONE, "faults", "The fault rules with their hit counts"),
    Op("POST", "/_emulator/faults", "control/fault.json", "fault", "Add a fault rule", status=201),
    Op("DELETE", "/_emulator/faults", NONE, "deleted", "Clear every fault rule"),
    Op("GET", "/_emulator/faults/{fault_id}", NONE, "fault", "One fault rule", FAULT),
    Op("DELETE", "/_emulator/faults/{fault_id}", NONE, "deleted", "Clear one fault rule", FAULT),
    Op("GET", "/_emulator/requests", NONE, "requests", "Every call to /v1 and the Cloud API", REQUESTS),
    Op("GET", "/_emulator/requests/{request_id}", NONE, "request", "One journal entry", ENTRY),
    Op("GET", "/_emulator/openapi/{api}.json", NONE, "openapi", "The OpenAPI document of an API", APIS, auth=NONE),
)

TABLES = {"onprem": ONPREM, "cloud": CLOUD, "control": CONTROL}
