"""The legal calendar in plain Python: calendar months, hverdage and clock hours.

This is the reference implementation (domain.md, "How deadlines are counted"). The SQL every KPI
uses (`kpis.rules.calendar_sql`) is built from `calendar_frame` below and is tested to give the
same answers as these functions.

Choices made here, each deliberate:
- Public holidays come from the `holidays` package's default ("public") category for Denmark. It
  holds exactly the eleven days of domain.md (Store Bededag up to 2023 only). Its "optional"
  category also holds Grundlovsdag, 24 and 31 December *and* 1 May (Arbejdernes kampdag), so it
  is not used: the extra closed days are added by their fixed dates, one setting each.
- Timestamps in the data are naive Danish local time. A wall-clock time that does not exist
  (the skipped hour when summer time starts) is read with the offset in force before the change,
  so 02:30 becomes 03:30 summer time; a wall-clock time that occurs twice (the repeated hour when
  summer time ends) is read as the second occurrence, in standard time. That is what DuckDB's ICU
  `timezone()` does, and the SQL and Python sides must agree on every timestamp.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import math
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
import polars as pl

from kpis.settings import CalendarSettings

DANISH_TZ_NAME = "Europe/Copenhagen"
DANISH_TZ = ZoneInfo(DANISH_TZ_NAME)

# Extra closed days a municipality may choose (a setting each): setting field, month, day, label.
_EXTRA_CLOSED_DAYS: tuple[tuple[str, int, int, str], ...] = (
    ("grundlovsdag_closed", 6, 5, "Grundlovsdag"),
    ("christmas_eve_closed", 12, 24, "Juleaftensdag"),
    ("new_years_eve_closed", 12, 31, "Nytårsaftensdag"),
)


# --- Calendar months -------------------------------------------------------------------------


def add_months(d: date, n: int) -> date:
    """`d` plus `n` calendar months (n may be negative): the same day of month, clamped to the
    last day of a shorter month (31 Oct + 4 = 28 Feb, or 29 Feb in a leap year)."""
    month_index = d.year * 12 + (d.month - 1) + n
    year, month0 = divmod(month_index, 12)
    last_day = _stdlib_calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last_day))


# --- Hverdage --------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _closed_days_of_year(
    year: int, grundlovsdag: bool, christmas_eve: bool, new_years_eve: bool
) -> dict[date, str]:
    # Cached per year and setting because add_hverdage and is_workday ask for one day at a time.
    # Callers get copies or read-only use only: the cached dict must never be mutated.
    closed = dict(holidays.country_holidays("DK", years=year, language="da").items())
    chosen = {
        "grundlovsdag_closed": grundlovsdag,
        "christmas_eve_closed": christmas_eve,
        "new_years_eve_closed": new_years_eve,
    }
    for field, month, day, label in _EXTRA_CLOSED_DAYS:
        if chosen[field]:
            d = date(year, month, day)
            # A coinciding public holiday keeps its name first ("Anden pinsedag; Grundlovsdag"),
            # the way the holidays package joins names itself.
            closed[d] = f"{closed[d]}; {label}" if d in closed else label
    return closed


def _closed_days(year: int, settings: CalendarSettings) -> dict[date, str]:
    return _closed_days_of_year(
        year,
        settings.grundlovsdag_closed,
        settings.christmas_eve_closed,
        settings.new_years_eve_closed,
    )


def danish_holidays(year_from: int, year_to: int, settings: CalendarSettings) -> dict[date, str]:
    """Closed days (public holidays plus the extra days the settings close) in the years
    `year_from`..`year_to` inclusive, with their Danish names, in date order."""
    result: dict[date, str] = {}
    for year in range(year_from, year_to + 1):
        result.update(_closed_days(year, settings))
    return dict(sorted(result.items()))


def is_workday(d: date, settings: CalendarSettings) -> bool:
    """A hverdag: Monday to Friday and not a closed day."""
    return d.weekday() < 5 and d not in _closed_days(d.year, settings)


def add_hverdage(d: date, n: int, settings: CalendarSettings) -> date:
    """The `n`-th working day after `d` (n ≥ 1). `d` itself never counts, whatever day it is,
    so a receipt on a Saturday counts from Monday: "within 6 hverdage of receipt"."""
    if n < 1:
        raise ValueError(f"add_hverdage needs n >= 1, got {n}")
    day, counted = d, 0
    # Step one day at a time: slow but obviously right, which is what a reference is for.
    while counted < n:
        day += timedelta(days=1)
        if is_workday(day, settings):
            counted += 1
    return day


# --- Clock hours -----------------------------------------------------------------------------


def local_moment(naive: datetime) -> datetime:
    """A naive Danish local time as an aware datetime, with the DST rule of the module docstring."""
    if naive.tzinfo is not None:
        return naive.astimezone(DANISH_TZ)
    first = naive.replace(tzinfo=DANISH_TZ, fold=0)
    round_trip = first.astimezone(UTC).astimezone(DANISH_TZ).replace(tzinfo=None)
    if round_trip != naive:
        # Skipped hour: fold=0 already uses the offset before the change.
        return first
    # Repeated hour: fold=1 is the second occurrence; elsewhere fold makes no difference.
    return naive.replace(tzinfo=DANISH_TZ, fold=1)


def due_after_hours(start: datetime, hours: int) -> datetime:
    """`start` (naive Danish local time) plus `hours` elapsed hours, as an aware local datetime.

    Across a daylight-saving change the clock time of the due moment moves by an hour: received
    Saturday 29 March 2025 10:00, due Sunday 30 March 11:00.

    Compare or subtract the result in UTC (`.astimezone(UTC)`): Python compares and subtracts two
    datetimes of the same zone by their wall clocks, which is wrong across a change and in the
    repeated hour, and `==` with another zone is always False inside the repeated hour."""
    # Add in UTC: arithmetic on an aware datetime in one zone is wall-clock arithmetic in Python.
    return (local_moment(start).astimezone(UTC) + timedelta(hours=hours)).astimezone(DANISH_TZ)


def degraded_days(hours: int) -> int:
    """Calendar days allowed when a timestamp lacks its time of day: 24 hours → the next day."""
    return math.ceil(hours / 24)


def due_date_hours(start: date | datetime, start_has_time: bool, hours: int = 24) -> date:
    """The local calendar date of the due moment, or start date + 1 day (for 24 hours) when the
    start has no time of day. With a time, across the spring change the date may be start + 2:
    Saturday 29 March 2025 23:30 + 24 h = Monday 31 March 00:30."""
    if start_has_time and isinstance(start, datetime):
        return due_after_hours(start, hours).date()
    return _as_date(start) + timedelta(days=degraded_days(hours))


def on_time_hours(
    start: date | datetime,
    start_has_time: bool,
    done: date | datetime | None,
    done_has_time: bool,
    hours: int = 24,
) -> bool | None:
    """Was `done` within `hours` elapsed hours of `start`? None when there is no `done`.

    When either side lacks a time of day the rule degrades to "done no later than the next
    calendar day" (⌈hours / 24⌉ days in general)."""
    if done is None:
        return None
    both_timed = (
        start_has_time
        and done_has_time
        and isinstance(start, datetime)
        and isinstance(done, datetime)
    )
    if both_timed:
        # In UTC: same-zone comparison would use wall clocks (see due_after_hours).
        return local_moment(done).astimezone(UTC) <= due_after_hours(start, hours).astimezone(UTC)
    return _as_date(done) <= _as_date(start) + timedelta(days=degraded_days(hours))


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- The frame the SQL side is built from ----------------------------------------------------


def calendar_frame(start: date, end: date, settings: CalendarSettings) -> pl.DataFrame:
    """One row per day from `start` to `end` inclusive: `day`, `is_workday`, `workday_no` (the
    number of working days from `start` up to and including `day`) and `holiday` (the Danish
    name of a closed day, else null; weekends have no name)."""
    if end < start:
        raise ValueError(f"calendar_frame: end {end} is before start {start}")
    closed = danish_holidays(start.year, end.year, settings)
    days, workday, numbers, names = [], [], [], []
    count = 0
    day = start
    while day <= end:
        works = day.weekday() < 5 and day not in closed
        count += works
        days.append(day)
        workday.append(works)
        numbers.append(count)
        names.append(closed.get(day))
        day += timedelta(days=1)
    return pl.DataFrame(
        {"day": days, "is_workday": workday, "workday_no": numbers, "holiday": names},
        schema={
            "day": pl.Date,
            "is_workday": pl.Boolean,
            "workday_no": pl.Int32,
            "holiday": pl.String,
        },
    )
