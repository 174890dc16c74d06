"""The webhook settings the delivery queue reads before every attempt."""

from __future__ import annotations

from dataclasses import dataclass, field

from emulator.webhooks.payloads import WireFormat


@dataclass(frozen=True)
class WebhookConfig:
    """Where and how to deliver webhooks; defaults are the On-Premises client's (reference §8.1).

    The queue calls its config provider afresh for every dispatch, so a ``PATCH
    /v1/settings/application`` takes effect for the next attempt (call ``DeliveryQueue.kick()``
    after changing it so that deliveries waiting for a URL go out at once).
    """

    url: str = ""  # "" means no webhook URL set: deliveries wait, unattempted
    format: WireFormat = "onprem"
    max_concurrent_requests: int = 6
    backoff_delay_ms: int = 3000  # callback_backoff_delay_ms: retry n waits n times this
    max_backoff_delay_ms: int = 900_000  # max_callback_backoff_delay_ms: cap on one wait
    give_up_after_s: float = 24 * 3600.0  # on the emulator clock, counted from enqueue
    timeout_s: float = 10.0  # per attempt; the real client's value is not documented
    business_wa_id: str = ""  # Cloud metadata.display_phone_number
    phone_number_id: str = ""  # Cloud metadata.phone_number_id
    waba_id: str = ""  # Cloud entry[].id
    app_secret: str = ""  # Cloud: X-Hub-Signature-256 key ("" = unsigned)
    verify_token: str = ""  # Cloud: hub.verify_token of the handshake made before the first POST to a URL
    sent_status: bool = False  # On-Prem: deliver ``sent`` statuses
    toggles: dict[str, bool] = field(default_factory=dict)  # On-Prem: webhooks.message per-status switches
    notify_user_change_number: bool = True  # On-Prem: push a user's number change
    show_security_notifications: bool = True  # On-Prem: push a user's identity change
    media_url: str = ""  # Cloud: prefix of inbound media URLs

    def retry_delay_s(self, failed_attempts: int) -> float:
        """Seconds to wait after the n-th failed attempt: linear backoff, capped."""
        return min(failed_attempts * self.backoff_delay_ms, self.max_backoff_delay_ms) / 1000.0
