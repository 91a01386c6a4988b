"""What the Udviklingsplan page (and later the statusrapport) shows: each goal's baseline, figure
now and target in words, its trajectory chart with the straight line to the target, and the
activities with the overdue ones marked. Built from ``kpis.plan`` only; no streamlit here."""

from __future__ import annotations

from datetime import date

import altair as alt
import polars as pl

from kpis.access.suppression import HIDDEN_TEXT
from kpis.plan.model import Plan, Recommendation
from kpis.plan.progress import GoalProgress, Point, line_at
from kpis.plan.status_store import is_overdue
from kpis.present.charts import BLUE, DA_LOCALE, GREY
from kpis.present.formatting import estimate_da, format_date_da, format_quarter_da
from kpis.present.tiles import format_value
from kpis.review.figures import sample_based, wilson
from kpis.rules.definitions import KpiSet, Unit

OVERDUE_DA = "Overskredet"


def quarter_da(point: Point) -> str:
    return format_quarter_da(point.period.start.year, (point.period.start.month - 1) // 3 + 1)


def figure_da(point: Point, unit: Unit, sample: bool = False) -> str:
    """A figure as the page shows it; a withheld one says so and shows no number. A figure from
    a sample (``sample``) is an estimate: its 95 % interval and the cases it rests on follow."""
    if point.withheld:
        return HIDDEN_TEXT
    if sample and point.denominator and point.numerator is not None:
        low, high = wilson(point.numerator, point.denominator)
        return estimate_da(point.value, low, high, point.denominator)
    return format_value(point.value, unit)


LINE_ON_DAY_DA = "Linjen på datoen"


def goal_summary(gp: GoalProgress, kpiset: KpiSet) -> dict[str, str]:
    """Baseline → now → target in words, with the periods, the line on the report date and the
    standing (the page and the statusrapport both show these very words)."""
    kpi = kpiset[gp.goal.kpi]
    unit, sample = kpi.unit, sample_based(kpi)
    return {
        "Nøgletal": kpi.name,
        "Udgangspunkt": f"{figure_da(gp.baseline, unit, sample)} ({quarter_da(gp.baseline)})",
        "Nu": f"{figure_da(gp.now, unit, sample)} ({quarter_da(gp.now)})",
        "Mål": f"{format_value(gp.goal.target, unit)} senest {format_date_da(gp.goal.by)}",
        LINE_ON_DAY_DA: "–" if gp.line_now is None else format_value(gp.line_now, unit),
        "Vurdering": gp.standing.label_da,
    }


def trajectory_rows(gp: GoalProgress, plan_start: date) -> list[dict]:
    """The figure per quarter (none where withheld) and the line from baseline to target, each
    at its day: a quarter at its last day, the line at the plan's start and the target date."""
    rows = [{"day": p.period.end.isoformat(), "when": quarter_da(p), "series": SERIES_FIGURE,
             "value": p.value} for p in gp.series if p.value is not None]
    if gp.baseline.value is not None:
        for day in (plan_start, gp.goal.by):
            rows.append({"day": day.isoformat(), "when": format_date_da(day),
                         "series": SERIES_LINE,
                         "value": line_at(gp.baseline.value, plan_start, gp.goal.target,
                                          gp.goal.by, day)})
    return rows


SERIES_FIGURE, SERIES_LINE = "Nøgletallet pr. kvartal", "Lige linje fra udgangspunkt til mål"
# Vega's own month names are English: the axis gets Danish ones (numbers as in charts.py).
_MONTHS = ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
           "oktober", "november", "december"]
DA_TIME_LOCALE = {
    "dateTime": "%A den %e. %B %Y %X", "date": "%d-%m-%Y", "time": "%H:%M:%S",
    "periods": ["", ""],
    "days": ["søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"],
    "shortDays": ["søn", "man", "tir", "ons", "tor", "fre", "lør"],
    "months": _MONTHS, "shortMonths": [m[:3] for m in _MONTHS],
}


def trajectory_chart(gp: GoalProgress, kpiset: KpiSet, plan_start: date) -> alt.Chart:
    unit = kpiset[gp.goal.kpi].unit
    percent = unit is Unit.PERCENT
    chart = alt.Chart(alt.Data(values=trajectory_rows(gp, plan_start))).mark_line(point=True)
    legend = alt.Legend(orient="bottom", labelLimit=320, symbolType="stroke",
                        symbolStrokeWidth=2, symbolSize=300)
    chart = chart.encode(
        x=alt.X("day:T", title=None, axis=alt.Axis(format="%b %Y", tickCount=6)),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False),
                axis=alt.Axis(format=".0%" if percent else ",.0f")),
        color=alt.Color("series:N", title=None,
                        scale=alt.Scale(domain=[SERIES_FIGURE, SERIES_LINE],
                                        range=[BLUE, GREY]),
                        legend=legend),
        # the same field, title and legend as the colour: Vega-Lite draws one legend whose
        # symbols are the lines themselves, solid and dashed
        strokeDash=alt.StrokeDash("series:N", title=None,
                                  scale=alt.Scale(domain=[SERIES_FIGURE, SERIES_LINE],
                                                  range=[[1, 0], [6, 4]]),
                                  legend=legend),
        tooltip=[alt.Tooltip("series:N", title="Serie"), alt.Tooltip("when:N", title="Hvornår"),
                 alt.Tooltip("value:Q", title="Værdi", format=".1%" if percent else ",.1f")],
    ).properties(height=180, width="container")
    chart.config = alt.Config(locale={**DA_LOCALE, "time": DA_TIME_LOCALE},
                              view=alt.ViewConfig(strokeWidth=0))
    return chart


def trajectory_text(gp: GoalProgress, kpiset: KpiSet) -> str:
    """The chart in words, for screen readers and print."""
    unit = kpiset[gp.goal.kpi].unit
    figures = "; ".join(f"{quarter_da(p)}: {figure_da(p, unit)}" for p in gp.series)
    line = ("" if gp.line_now is None else
            f" Linjen fra udgangspunktet til målet står på {format_value(gp.line_now, unit)} "
            f"den {format_date_da(gp.report_date)}.")
    return f"Nøgletallet pr. kvartal: {figures}.{line} Vurdering: {gp.standing.label_da}."


def _date_cell(day: date) -> str:
    """"15. januar 2025" with a no-break space: the table reads a cell as Markdown, where "15. "
    starts a numbered list, and the day should not part from its month at a line break."""
    return format_date_da(day).replace(". ", ".\u00a0", 1)


def activity_table(plan: Plan, rec: Recommendation, statuses: dict, on: date) -> pl.DataFrame:
    rows = []
    for a in rec.activities:
        status = statuses[a.id]
        rows.append({"Aktivitet": a.description, "Ansvarlig": plan.owner(a.owner).label,
                     "Start": _date_cell(a.start), "Frist": _date_cell(a.deadline),
                     "Status": status.label_da,
                     "Frist overskredet": OVERDUE_DA if is_overdue(a.deadline, status, on)
                     else ""})
    return pl.DataFrame(rows, schema={k: pl.String for k in (
        "Aktivitet", "Ansvarlig", "Start", "Frist", "Status", "Frist overskredet")})


def goals_of_kpi_da(plan: Plan, kpi_id: str, kpiset: KpiSet) -> list[str]:
    """The plan goals a KPI serves, one line each (the KPI's page lists them)."""
    unit = kpiset[kpi_id].unit
    return [f"{theme.title}: {goal.text} (mål {format_value(goal.target, unit)} senest "
            f"{format_date_da(goal.by)})" for theme, _, goal in plan.goals_for_kpi(kpi_id)]
