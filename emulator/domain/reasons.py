"""Why the emulator refuses or fails something, in words of its own: no API's code, title or envelope.

The domain raises ``Refusal(Reason.X, details)`` for a request it will not accept, and records a
``Failure`` (a reason and details) in a ``failed`` status. Each façade maps a reason to its API's
code, title and HTTP status with one table (``emulator/onprem/codes.py``, ``emulator/cloud/codes.py``),
and says which reasons its API reports later, in a ``failed`` status, rather than on the call.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Reason(StrEnum):
    """Every reason the emulator can give; each façade's table maps all of them."""

    # the request itself
    ACCESS_DENIED = "access_denied"
    PASSWORD_CHANGE_REQUIRED = "password_change_required"
    NOT_FOUND = "not_found"
    ENDPOINT_NOT_FOUND = "endpoint_not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    MALFORMED_REQUEST = "malformed_request"
    REQUEST_TOO_LARGE = "request_too_large"
    UNSUPPORTED_CONTENT_TYPE = "unsupported_content_type"
    INTERNAL = "internal"
    NOT_READY = "not_ready"
    # parameters: what the schema gate and the rules refuse
    MISSING_PARAMETER = "missing_parameter"
    INVALID_PARAMETER = "invalid_parameter"
    UNEXPECTED_PARAMETER = "unexpected_parameter"
    TOO_LONG = "too_long"
    INVALID_RECIPIENT_TYPE = "invalid_recipient_type"
    INVALID_HEADER = "invalid_header"
    TOO_MANY_SECTIONS = "too_many_sections"
    TOO_MANY_ROWS = "too_many_rows"
    TOO_MANY_PRODUCTS = "too_many_products"
    INVALID_FLOW_ID = "invalid_flow_id"
    INVALID_FLOW_VERSION = "invalid_flow_version"
    INVALID_FLOW_MODE = "invalid_flow_mode"
    MEDIA_NOT_FOUND = "media_not_found"
    MEDIA_INVALID = "media_invalid"
    # recipients and delivery
    USER_NOT_VALID = "user_not_valid"
    SELF_RECIPIENT = "self_recipient"
    WINDOW_CLOSED = "window_closed"
    RECEIVER_INCAPABLE = "receiver_incapable"
    UNSUPPORTED_INBOUND = "unsupported_inbound"
    MEDIA_DOWNLOAD_FAILED = "media_download_failed"
    # optional send limits (realism switches, off by default)
    PAIR_RATE_LIMITED = "pair_rate_limited"
    THROUGHPUT_LIMITED = "throughput_limited"
    MARKETING_CAPPED = "marketing_capped"
    # templates
    TEMPLATE_MISSING = "template_missing"
    TEMPLATE_PARAM_COUNT = "template_param_count"
    TEMPLATE_PARAM_FORMAT = "template_param_format"
    TEMPLATE_PARAM_TOO_LONG = "template_param_too_long"
    TEMPLATE_PARAM_WHITESPACE = "template_param_whitespace"
    TEMPLATE_TEXT_TOO_LONG = "template_text_too_long"
    TEMPLATE_BUTTONS = "template_buttons"
    TEMPLATE_NAMESPACE_EMPTY = "template_namespace_empty"
    TEMPLATE_REJECTED = "template_rejected"
    TEMPLATE_PAUSED = "template_paused"
    TEMPLATE_DISABLED = "template_disabled"
    # webhook configuration
    CALLBACK_VERIFICATION_FAILED = "callback_verification_failed"
    WEBHOOK_URL_MISSING = "webhook_url_missing"


class Refusal(Exception):
    """A request the domain will not accept: a reason and what exactly is wrong (JSON path first)."""

    def __init__(self, reason: Reason, details: str = "", *, path: str | None = None) -> None:
        self.reason = reason
        self.details = details
        self.path = path
        super().__init__(f"{reason}: {details}" if details else str(reason))

    @property
    def failure(self) -> Failure:
        """The same reason and details, as recorded in a ``failed`` status."""
        return Failure(self.reason, self.details)


@dataclass(frozen=True)
class Failure:
    """Why a message failed after it was accepted; kept in the record, rendered by each API."""

    reason: Reason
    details: str = ""

    def as_doc(self) -> dict[str, Any]:
        """The stored form: ``{"reason", "details"}``."""
        return {"reason": str(self.reason), "details": self.details}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Failure:
        """Read the stored form back."""
        return cls(Reason(doc["reason"]), str(doc.get("details", "")))


@dataclass(frozen=True)
class Channel:
    """The API a message came through, as the domain sees it: a name it never interprets, and
    which reasons that API reports in a later ``failed`` status instead of refusing the call."""

    name: str
    deferred: frozenset[Reason]
    version: str = ""  # the API version the caller named, kept on the record for the renderers
    template_kinds: frozenset[str] = frozenset()  # template components beyond header/body/footer/buttons
    read_within_s: float | None = None  # how old an inbound message the API still marks as read
    pass_through_applies: bool = False  # the application setting pass_through stops marking as read
    limited: bool = False  # the optional send limits (pair rate, throughput, marketing cap) apply

    def defers(self, reason: Reason) -> bool:
        """True when this API accepts the call and reports ``reason`` in a ``failed`` status."""
        return reason in self.deferred
