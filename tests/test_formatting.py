"""Danish formatting: every expected string is written by hand."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from kpis.present.formatting import (
    estimate_da,
    format_date_da,
    format_datetime_da,
    format_int_da,
    format_month_da,
    format_number_da,
    format_pct_da,
    format_quarter_da,
    format_weekday_date_da,
    interval_da,
    month_name_da,
    sample_size_da,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2025, 6, 30), "30. juni 2025"),
        (date(2026, 11, 20), "20. november 2026"),
        (date(2024, 2, 29), "29. februar 2024"),
        (date(2025, 1, 1), "1. januar 2025"),
        (date(2025, 3, 5), "5. marts 2025"),
        (date(2025, 5, 8), "8. maj 2025"),
        (None, "–"),
    ],
)
def test_format_date_da(value, expected):
    assert format_date_da(value) == expected


def test_format_date_da_accepts_datetime_as_date():
    assert format_date_da(datetime(2025, 12, 24, 23, 59)) == "24. december 2025"


@pytest.mark.parametrize(
    ("value", "expected"),
    [  # a naive moment is UTC; Danish time is UTC+1 in winter, UTC+2 in summer
        (datetime(2025, 6, 30, 12, 5), "30. juni 2025 kl. 14.05"),
        (datetime(2026, 11, 20, 15, 16), "20. november 2026 kl. 16.16"),
        (datetime(2026, 7, 1, 15, 16), "1. juli 2026 kl. 17.16"),
        (datetime(2026, 7, 1, 15, 16, tzinfo=UTC), "1. juli 2026 kl. 17.16"),
        (datetime(2026, 11, 20, 16, 16, tzinfo=ZoneInfo("Europe/Copenhagen")),
         "20. november 2026 kl. 16.16"),
        (datetime(2025, 12, 31, 23, 30), "1. januar 2026 kl. 00.30"),  # the Danish date
        # Summer time ends at 01.00 UTC on 26 October 2025: 02.59 summer time, then 02.00.
        (datetime(2025, 10, 26, 0, 59, 59), "26. oktober 2025 kl. 02.59"),
        (datetime(2025, 10, 26, 1, 0), "26. oktober 2025 kl. 02.00"),
        (None, "–"),
    ],
)
def test_format_datetime_da(value, expected):
    assert format_datetime_da(value) == expected


def test_format_weekday_date_da():
    assert format_weekday_date_da(date(2025, 4, 29)) == "tirsdag 29. april 2025"
    assert format_weekday_date_da(date(2025, 4, 20)) == "søndag 20. april 2025"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (7, "7"),
        (999, "999"),
        (1000, "1.000"),
        (1234, "1.234"),
        (12345, "12.345"),
        (1234567, "1.234.567"),
        (-1234, "-1.234"),
        (1234.4, "1.234"),
        (None, "–"),
    ],
)
def test_format_int_da(value, expected):
    assert format_int_da(value) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (1234.5, 1, "1.234,5"),
        (0.25, 2, "0,25"),
        (-0.04, 1, "0,0"),
        (-12.75, 1, "-12,8"),
        (1000000, 2, "1.000.000,00"),
    ],
)
def test_format_number_da(value, decimals, expected):
    assert format_number_da(value, decimals) == expected


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (0.875, {}, "87,5 %"),
        (1.0, {}, "100,0 %"),
        (0.0, {}, "0,0 %"),
        (0.5, {"decimals": 0}, "50 %"),
        (0.12345, {"decimals": 2}, "12,35 %"),
        (None, {}, "–"),
    ],
)
def test_format_pct_da(value, kwargs, expected):
    assert format_pct_da(value, **kwargs) == expected


def test_months_and_quarters():
    assert month_name_da(1) == "januar"
    assert month_name_da(12) == "december"
    assert format_month_da(2025, 6) == "juni 2025"
    assert format_month_da(2024, 3) == "marts 2024"
    assert format_quarter_da(2025, 2) == "2. kvartal 2025"
    assert format_quarter_da(2023, 4) == "4. kvartal 2023"


@pytest.mark.parametrize("bad", [0, 13])
def test_month_out_of_range(bad):
    with pytest.raises(ValueError):
        month_name_da(bad)


def test_quarter_out_of_range():
    with pytest.raises(ValueError):
        format_quarter_da(2025, 5)


@pytest.mark.parametrize(
    ("low", "high", "kwargs", "expected"),
    [
        (0.62, 0.91, {}, "95 %-interval 62–91 %"),
        (0.4232, 0.7541, {}, "95 %-interval 42–75 %"),  # 18 of 30 (domain.md)
        (0.4232, 0.7541, {"decimals": 1}, "95 %-interval 42,3–75,4 %"),
        (0.0, 1.0, {}, "95 %-interval 0–100 %"),
        (None, 0.5, {}, "–"),
        (float("nan"), float("nan"), {}, "–"),  # figures.wilson of no cases
    ],
)
def test_interval_da(low, high, kwargs, expected):
    assert interval_da(low, high, **kwargs) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [(12, "n = 12 sager"), (1, "n = 1 sag"), (0, "n = 0 sager"), (1234, "n = 1.234 sager"),
     (None, "–")],
)
def test_sample_size_da(n, expected):
    assert sample_size_da(n) == expected


def test_estimate_da_gives_share_interval_and_size_together():
    assert estimate_da(0.6, 0.4232, 0.7541, 30) == "60 % (95 %-interval 42–75 %, n = 30 sager)"
    assert estimate_da(None, None, None, 0) == "–"
    assert estimate_da(0.0, 0.0, 0.0, 0) == "–"
