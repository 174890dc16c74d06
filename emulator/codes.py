"""Error tables: how a façade turns a wire-neutral reason into its API's code, title and HTTP status.

Each façade owns one ``ErrorTable`` (``emulator/onprem/codes.py``, ``emulator/cloud/codes.py``): its
codes with their titles and HTTP statuses, the code each reason is reported with, and the reasons its
API reports in a later ``failed`` status instead of refusing the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.domain.reasons import Channel, Failure, Reason, Refusal


@dataclass(frozen=True)
class Code:
    """One of an API's error codes: its title exactly as the reference gives it, and its HTTP status."""

    title: str
    http: int = 400


@dataclass(frozen=True)
class Answer:
    """How one reason is reported: its code, and an HTTP status other than the code's own, if any."""

    code: int
    http: int | None = None


@dataclass(frozen=True)
class ErrorTable:
    """Reason -> code, code -> title and HTTP status, and which reasons are reported later."""

    api: str
    codes: Mapping[int, Code]
    reasons: Mapping[Reason, Answer]
    deferred: frozenset[Reason]
    default_details: Mapping[Reason, str] = field(default_factory=dict)
    template_kinds: frozenset[str] = frozenset()  # template components this API sends beyond the usual four

    def __post_init__(self) -> None:
        missing = [r for r in Reason if r not in self.reasons]
        if missing:
            raise ValueError(f"{self.api} error table has no code for {', '.join(missing)}")
        unknown = sorted({a.code for a in self.reasons.values()} - set(self.codes))
        if unknown:
            raise ValueError(f"{self.api} error table maps reasons to unknown codes {unknown}")

    @property
    def channel(self) -> Channel:
        """The domain's view of this API: its name and the reasons it reports in a failed status."""
        return Channel(self.api, self.deferred, template_kinds=self.template_kinds)

    def code(self, reason: Reason) -> int:
        """The code ``reason`` is reported with."""
        return self.reasons[reason].code

    def title(self, reason: Reason) -> str:
        """The title of that code."""
        return self.codes[self.code(reason)].title

    def http(self, reason: Reason) -> int:
        """The HTTP status a refusal for ``reason`` is answered with."""
        answer = self.reasons[reason]
        return answer.http if answer.http is not None else self.codes[answer.code].http

    def details(self, reason: Reason, details: str) -> str:
        """The details given, or the table's default text for the reason."""
        return details or self.default_details.get(reason, "")

    def error(self, reason: Reason, details: str = "") -> dict[str, Any]:
        """``{"code", "title", "details"?}``: the error object both APIs' status webhooks start from."""
        out: dict[str, Any] = {"code": self.code(reason), "title": self.title(reason)}
        text = self.details(reason, details)
        if text:
            out["details"] = text
        return out

    def of_refusal(self, refusal: Refusal) -> dict[str, Any]:
        """The error object for a refusal."""
        return self.error(refusal.reason, refusal.details)

    def of_failure(self, failure: Failure) -> dict[str, Any]:
        """The error object for a recorded failure."""
        return self.error(failure.reason, failure.details)

    def of_code(self, code: int, details: str = "") -> dict[str, Any]:
        """The error object for a code given directly (faults, tests): unknown codes keep their number."""
        known = self.codes.get(code)
        out: dict[str, Any] = {"code": code, "title": known.title if known else "Unknown error"}
        if details:
            out["details"] = details
        return out
