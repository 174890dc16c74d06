"""Phone numbers: any standard format in, WhatsApp ids (country code and number, digits only) out."""

from __future__ import annotations

import functools
import re

_SEPARATORS = re.compile(r"[\s\-().\u00a0/]")
_DIGITS = re.compile(r"\+?\d+")


@functools.lru_cache(maxsize=4096)  # a pure function of the text, asked again for the same recipient on every send
def normalize(raw: str) -> str | None:
    """The wa_id for a phone number written in any standard format, or None if it is not one.

    ``+1 (631) 555-1234``, ``1-631-555-1234`` and ``0016315551234`` all give ``16315551234``.
    E.164 allows at most 15 digits; fewer than 8 cannot be a number with its country code.
    """
    compact = _SEPARATORS.sub("", raw.strip())
    if not _DIGITS.fullmatch(compact):
        return None
    digits = compact.lstrip("+")
    if not compact.startswith("+") and digits.startswith("00"):
        digits = digits[2:]  # international call prefix
    if not 8 <= len(digits) <= 15 or digits.startswith("0"):
        return None
    return digits
