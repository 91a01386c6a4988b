"""Figures the committee may not see in the demo, found through the engine (shared by the role
tests): each returns what is withheld and what an analyst sees in its place."""

from __future__ import annotations

from datetime import date

import polars as pl

from kpis.access.roles import Role, scope_for
from kpis.compute.engine import compute
from kpis.compute.periods import Period, PeriodKind
from kpis.present.period_choice import latest_complete

COMMITTEE = scope_for(Role.COMMITTEE)


def withheld_total(conn, kpiset, as_of: date) -> tuple[str, Period, dict]:
    """A KPI and a complete month whose department figure the committee may not see, and that
    figure as an analyst sees it."""
    months = [latest_complete(PeriodKind.MONTH, as_of)]
    while len(months) < 36:
        months.append(months[-1].previous())
    hidden = compute(conn, kpiset, months, scope=COMMITTEE).filter(pl.col("suppressed"))
    assert hidden.height, "the demo has a month with a withheld department figure"
    kpi_id, label = hidden["kpi"][0], hidden["period"][0]
    month = next(m for m in months if m.label == label)
    return kpi_id, month, compute(conn, kpiset, [month], kpi_ids=[kpi_id]).row(0, named=True)


def withheld_teams(conn, kpiset, as_of: date) -> tuple[str, Period, pl.DataFrame]:
    """A KPI and a complete quarter in which the committee sees some teams withheld, and those
    teams' rows as an analyst sees them."""
    quarter = latest_complete(PeriodKind.QUARTER, as_of)
    for _ in range(12):
        res = compute(conn, kpiset, [quarter], by=("team",), scope=COMMITTEE)
        hidden = res.filter(pl.col("suppressed") & (pl.col("group_level") == "team"))
        if hidden.height:
            kpi_id = hidden["kpi"][0]
            teams = hidden.filter(pl.col("kpi") == kpi_id)["team"].to_list()
            full = compute(conn, kpiset, [quarter], by=("team",), kpi_ids=[kpi_id])
            return kpi_id, quarter, full.filter(pl.col("team").is_in(teams))
        quarter = quarter.previous()
    raise AssertionError("the demo has no quarter with a withheld team")
