"""A goal's baseline, its figure now, the straight line to its target, and "on track" (docs/plan.md).

- Baseline: the KPI's value in the *last complete quarter before the plan's start* (a plan starting
  1 January 2025 has 2024-Q4). A quarter, because the committee sees quarters (docs/disclosure.md)
  and a month's share on a handful of cases says little; the last complete one, because the
  quarter holding the start date is not over when the plan is approved.
- Now: the KPI's value in the last complete quarter on the report date (the quarter ending that
  day, or the one before).
- The line: from the baseline at the plan's start to the target at the goal's target date,
  straight in calendar days; before the start it is the baseline, after the target date the target.
- On track: the figure now at or above the line on the report date (at or below for a KPI where
  lower is better). A figure that is missing or withheld is neither on track nor behind.

Every figure comes from the engine's ``compute`` with the caller's scope, so a committee member's
figures come from the committee's one suppression decision: a withheld figure stays withheld here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

import polars as pl

from kpis.compute.engine import ALL, Scope, compute
from kpis.compute.periods import Period, PeriodKind, period_of, periods_back
from kpis.plan.model import Goal, Plan
from kpis.rules.definitions import Direction, KpiSet


class Standing(str, Enum):
    REACHED = "reached"  # the figure now meets the target itself
    ON_TRACK = "on_track"
    BEHIND = "behind"
    UNKNOWN = "unknown"  # no figure, or withheld

    @property
    def label_da(self) -> str:
        return {Standing.REACHED: "Målet er nået", Standing.ON_TRACK: "På sporet",
                Standing.BEHIND: "Bagud", Standing.UNKNOWN: "Kan ikke vurderes"}[self]


def baseline_period(plan_start: date) -> Period:
    """The last complete quarter before the plan's start."""
    return period_of(PeriodKind.QUARTER, plan_start).previous()


def current_period(report_date: date) -> Period:
    """The last quarter that is complete on the report date."""
    q = period_of(PeriodKind.QUARTER, report_date)
    return q if q.end == report_date else q.previous()


def line_at(baseline: float, start: date, target: float, target_date: date, day: date) -> float:
    """The straight line from (start, baseline) to (target_date, target), read on ``day``."""
    if day <= start:
        return baseline
    if day >= target_date:
        return target
    return baseline + (target - baseline) * (day - start).days / (target_date - start).days


def meets(value: float, reference: float, direction: Direction) -> bool:
    return value >= reference if direction is Direction.HIGHER_IS_BETTER else value <= reference


def standing(value: float | None, baseline: float | None, start: date, goal: Goal,
             direction: Direction, day: date) -> Standing:
    if value is None or baseline is None:
        return Standing.UNKNOWN
    if meets(value, goal.target, direction):
        return Standing.REACHED
    line = line_at(baseline, start, goal.target, goal.by, day)
    return Standing.ON_TRACK if meets(value, line, direction) else Standing.BEHIND


@dataclass(frozen=True)
class Point:
    period: Period
    value: float | None
    withheld: bool
    # What a share rests on (a sample-based figure's interval is computed from them); None for
    # other kinds of figure and wherever the value is withheld or missing.
    numerator: int | None = None
    denominator: int | None = None


@dataclass(frozen=True)
class GoalProgress:
    goal: Goal
    direction: Direction
    baseline: Point
    now: Point
    series: tuple[Point, ...]  # every quarter from the baseline's to now's, oldest first
    line_now: float | None  # the line on the report date (None without a baseline)
    standing: Standing
    report_date: date


def progress(source, kpiset: KpiSet, plan: Plan, report_date: date, *, scope: Scope = ALL,
             settings=None) -> list[GoalProgress]:
    """Every goal of the plan on the report date, in the plan's order, with the caller's scope.

    One engine call for all goals and quarters, with the snapshot's own as-of date (the committee
    sees only that one)."""
    base_p, now_p = baseline_period(plan.start), current_period(report_date)
    quarters = periods_back(now_p, _quarters_between(base_p, now_p)) if now_p.end > base_p.end \
        else [base_p]
    goals = [g for _, _, g in plan.goals()]
    kpi_ids = sorted({g.kpi for g in goals})
    frame = compute(source, kpiset, quarters, (), kpi_ids=kpi_ids, scope=scope, settings=settings)
    out = []
    for goal in goals:
        kpi = kpiset[goal.kpi]
        series = tuple(_point(frame, goal.kpi, q) for q in quarters)
        base, now = series[0], series[-1]
        line = None if base.value is None else line_at(base.value, plan.start, goal.target,
                                                       goal.by, report_date)
        out.append(GoalProgress(goal, kpi.direction, base, now, series, line,
                                standing(now.value, base.value, plan.start, goal, kpi.direction,
                                         report_date), report_date))
    return out


def baseline(source, kpiset: KpiSet, kpi_id: str, plan_start: date, *, scope: Scope = ALL,
             settings=None) -> Point:
    """The baseline a goal on ``kpi_id`` gets in a plan starting on ``plan_start`` (the plan
    editor shows it beside the form: it is computed, never typed)."""
    period = baseline_period(plan_start)
    frame = compute(source, kpiset, [period], (), kpi_ids=[kpi_id], scope=scope,
                    settings=settings)
    return _point(frame, kpi_id, period)


def _quarters_between(first: Period, last: Period) -> int:
    return (last.start.year - first.start.year) * 4 + (last.start.month - first.start.month) // 3 + 1


def _point(frame: pl.DataFrame, kpi_id: str, period: Period) -> Point:
    rows = frame.filter((pl.col("kpi") == kpi_id) & (pl.col("period") == period.label)
                        & (pl.col("group_level") == ""))
    if rows.is_empty():
        return Point(period, None, False)
    row = rows.row(0, named=True)
    withheld = bool(row.get("suppressed"))
    if withheld or row["value"] is None:
        return Point(period, row["value"], withheld)
    return Point(period, row["value"], withheld, row.get("numerator"), row.get("denominator"))
