"""The error table: every code once, titles as the reference gives them, statuses by kind."""

from __future__ import annotations

import pytest

from emulator import errors

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


def test_every_code_of_the_reference_table_has_one_class() -> None:
    assert set(errors.ERRORS) == ALL_REFERENCE_CODES


@pytest.mark.parametrize(("code", "title"), sorted(REFERENCE_TITLES.items()))
def test_titles_are_the_references(code: int, title: str) -> None:
    assert errors.ERRORS[code].title == title


def test_observed_http_statuses() -> None:
    assert errors.AccessDenied.http_status == 401
    assert errors.ResourceNotFound.http_status == 404
    assert errors.UserNotValid.http_status == 400
    assert errors.TooManyRequests.http_status == 429
    assert errors.InternalError.http_status == 500


def test_error_for_an_unknown_code_is_a_generic_error() -> None:
    assert errors.error_for(9999, "x").code == 1000
    assert errors.error_for(1013, "x").as_dict() == {
        "code": 1013,
        "title": "User is not valid",
        "details": "x",
    }
