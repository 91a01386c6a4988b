"""Figures the committee may not see in the demo, found through the engine (shared by the role
tests): each returns what is withheld and what an analyst sees in its place."""

from __future__ import annotations

from datetime import date

import polars as pl

from kpis.access.roles import Role, scope_for
from kpis.compute.engine import compute
from kpis.compute.periods import Period, PeriodKind
from kpis.present.period_choice import Comparison, choices, latest_complete, periods_needed

COMMITTEE = scope_for(Role.COMMITTEE)


def withheld_total(conn, kpiset, as_of: date) -> tuple[str, Period, Period, dict]:
    """A KPI, a quarter the committee can choose, and a period of that quarter's overview whose
    department figure the committee may not see (the chosen quarter or one of its trend), and
    that figure as an analyst sees it.

    Months are not the committee's since issue 11 (they let small counts be recovered by
    subtraction), so this searches the quarters the committee can choose, newest first.

    A figure withheld for its own small count (fewer than 5): a figure may also be withheld
    beside one, so it cannot be recovered by subtraction — the demo's nulpunktsmåling has 13
    answers in 3rd quarter 2025 and 3 in the 4th, and with the year's 16 known, the 13 must go
    too (docs/disclosure.md). That is right, but it is not the case the callers check."""
    for quarter in choices(PeriodKind.QUARTER, as_of):
        needed = periods_needed(quarter, Comparison.PREVIOUS, as_of)
        res = compute(conn, kpiset, needed, scope=COMMITTEE)
        for kpi_id, label in res.filter(pl.col("suppressed")).select("kpi", "period").rows():
            period = next(p for p in needed if p.label == label)
            full = compute(conn, kpiset, [period], kpi_ids=[kpi_id]).row(0, named=True)
            count = full["numerator"] if full["denominator"] is None else full["denominator"]
            if 0 < count < 5:
                return kpi_id, quarter, period, full
    raise AssertionError("the demo has an overview with a withheld department figure")


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
