"""The legal calendar in Python (kpis.rules.calendar) and the legal regime (kpis.rules.regime).

Every expected value in the tables below was worked out by hand with a printed calendar (`cal`),
following domain.md "How deadlines are counted"; none is produced by the code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpis.rules.calendar import (
    add_hverdage,
    add_months,
    calendar_frame,
    danish_holidays,
    due_after_hours,
    due_date_hours,
    is_workday,
    on_time_hours,
)
from kpis.rules.regime import BARNETS_LOV_START, Regime, regime_for
from kpis.settings import CalendarSettings

CPH = ZoneInfo("Europe/Copenhagen")
DEFAULT = CalendarSettings()
ALL_CLOSED = CalendarSettings(
    grundlovsdag_closed=True, christmas_eve_closed=True, new_years_eve_closed=True
)
GRUNDLOV = CalendarSettings(grundlovsdag_closed=True)
XMAS_EVE = CalendarSettings(christmas_eve_closed=True)
NEW_YEARS_EVE = CalendarSettings(new_years_eve_closed=True)


# --- Calendar months ---------------------------------------------------------------------------

MONTH_CASES = [
    # (start, months, expected, why)
    (date(2025, 10, 31), 4, date(2026, 2, 28), "31 Oct + 4 clamps to 28 Feb"),
    (date(2023, 10, 31), 4, date(2024, 2, 29), "31 Oct + 4 in a leap year: 29 Feb"),
    (date(2024, 2, 29), 12, date(2025, 2, 28), "leap day + 12: 28 Feb"),
    (date(2024, 2, 29), 48, date(2028, 2, 29), "leap day + 48: leap day again"),
    (date(2025, 11, 30), 3, date(2026, 2, 28), "30 Nov + 3: 28 Feb"),
    (date(2023, 11, 30), 3, date(2024, 2, 29), "30 Nov + 3 in a leap year: 29 Feb"),
    (date(2025, 1, 31), 1, date(2025, 2, 28), "31 Jan + 1"),
    (date(2025, 3, 31), 1, date(2025, 4, 30), "31 Mar + 1: 30 Apr"),
    (date(2024, 12, 31), 2, date(2025, 2, 28), "over the year end, clamped"),
    (date(2025, 12, 31), 1, date(2026, 1, 31), "over the year end, not clamped"),
    (date(2025, 1, 15), 4, date(2025, 5, 15), "an ordinary BFU"),
    (date(2025, 5, 15), 24, date(2027, 5, 15), "two years"),
    (date(2025, 5, 15), 0, date(2025, 5, 15), "zero months"),
    (date(2025, 3, 31), -1, date(2025, 2, 28), "negative: 31 Mar - 1 clamps to 28 Feb"),
    (date(2024, 3, 31), -1, date(2024, 2, 29), "negative in a leap year: 29 Feb"),
    (date(2024, 8, 31), -6, date(2024, 2, 29), "6 months before 31 Aug 2024"),
    (date(2025, 6, 15), -6, date(2024, 12, 15), "6 months before, over the year end"),
    (date(2025, 1, 31), -2, date(2024, 11, 30), "negative, over the year end, clamped"),
    (date(2025, 2, 28), -12, date(2024, 2, 28), "not lifted to the month end"),
]


@pytest.mark.parametrize(("start", "months", "expected", "why"), MONTH_CASES)
def test_add_months(start: date, months: int, expected: date, why: str) -> None:
    assert add_months(start, months) == expected, why


# --- Closed days -------------------------------------------------------------------------------


def test_public_holidays_2023_include_store_bededag() -> None:
    assert danish_holidays(2023, 2023, DEFAULT) == {
        date(2023, 1, 1): "Nytårsdag",
        date(2023, 4, 6): "Skærtorsdag",
        date(2023, 4, 7): "Langfredag",
        date(2023, 4, 9): "Påskedag",
        date(2023, 4, 10): "Anden påskedag",
        date(2023, 5, 5): "Store bededag",
        date(2023, 5, 18): "Kristi himmelfartsdag",
        date(2023, 5, 28): "Pinsedag",
        date(2023, 5, 29): "Anden pinsedag",
        date(2023, 12, 25): "Juledag",
        date(2023, 12, 26): "Anden juledag",
    }


def test_public_holidays_2024_without_store_bededag() -> None:
    assert danish_holidays(2024, 2024, DEFAULT) == {
        date(2024, 1, 1): "Nytårsdag",
        date(2024, 3, 28): "Skærtorsdag",
        date(2024, 3, 29): "Langfredag",
        date(2024, 3, 31): "Påskedag",
        date(2024, 4, 1): "Anden påskedag",
        date(2024, 5, 9): "Kristi himmelfartsdag",
        date(2024, 5, 19): "Pinsedag",
        date(2024, 5, 20): "Anden pinsedag",
        date(2024, 12, 25): "Juledag",
        date(2024, 12, 26): "Anden juledag",
    }


def test_package_default_set_is_exactly_the_legal_list_every_year() -> None:
    """Guards a `holidays` upgrade: 1 May, Grundlovsdag, 24 and 31 December live in the package's
    optional set and must never reach the default; Store Bededag stops after 2023."""
    names = {
        "Nytårsdag",
        "Skærtorsdag",
        "Langfredag",
        "Påskedag",
        "Anden påskedag",
        "Kristi himmelfartsdag",
        "Pinsedag",
        "Anden pinsedag",
        "Juledag",
        "Anden juledag",
    }
    for year in range(2015, 2036):
        got = danish_holidays(year, year, DEFAULT)
        expected = names | {"Store bededag"} if year <= 2023 else names
        assert sorted(got.values()) == sorted(expected), year


def test_extra_closed_days_follow_the_settings() -> None:
    extras = {
        date(2025, 6, 5): "Grundlovsdag",
        date(2025, 12, 24): "Juleaftensdag",
        date(2025, 12, 31): "Nytårsaftensdag",
    }
    default = danish_holidays(2025, 2025, DEFAULT)
    closed = danish_holidays(2025, 2025, ALL_CLOSED)
    assert not set(extras) & set(default)
    assert closed == dict(sorted({**default, **extras}.items()))
    assert set(danish_holidays(2025, 2025, GRUNDLOV)) - set(default) == {date(2025, 6, 5)}
    assert set(danish_holidays(2025, 2025, XMAS_EVE)) - set(default) == {date(2025, 12, 24)}
    assert set(danish_holidays(2025, 2025, NEW_YEARS_EVE)) - set(default) == {date(2025, 12, 31)}


def test_extra_day_on_a_public_holiday_keeps_both_names() -> None:
    # 2017: Pinsedag Sunday 4 June, so Anden pinsedag falls on Grundlovsdag, Monday 5 June.
    assert danish_holidays(2017, 2017, GRUNDLOV)[date(2017, 6, 5)] == "Anden pinsedag; Grundlovsdag"


WORKDAY_CASES = [
    # (day, settings, expected, why)
    (date(2023, 5, 5), DEFAULT, False, "Store Bededag 2023 is closed"),
    (date(2024, 4, 26), DEFAULT, True, "the Friday that was Store Bededag is a workday in 2024"),
    (date(2025, 5, 1), DEFAULT, True, "1 May is not a public holiday"),
    (date(2025, 4, 17), DEFAULT, False, "Skærtorsdag"),
    (date(2025, 1, 1), DEFAULT, False, "Nytårsdag"),
    (date(2025, 5, 29), DEFAULT, False, "Kristi himmelfartsdag"),
    (date(2025, 6, 9), DEFAULT, False, "Anden pinsedag"),
    (date(2025, 4, 19), DEFAULT, False, "a Saturday"),
    (date(2025, 4, 20), DEFAULT, False, "Påskedag, a Sunday"),
    (date(2025, 4, 22), DEFAULT, True, "the Tuesday after Easter"),
    (date(2025, 6, 5), DEFAULT, True, "Grundlovsdag, open by default"),
    (date(2025, 6, 5), GRUNDLOV, False, "Grundlovsdag, closed by setting"),
    (date(2025, 12, 24), DEFAULT, True, "Juleaftensdag, open by default"),
    (date(2025, 12, 24), XMAS_EVE, False, "Juleaftensdag, closed by setting"),
    (date(2025, 12, 31), DEFAULT, True, "Nytårsaftensdag, open by default"),
    (date(2025, 12, 31), NEW_YEARS_EVE, False, "Nytårsaftensdag, closed by setting"),
    (date(2025, 12, 31), GRUNDLOV, True, "one setting closes only its own day"),
]


@pytest.mark.parametrize(("day", "settings", "expected", "why"), WORKDAY_CASES)
def test_is_workday(day: date, settings: CalendarSettings, expected: bool, why: str) -> None:
    assert is_workday(day, settings) is expected, why


# --- Hverdage ----------------------------------------------------------------------------------

HVERDAGE_CASES = [
    # (received, n, settings, expected, how it was counted)
    (date(2025, 4, 16), 6, DEFAULT, date(2025, 4, 29), "Wed; 17-21 shut; 22-25, 28, 29"),
    (date(2025, 4, 17), 6, DEFAULT, date(2025, 4, 29), "received on Skærtorsdag: same as Wed"),
    (date(2024, 3, 27), 6, DEFAULT, date(2024, 4, 9), "28 Mar-1 Apr shut; 2-5, 8, 9"),
    (date(2024, 3, 25), 6, DEFAULT, date(2024, 4, 5), "Mon; 26, 27, then 2, 3, 4, 5 Apr"),
    (date(2024, 12, 27), 6, DEFAULT, date(2025, 1, 7), "Fri; 30, 31, 1 Jan closed; 2, 3, 6, 7"),
    (date(2024, 12, 27), 6, NEW_YEARS_EVE, date(2025, 1, 8), "31 Dec shut: 30, 2, 3, 6, 7, 8"),
    (date(2024, 12, 23), 6, DEFAULT, date(2025, 1, 3), "Mon; 24, 27, 30, 31, 2, 3"),
    (date(2024, 12, 23), 6, XMAS_EVE, date(2025, 1, 6), "24 Dec closed: 27, 30, 31, 2, 3, 6"),
    (date(2024, 12, 23), 6, ALL_CLOSED, date(2025, 1, 7), "24 and 31 closed: 27, 30, 2, 3, 6, 7"),
    (date(2023, 5, 4), 1, DEFAULT, date(2023, 5, 8), "Thu; Store Bededag Fri 5 May 2023 closed"),
    (date(2023, 5, 4), 6, DEFAULT, date(2023, 5, 15), "Thu; 8, 9, 10, 11, 12, 15"),
    (date(2024, 4, 25), 1, DEFAULT, date(2024, 4, 26), "Thu; Fri 26 Apr 2024 is a workday"),
    (date(2024, 4, 25), 6, DEFAULT, date(2024, 5, 3), "26, 29, 30, 1 May, 2, 3"),
    (date(2024, 5, 8), 6, DEFAULT, date(2024, 5, 17), "Kristi himmelfart Thu 9 May: 10, 13-17"),
    (date(2024, 5, 17), 1, DEFAULT, date(2024, 5, 21), "Fri; Anden pinsedag Mon 20 May closed"),
    (date(2025, 5, 27), 6, DEFAULT, date(2025, 6, 5), "28, (29 closed), 30, 2, 3, 4, 5 Jun"),
    (date(2025, 5, 27), 6, GRUNDLOV, date(2025, 6, 6), "Grundlovsdag closed: ends Fri 6 Jun"),
    (date(2025, 6, 4), 3, DEFAULT, date(2025, 6, 10), "5, 6, (9 Anden pinsedag), 10"),
    (date(2025, 6, 4), 3, GRUNDLOV, date(2025, 6, 11), "6, 10, 11"),
    (date(2025, 4, 5), 6, DEFAULT, date(2025, 4, 14), "Saturday receipt: Mon 7 counts as day 1"),
    (date(2025, 4, 6), 6, DEFAULT, date(2025, 4, 14), "Sunday receipt: the same"),
    (date(2025, 4, 4), 6, DEFAULT, date(2025, 4, 14), "Friday receipt: the same"),
    (date(2025, 4, 4), 1, DEFAULT, date(2025, 4, 7), "Fri + 1: Monday"),
]


@pytest.mark.parametrize(("received", "n", "settings", "expected", "why"), HVERDAGE_CASES)
def test_add_hverdage(
    received: date, n: int, settings: CalendarSettings, expected: date, why: str
) -> None:
    assert add_hverdage(received, n, settings) == expected, why


def test_add_hverdage_refuses_zero_and_negative() -> None:
    with pytest.raises(ValueError):
        add_hverdage(date(2025, 4, 16), 0, DEFAULT)
    with pytest.raises(ValueError):
        add_hverdage(date(2025, 4, 16), -1, DEFAULT)


# --- Clock hours -------------------------------------------------------------------------------


def _at(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi)


HOURS_CASES = [
    # (received, assessed, on time?, why) — both with a time of day, 24 hours
    (_at(2025, 5, 6, 10), _at(2025, 5, 7, 9, 59), True, "one minute early"),
    (_at(2025, 5, 6, 10), _at(2025, 5, 7, 10, 0), True, "exactly 24 hours is on time"),
    (_at(2025, 5, 6, 10), _at(2025, 5, 7, 10, 1), False, "one minute late"),
    (_at(2025, 3, 29, 10), _at(2025, 3, 30, 10, 59), True, "spring: due 11:00 local"),
    (_at(2025, 3, 29, 10), _at(2025, 3, 30, 11, 0), True, "spring: at the due moment"),
    (_at(2025, 3, 29, 10), _at(2025, 3, 30, 11, 1), False, "spring: a minute after"),
    (_at(2025, 10, 25, 10), _at(2025, 10, 26, 9, 0), True, "autumn: due 09:00 local"),
    (_at(2025, 10, 25, 10), _at(2025, 10, 26, 9, 1), False, "autumn: 09:01 is late"),
    (_at(2025, 10, 25, 10), _at(2025, 10, 26, 9, 59), False, "autumn: 09:59 is late"),
    # Received 02:30 summer time, due 02:30 summer time (00:30 UTC) in the night the clocks go
    # back; a completion stamped 02:15 is read as the second 02:15 (winter time, 01:15 UTC).
    (_at(2025, 10, 25, 2, 30), _at(2025, 10, 26, 1, 59), True, "before the repeated hour"),
    (_at(2025, 10, 25, 2, 30), _at(2025, 10, 26, 2, 15), False, "repeated hour, 2nd 02:15"),
]


@pytest.mark.parametrize(("received", "assessed", "expected", "why"), HOURS_CASES)
def test_on_time_hours_with_times(
    received: datetime, assessed: datetime, expected: bool, why: str
) -> None:
    assert on_time_hours(received, True, assessed, True, 24) is expected, why


DUE_CASES = [
    # (received local, hours, due local wall clock, due UTC offset in hours)
    (_at(2025, 5, 6, 10), 24, _at(2025, 5, 7, 10), 2),
    (_at(2025, 1, 6, 10), 24, _at(2025, 1, 7, 10), 1),
    (_at(2025, 3, 29, 10), 24, _at(2025, 3, 30, 11), 2),  # spring forward: clock +1 h
    (_at(2025, 10, 25, 10), 24, _at(2025, 10, 26, 9), 1),  # fall back: clock -1 h
    (_at(2025, 3, 29, 23, 30), 24, _at(2025, 3, 31, 0, 30), 2),  # due on the day after next
    (_at(2025, 3, 30, 2, 30), 24, _at(2025, 3, 31, 3, 30), 2),  # skipped hour = 03:30 summer
    (_at(2025, 10, 26, 2, 30), 24, _at(2025, 10, 27, 2, 30), 1),  # repeated hour: 2nd = winter
    (_at(2025, 10, 26, 2, 30), 1, _at(2025, 10, 26, 3, 30), 1),
    (_at(2025, 10, 26, 1, 30), 1, _at(2025, 10, 26, 2, 30), 2),  # the first 02:30 exists too
    (_at(2025, 5, 6, 10), 48, _at(2025, 5, 8, 10), 2),
]


@pytest.mark.parametrize(("received", "hours", "due_local", "offset_hours"), DUE_CASES)
def test_due_after_hours(
    received: datetime, hours: int, due_local: datetime, offset_hours: int
) -> None:
    due = due_after_hours(received, hours)
    assert due.tzinfo is not None
    assert due.replace(tzinfo=None) == due_local
    assert due.utcoffset() == timedelta(hours=offset_hours)


def test_due_after_hours_is_elapsed_time() -> None:
    due = due_after_hours(_at(2025, 3, 29, 10), 24)
    # 10:00 CET is 09:00 UTC; 24 h later is 09:00 UTC on Sunday, 11:00 summer time.
    assert due == datetime(2025, 3, 30, 9, 0, tzinfo=UTC)


DEGRADE_CASES = [
    # (start, start_has_time, done, done_has_time, on time?, why)
    (date(2025, 5, 6), False, _at(2025, 5, 7, 23, 59), True, True, "start without time: next day"),
    (date(2025, 5, 6), False, _at(2025, 5, 8, 0, 0), True, False, "start without time: 2 days"),
    (_at(2025, 5, 6, 10), True, date(2025, 5, 7), False, True, "done without time: next day"),
    (_at(2025, 5, 6, 10), True, date(2025, 5, 8), False, False, "done without time: 2 days late"),
    (_at(2025, 5, 6, 10), False, _at(2025, 5, 7, 23, 0), True, True, "flag says no time: degrade"),
    (date(2025, 5, 9), False, date(2025, 5, 10), False, True, "Friday to Saturday: calendar days"),
    (date(2025, 5, 9), False, date(2025, 5, 9), False, True, "same day"),
    # Degraded is start + 1 day, even though the timed due moment (00:30) is on the 31st.
    (_at(2025, 3, 29, 23, 30), True, date(2025, 3, 31), False, False, "spring, late night"),
]


@pytest.mark.parametrize(
    ("start", "start_has_time", "done", "done_has_time", "expected", "why"), DEGRADE_CASES
)
def test_on_time_hours_degrades_without_times(
    start: date | datetime,
    start_has_time: bool,
    done: date | datetime,
    done_has_time: bool,
    expected: bool,
    why: str,
) -> None:
    assert on_time_hours(start, start_has_time, done, done_has_time, 24) is expected, why


def test_on_time_hours_without_completion_is_none() -> None:
    assert on_time_hours(_at(2025, 5, 6, 10), True, None, False, 24) is None


def test_due_date_hours() -> None:
    assert due_date_hours(_at(2025, 5, 6, 10), True, 24) == date(2025, 5, 7)
    assert due_date_hours(_at(2025, 3, 29, 23, 30), True, 24) == date(2025, 3, 31)
    assert due_date_hours(_at(2025, 10, 25, 23, 30), True, 24) == date(2025, 10, 26)
    assert due_date_hours(date(2025, 5, 6), False, 24) == date(2025, 5, 7)
    assert due_date_hours(_at(2025, 5, 6, 10), False, 24) == date(2025, 5, 7)
    assert due_date_hours(date(2025, 5, 6), False, 48) == date(2025, 5, 8)


# --- The frame ---------------------------------------------------------------------------------


def test_calendar_frame_around_easter_2025() -> None:
    frame = calendar_frame(date(2025, 4, 14), date(2025, 4, 23), DEFAULT)
    assert frame.schema == pl.Schema(
        {"day": pl.Date, "is_workday": pl.Boolean, "workday_no": pl.Int32, "holiday": pl.String}
    )
    assert frame.rows() == [
        (date(2025, 4, 14), True, 1, None),
        (date(2025, 4, 15), True, 2, None),
        (date(2025, 4, 16), True, 3, None),
        (date(2025, 4, 17), False, 3, "Skærtorsdag"),
        (date(2025, 4, 18), False, 3, "Langfredag"),
        (date(2025, 4, 19), False, 3, None),
        (date(2025, 4, 20), False, 3, "Påskedag"),
        (date(2025, 4, 21), False, 3, "Anden påskedag"),
        (date(2025, 4, 22), True, 4, None),
        (date(2025, 4, 23), True, 5, None),
    ]


def test_calendar_frame_starting_on_a_weekend_counts_from_zero() -> None:
    frame = calendar_frame(date(2025, 4, 19), date(2025, 4, 22), DEFAULT)
    assert frame["workday_no"].to_list() == [0, 0, 0, 1]


# --- Regime ------------------------------------------------------------------------------------

REGIME_CASES = [
    (date(2023, 12, 31), Regime.SEL),
    (date(2024, 1, 1), Regime.BARNETS_LOV),
    (date(2015, 6, 1), Regime.SEL),
    (date(2026, 6, 1), Regime.BARNETS_LOV),
]


@pytest.mark.parametrize(("day", "expected"), REGIME_CASES)
def test_regime_for(day: date, expected: Regime) -> None:
    assert regime_for(day) is expected


def test_regime_values_and_labels() -> None:
    assert BARNETS_LOV_START == date(2024, 1, 1)
    assert Regime.SEL.value == "sel" and Regime.BARNETS_LOV.value == "barnets_lov"
    assert Regime.SEL.label_da == "Serviceloven"
    assert Regime.BARNETS_LOV.label_da == "Barnets Lov"
    assert Regime("barnets_lov") is Regime.BARNETS_LOV


# --- Properties --------------------------------------------------------------------------------

days = st.dates(min_value=date(2010, 1, 1), max_value=date(2040, 12, 31))
settings_strategy = st.builds(
    CalendarSettings,
    grundlovsdag_closed=st.booleans(),
    christmas_eve_closed=st.booleans(),
    new_years_eve_closed=st.booleans(),
)


@given(days, st.integers(min_value=-60, max_value=60))
def test_add_months_lands_in_the_right_month_never_later_in_it(d: date, n: int) -> None:
    result = add_months(d, n)
    months_apart = (result.year - d.year) * 12 + (result.month - d.month)
    assert months_apart == n
    assert result.day <= d.day
    if result.day < d.day:
        # Clamped, so it must be the last day of its month.
        assert (result + timedelta(days=1)).day == 1


@given(days.filter(lambda d: d.day <= 28), st.integers(min_value=-60, max_value=60))
def test_add_months_is_reversible_below_the_29th(d: date, n: int) -> None:
    assert add_months(add_months(d, n), -n) == d


@given(days, st.integers(min_value=1, max_value=40), settings_strategy)
def test_add_hverdage_properties(d: date, n: int, settings: CalendarSettings) -> None:
    result = add_hverdage(d, n, settings)
    assert result > d
    closed = danish_holidays(d.year, result.year, settings)
    workdays_between = [
        d + timedelta(days=k)
        for k in range(1, (result - d).days + 1)
        if (d + timedelta(days=k)).weekday() < 5 and d + timedelta(days=k) not in closed
    ]
    assert len(workdays_between) == n
    assert workdays_between[-1] == result  # so the result itself is a workday


@given(days, st.integers(min_value=1, max_value=30), settings_strategy)
def test_add_hverdage_is_strictly_monotonic_in_n(d: date, n: int, s: CalendarSettings) -> None:
    assert add_hverdage(d, n, s) < add_hverdage(d, n + 1, s)
    # Counting on from the n-th day is the same as counting n + 1 from the start.
    assert add_hverdage(add_hverdage(d, n, s), 1, s) == add_hverdage(d, n + 1, s)


naive_times = st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2035, 12, 31))


@given(naive_times, st.integers(min_value=1, max_value=24 * 14))
def test_due_after_hours_elapses_exactly_n_hours(start: datetime, hours: int) -> None:
    due = due_after_hours(start, hours)
    begin = due_after_hours(start, 0)
    assert due.astimezone(UTC) - begin.astimezone(UTC) == timedelta(hours=hours)
    # The wall clock moves by n hours, give or take the one hour of a daylight-saving change.
    wall = due.replace(tzinfo=None) - begin.replace(tzinfo=None)
    assert abs(wall - timedelta(hours=hours)) <= timedelta(hours=1)
