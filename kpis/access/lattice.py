"""The committee's lattice: which counts a committee view shows, and how they add up.

Shared by the committee's suppression (``kpis.access.suppression``, the defender) and the
disclosure check (``kpis.access.disclosure``, the attacker), so both reason about the same
relations. docs/disclosure.md explains the model in words.

Every figure of a row is built from additive counts of one KPI:

- a *flow* (deadline, share, count of events, duration): a period's count is the sum of its
  months' counts, and the department's count is the sum of its teams';
- a *stock* (open cases, and the caseworkers holding them): a period's count is the state on its
  last day (or the as-of date, if earlier), so a quarter, the year it ends and the twelve months
  ending with it are the same count;
- a *state on the as-of date* (pending and overdue-open steps): reported with every period that
  holds the as-of date, zero in every other period.

A row's counts are withheld together (its ``part``): the numerator, the denominator and the value
of a figure ("main"), and its pending and its overdue-open count, each on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

import numpy as np

from kpis.compute.periods import Period
from kpis.rules.definitions import CountKpi, DeadlineKpi, DurationKpi

COMMITTEE_DIMENSIONS = ("team",)  # the only breakdown the committee's pages offer


class Shape(str, Enum):
    FLOW = "flow"
    STOCK = "stock"
    STATE = "state"


@dataclass(frozen=True)
class Part:
    """The counts of one KPI that are withheld together, and which of them decide it."""

    kpi: str
    part: str  # "main", "pending" or "overdue"
    columns: tuple[str, ...]  # result columns holding its counts
    criteria: tuple[str, ...]  # the counts whose smallness withholds it (the primary rule)
    shape: Shape


def parts_of(kpiset) -> list[Part]:
    """Every part of every KPI, in the definitions' order."""
    out = []
    for kpi in kpiset:
        if isinstance(kpi, CountKpi):
            stock = bool(kpi.spec.open_from)
            shape = Shape.STOCK if stock else Shape.FLOW
            if kpi.spec.per:
                # "Open cases per caseworker": a team figure resting on fewer caseworkers than the
                # threshold is close to a figure per person, so both counts decide.
                out.append(Part(kpi.id, "main", ("numerator", "denominator"),
                                ("numerator", "denominator"), shape))
            else:
                out.append(Part(kpi.id, "main", ("numerator",), ("numerator",), shape))
        elif isinstance(kpi, DurationKpi):
            out.append(Part(kpi.id, "main", ("denominator",), ("denominator",), Shape.FLOW))
        else:
            out.append(Part(kpi.id, "main", ("numerator", "denominator"), ("denominator",),
                            Shape.FLOW))
        if isinstance(kpi, DeadlineKpi):
            out.append(Part(kpi.id, "pending", ("pending",), ("pending",), Shape.STATE))
            out.append(Part(kpi.id, "overdue", ("overdue_open",), ("overdue_open",), Shape.STATE))
    return out


FLAG_OF_PART = {"main": "suppressed", "pending": "pending_suppressed",
                "overdue": "overdue_suppressed"}


def is_small(n, threshold: int) -> bool:
    return n is not None and 0 < n < threshold


def time_row(period: Period, bins: list[Period], shape: Shape, as_of: date) -> np.ndarray:
    """How a period's count is made of the counts of ``bins`` (consecutive periods that tile the
    time axis: months or quarters, the last one holding the as-of date)."""
    row = np.zeros(len(bins))
    if shape is Shape.FLOW:
        for i, b in enumerate(bins):
            if period.start <= b.start and b.end <= period.end:
                row[i] = 1
            elif b.start <= period.end and period.start <= b.end:
                raise ValueError(f"{period.label} does not consist of whole {b.label}")
        return row
    if shape is Shape.STOCK:
        if period.start > as_of:
            return row
        day = min(period.end, as_of)
    else:  # a state on the as-of date, reported with the period holding it
        if not period.contains(as_of):
            return row
        day = as_of
    for i, b in enumerate(bins):
        if b.contains(day):
            row[i] = 1
    return row


def group_matrix(teams: list[str]) -> np.ndarray:
    """Rows: the department (every team) and each team; columns: the teams."""
    return np.vstack([np.ones(len(teams)), np.eye(len(teams))]) if teams else np.ones((1, 0))


def grid(frame, column: str, periods: list[Period], teams: list[str]) -> np.ndarray:
    """One count of one KPI's result rows (a polars frame) as an array: periods × (department,
    teams). A team without a row has no units in that period: zero, as the reader sees it."""
    out = np.zeros((len(periods), len(teams) + 1))
    where = {p.label: i for i, p in enumerate(periods)}
    col = {t: j + 1 for j, t in enumerate(teams)}
    rows = np.array([where.get(label, -1) for label in frame["period"].to_list()], dtype=int)
    cols = np.array([0 if level == "" else col[team] for level, team in
                     zip(frame["group_level"].to_list(), frame["team"].to_list())], dtype=int)
    values = frame[column].fill_null(0).to_numpy()
    keep = rows >= 0
    out[rows[keep], cols[keep]] = values[keep]
    return out
