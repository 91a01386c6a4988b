"""The legal calendar inside DuckDB: temp table `calendar` and five temp macros every KPI uses.

`install_calendar(conn, settings)` creates them on one connection. Temp objects belong to the
connection that made them (a `.cursor()` is a connection of its own), so call it once on every
connection or cursor that runs KPI SQL. It is idempotent (`CREATE OR REPLACE`) and works on a
read-only connection (temp objects live outside the database file). The table is built from
`kpis.rules.calendar.calendar_frame`, so Python and SQL share one list of closed days.

Objects created (all TEMP):

``calendar`` (table), one row per day from `start` to `end`:
    ``day DATE, is_workday BOOLEAN, workday_no INTEGER, holiday VARCHAR`` — `workday_no` counts the
    working days from `start` up to and including `day`; `holiday` is the Danish name of a closed
    day (null on ordinary days and weekends).

``add_months_clamped(d, n) -> DATE``
    `d` (DATE, or a TIMESTAMP whose date is used) plus `n` (INTEGER, may be negative) calendar
    months, the day of month clamped to the month's end: 2025-10-31 + 4 → 2026-02-28.

``add_hverdage(d, n) -> DATE``
    The `n`-th working day after `d` (DATE or TIMESTAMP; its date is used and never counts itself).
    `n` ≥ 1. NULL when `d` or `n` is NULL. Raises when `n` < 1 or the answer falls outside the
    calendar table, instead of returning a due date that looks real. Two list look-ups in
    ``calendar_index`` (a one-row temp table derived from ``calendar``: first_day, last_day,
    workday_no_by_day, workdays): 700,000 random dates or timestamps take about 25–35 ms here.

Install cost: about 7 ms per connection or cursor (the frame is built once and cached).

``due_after_hours(ts, n) -> TIMESTAMPTZ``
    `ts` (TIMESTAMP, naive Danish local time) read in Europe/Copenhagen, plus `n` (INTEGER)
    elapsed hours. A skipped local time (spring) is read with the offset before the change, a
    repeated one (autumn) as its second occurrence — DuckDB ICU's rule, mirrored in Python.

``on_time_hours(start_ts, start_has_time, done_ts, done_has_time, n) -> BOOLEAN``
    `start_ts`, `done_ts` TIMESTAMP (naive local); the `*_has_time` BOOLEANs say whether the
    source had a time of day (NULL counts as no time). With both times: done ≤ start + n elapsed
    hours. Otherwise: the date of done ≤ the date of start + ⌈n/24⌉ days (the next calendar day
    for 24 hours). NULL when `done_ts` or `start_ts` is NULL.

``due_date_hours(start_ts, start_has_time, n) -> DATE``
    The local calendar date of the due moment, or the date of start + ⌈n/24⌉ days when the
    start has no time of day.

No `SET TimeZone` is needed or made: every conversion names Europe/Copenhagen explicitly, so the
results do not depend on the session time zone. Values reach SQL only as bound parameters or as
registered data; the literals below are code constants.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import duckdb
import pyarrow as pa

from kpis.rules.calendar import DANISH_TZ_NAME, calendar_frame
from kpis.settings import CalendarSettings, Settings

DEFAULT_START = date(1990, 1, 1)  # wide: an old case date must not make add_hverdage fail
DEFAULT_END = date(2060, 12, 31)

# Name under which the Python frame is visible to DuckDB for the moment it is copied.
_FRAME_VIEW = "_pejlemaerker_calendar_frame"

_TZ = f"'{DANISH_TZ_NAME}'"

# Macro bodies. Parameters are cast on entry so a TIMESTAMP or an untyped literal behaves like
# the documented type.
_MACROS: tuple[str, ...] = (
    """
    CREATE OR REPLACE TEMP MACRO add_months_clamped(d, n) AS
        CAST(CAST(d AS DATE) + to_months(CAST(n AS INTEGER)) AS DATE)
    """,
    # The n-th working day after d, by two list look-ups in `calendar_index`: the workday_no of
    # d, then the workday with number workday_no + n. The subqueries do not depend on the row, so
    # DuckDB runs each once; a join on `calendar` would be decorrelated over the distinct inputs
    # and is 6x slower on a timestamp column. d is range-checked first because a list index
    # below 1 would silently count from the end of the list.
    """
    CREATE OR REPLACE TEMP MACRO add_hverdage(d, n) AS (
        CASE
            WHEN d IS NULL OR n IS NULL THEN NULL
            WHEN n < 1 THEN error('add_hverdage: n must be at least 1, got ' || n)
            WHEN CAST(d AS DATE) < (SELECT first_day FROM calendar_index)
              OR CAST(d AS DATE) > (SELECT last_day FROM calendar_index)
                THEN error('add_hverdage: ' || CAST(d AS DATE)
                           || ' is outside the calendar table; install a wider calendar')
            ELSE coalesce(
                (SELECT workdays FROM calendar_index)[
                    (SELECT workday_no_by_day FROM calendar_index)[
                        CAST(d AS DATE) - (SELECT first_day FROM calendar_index) + 1
                    ] + CAST(n AS BIGINT)
                ],
                error('add_hverdage: ' || CAST(d AS DATE) || ' + ' || n
                      || ' hverdage falls outside the calendar table; install a wider calendar'))
        END
    )
    """,
    f"""
    CREATE OR REPLACE TEMP MACRO due_after_hours(ts, n) AS
        timezone({_TZ}, CAST(ts AS TIMESTAMP)) + to_hours(CAST(n AS BIGINT))
    """,
    f"""
    CREATE OR REPLACE TEMP MACRO due_date_hours(start_ts, start_has_time, n) AS (
        CASE
            WHEN start_ts IS NULL OR n IS NULL THEN NULL
            WHEN coalesce(start_has_time, false)
                THEN CAST(timezone({_TZ}, due_after_hours(start_ts, n)) AS DATE)
            ELSE CAST(start_ts AS DATE) + CAST(ceil(CAST(n AS DOUBLE) / 24) AS INTEGER)
        END
    )
    """,
    f"""
    CREATE OR REPLACE TEMP MACRO on_time_hours(start_ts, start_has_time, done_ts, done_has_time, n)
    AS (
        CASE
            WHEN start_ts IS NULL OR done_ts IS NULL OR n IS NULL THEN NULL
            WHEN coalesce(start_has_time, false) AND coalesce(done_has_time, false)
                THEN timezone({_TZ}, CAST(done_ts AS TIMESTAMP)) <= due_after_hours(start_ts, n)
            ELSE CAST(done_ts AS DATE)
                 <= CAST(start_ts AS DATE) + CAST(ceil(CAST(n AS DOUBLE) / 24) AS INTEGER)
        END
    )
    """,
)

# The calendar as two lists, for add_hverdage: the workday_no of every day (position = days
# since first_day + 1), and the working days themselves (position = workday_no).
_INDEX = """
    CREATE OR REPLACE TEMP TABLE calendar_index AS
    SELECT min(day) AS first_day,
           max(day) AS last_day,
           list(workday_no ORDER BY day) AS workday_no_by_day,
           list(day ORDER BY day) FILTER (WHERE is_workday) AS workdays
      FROM calendar
"""


def install_calendar(
    conn: duckdb.DuckDBPyConnection,
    settings: CalendarSettings | Settings,
    start: date = DEFAULT_START,
    end: date = DEFAULT_END,
) -> None:
    """Create the temp table `calendar` and the calendar macros on `conn` (see module docstring).

    `settings` is the municipality's calendar settings (the whole `Settings` is accepted too).
    `start`..`end` must cover every date a KPI counts hverdage from and to; `add_hverdage` raises
    rather than guess outside it."""
    calendar_settings = settings.calendar if isinstance(settings, Settings) else settings
    # Macros first: they bind `calendar` only when used, and an execute() closes a result the
    # caller left unfinished, which `register` (DuckDB 2.x) would refuse with ResourceInUse.
    for macro in _MACROS:
        conn.execute(macro)
    conn.register(_FRAME_VIEW, _frame_arrow(start, end, calendar_settings))
    try:
        conn.execute(
            f"CREATE OR REPLACE TEMP TABLE calendar AS SELECT * FROM {_FRAME_VIEW} ORDER BY day"
        )
    finally:
        conn.unregister(_FRAME_VIEW)
    conn.execute(_INDEX)


@lru_cache(maxsize=8)
def _frame_arrow(start: date, end: date, settings: CalendarSettings) -> pa.Table:
    # Cached because the app installs the calendar on every cursor it takes; an Arrow table is
    # immutable, so sharing it between connections is safe.
    return calendar_frame(start, end, settings).to_arrow()
