"""The error tables of both APIs: every code once, titles as the references give them, every reason mapped."""

from __future__ import annotations

import pytest

from emulator.cloud.codes import TABLE as CLOUD
from emulator.codes import Answer, ErrorTable
from emulator.domain.reasons import Failure, Reason, Refusal
from emulator.onprem.codes import TABLE as ONPREM

# A sample of codes and titles exactly as reference §7 writes them.
REFERENCE_TITLES = {
    470: "Re-engagement message",
    1000: "Generic error",
    1001: "Message too long",
    1002: "Invalid recipient type",
    1005: "Access denied",
    1006: "Resource not found",
    1008: "Required parameter is missing",
    1009: "Parameter value is not valid",
    1010: "Parameter is not required",
    1013: "User is not valid",
    1014: "Internal error",
    1015: "Too many requests",
    1024: "Password Change Required",
    1026: "Receiver incapable",
    2000: "Template Param Count Mismatch",
    2001: "Template Missing",
    2013: "Template Buttons Unsupported",
    2015: "Invalid number of sections",
    2016: "Invalid number of rows",
    2023: "Invalid number of product",
    2036: "Invalid Header Structure",
    2070: "Invalid Flow Version",
}

ALL_REFERENCE_CODES = {
    400,
    402,
    408,
    410,
    429,
    430,
    432,
    433,
    470,
    471,
    472,
    480,
    500,
    501,
    1000,
    1001,
    1002,
    1003,
    1004,
    1005,
    1006,
    1007,
    1008,
    1009,
    1010,
    1011,
    1012,
    1013,
    1014,
    1015,
    1016,
    1017,
    1018,
    1021,
    1022,
    1023,
    1024,
    1025,
    1026,
    1028,
    1031,
    2000,
    2001,
    2002,
    2003,
    2004,
    2005,
    2006,
    2007,
    2008,
    2009,
    2010,
    2011,
    2012,
    2013,
    2014,
    2015,
    2016,
    2017,
    2023,
    2024,
    2025,
    2026,
    2027,
    2028,
    2029,
    2030,
    2036,
    2050,
    2060,
    2061,
    2062,
    2064,
    2065,
    2066,
    2067,
    2068,
    2069,
    2070,
}


def test_every_code_of_the_reference_table_is_in_the_onprem_table() -> None:
    assert set(ONPREM.codes) == ALL_REFERENCE_CODES


@pytest.mark.parametrize(("code", "title"), sorted(REFERENCE_TITLES.items()))
def test_titles_are_the_references(code: int, title: str) -> None:
    assert ONPREM.codes[code].title == title


def test_observed_http_statuses() -> None:
    assert ONPREM.http(Reason.ACCESS_DENIED) == 401
    assert ONPREM.http(Reason.NOT_FOUND) == 404
    assert ONPREM.http(Reason.USER_NOT_VALID) == 400
    assert ONPREM.codes[1015].http == 429
    assert ONPREM.http(Reason.INTERNAL) == 500
    assert ONPREM.http(Reason.REQUEST_TOO_LARGE) == 413


def test_a_code_given_directly_keeps_its_number() -> None:
    assert ONPREM.of_code(9999, "x") == {"code": 9999, "title": "Unknown error", "details": "x"}
    assert ONPREM.of_refusal(Refusal(Reason.USER_NOT_VALID, "x")) == {
        "code": 1013,
        "title": "User is not valid",
        "details": "x",
    }


@pytest.mark.parametrize("table", [ONPREM, CLOUD], ids=["onprem", "cloud"])
def test_every_reason_has_a_known_code_in_each_table(table: ErrorTable) -> None:
    for reason in Reason:
        assert table.code(reason) in table.codes, reason
        assert 400 <= table.http(reason) <= 599


def test_a_table_missing_a_reason_is_refused_at_import() -> None:
    partial = {r: a for r, a in ONPREM.reasons.items() if r is not Reason.WINDOW_CLOSED}
    with pytest.raises(ValueError, match="window_closed"):
        ErrorTable("x", ONPREM.codes, partial, frozenset())
    with pytest.raises(ValueError, match="unknown codes"):
        ErrorTable("x", ONPREM.codes, {**ONPREM.reasons, Reason.WINDOW_CLOSED: Answer(77)}, frozenset())


@pytest.mark.parametrize(
    ("reason", "onprem", "cloud"),
    [
        (Reason.WINDOW_CLOSED, 470, 131047),
        (Reason.RECEIVER_INCAPABLE, 1026, 131026),
        (Reason.TEMPLATE_PARAM_COUNT, 2000, 132000),
        (Reason.TEMPLATE_MISSING, 2001, 132001),
        (Reason.MISSING_PARAMETER, 1008, 131008),
        (Reason.INVALID_PARAMETER, 1009, 131009),
        (Reason.UNEXPECTED_PARAMETER, 1010, 100),
        (Reason.SELF_RECIPIENT, 1021, 131021),
        (Reason.UNSUPPORTED_INBOUND, 501, 131051),
        (Reason.ACCESS_DENIED, 1005, 190),
        (Reason.TEMPLATE_PARAM_WHITESPACE, 2006, 132018),
        (Reason.MEDIA_INVALID, 1009, 131053),
    ],
)
def test_one_reason_two_codes(reason: Reason, onprem: int, cloud: int) -> None:
    """cloud-api.md §12 maps each On-Premises code onto its Cloud counterpart."""
    assert ONPREM.code(reason) == onprem
    assert CLOUD.code(reason) == cloud


def test_cloud_reports_a_non_user_later_and_onprem_at_once() -> None:
    assert CLOUD.channel.defers(Reason.USER_NOT_VALID)
    assert not ONPREM.channel.defers(Reason.USER_NOT_VALID)
    assert CLOUD.channel.defers(Reason.WINDOW_CLOSED) and ONPREM.channel.defers(Reason.WINDOW_CLOSED)
    assert CLOUD.http(Reason.TEMPLATE_MISSING) == 404


def test_a_failure_is_stored_as_a_reason_and_read_back() -> None:
    failure = Failure(Reason.WINDOW_CLOSED, "x")
    assert Failure.from_doc(failure.as_doc()) == failure
    assert failure.as_doc() == {"reason": "window_closed", "details": "x"}
