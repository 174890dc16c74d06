"""Moving the emulator's clock: the range its time may reach, and what moving it back changes."""

from __future__ import annotations

from datetime import UTC, datetime

from emulator.domain.reasons import Reason, Refusal

EARLIEST = 0.0  # 1970-01-01 00:00:00 UTC
LATEST = 32_503_680_000.0  # 3000-01-01 00:00:00 UTC: token expiry and every timestamp stay printable
RANGE = "1970-01-01 to 3000-01-01 (Unix 0 to 32503680000)"


def check_target(unix: float, field: str) -> None:
    """Refuse (invalid parameter) a move that would take the clock outside ``RANGE``."""
    if EARLIEST <= unix <= LATEST:
        return
    where = "before 1970" if unix < EARLIEST else f"at Unix {unix:.0f}"
    if EARLIEST < unix < 253_402_300_800:  # up to 9999-12-31: say which year
        where = f"in {datetime.fromtimestamp(unix, UTC).year}"
    raise Refusal(Reason.INVALID_PARAMETER, f"$.{field}: would put the emulator's time {where}; it stays in {RANGE}")
