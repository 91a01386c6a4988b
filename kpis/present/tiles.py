"""The tile of one key figure, as text a committee member reads: the view-model of the overview,
the KPI detail and the meeting papers.

Built from the engine's tidy result frame (``kpis.compute.engine.compute``), no Streamlit. Every
text is Danish and rounded once, here, so the screen, the PDF and the workbook show the same
figures. A row with ``suppressed`` true shows "skjult" instead of its value, n and numerator,
and nothing derived from them (status, change, trend point) — whatever the row's value columns
still hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from kpis.access.suppression import HIDDEN_TEXT
from kpis.compute.periods import Period, period_of
from kpis.data.schema import TABLES
from kpis.present.formatting import (
    MISSING,
    format_date_da,
    format_int_da,
    format_number_da,
    format_pct_da,
    interval_da,
    sample_size_da,
)
from kpis.present.period_choice import Comparison, period_label_da, period_short_da
from kpis.review.figures import wilson
from kpis.rules.definitions import DeadlineKpi, Direction, DurationKpi, KpiSet, Pejlemaerke, Unit
from kpis.rules.sources import SAMPLE_SOURCES

SUPPRESSION_THRESHOLD = 5
COMMITTEE_PEJLEMAERKER = (Pejlemaerke.FAGLIG_UDREDNING, Pejlemaerke.VALG_AF_INDSATS,
                          Pejlemaerke.OPFOELGNING, Pejlemaerke.INDDRAGELSE)
CONTEXT_SECTION_DA = "Kontekst"

# Colour is never the only carrier: each status has a symbol and a word as well.
STATUS_TEXT_DA = {
    "green": ("●", "Grøn", "målet er nået"),
    "yellow": ("▲", "Gul", "tæt på målet"),
    "red": ("■", "Rød", "langt fra målet"),
}


def suppressed_text() -> str:
    return HIDDEN_TEXT


def rounded(value: float | None, unit: Unit) -> float | None:
    """The value as it is shown: percentages to 0.1 point, ratios and days to 0.1, counts whole.

    Everything a reader sees (and every change computed from it) uses this, so a change on the
    screen is exactly the difference of the two figures printed beside it.
    """
    if value is None:
        return None
    if unit is Unit.PERCENT:
        return round(value * 100, 1) / 100
    if unit is Unit.COUNT:
        return float(round(value))
    return round(value, 1)


def format_value(value: float | None, unit: Unit) -> str:
    if value is None:
        return MISSING
    if unit is Unit.PERCENT:
        return format_pct_da(value, 1)
    if unit is Unit.COUNT:
        return format_int_da(value)
    if unit is Unit.DAYS:
        return f"{format_number_da(value, 1)} dage"
    return format_number_da(value, 1)


@dataclass(frozen=True)
class Change:
    """A change against the comparison period, in the KPI's unit (percentage points for shares)."""

    amount: float  # in points for percentages, else in the unit
    text: str  # "+7,5 procentpoint"
    arrow: str  # ↑ ↓ → : the way the figure moved
    verdict: str  # "bedre", "dårligere", "uændret", or "højere"/"lavere" for figures without a goal
    tone: str  # "better", "worse", "neutral": what a colour may repeat, never replace

    @property
    def summary(self) -> str:
        return f"{self.text} {self.arrow} {self.verdict}"


@dataclass(frozen=True)
class TrendPoint:
    period: str  # engine label, e.g. "2025-Q2"
    label: str  # short Danish label for axes
    value: float  # rounded as shown


@dataclass(frozen=True)
class Tile:
    kpi_id: str
    name: str
    pejlemaerke: Pejlemaerke
    context: bool
    unit: Unit
    period: str  # engine label
    period_da: str
    suppressed: bool
    value: float | None  # rounded as shown; None when suppressed or without data
    value_text: str
    target: float | None
    target_text: str | None  # "Mål: 90,0 %"
    status: str  # green/yellow/red/none ("none" also when suppressed)
    status_text: str  # "● Grøn – målet er nået"
    comparison_da: str  # "2. kvartal 2026"
    comparison_value_text: str  # "80,0 %", "skjult" or "–"
    change: Change | None
    change_text: str  # the change as one line, or why there is none
    n: int | None
    n_text: str  # "n = 42", "n: skjult", "n = 0"
    numerator_text: str | None  # "36 af 42 til tiden"
    p90_text: str | None  # duration KPIs: "90 %-fraktil: 186,4 dage"
    reference_text: str | None
    overdue_open: int | None
    overdue_text: str | None  # deadline KPIs only
    pending: int | None
    pending_text: str | None
    trend: tuple[TrendPoint, ...]
    trend_hidden: tuple[str, ...]  # short labels of trend periods withheld ("skjult")
    withheld_text: str = suppressed_text()  # what a withheld figure reads as
    n_meaning: str | None = None  # what n counts: "modtaget i perioden"
    # A figure from a sample of cases (case reviews) is an estimate: its 95 % Wilson interval
    # (0–1) and that in words, "95 %-interval 62–91 %" ("95 %-interval: skjult" when withheld);
    # None for figures over all the cases, and when there is no case to estimate from.
    interval: tuple[float, float] | None = None
    interval_text: str | None = None

    @property
    def value_with_interval(self) -> str:
        """The value as the tables and papers print it: "84,6 % (95 %-interval 62–91 %)"."""
        return f"{self.value_text} ({self.interval_text})" if self.interval_text \
            else self.value_text

    @property
    def n_explained(self) -> str:
        """n with what it counts, so two tiles over the same cases (the notifications received,
        and those assessed by their outcome's date) do not seem to disagree."""
        return f"{self.n_text} ({self.n_meaning})" if self.n_meaning else self.n_text

    @property
    def has_data(self) -> bool:
        return self.value is not None


def _totals(results: pl.DataFrame) -> dict[tuple[str, str], dict]:
    rows = results.filter(pl.col("group_level") == "") if "group_level" in results.columns \
        else results
    return {(r["kpi"], r["period"]): r for r in rows.iter_rows(named=True)}


def _is_suppressed(row: dict | None) -> bool:
    return bool(row and row.get("suppressed"))


def shown_value(row: dict | None, unit: Unit) -> float | None:
    """A result row's value as shown: rounded, or None when withheld or empty."""
    if row is None or _is_suppressed(row):
        return None
    return rounded(row.get("value"), unit)


def _signed(amount: float, unit: Unit) -> str:
    sign = "+" if amount > 0 else ("−" if amount < 0 else "±")
    if unit is Unit.PERCENT:
        return f"{sign}{format_number_da(abs(amount), 1)} procentpoint"
    if unit is Unit.COUNT:
        return f"{sign}{format_int_da(abs(amount))}"
    if unit is Unit.DAYS:
        return f"{sign}{format_number_da(abs(amount), 1)} dage"
    return f"{sign}{format_number_da(abs(amount), 1)}"


def change_between(kpi, current: float, previous: float) -> Change:
    """The change from ``previous`` to ``current`` (both rounded as shown), worded by direction.

    Better/worse is said only for figures with a goal: for a context count such as the number of
    underretninger, fewer is not "better", so it reads "højere"/"lavere".
    """
    unit = kpi.unit
    if unit is Unit.PERCENT:
        amount = round((current - previous) * 100, 1)
    elif unit is Unit.COUNT:
        amount = float(round(current - previous))
    else:
        amount = round(current - previous, 1)
    text = _signed(amount, unit)
    if amount == 0:
        return Change(0.0, text, "→", "uændret", "neutral")
    arrow = "↑" if amount > 0 else "↓"
    if not kpi.target:
        return Change(amount, text, arrow, "højere" if amount > 0 else "lavere", "neutral")
    up_is_good = kpi.direction is Direction.HIGHER_IS_BETTER
    better = (amount > 0) == up_is_good
    return Change(amount, text, arrow, "bedre" if better else "dårligere",
                  "better" if better else "worse")


def status_text(status: str, suppressed: bool, has_value: bool, has_target: bool,
                threshold: int = SUPPRESSION_THRESHOLD) -> str:
    if suppressed:
        return f"Ikke vurderet (tallet er {suppressed_text()})"
    if status in STATUS_TEXT_DA:
        symbol, word, meaning = STATUS_TEXT_DA[status]
        return f"{symbol} {word} – {meaning}"
    if not has_value:
        return "Ingen sager i perioden"
    return "Intet mål" if not has_target else "Ikke vurderet"


def reference_text(kpi) -> str | None:
    ref = kpi.reference
    if ref is None:
        return None
    return f"Landsplan: {format_value(rounded(ref.value, kpi.unit), kpi.unit)} ({ref.year})"


def is_estimate(kpi) -> bool:
    """Does the figure rest on a sample of cases (a case review), not on all of them?"""
    return kpi.spec.source in SAMPLE_SOURCES


def estimate_interval(kpi, row: dict | None) -> tuple[tuple[float, float] | None, str | None]:
    """The 95 % Wilson interval of a sample-based share and its text; a withheld figure's
    interval is withheld too (its ends would give the count away)."""
    if not is_estimate(kpi) or row is None:
        return None, None
    if _is_suppressed(row):
        return None, f"95 %-interval: {suppressed_text()}"
    num, den = int(row.get("numerator") or 0), int(row.get("denominator") or 0)
    if den == 0:
        return None, None
    low, high = wilson(num, den)
    return (low, high), interval_da(low, high)


def _n_texts(kpi, row: dict | None, threshold: int) -> tuple[int | None, str, str | None]:
    """n (the base count a figure rests on), its text, and the numerator in words."""
    hidden = suppressed_text()
    if _is_suppressed(row):
        return None, f"n: {hidden}", None
    if row is None:
        return 0, sample_size_da(0) if is_estimate(kpi) else "n = 0", None
    num, den = row.get("numerator"), row.get("denominator")
    if kpi.unit is Unit.COUNT:
        return (int(num) if num is not None else 0), f"n = {format_int_da(num or 0)}", None
    n = int(den or 0)
    if isinstance(kpi, DurationKpi):
        return n, f"n = {format_int_da(n)} afsluttede", None
    if kpi.unit is Unit.RATIO:
        return n, f"n = {format_int_da(n)} sagsbehandlere", f"{format_int_da(num or 0)} åbne sager"
    what = "til tiden" if isinstance(kpi, DeadlineKpi) else "opfylder kravet"
    n_text = sample_size_da(n) if is_estimate(kpi) else f"n = {format_int_da(n)}"
    return n, n_text, f"{format_int_da(num or 0)} af {format_int_da(n)} {what}"


def _column_da(source: str, column: str | None) -> str | None:
    table = TABLES.get(source)
    if column is None or table is None or not table.has(column):
        return None
    return table.column(column).label_da.lower()


def n_meaning(kpi) -> str | None:
    """What a KPI's n counts, in words: by which date a case lands in the period."""
    spec = kpi.spec
    if isinstance(kpi, DeadlineKpi):
        done = _column_da(spec.source, spec.completion)
        return (f"{done} til tiden eller fristen udløb i perioden" if done
                else "udfaldet blev kendt i perioden")
    if isinstance(kpi, DurationKpi) or kpi.unit is Unit.RATIO:
        return None  # their n already says it ("afsluttede", "sagsbehandlere")
    if is_estimate(kpi):
        return "gennemgået i perioden"  # a review counts in the period it was completed
    if getattr(spec, "open_from", None):
        return "åbne ved periodens slutning"
    event = _column_da(spec.source, spec.event_date)
    return f"{event} i perioden" if event else None


def _count_text(row: dict | None, column: str, threshold: int) -> tuple[int | None, str]:
    if row is None:
        return 0, format_int_da(0)
    flag = {"pending": "pending_suppressed", "overdue_open": "overdue_suppressed"}[column]
    # Suppression may judge these counts on their own (a flag per count); without such a flag a
    # withheld row withholds them too, rather than risk showing a small number.
    hidden = (bool(row[flag]) or row.get(column) is None) if flag in row else _is_suppressed(row)
    if hidden:
        return None, suppressed_text()
    value = int(row.get(column) or 0)
    return value, format_int_da(value)


def build_tile(kpi, results: pl.DataFrame | dict, period: Period, comparison: Comparison,
               trend: Sequence[Period], as_of: date,
               threshold: int = SUPPRESSION_THRESHOLD) -> Tile:
    """One tile from the total rows of ``results`` (all periods of one overview call)."""
    totals = results if isinstance(results, dict) else _totals(results)
    row = totals.get((kpi.id, period.label))
    suppressed = _is_suppressed(row)
    unit = kpi.unit
    value = shown_value(row, unit)
    hidden = suppressed_text()

    target = kpi.target_on(period.end)
    target_text = f"Mål: {format_value(rounded(target, unit), unit)}" if target is not None else None
    status = "none" if suppressed or row is None else (row.get("status") or "none")

    other = comparison.of(period)
    other_row = totals.get((kpi.id, other.label))
    other_value = shown_value(other_row, unit)
    other_text = hidden if _is_suppressed(other_row) else format_value(other_value, unit)
    change = None
    if value is not None and other_value is not None:
        change = change_between(kpi, value, other_value)
        change_text = change.summary
    elif suppressed or _is_suppressed(other_row):
        change_text = f"Ingen sammenligning (tallet er {hidden})"
    else:
        change_text = "Ingen sammenligning (ingen sager)"

    n, n_text, numerator_text = _n_texts(kpi, row, threshold)
    interval, interval_text = estimate_interval(kpi, row)
    p90_text = None
    if isinstance(kpi, DurationKpi) and not suppressed and row and row.get("p90") is not None:
        p90_text = f"90 %-fraktil: {format_value(rounded(row['p90'], unit), unit)}"

    overdue = pending = overdue_text = pending_text = None
    if isinstance(kpi, DeadlineKpi):
        # Both are states on the as-of date, which the engine reports with the period holding
        # that date, whichever period is chosen.
        now_row = totals.get((kpi.id, period_of(period.kind, as_of).label))
        overdue, shown = _count_text(now_row, "overdue_open", threshold)
        overdue_text = f"Åbne efter fristen: {shown}"
        pending, shown = _count_text(now_row, "pending", threshold)
        pending_text = f"Afventer, frist ikke nået: {shown} (pr. {format_date_da(as_of)})"

    points, withheld = [], []
    for p in trend:
        r = totals.get((kpi.id, p.label))
        if _is_suppressed(r):
            withheld.append(period_short_da(p))
            continue
        v = shown_value(r, unit)
        if v is not None:
            points.append(TrendPoint(p.label, period_short_da(p), v))

    return Tile(
        kpi_id=kpi.id, name=kpi.name, pejlemaerke=kpi.pejlemaerke, context=kpi.context,
        unit=unit, period=period.label, period_da=period_label_da(period),
        suppressed=suppressed, value=value,
        value_text=hidden if suppressed else format_value(value, unit),
        target=target, target_text=target_text, status=status,
        status_text=status_text(status, suppressed, value is not None, target is not None,
                                threshold),
        comparison_da=period_label_da(other), comparison_value_text=other_text,
        change=change, change_text=change_text,
        n=n, n_text=n_text, numerator_text=numerator_text, p90_text=p90_text,
        n_meaning=n_meaning(kpi) if n else None,
        reference_text=reference_text(kpi),
        overdue_open=overdue, overdue_text=overdue_text, pending=pending, pending_text=pending_text,
        trend=tuple(points), trend_hidden=tuple(withheld), withheld_text=hidden,
        interval=interval, interval_text=interval_text,
    )


def build_tiles(kpiset: KpiSet, results: pl.DataFrame, period: Period, comparison: Comparison,
                trend: Sequence[Period], as_of: date, kpi_ids: Iterable[str] | None = None,
                threshold: int = SUPPRESSION_THRESHOLD) -> list[Tile]:
    """Tiles in the definitions' order (for ``kpi_ids``, or every KPI)."""
    totals = _totals(results)
    wanted = set(kpi_ids) if kpi_ids is not None else None
    return [build_tile(k, totals, period, comparison, trend, as_of, threshold)
            for k in kpiset if wanted is None or k.id in wanted]


def sections(tiles: Sequence[Tile]) -> list[tuple[str, list[Tile]]]:
    """The overview's sections: the four pejlemærker in their order, then "Kontekst".

    Context figures (``context: true``) go to Kontekst whatever their pejlemærke; a KPI under the
    fifth pejlemærke (styring) that is not a context figure gets a section of its own.
    """
    order = [*COMMITTEE_PEJLEMAERKER, Pejlemaerke.STYRING]
    out: list[tuple[str, list[Tile]]] = []
    for pm in order:
        group = [t for t in tiles if t.pejlemaerke is pm and not t.context]
        if group:
            out.append((pm.label_da, group))
    context = [t for t in tiles if t.context]
    if context:
        out.append((CONTEXT_SECTION_DA, context))
    return out


def group_rows(kpi, results: pl.DataFrame, period: Period, dimension: str,
               threshold: int = SUPPRESSION_THRESHOLD) -> list[dict[str, str]]:
    """One KPI for one period by ``dimension`` (e.g. team) as Danish text, like the tile."""
    if dimension not in results.columns:
        return []
    rows = results.filter((pl.col("kpi") == kpi.id) & (pl.col("period") == period.label)
                          & (pl.col("group_level") == dimension)).sort(dimension)
    out = []
    for r in rows.iter_rows(named=True):
        hidden = _is_suppressed(r)
        value = shown_value(r, kpi.unit)
        _, n_text, numerator_text = _n_texts(kpi, r, threshold)
        _, interval_text = estimate_interval(kpi, r)
        status = "none" if hidden else (r.get("status") or "none")
        shown = suppressed_text() if hidden else format_value(value, kpi.unit)
        out.append({
            "gruppe": str(r[dimension]),
            "værdi": f"{shown} ({interval_text})" if interval_text and not hidden else shown,
            "n": n_text.replace("n = ", "").replace("n: ", ""),
            "heraf": numerator_text or "",
            "status": status_text(status, hidden, value is not None,
                                  kpi.target_on(period.end) is not None, threshold),
        })
    return out
