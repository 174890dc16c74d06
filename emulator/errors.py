"""WhatsApp On-Premises error codes, one exception class per code.

Every error the emulator reports, synchronously in an ``errors`` envelope or asynchronously in a
``failed`` status webhook, is one of these classes. Each carries its code, its title exactly as the
reference table gives it, and the HTTP status it is answered with. ``ERRORS`` maps code -> class.

    WhatsAppError
    ├── delivery errors (400 … 501, 1026): surface in webhooks
    ├── client/API errors (1000 … 1031): surface on the API call
    ├── template errors (2000 … 2014, 2060 … 2062)
    ├── interactive errors (2015 … 2050)
    └── flow errors (2064 … 2070)
"""

from __future__ import annotations

from typing import Any, ClassVar

ERRORS: dict[int, type[WhatsAppError]] = {}


class WhatsAppError(Exception):
    """An error with a WhatsApp code; rendered as ``{"code","title","details"}``."""

    code: ClassVar[int] = 1000
    title: ClassVar[str] = "Generic error"
    http_status: ClassVar[int] = 400
    default_details: ClassVar[str] = ""

    def __init__(self, details: str | None = None, *, path: str | None = None) -> None:
        self.details = details if details is not None else self.default_details
        self.path = path
        super().__init__(f"{self.code} {self.title}: {self.details}")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            if cls.code in ERRORS:
                raise TypeError(f"duplicate WhatsApp error code {cls.code}")
            ERRORS[cls.code] = cls

    def as_dict(self) -> dict[str, Any]:
        """The error object as it appears in an ``errors`` array."""
        out: dict[str, Any] = {"code": self.code, "title": self.title}
        if self.details:
            out["details"] = self.details
        return out


def error_for(code: int, details: str | None = None) -> WhatsAppError:
    """An instance of the class registered for ``code`` (GenericError for an unknown code)."""
    return ERRORS.get(code, GenericError)(details)


# --- message-delivery codes (webhooks) -------------------------------------------------------


class MediaDownloadError(WhatsAppError):
    code = 400
    title = "Media download error"


class PaymentIssue(WhatsAppError):
    code = 402
    title = "Business eligibility — Payment issue"


class MessageNotValid(WhatsAppError):
    code = 408
    title = "Message is not valid"


class MessageExpired(WhatsAppError):
    code = 410
    title = "Message expired"


class RateLimitHit(WhatsAppError):
    code = 429
    title = "Rate limit hit"
    http_status = 429


class UnsignedCertificate(WhatsAppError):
    code = 430
    title = "Unsigned certificate"


class CertificateIdMismatch(WhatsAppError):
    code = 432
    title = "Certificate ID mismatch"


class CertificateSignatureInvalid(WhatsAppError):
    code = 433
    title = "Certificate signature invalid"


class ReEngagementMessage(WhatsAppError):
    code = 470
    title = "Re-engagement message"
    default_details = (
        "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
    )


class SpamRateLimitHit(WhatsAppError):
    code = 471
    title = "Spam rate limit hit"


class UserInExperiment(WhatsAppError):
    code = 472
    title = "User's number is part of an experiment"


class UserPotentiallyChanged(WhatsAppError):
    code = 480
    title = "User potentially changed"


class GenericDeliveryError(WhatsAppError):
    code = 500
    title = "Generic error"
    http_status = 500


class UnsupportedMessageType(WhatsAppError):
    code = 501
    title = "Message type is not currently supported"
    default_details = "Message type is not currently supported"


# --- client/API codes ---------------------------------------------------------------------------


class GenericError(WhatsAppError):
    code = 1000
    title = "Generic error"
    http_status = 500


class MessageTooLong(WhatsAppError):
    code = 1001
    title = "Message too long"


class InvalidRecipientType(WhatsAppError):
    code = 1002
    title = "Invalid recipient type"


class NotGroupParticipant(WhatsAppError):
    code = 1003
    title = "Not a group participant"


class ResourceAlreadyExists(WhatsAppError):
    code = 1004
    title = "Resource already exists"
    http_status = 409


class AccessDenied(WhatsAppError):
    code = 1005
    title = "Access denied"
    http_status = 401
    default_details = "Invalid credentials."


class ResourceNotFound(WhatsAppError):
    code = 1006
    title = "Resource not found"
    http_status = 404


class RecipientBlocked(WhatsAppError):
    code = 1007
    title = "Recipient blocked to receive message"


class RequiredParameterMissing(WhatsAppError):
    code = 1008
    title = "Required parameter is missing"


class ParameterValueNotValid(WhatsAppError):
    code = 1009
    title = "Parameter value is not valid"


class ParameterNotRequired(WhatsAppError):
    code = 1010
    title = "Parameter is not required"


class ServiceNotReady(WhatsAppError):
    code = 1011
    title = "Service not ready"
    http_status = 503


class GroupUnknown(WhatsAppError):
    code = 1012
    title = "Group is unknown"


class UserNotValid(WhatsAppError):
    code = 1013
    title = "User is not valid"


class InternalError(WhatsAppError):
    code = 1014
    title = "Internal error"
    http_status = 500
    default_details = "Internal error"


class TooManyRequests(WhatsAppError):
    code = 1015
    title = "Too many requests"
    http_status = 429


class SystemOverloaded(WhatsAppError):
    code = 1016
    title = "System overloaded"
    http_status = 503


class NotPrimaryMaster(WhatsAppError):
    code = 1017
    title = "Not Primary Master"
    http_status = 503


class NotPrimaryCoreapp(WhatsAppError):
    code = 1018
    title = "Not Primary Coreapp"
    http_status = 503


class BadUser(WhatsAppError):
    code = 1021
    title = "Bad User"


class WebhooksUrlNotConfigured(WhatsAppError):
    code = 1022
    title = "Webhooks URL is not configured"


class DatabaseError(WhatsAppError):
    code = 1023
    title = "Database error occurred"
    http_status = 500


class PasswordChangeRequired(WhatsAppError):
    code = 1024
    title = "Password Change Required"
    http_status = 401
    default_details = "The default password must be changed: log in again with new_password."


class InvalidRequest(WhatsAppError):
    code = 1025
    title = "Invalid Request"


class ReceiverIncapable(WhatsAppError):
    code = 1026
    title = "Receiver incapable"


class IdentityChangeNotAcknowledged(WhatsAppError):
    code = 1028
    title = "A user_identity_changed system notification requires acknowledgement"


class SenderAccountLocked(WhatsAppError):
    code = 1031
    title = "Sender account has been locked"
    http_status = 403


# --- template codes -----------------------------------------------------------------------------


class TemplateParamCountMismatch(WhatsAppError):
    code = 2000
    title = "Template Param Count Mismatch"


class TemplateMissing(WhatsAppError):
    code = 2001
    title = "Template Missing"


class TemplateFetchFailed(WhatsAppError):
    code = 2002
    title = "Template Fetch Failed"


class TemplatePackMissing(WhatsAppError):
    code = 2003
    title = "Template Pack Missing"


class TemplateParamLengthTooLong(WhatsAppError):
    code = 2004
    title = "Template Param Length Too Long"


class TemplateHydratedTextTooLong(WhatsAppError):
    code = 2005
    title = "Template Hydrated Text Too Long"


class TemplateWhiteSpacePolicyViolated(WhatsAppError):
    code = 2006
    title = "Template White Space Policy Violated"


class TemplateFormatCharacterPolicyViolated(WhatsAppError):
    code = 2007
    title = "Template Format Character Policy Violated"


class TemplateMediaFormatUnsupported(WhatsAppError):
    code = 2008
    title = "Template Media Format Unsupported"


class TemplateRequiredComponentMissing(WhatsAppError):
    code = 2009
    title = "Template Required Component Missing"


class TemplateInvalidHydratedUrl(WhatsAppError):
    code = 2010
    title = "Template Invalid Hydrated URL"


class TemplateInvalidPhoneNumber(WhatsAppError):
    code = 2011
    title = "Template Invalid Phone Number"


class TemplateParameterFormatMismatch(WhatsAppError):
    code = 2012
    title = "Template Parameter Format Mismatch"


class TemplateButtonsUnsupported(WhatsAppError):
    code = 2013
    title = "Template Buttons Unsupported"


class ExpectedNamespaceEmpty(WhatsAppError):
    code = 2014
    title = "Expected Namespace is Empty"


# --- interactive codes --------------------------------------------------------------------------


class InvalidNumberOfSections(WhatsAppError):
    code = 2015
    title = "Invalid number of sections"


class InvalidNumberOfRows(WhatsAppError):
    code = 2016
    title = "Invalid number of rows"


class CharacterPolicyViolated(WhatsAppError):
    code = 2017
    title = "Character Policy Violated"


class InvalidNumberOfProduct(WhatsAppError):
    code = 2023
    title = "Invalid number of product"


class CatalogIdNotFound(WhatsAppError):
    code = 2024
    title = "Catalog ID not found"


class CatalogIdNotLinked(WhatsAppError):
    code = 2025
    title = "Catalog ID not linked to API number"


class MissingProducts(WhatsAppError):
    code = 2026
    title = "Missing products"


class NoProductsFound(WhatsAppError):
    code = 2027
    title = "No products found"


class AllProductsFailedCompliance(WhatsAppError):
    code = 2028
    title = "List all products failed compliance"


class SomeProductsFailedCompliance(WhatsAppError):
    code = 2029
    title = "List some products failed compliance"


class MixedProductsInvalid(WhatsAppError):
    code = 2030
    title = "List mixed products invalid and failed compliance"


class InvalidHeaderStructure(WhatsAppError):
    code = 2036
    title = "Invalid Header Structure"


class MissingComplianceInfo(WhatsAppError):
    code = 2050
    title = "Missing Compliance Info"


class TemplateRejected(WhatsAppError):
    code = 2060
    title = "Template Rejected"


class TemplatePaused(WhatsAppError):
    code = 2061
    title = "Template Paused"


class TemplateDisabled(WhatsAppError):
    code = 2062
    title = "Template Disabled"


# --- flow codes ---------------------------------------------------------------------------------


class InvalidFlowId(WhatsAppError):
    code = 2064
    title = "Invalid Flow ID"


class InvalidFlowMessageVersion(WhatsAppError):
    code = 2065
    title = "Invalid Flow Message Version"


class InvalidFlowMode(WhatsAppError):
    code = 2066
    title = "Invalid Flow Mode"


class FlowDraftModeNotAllowed(WhatsAppError):
    code = 2067
    title = "Flow DRAFT Mode Not Allowed"


class FlowBlocked(WhatsAppError):
    code = 2068
    title = "Flow is blocked"


class FlowThrottled(WhatsAppError):
    code = 2069
    title = "Flow is throttled"


class InvalidFlowVersion(WhatsAppError):
    code = 2070
    title = "Invalid Flow Version"


# --- HTTP-level failures that have no WhatsApp code of their own ------------------------------
# These reuse a code from the table (so clients that switch on codes still work) but answer with
# the HTTP status that says what happened at the transport level.


class EndpointNotFound(ResourceNotFound):
    """Unknown path: 404 with 1006."""


class MethodNotAllowed(InvalidRequest):
    """Known path, wrong method: 405 with 1025."""

    http_status = 405


class MalformedRequest(InvalidRequest):
    """Body that is not JSON, not an object, or nested absurdly deep: 400 with 1025."""


class RequestTooLarge(InvalidRequest):
    """Body over the size limit: 413 with 1025."""

    http_status = 413


class UnsupportedContentType(InvalidRequest):
    """A JSON endpoint called with another Content-Type: 415 with 1025."""

    http_status = 415
