"""Drill-down for department and team leaders: every KPI side by side per team or caseworker,
and the case steps behind one figure, presented so that they visibly add up to it.

Input is the engine's tidy frame (``compute``) and step rows (``case_steps``); nothing is counted
here that the engine did not count. ``reconcile`` recounts the step rows so the page can say
"X af Y til tiden" and show that it is the figure in the table, and warn if it ever is not.

No streamlit here; pandas only for the Styler that colours the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

import pandas as pd
import polars as pl

from kpis.compute.periods import (
    PeriodKind,
    parse_period,
    period_of,
    periods_back,
)
from kpis.present.formatting import (
    MISSING,
    format_int_da,
    format_number_da,
    format_pct_da,
    interval_da,
    range_da,
)
from kpis.present.period_choice import linked_period
from kpis.present.tiles import STATUS_TEXT_DA, is_estimate, suppressed_text
from kpis.review.figures import wilson
from kpis.rules.definitions import (
    CountKpi,
    DeadlineKpi,
    DurationKpi,
    Kind,
    KpiSet,
    ShareKpi,
    Status,
    Unit,
)
from kpis.rules.sources import SOURCES
from kpis.safe_cells import excel_csv_bytes

# --- periods --------------------------------------------------------------------------------


def period_choices(as_of: date, extra: str | None = None) -> list[str]:
    """The periods a leader can pick (engine labels), the default first, then newest first
    within each kind; ``extra`` (a valid period from a link) is added when it is not offered.

    The default is the twelve months up to the as-of month: it holds the pending and
    still-open overdue steps (they belong to the period containing the as-of date) and enough
    steps per caseworker for a rate to mean something.
    """
    kinds = ((PeriodKind.ROLLING_12, 12), (PeriodKind.QUARTER, 8), (PeriodKind.MONTH, 24),
             (PeriodKind.YEAR, 5))
    out: list[str] = []
    for kind, count in kinds:
        out += [p.label for p in reversed(periods_back(period_of(kind, as_of), count))]
    if extra is not None and extra not in out:
        out.append(extra)
    return out


def period_from_url(label: str | None, as_of: date) -> str | None:
    """The period a link asks for, normalised; None when missing, malformed or not yet begun
    (of any kind: ``period_choices`` adds a linked period it does not offer itself)."""
    p = linked_period(label, as_of, tuple(PeriodKind))
    return p.label if p is not None else None


def contains_as_of(period: str, as_of: date) -> bool:
    return parse_period(period).contains(as_of)


# --- traffic lights ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Light:
    symbol: str  # read without colour: the shape says the same as the colour
    word: str
    background: str
    colour: str


# The committee overview's symbols and words (tiles.STATUS_TEXT_DA), so a leader reads one
# traffic light everywhere; the colours are the cell backgrounds of this table.
_COLOURS = {
    Status.GREEN: ("#d6efd8", "#14532d"),
    Status.YELLOW: ("#fcefc7", "#713f12"),
    Status.RED: ("#f9d4d2", "#7f1d1d"),
}
LIGHTS = {
    **{s: Light(STATUS_TEXT_DA[s.value][0], STATUS_TEXT_DA[s.value][2], *_COLOURS[s])
       for s in _COLOURS},
    Status.NONE: Light("", "intet mål", "#ffffff", "#1f2937"),
}
SUPPRESSED_LIGHT = Light("", "tallet er skjult", "#f1f1f1", "#6b7280")


def legend_da(estimates: bool = False) -> str:
    """One line under the table: the symbols in words (colour is never the only carrier), and
    what the second figure in a sample-based cell is."""
    shown = [Status.GREEN, Status.YELLOW, Status.RED]
    return " · ".join(f"{LIGHTS[s].symbol} {LIGHTS[s].word}" for s in shown) + (
        " · uden tegn: nøgletallet har intet mål") + (
        " · tal fra sagsgennemgang er skøn ud fra en stikprøve: efter semikolon står "
        "95 %-intervallet" if estimates else "")


# --- the KPI × group table --------------------------------------------------------------------

# The table's geometry on screen. Fixed widths: every group column alike, wide enough for
# "▲ 90,9 % (1.458)", so teams and caseworkers line up the same in every view.
ROW_PX = 35  # st.dataframe's header height
# Rows tall enough for a KPI's name on two lines: the grid wraps text only in rows taller than
# 4rem (64 px), and a long name cut at the column's edge ("…inden for 4 måne") said too little.
NAME_ROW_PX = 66
NAME_PX = 250
GROUP_PX = 118
# A sample-based figure's cell also carries its interval, "✓ 84,6 % (13; 62–91 %)": wider columns
# (the table then scrolls sideways sooner, with the names pinned).
ESTIMATE_GROUP_PX = 172
CONTENT_PX = 940  # the page's width for a table at 1400 px with the sidebar open
# The case rows' columns, wide enough for their longest value ("Nej, hører til en tidligere
# periode", a date with its time); the case number stays pinned when the rest scrolls.
STEP_WIDTHS_PX = {"Sagsnummer": 110, "Trin": 260, "Sagsbehandler": 150, "Start": 105,
                  "Frist": 105, "Afsluttet": 105, "Status": 190, "Dage for sent": 110,
                  "Dage til fristen": 120, "Tæller med i tallet": 250}
TIMED_DATE_PX = 160


def scrolls_sideways(groups: int, group_px: int = GROUP_PX) -> bool:
    """Whether a pivot of ``groups`` figure columns is wider than the page (then it says so)."""
    return NAME_PX + groups * group_px > CONTENT_PX


def rows_scroll_sideways(columns: list[str], timed: bool) -> bool:
    """Whether the case rows' columns are wider than the page (then it says so)."""
    dates = {"Start", "Frist", "Afsluttet"}
    return sum(TIMED_DATE_PX if timed and c in dates else STEP_WIDTHS_PX.get(c, 150)
               for c in columns) > CONTENT_PX

DEPARTMENT_TOTAL = "Hele afdelingen"
TEAM_TOTAL = "Hele teamet"


@dataclass(frozen=True)
class PivotColumn:
    label: str  # the heading; unique within a pivot
    team: str | None  # None: the department total
    caseworker: str | None  # None: the team's (or department's) total


@dataclass(frozen=True)
class Cell:
    value: float | None
    numerator: int | None
    denominator: int | None
    status: Status
    suppressed: bool
    text: str

    @property
    def light(self) -> Light:
        return SUPPRESSED_LIGHT if self.suppressed else LIGHTS[self.status]


@dataclass(frozen=True)
class Pivot:
    """Rows: KPIs (in the definitions' order); columns: the total, then each group by name."""

    kpis: tuple[str, ...]
    names: tuple[str, ...]
    pejlemaerker: tuple[str, ...]
    columns: tuple[PivotColumn, ...]
    cells: dict[tuple[str, str], Cell]  # (kpi id, column label) -> cell
    estimates: bool = False  # a row rests on a sample: its cells carry the 95 % interval

    @property
    def group_px(self) -> int:
        return ESTIMATE_GROUP_PX if self.estimates else GROUP_PX

    def cell(self, kpi_id: str, label: str) -> Cell:
        return self.cells[(kpi_id, label)]

    def column(self, label: str) -> PivotColumn | None:
        return next((c for c in self.columns if c.label == label), None)

    def values(self) -> pd.DataFrame:
        """Numbers for sorting (the Styler shows the text); index = row position.

        A cell without a figure (no cases, or withheld) holds ``NO_FIGURE``: the grid prints
        its own placeholder over an empty cell instead of our text, and this also sorts such
        cells below every real figure.
        """
        data = {"Nøgletal": list(self.names)}
        for col in self.columns:
            data[col.label] = [_or_no_figure(self.cells[(k, col.label)].value) for k in self.kpis]
        return pd.DataFrame(data)


NO_FIGURE = -1.0


def _or_no_figure(value: float | None) -> float:
    return NO_FIGURE if value is None else value


def cell_text(kpi, value: float | None, numerator: int | None, denominator: int | None,
              status: Status, suppressed: bool, hidden_text: str | None = None,
              full: bool = False, interval: tuple[float, float] | None = None) -> str:
    """What one cell says: symbol, value in Danish, and the count a rate rests on.

    In the table a rate carries its denominator, "✗ 66,5 % (406)", so that a caseworker's
    "0 %" of one case is not read like a team's "0 %" of forty; ``full`` adds the numerator,
    "✗ 66,5 % (270 af 406)", where there is room. A sample-based share adds its 95 %
    ``interval`` after the count, "✓ 84,6 % (13; 62–91 %)" (the legend says what it is).
    """
    if suppressed:
        return hidden_text or suppressed_text()
    symbol = LIGHTS[status].symbol
    prefix = f"{symbol} " if symbol else ""
    if kpi.unit is Unit.PERCENT:
        if not denominator:
            return "ingen sager"
        counts = (f"{format_int_da(numerator)} af {format_int_da(denominator)}" if full
                  else format_int_da(denominator))
        if interval is not None:
            counts += f"; {range_da(*interval)}"
        return f"{prefix}{format_pct_da(value)} ({counts})"
    if value is None:
        return MISSING
    if kpi.unit is Unit.COUNT:
        return f"{prefix}{format_int_da(value)}"
    if kpi.unit is Unit.DAYS:
        return f"{prefix}{format_int_da(value)} dage"
    return f"{prefix}{format_number_da(value, 1)}"


def pivot(results: pl.DataFrame, kpiset: KpiSet, kpi_ids: list[str], team: str | None = None,
          hidden_text: str | None = None) -> Pivot:
    """KPI × group from one period's tidy frame.

    ``team=None``: the department total and one column per team (``results`` computed with
    ``by=("team",)`` or deeper). ``team="X"``: team X's total and one column per caseworker
    (``by=("team", "caseworker")``). Totals are the engine's own total rows — never a sum of
    the columns beside them, which would be wrong for rates.
    """
    if team is None:
        total = results.filter(pl.col("group_level") == "")
        groups = results.filter(pl.col("group_level") == "team")
        total_col = PivotColumn(DEPARTMENT_TOTAL, None, None)
        group_key = "team"
    else:
        total = results.filter((pl.col("group_level") == "team") & (pl.col("team") == team))
        groups = results.filter((pl.col("group_level") == "team,caseworker")
                                & (pl.col("team") == team))
        total_col = PivotColumn(TEAM_TOTAL, team, None)
        group_key = "caseworker"
    labels = sorted({g for g in groups[group_key].to_list() if g is not None},
                    key=danish_sort_key)
    columns = [total_col] + [
        PivotColumn(g, g if team is None else team, None if team is None else g) for g in labels
    ]
    by_key: dict[tuple[str, str], dict] = {}
    for r in total.iter_rows(named=True):
        by_key[(r["kpi"], total_col.label)] = r
    for r in groups.iter_rows(named=True):
        by_key[(r["kpi"], r[group_key])] = r
    cells: dict[tuple[str, str], Cell] = {}
    for kpi_id in kpi_ids:
        kpi = kpiset[kpi_id]
        for col in columns:
            r = by_key.get((kpi_id, col.label))
            if r is None:  # a group with no units of this KPI in the period
                cells[(kpi_id, col.label)] = Cell(None, 0, 0, Status.NONE, False,
                                                  cell_text(kpi, None, 0, 0, Status.NONE, False))
                continue
            status = Status(r["status"])
            suppressed = bool(r.get("suppressed"))
            interval = (wilson(r["numerator"], r["denominator"])
                        if is_estimate(kpi) and r["denominator"] and not suppressed else None)
            cells[(kpi_id, col.label)] = Cell(
                None if suppressed else r["value"], r["numerator"], r["denominator"], status,
                suppressed,
                cell_text(kpi, r["value"], r["numerator"], r["denominator"], status, suppressed,
                          hidden_text, interval=interval),
            )
    return Pivot(
        kpis=tuple(kpi_ids),
        names=tuple(kpiset[k].name for k in kpi_ids),
        pejlemaerker=tuple(kpiset[k].pejlemaerke.label_da for k in kpi_ids),
        columns=tuple(columns),
        cells=cells,
        estimates=any(is_estimate(kpiset[k]) for k in kpi_ids),
    )


def styled(p: Pivot):
    """A pandas Styler: numbers underneath (so a click on a heading sorts by value), the cell
    text and traffic-light colours on top."""
    frame = p.values()
    labels = [c.label for c in p.columns]
    text = pd.DataFrame(
        [[p.cells[(k, lab)].text for lab in labels] for k in p.kpis], columns=labels)
    css = pd.DataFrame(
        [[_css(p.cells[(k, lab)].light) for lab in labels] for k in p.kpis], columns=labels)

    styler = frame.style
    # One call per row with a formatter per column: a call per cell cost about 1 s on a
    # national department's 500 teams.
    for i in range(len(p.kpis)):
        styler = styler.format({lab: (lambda _v, s=text.at[i, lab]: s) for lab in labels},
                               subset=pd.IndexSlice[[i], labels])
    return styler.apply(lambda _df: css, axis=None, subset=labels)


def _css(light: Light) -> str:
    return f"background-color: {light.background}; color: {light.colour}"


def danish_sort_key(text: str) -> tuple[str, str]:
    """Danish alphabetical order, case aside: … Z, Æ, Ø, Å (code points put Å before Æ)."""
    return text.casefold().replace("å", "ø\uffff").replace("aa", "ø\uffff"), text


# --- the case steps behind one figure ---------------------------------------------------------


class StepStatus(str, Enum):
    ON_TIME = "on_time"
    LATE = "late"
    OVERDUE_OPEN = "overdue_open"
    PENDING = "pending"
    MET = "met"
    NOT_MET = "not_met"
    COUNTED = "counted"
    OPEN = "open"
    COMPLETED = "completed"


STEP_STATUS_DA = {
    StepStatus.ON_TIME: "Til tiden",
    StepStatus.LATE: "For sent",
    StepStatus.OVERDUE_OPEN: "Overskredet – stadig åben",
    StepStatus.PENDING: "Afventer",
    StepStatus.MET: "Opfyldt",
    StepStatus.NOT_MET: "Ikke opfyldt",
    StepStatus.COUNTED: "Talt med",
    StepStatus.OPEN: "Åben",
    StepStatus.COMPLETED: "Afsluttet",
}
# Most urgent first: what a leader must act on comes at the top of the list.
_STATUS_ORDER = {s.value: i for i, s in enumerate((
    StepStatus.OVERDUE_OPEN, StepStatus.PENDING, StepStatus.LATE, StepStatus.NOT_MET,
    StepStatus.ON_TIME, StepStatus.MET, StepStatus.OPEN, StepStatus.COUNTED,
    StepStatus.COMPLETED))}

STEP_COLUMNS_DA: tuple[tuple[str, str], ...] = (
    ("case_id", "Sagsnummer"),
    ("kpi_name", "Trin"),
    ("caseworker", "Sagsbehandler"),
    ("start", "Start"),
    ("due", "Frist"),
    ("completed", "Afsluttet"),
    ("status_da", "Status"),
    ("days_late", "Dage for sent"),
    ("days_left", "Dage til fristen"),
    ("counts_da", "Tæller med i tallet"),
)
# Never shown: who the child is. Only the case's own (pseudonymous) number leaves the engine.
FORBIDDEN_STEP_COLUMNS = frozenset({"cpr", "child_id", "birth_date", "name"})


def _open_late(steps: pl.DataFrame) -> pl.Expr:
    """Late and still open. The engine marks it (``overdue_open``): a step whose measure has
    ended is late but no longer open. Rows made without that column fall back to status and
    completion."""
    if "overdue_open" in steps.columns:
        return pl.col("overdue_open").fill_null(False)
    return (pl.col("status") == "late") & pl.col("completed").is_null()


def step_status(status: str, completed_is_null: bool) -> StepStatus:
    if status == "late" and completed_is_null:
        return StepStatus.OVERDUE_OPEN
    return StepStatus(status)


def step_rows(steps: pl.DataFrame, kpi_names: dict[str, str], kpi_id: str | None = None
              ) -> pl.DataFrame:
    """The step rows as shown: Danish status words, days late or left, whether each row counts.

    ``steps`` is ``case_steps`` output (several KPIs may be stacked with a ``kpi`` column;
    otherwise pass ``kpi_id``). Most urgent first: still-open overdue, pending, late, on time.
    """
    df = steps
    if "kpi" not in df.columns:
        df = df.with_columns(pl.lit(kpi_id).alias("kpi"))
    status_da = {s.value: STEP_STATUS_DA[s] for s in StepStatus}
    open_late = _open_late(df)
    df = df.with_columns(
        pl.when(open_late).then(pl.lit(StepStatus.OVERDUE_OPEN.value))
        .otherwise(pl.col("status")).alias("_status"),
    )
    counts = (
        pl.when(pl.col("in_numerator") & pl.col("in_denominator"))
        .then(pl.lit("Ja, i tæller og nævner"))
        .when(pl.col("in_denominator")).then(pl.lit("Ja, i nævneren"))
        .when(pl.col("in_numerator")).then(pl.lit("Ja"))
        .when(pl.col("_status") == StepStatus.PENDING.value)
        .then(pl.lit("Nej, fristen er ikke nået"))
        .when(pl.col("_status") == StepStatus.OVERDUE_OPEN.value)
        .then(pl.lit("Nej, hører til en tidligere periode"))
        .otherwise(pl.lit("Nej"))
    )
    days = pl.col("days")
    has_due = pl.col("due").is_not_null()
    if is_timed(df):
        # An hour deadline: the moment matters (received 14.05, due 14.05 the next day).
        df = df.with_columns(
            pl.coalesce(pl.col(f"{c}_at"), pl.col(c).cast(pl.Datetime("us"))).alias(c)
            for c in ("start", "due", "completed")
        )
    df = df.with_columns(
        pl.col("kpi").replace_strict(kpi_names, default=pl.col("kpi"), return_dtype=pl.String)
        .alias("kpi_name"),
        pl.col("_status").replace_strict(status_da, default=pl.col("_status"),
                                         return_dtype=pl.String).alias("status_da"),
        pl.when(has_due & (days > 0) & pl.col("_status").is_in(["late", "overdue_open"]))
        .then(days).alias("days_late"),
        pl.when(has_due & (pl.col("_status") == "pending")).then(-days).alias("days_left"),
        counts.alias("counts_da"),
        pl.col("_status").replace_strict(_STATUS_ORDER, default=99, return_dtype=pl.Int64)
        .alias("_order"),
    )
    return (
        df.sort(["_order", "due", "start", "case_id"], nulls_last=True)
        .select([pl.col(c).alias(label) for c, label in STEP_COLUMNS_DA])
    )


def without_empty(rows: pl.DataFrame) -> pl.DataFrame:
    """Leave out what a KPI without deadlines cannot fill (a share or a count has no due date,
    so no days late or left): an empty column only makes a reader look for what is not there."""
    def empty(column: str) -> bool:
        return column in rows.columns and rows.height > 0 and (
            rows[column].null_count() == rows.height)

    drop = ["Frist", "Dage for sent", "Dage til fristen"] if empty("Frist") else []
    drop += ["Afsluttet"] if empty("Afsluttet") else []
    return rows.drop([c for c in drop if c in rows.columns])


def rows_csv(rows: pl.DataFrame) -> bytes:
    """The case rows as the table shows them, as CSV for Danish Excel: dates DD.MM.YYYY, times
    DD.MM.YYYY HH.MM, and no name that can become a formula."""
    return excel_csv_bytes(rows.with_columns(
        pl.col(pl.Date).dt.strftime("%d.%m.%Y"), pl.col(pl.Datetime).dt.strftime("%d.%m.%Y %H.%M")))


def is_timed(steps: pl.DataFrame) -> bool:
    """Every row has a due moment with a time of day (an hour deadline): show clock times."""
    return ("due_at" in steps.columns and steps.height > 0
            and steps["due_at"].is_not_null().all())


@dataclass(frozen=True)
class StepTotals:
    rows: int
    numerator: int
    denominator: int
    pending: int
    overdue_open: int
    median: float | None = None


def reconcile(steps: pl.DataFrame, as_of_in_period: bool) -> StepTotals:
    """Recount a figure from its step rows.

    The still-open overdue steps are the figure's ``overdue_open`` only when the period holds
    the as-of date: that count is a snapshot of today, reported with today's period.
    """
    if steps.height == 0:
        return StepTotals(0, 0, 0, 0, 0)
    open_late = _open_late(steps).sum()
    row = steps.select(
        pl.col("in_numerator").sum().alias("num"),
        pl.col("in_denominator").sum().alias("den"),
        (pl.col("status") == "pending").sum().alias("pending"),
        open_late.alias("open_late"),
        pl.col("metric").filter(pl.col("in_denominator")).median().alias("median")
        if "metric" in steps.columns else pl.lit(None).alias("median"),
    ).row(0, named=True)
    return StepTotals(
        rows=steps.height, numerator=int(row["num"]), denominator=int(row["den"]),
        pending=int(row["pending"]), overdue_open=int(row["open_late"]) if as_of_in_period else 0,
        median=row["median"],
    )


def matches(kpi, totals: StepTotals, figure: dict) -> bool:
    """Do the step rows add up to the figure (a row of the tidy frame)?"""
    if figure.get("suppressed"):
        return True  # nothing shown to compare with
    if isinstance(kpi, DurationKpi):
        same_median = (figure["value"] is None and totals.median is None) or (
            figure["value"] is not None and totals.median is not None
            and abs(figure["value"] - totals.median) < 1e-9)
        return totals.denominator == (figure["denominator"] or 0) and same_median
    if isinstance(kpi, CountKpi):
        return totals.numerator == (figure["numerator"] or 0)
    return (totals.numerator == (figure["numerator"] or 0)
            and totals.denominator == (figure["denominator"] or 0)
            and totals.pending == (figure["pending"] or 0)
            and totals.overdue_open == (figure["overdue_open"] or 0))


def summary_da(kpi, totals: StepTotals) -> str:
    """The headline above the step rows: the figure in words, from the rows themselves."""
    num, den = format_int_da(totals.numerator), format_int_da(totals.denominator)
    if kpi.kind is Kind.DEADLINE:
        rate = _rate(totals)
        return f"{num} af {den} til tiden{rate}"
    if kpi.kind is Kind.SHARE:
        rate = _rate(totals)
        if is_estimate(kpi) and totals.denominator:  # the reviewed cases are a sample
            rate += f", {interval_da(*wilson(totals.numerator, totals.denominator))}"
        return f"{num} af {den} opfylder kravet{rate}"
    if kpi.kind is Kind.DURATION:
        median = MISSING if totals.median is None else format_int_da(totals.median)
        return f"{den} afsluttede, median {median} dage"
    noun = SOURCES[kpi.spec.source].label_da.lower()
    if isinstance(kpi, CountKpi) and kpi.spec.open_from:
        return f"{num} åbne {noun}"
    return f"{num} {noun} i alt"


def _rate(totals: StepTotals) -> str:
    share = totals.numerator / totals.denominator if totals.denominator else None
    return f" ({format_pct_da(share)})" if share is not None else ""


def extras_da(kpi, totals: StepTotals) -> str:
    """Rows listed but not in the rate: pending, and still-open overdue from earlier periods."""
    if not isinstance(kpi, DeadlineKpi):
        return ""
    parts = []
    if totals.pending:
        parts.append(f"{format_int_da(totals.pending)} afventer (fristen er ikke nået)")
    earlier = totals.rows - totals.denominator - totals.pending
    if earlier > 0:
        parts.append(f"{format_int_da(earlier)} overskredne fra tidligere perioder er stadig åbne")
    if not parts:
        return ""
    return "Desuden: " + "; ".join(parts) + ". De tæller ikke med i andelen."


def step_kpis(kpiset: KpiSet) -> list[str]:
    """KPIs whose figures are made of case steps with on time / met or not (no context)."""
    return [k.id for k in kpiset if isinstance(k, DeadlineKpi | ShareKpi) and not k.context]


def group_of(team: str | None, caseworker: str | None) -> dict[str, str]:
    group = {}
    if team is not None:
        group["team"] = team
        if caseworker is not None:
            group["caseworker"] = caseworker
    return group

