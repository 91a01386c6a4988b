"""Reporting periods: months, quarters, years and rolling twelve months, both end days included.

Rolling twelve months come in two kinds: ending at any month (``R12-2025-05``, stepping a month
back) and ending at a quarter's end (``R12-2025-Q2``, the same days as ``R12-2025-06`` but
stepping a quarter back). The committee gets only the second: windows a month apart would give
away month-level counts by subtraction (docs/disclosure.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from kpis.rules.calendar import add_months


class PeriodKind(str, Enum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    ROLLING_12 = "rolling12"
    ROLLING_12_QUARTERS = "rolling12q"  # twelve months ending at a quarter's end


@dataclass(frozen=True)
class Period:
    label: str
    kind: PeriodKind
    start: date
    end: date

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return _shifted(self, -_length_months(self.kind))

    def same_last_year(self) -> Period:
        return _shifted(self, -12)


def _length_months(kind: PeriodKind) -> int:
    return {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12,
            PeriodKind.ROLLING_12: 1, PeriodKind.ROLLING_12_QUARTERS: 3}[kind]


def _month_end(year: int, month: int) -> date:
    return add_months(date(year, month, 1), 1) - timedelta(days=1)


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")
_ROLLING = re.compile(r"^R12-(\d{4})-(\d{2})$", re.IGNORECASE)
_ROLLING_Q = re.compile(r"^R12-(\d{4})-Q([1-4])$", re.IGNORECASE)


class PeriodError(ValueError):
    pass


# Periods are reported for the years a case register can hold. Outside them date arithmetic
# (the year before, a rolling window, a due date months later) would leave Python's date range.
MIN_YEAR, MAX_YEAR = 1900, 2100


def parse_period(label: str) -> Period:
    """'2025-03', '2025-Q1', '2025', 'R12-2025-03' (the twelve months ending March 2025) or
    'R12-2025-Q1' (the same twelve months, as a window that steps a quarter at a time)."""
    text = label.strip()
    for pattern in (_MONTH, _QUARTER, _YEAR, _ROLLING):
        if (m := pattern.match(text)) and not MIN_YEAR <= int(m[1]) <= MAX_YEAR:
            raise PeriodError(f"året i perioden {label!r} skal ligge mellem {MIN_YEAR} og "
                              f"{MAX_YEAR}")
    if m := _MONTH.match(text):
        y, mo = int(m[1]), int(m[2])
        _check_month(mo, label)
        return Period(text, PeriodKind.MONTH, date(y, mo, 1), _month_end(y, mo))
    if m := _QUARTER.match(text):
        y, qn = int(m[1]), int(m[2])
        first = 3 * (qn - 1) + 1
        return Period(f"{y}-Q{qn}", PeriodKind.QUARTER, date(y, first, 1), _month_end(y, first + 2))
    if m := _YEAR.match(text):
        y = int(m[1])
        return Period(text, PeriodKind.YEAR, date(y, 1, 1), date(y, 12, 31))
    if m := _ROLLING.match(text):
        y, mo = int(m[1]), int(m[2])
        _check_month(mo, label)
        end = _month_end(y, mo)
        start = add_months(date(y, mo, 1), -11)
        return Period(f"R12-{y}-{mo:02d}", PeriodKind.ROLLING_12, start, end)
    if m := _ROLLING_Q.match(text):
        y, qn = int(m[1]), int(m[2])
        end = _month_end(y, 3 * qn)
        return Period(f"R12-{y}-Q{qn}", PeriodKind.ROLLING_12_QUARTERS,
                      add_months(date(y, 3 * qn, 1), -11), end)
    raise PeriodError(
        f"ukendt periode {label!r}: skriv fx 2025-03 (måned), 2025-Q1 (kvartal), 2025 (år) "
        "eller R12-2025-03 (12 måneder til og med marts 2025; R12-2025-Q1 for de samme 12 "
        "måneder i kvartalstrin)"
    )


def _check_month(month: int, label: str) -> None:
    if not 1 <= month <= 12:
        raise PeriodError(f"ugyldig måned i {label!r}")


def period_of(kind: PeriodKind, day: date) -> Period:
    """The period of the given kind that contains ``day``."""
    if kind is PeriodKind.MONTH:
        return parse_period(f"{day.year}-{day.month:02d}")
    if kind is PeriodKind.QUARTER:
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    if kind is PeriodKind.YEAR:
        return parse_period(str(day.year))
    if kind is PeriodKind.ROLLING_12_QUARTERS:
        return parse_period(f"R12-{day.year}-Q{(day.month - 1) // 3 + 1}")
    return parse_period(f"R12-{day.year}-{day.month:02d}")


def _shifted(p: Period, months: int) -> Period:
    rolling = p.kind in (PeriodKind.ROLLING_12, PeriodKind.ROLLING_12_QUARTERS)
    return period_of(p.kind, add_months(p.end if rolling else p.start, months))


def periods_back(last: Period, count: int) -> list[Period]:
    """``count`` consecutive periods of ``last``'s kind ending with ``last``, oldest first."""
    out = [last]
    while len(out) < count:
        out.append(out[-1].previous())
    return out[::-1]
