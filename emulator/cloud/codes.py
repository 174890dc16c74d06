"""The Cloud API error table (reference cloud-api.md §8.2-8.3, §12): codes, titles, HTTP statuses, and
the code each reason is reported with. Data only; ``emulator.cloud.envelope`` renders it."""

from __future__ import annotations

from emulator.codes import Answer, Code, ErrorTable
from emulator.domain.reasons import Reason

R = Reason

CODES: dict[int, Code] = {
    0: Code("AuthException", 401),
    1: Code("API Unknown", 400),
    2: Code("API Service", 503),
    3: Code("API Method", 500),
    4: Code("API Too Many Calls", 400),
    10: Code("Permission Denied", 403),
    33: Code("Parameter value is not valid", 400),
    100: Code("Invalid parameter", 400),
    190: Code("Access token has expired", 401),
    200: Code("API Permission", 403),
    368: Code("Temporarily blocked for policies violations", 403),
    2200: Code("Callback verification failed", 400),
    80007: Code("Rate limit issues", 400),
    130429: Code("Rate limit hit", 400),
    130472: Code("User's number is part of an experiment", 400),
    130497: Code("Business account is restricted from messaging users in this country.", 403),
    131000: Code("Something went wrong", 500),
    131005: Code("Access denied", 403),
    131008: Code("Required parameter is missing", 400),
    131009: Code("Parameter value is not valid", 400),
    131016: Code("Service unavailable", 500),
    131021: Code("Recipient cannot be sender", 400),
    131026: Code("Message Undeliverable", 400),
    131030: Code("Recipient phone number not in allowed list", 400),
    131031: Code("Account has been locked", 403),
    131037: Code("WhatsApp provided number needs display name approval before message can be sent.", 400),
    131042: Code("Business eligibility payment issue", 400),
    131045: Code("Incorrect certificate", 500),
    131047: Code("Re-engagement message", 400),
    131048: Code("Spam rate limit hit", 400),
    131049: Code("Meta chose not to deliver.", 400),
    131050: Code("User has stopped receipt of marketing messages.", 400),
    131051: Code("Unsupported message type", 400),
    131052: Code("Media download error", 400),
    131053: Code("Media upload error", 400),
    131056: Code("(Business Account, Consumer Account) pair rate limit hit", 400),
    131057: Code("Account in maintenance mode", 500),
    132000: Code("Template Param Count Mismatch", 400),
    132001: Code("Template does not exist", 404),
    132005: Code("Template Hydrated Text Too Long", 400),
    132007: Code("Template Format Character Policy Violated", 400),
    132012: Code("Template Parameter Format Mismatch", 400),
    132015: Code("Template is Paused", 400),
    132016: Code("Template is Disabled", 400),
    132018: Code("There was an issue with the parameters in your template.", 400),
    132068: Code("Flow is blocked", 400),
    132069: Code("Flow is throttled", 400),
    133004: Code("Server Temporarily Unavailable", 503),
    133010: Code("Phone number Not Registered", 400),
    135000: Code("Generic user error", 400),
    137000: Code("Identity key hash mismatch", 400),
}

REASONS: dict[Reason, Answer] = {
    R.ACCESS_DENIED: Answer(190),
    R.PASSWORD_CHANGE_REQUIRED: Answer(190),
    R.NOT_FOUND: Answer(100),
    R.ENDPOINT_NOT_FOUND: Answer(100),
    R.METHOD_NOT_ALLOWED: Answer(100),
    R.MALFORMED_REQUEST: Answer(100),
    R.REQUEST_TOO_LARGE: Answer(100, http=413),
    R.UNSUPPORTED_CONTENT_TYPE: Answer(100),
    R.INTERNAL: Answer(131000),
    R.NOT_READY: Answer(131016),
    R.MISSING_PARAMETER: Answer(131008),
    R.INVALID_PARAMETER: Answer(131009),
    R.UNEXPECTED_PARAMETER: Answer(100),
    R.TOO_LONG: Answer(100),
    R.INVALID_RECIPIENT_TYPE: Answer(100),
    R.INVALID_HEADER: Answer(131009),
    R.TOO_MANY_SECTIONS: Answer(131009),
    R.TOO_MANY_ROWS: Answer(131009),
    R.TOO_MANY_PRODUCTS: Answer(131009),
    R.INVALID_FLOW_ID: Answer(131009),
    R.INVALID_FLOW_VERSION: Answer(131009),
    R.INVALID_FLOW_MODE: Answer(131009),
    R.MEDIA_NOT_FOUND: Answer(131053),
    R.MEDIA_INVALID: Answer(131053),
    R.USER_NOT_VALID: Answer(131026),
    R.SELF_RECIPIENT: Answer(131021),
    R.WINDOW_CLOSED: Answer(131047),
    R.RECEIVER_INCAPABLE: Answer(131026),
    R.UNSUPPORTED_INBOUND: Answer(131051),
    R.MEDIA_DOWNLOAD_FAILED: Answer(131053),
    R.PAIR_RATE_LIMITED: Answer(131056),
    R.THROUGHPUT_LIMITED: Answer(130429),
    R.MARKETING_CAPPED: Answer(131049),
    R.TEMPLATE_MISSING: Answer(132001),
    R.TEMPLATE_PARAM_COUNT: Answer(132000),
    R.TEMPLATE_PARAM_FORMAT: Answer(132012),
    R.TEMPLATE_PARAM_TOO_LONG: Answer(132005),
    R.TEMPLATE_PARAM_WHITESPACE: Answer(132018),
    R.TEMPLATE_TEXT_TOO_LONG: Answer(132005),
    R.TEMPLATE_BUTTONS: Answer(131009),
    R.TEMPLATE_NAMESPACE_EMPTY: Answer(131009),
    R.TEMPLATE_REJECTED: Answer(132001),
    R.TEMPLATE_PAUSED: Answer(132015),
    R.TEMPLATE_DISABLED: Answer(132016),
    R.CALLBACK_VERIFICATION_FAILED: Answer(2200),
    R.WEBHOOK_URL_MISSING: Answer(100),
}

DEFAULT_DETAILS: dict[Reason, str] = {
    R.WINDOW_CLOSED: (
        "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
    ),
    R.RECEIVER_INCAPABLE: "Message Undeliverable.",
    R.USER_NOT_VALID: "Message Undeliverable.",
    R.UNSUPPORTED_INBOUND: "Message type is currently not supported.",
    R.INTERNAL: "An unknown error occurred.",
    R.THROUGHPUT_LIMITED: "Cloud API message throughput has been reached.",
    R.MARKETING_CAPPED: "This message was not delivered to maintain healthy ecosystem engagement.",
}

# Cloud accepts these sends (200) and reports them in a failed status (reference §13.4).
DEFERRED = frozenset(
    {R.WINDOW_CLOSED, R.RECEIVER_INCAPABLE, R.USER_NOT_VALID, R.MEDIA_DOWNLOAD_FAILED, R.MARKETING_CAPPED}
)

# The code a fault rule's bare HTTP status is answered with (faults: {"action": {"status": 503}}).
FAULT_CODES = {429: 130429, 500: 131000, 503: 133004}

TABLE = ErrorTable(
    "cloud", CODES, REASONS, DEFERRED, DEFAULT_DETAILS, template_kinds=frozenset({"CAROUSEL", "LIMITED_TIME_OFFER"})
)
