"""Pre-filling a question from the data: the engine's answer for the case, with its dates.

A question's ``prefill.kpi`` names a deadline or share KPI. The case's units of that KPI in the
review window decide: all met → ja, none met → nej, some → delvist, none at all → no pre-fill.
The reviewer confirms or corrects it; a correction is kept as a data-quality finding
(store.record_prefill_correction).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kpis.compute.engine import ALL, Scope, case_steps
from kpis.present.drilldown import STEP_STATUS_DA
from kpis.review.frame import Window
from kpis.review.model import Answer

STATUS_DA = {s.value: label for s, label in STEP_STATUS_DA.items()}


@dataclass(frozen=True)
class Prefilled:
    kpi: str
    answer: Answer
    met: int
    total: int
    detail: str  # the dates behind it, in Danish


def engine_period(window: Window) -> str:
    """The engine period whose units a window's pre-fill reads: the window's own month or
    quarter, else the twelve months ending with the window's last month."""
    if window.label[:4].isdigit() and ("-Q" in window.label or len(window.label) == 7):
        return window.label
    return f"R12-{window.end.year}-{window.end.month:02d}"


def _date(d) -> str:
    return d.strftime("%d-%m-%Y") if d is not None else "–"


def from_steps(kpi_id: str, steps: pl.DataFrame, case_id: str) -> Prefilled | None:
    """The pre-fill of one case from the units behind a figure (engine.case_steps)."""
    mine = steps.filter((pl.col("case_id") == case_id) & pl.col("in_denominator"))
    if mine.is_empty():
        return None
    met = int(mine["in_numerator"].sum())
    total = mine.height
    answer = Answer.JA if met == total else (Answer.NEJ if met == 0 else Answer.DELVIST)
    lines = []
    for r in mine.sort("start").iter_rows(named=True):
        status = STATUS_DA.get(r.get("status") or "", r.get("status") or "")
        lines.append(f"start {_date(r.get('start'))}, frist {_date(r.get('due'))}, "
                     f"udført {_date(r.get('completed'))}" + (f": {status}" if status else ""))
    return Prefilled(kpi_id, answer, met, total, "; ".join(lines))


def prefill(source, kpiset, kpi_id: str, case_id: str, window: Window, *,
            scope: Scope = ALL) -> Prefilled | None:
    steps = case_steps(source, kpiset, kpi_id, engine_period(window), scope=scope)
    return from_steps(kpi_id, steps, case_id)
