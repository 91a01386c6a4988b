"""The reporting period a reader chooses, in Danish: labels, the choices offered, the default
(the latest complete quarter) and the period it is compared with.

No Streamlit here: the pages and the meeting papers share these rules, so a link, the screen and
the PDF always agree on which periods a figure is about.
"""

from __future__ import annotations

from datetime import date
from enum import Enum

from kpis.compute.periods import (
    Period,
    PeriodError,
    PeriodKind,
    parse_period,
    period_of,
    periods_back,
)
from kpis.present.formatting import format_date_da, format_month_da, format_quarter_da

KIND_LABELS_DA: dict[PeriodKind, str] = {
    PeriodKind.MONTH: "Måned",
    PeriodKind.QUARTER: "Kvartal",
    PeriodKind.YEAR: "År",
    PeriodKind.ROLLING_12: "Løbende 12 måneder",
    PeriodKind.ROLLING_12_QUARTERS: "Løbende 12 måneder",
}
KIND_ORDER = (PeriodKind.QUARTER, PeriodKind.MONTH, PeriodKind.YEAR, PeriodKind.ROLLING_12)
# The committee picks no months, and twelve-month windows only at quarter ends: month-level
# figures (or windows a month apart) would let small counts be recovered by subtraction from the
# quarters (docs/disclosure.md).
COMMITTEE_KINDS = (PeriodKind.QUARTER, PeriodKind.YEAR, PeriodKind.ROLLING_12_QUARTERS)
DEFAULT_KIND = PeriodKind.QUARTER
# How far back the selector reaches: the years around the Barnets Lov reform (2024) and the SEL
# years before it. Older periods can still be opened by a link (?periode=2019-Q1).
YEARS_OFFERED = 5
TREND_LENGTH = 8  # the small trend line on a tile: the chosen period and the seven before it


class Comparison(str, Enum):
    PREVIOUS = "forrige"
    LAST_YEAR = "sidste_aar"

    @property
    def label_da(self) -> str:
        return {Comparison.PREVIOUS: "Forrige periode",
                Comparison.LAST_YEAR: "Samme periode sidste år"}[self]

    def of(self, period: Period) -> Period:
        return period.previous() if self is Comparison.PREVIOUS else period.same_last_year()


def period_label_da(p: Period) -> str:
    """``2025-Q2`` → "2. kvartal 2025", ``2025-06`` → "juni 2025", ``R12-2025-06`` → "12 måneder
    til og med juni 2025", ``2025`` → "2025"."""
    if p.kind is PeriodKind.MONTH:
        return format_month_da(p.start.year, p.start.month)
    if p.kind is PeriodKind.QUARTER:
        return format_quarter_da(p.start.year, (p.start.month - 1) // 3 + 1)
    if p.kind is PeriodKind.YEAR:
        return str(p.start.year)
    return f"12 måneder til og med {format_month_da(p.end.year, p.end.month)}"


def period_short_da(p: Period) -> str:
    """A short label for chart axes: "2. kv. 2025", "jun. 2025", "2025", "12 mdr. til jun. 2025"."""
    if p.kind is PeriodKind.QUARTER:
        return f"{(p.start.month - 1) // 3 + 1}. kv. {p.start.year}"
    if p.kind is PeriodKind.YEAR:
        return str(p.start.year)
    month = format_month_da(p.end.year, p.end.month)
    short = month[:3] + ("." if not month.startswith("maj") else "") + month[month.index(" "):]
    return short if p.kind is PeriodKind.MONTH else f"12 mdr. til {short}"


def period_span_da(p: Period) -> str:
    """Both end days, as a reader checks them: "1. april 2025 – 30. juni 2025"."""
    return f"{format_date_da(p.start)} – {format_date_da(p.end)}"


def is_complete(p: Period, as_of: date) -> bool:
    """A period is complete when it ended before the as-of day (that day is only partly known)."""
    return p.end < as_of


def latest_complete(kind: PeriodKind, as_of: date) -> Period:
    p = period_of(kind, as_of)
    while not is_complete(p, as_of):
        p = p.previous()
    return p


def choices(kind: PeriodKind, as_of: date, years: int = YEARS_OFFERED) -> list[Period]:
    """The periods offered for ``kind``, newest first: the running period (not complete) first."""
    first_day = date(as_of.year - years + 1, 1, 1)
    out = [period_of(kind, as_of)]
    while (prev := out[-1].previous()).start >= first_day:
        out.append(prev)
    return out


def kinds_for(committee: bool) -> tuple[PeriodKind, ...]:
    """The period kinds a reader may pick: the committee's, or all of them."""
    return COMMITTEE_KINDS if committee else KIND_ORDER


def resolve(label: str | None, as_of: date,
            kinds: tuple[PeriodKind, ...] = KIND_ORDER) -> Period:
    """The period a link asks for, or the default when it is missing, malformed, in the future
    or of a kind (or, for the committee, so old) that the reader may not pick."""
    return linked_period(label, as_of, kinds) or latest_complete(DEFAULT_KIND, as_of)


def linked_period(label: str | None, as_of: date,
                  kinds: tuple[PeriodKind, ...] = KIND_ORDER) -> Period | None:
    """The period a link asks for when the reader may see it (see ``resolve``), else None."""
    if not label:
        return None
    try:
        p = parse_period(label)
    except PeriodError:
        return None
    if kinds is COMMITTEE_KINDS:
        p = committee_equivalent(p, as_of)
    return p if p is not None and p.start <= as_of and p.kind in kinds else None


def committee_equivalent(p: Period, as_of: date) -> Period | None:
    """The committee's period with the same days as ``p`` (``R12-2025-06`` → ``R12-2025-Q2``),
    or None when the committee may not see those days as one figure."""
    if p.kind is PeriodKind.ROLLING_12 and p.end.month % 3 == 0:
        p = parse_period(f"R12-{p.end.year}-Q{p.end.month // 3}")
    if p.kind not in COMMITTEE_KINDS:
        return None
    return p if any(p.label == q.label for q in choices(p.kind, as_of)) else None


def committee_periods(as_of: date) -> list[Period]:
    """Every period a committee view can show on the snapshot of ``as_of``: each period the
    committee can choose, with its trend, its comparison periods and the period holding the as-of
    date. The committee's suppression is decided once over all of them (kpis.access.suppression)."""
    wanted: dict[tuple[date, date], Period] = {}
    for kind in COMMITTEE_KINDS:
        for p in choices(kind, as_of):
            for comparison in Comparison:
                for q in periods_needed(p, comparison, as_of):
                    wanted.setdefault((q.start, q.end), q)
    return sorted(wanted.values(), key=lambda q: (q.start, q.end, q.label))


def resolve_comparison(value: str | None) -> Comparison:
    try:
        return Comparison(value) if value else Comparison.PREVIOUS
    except ValueError:
        return Comparison.PREVIOUS


def trend_periods(p: Period, length: int = TREND_LENGTH) -> list[Period]:
    return periods_back(p, length)


def periods_needed(p: Period, comparison: Comparison, as_of: date) -> list[Period]:
    """Every period one overview needs, in one engine call: the trend, the comparison period and
    the period holding the as-of date (where the engine reports the pending steps)."""
    wanted = {q.label: q for q in trend_periods(p)}
    for q in (comparison.of(p), period_of(p.kind, as_of)):
        wanted.setdefault(q.label, q)
    return sorted(wanted.values(), key=lambda q: (q.start, q.end))
