"""Danish formatting of dates, times, numbers and periods for everything a person reads.

Danish conventions: "30. juni 2025", "kl. 14.05", "1.234", "87,5 %", "2. kvartal 2025".
Missing values are shown as an en dash. No locale is used: the output must not depend on the
machine's ``LANG``.

Times are stored in UTC (a naive ``datetime`` read from a snapshot or a log means UTC) and shown
in Danish time: ``danish_time`` is the one conversion, whatever the server's clock is set to.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import polars as pl

DANISH_TIME_ZONE = "Europe/Copenhagen"
DANISH_TZ = ZoneInfo(DANISH_TIME_ZONE)

MISSING = "–"

MONTHS_DA: tuple[str, ...] = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)

WEEKDAYS_DA: tuple[str, ...] = (
    "mandag",
    "tirsdag",
    "onsdag",
    "torsdag",
    "fredag",
    "lørdag",
    "søndag",
)


def month_name_da(month: int) -> str:
    """``6`` → ``"juni"``."""
    if not 1 <= month <= 12:
        raise ValueError(f"ikke en måned: {month}")
    return MONTHS_DA[month - 1]


def format_date_da(d: date | None) -> str:
    """``date(2025, 6, 30)`` → ``"30. juni 2025"``."""
    if d is None:
        return MISSING
    return f"{d.day}. {month_name_da(d.month)} {d.year}"


def danish_time(dt: datetime) -> datetime:
    """The Danish wall-clock time of a moment, without its offset. A naive ``dt`` is UTC."""
    aware = dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
    return aware.astimezone(DANISH_TZ).replace(tzinfo=None)


def danish_today(now: datetime | None = None) -> date:
    """Today's date in Denmark (on a UTC server the date turns an hour or two late)."""
    return danish_time(now or datetime.now(UTC)).date()


def danish_time_columns(df: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """``danish_time`` for datetime columns of a table (naive columns hold UTC)."""
    converted = []
    for name in columns:
        col = pl.col(name)
        if df.schema[name].time_zone is None:  # type: ignore[union-attr]
            col = col.dt.replace_time_zone("UTC")
        converted.append(col.dt.convert_time_zone(DANISH_TIME_ZONE).dt.replace_time_zone(None))
    return df.with_columns(converted)


def format_datetime_da(dt: datetime | None) -> str:
    """A moment in Danish time: ``datetime(2025, 6, 30, 12, 5)`` (UTC) →
    ``"30. juni 2025 kl. 14.05"``."""
    if dt is None:
        return MISSING
    local = danish_time(dt)
    return f"{format_date_da(local.date())} kl. {local.hour:02d}.{local.minute:02d}"


def format_weekday_date_da(d: date | None) -> str:
    """``date(2025, 4, 29)`` → ``"tirsdag 29. april 2025"``."""
    if d is None:
        return MISSING
    return f"{WEEKDAYS_DA[d.weekday()]} {format_date_da(d)}"


def _group_thousands(digits: str) -> str:
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return ".".join(groups)


def format_number_da(x: float | None, decimals: int = 0) -> str:
    """``1234.5, 1`` → ``"1.234,5"``: thousands with ``.``, decimals with ``,``."""
    if x is None:
        return MISSING
    text = f"{abs(x):.{decimals}f}"
    whole, _, frac = text.partition(".")
    sign = "-" if x < 0 and float(text) != 0 else ""
    out = sign + _group_thousands(whole)
    return f"{out},{frac}" if frac else out


def format_int_da(n: float | None) -> str:
    """``1234`` → ``"1.234"``."""
    return format_number_da(n, 0)


def format_pct_da(share: float | None, decimals: int = 1) -> str:
    """A share between 0 and 1 as a Danish percentage: ``0.875`` → ``"87,5 %"``."""
    if share is None:
        return MISSING
    return f"{format_number_da(share * 100, decimals)} %"


def _pct_whole(x: float, decimals: int) -> str:
    return format_number_da(100 * x, decimals)


def interval_da(low: float | None, high: float | None, decimals: int = 0) -> str:
    """A 95 % interval of a share (0–1) in Danish: ``0.62, 0.91`` → ``"95 %-interval 62–91 %"``.
    The one place its wording lives: tiles, tables, meeting papers and reports all call it.
    Whole percentages by default: a sample of a few dozen cases does not carry decimals."""
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return MISSING
    return f"95 %-interval {range_da(low, high, decimals)}"


def range_da(low: float, high: float, decimals: int = 0) -> str:
    """The ends of an interval of a share (0–1) alone, where a heading or legend says what they
    are (a table cell): ``0.62, 0.91`` → ``"62–91 %"``."""
    return f"{_pct_whole(low, decimals)}–{_pct_whole(high, decimals)} %"


def sample_size_da(n: int | None) -> str:
    """How many cases a figure from a sample rests on: ``12`` → ``"n = 12 sager"``."""
    if n is None:
        return MISSING
    return f"n = {format_int_da(n)} {'sag' if n == 1 else 'sager'}"


def estimate_da(share: float | None, low: float | None, high: float | None, n: int | None,
                decimals: int = 0) -> str:
    """A share from a sample with its interval and size:
    ``0.6, 0.423, 0.754, 30`` → ``"60 % (95 %-interval 42–75 %, n = 30 sager)"``;
    ``–`` when no case counts (there is nothing to estimate)."""
    if share is None or not n:
        return MISSING
    return (f"{format_pct_da(share, decimals)} ({interval_da(low, high, decimals)}, "
            f"{sample_size_da(n)})")


def format_month_da(year: int, month: int) -> str:
    """``2025, 6`` → ``"juni 2025"``."""
    return f"{month_name_da(month)} {year}"


def format_quarter_da(year: int, quarter: int) -> str:
    """``2025, 2`` → ``"2. kvartal 2025"``."""
    if not 1 <= quarter <= 4:
        raise ValueError(f"ikke et kvartal: {quarter}")
    return f"{quarter}. kvartal {year}"


def and_da(names: list[str]) -> str:
    """"A", "A og B", "A, B og C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} og {names[-1]}"


def whose_figures_da(teams: tuple[str, ...] | None) -> str:
    """Whose key figures a page shows: the committee's for the whole municipality, else only the
    teams of the viewer's scope (a department head sees their own teams, not the committee's)."""
    if teams is None:
        return "Børne- og Familieudvalgets nøgletal for hele kommunen"
    if not teams:
        return "Nøgletal for ingen teams (din adgang omfatter ingen teams)"
    return f"Nøgletal for {and_da(sorted(teams))} – kun dine teams, ikke hele kommunen"

