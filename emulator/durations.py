"""Durations as people write them: ``+25h``, ``90m``, ``1d2h``, ``-30s``, or a number of seconds.

One grammar for the scripts (``clock: +25h``), the control API (``POST /_emulator/clock
{"advance": "25h"}``) and the page's clock field; ``schemas/control/clock.json`` states it too.
"""

from __future__ import annotations

import re

UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)([dhms])")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
FORMS = "+25h, 90m, 1d2h, -30s or a number of seconds"


def parse_duration(text: str | float) -> float:
    """Seconds in ``text`` (a leading ``-`` means back); ValueError naming the accepted forms otherwise."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a duration such as {FORMS}")
    sign = -1.0 if text.startswith("-") else 1.0
    body = text[1:] if text[:1] in ("+", "-") else text
    if _NUMBER.fullmatch(body):
        return sign * float(body)
    parts = _PART.findall(body)
    if not parts or "".join(n + u for n, u in parts) != body:
        raise ValueError(f"{text!r} is not a duration such as {FORMS}")
    return sign * sum(float(n) * UNITS[u] for n, u in parts)


def format_duration(seconds: float) -> str:
    """``+25h`` for 90000, ``+2d`` for 172800: the inverse of parse_duration, in whole units."""
    whole = round(seconds)
    if whole != seconds or whole <= 0:
        return f"+{seconds:g}s"
    if whole % 86400 == 0:
        return f"+{whole // 86400}d"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return "+" + "".join(f"{n}{u}" for n, u in ((hours, "h"), (minutes, "m"), (secs, "s")) if n)
