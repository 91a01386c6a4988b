"""From simulated arrays to the canonical tables of one export: the window, ids, closed cases.

The export holds what a case system would hand over on the as-of date: every notification since
`start`, and every BFU, measure and case still relevant then (placements from years back included),
with their plans, follow-ups, visits and interviews back to the warm-up start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from kpis.data.demo_bfu import Investigations
from kpis.data.demo_cases import Notifications
from kpis.data.demo_dist import lognormal_days
from kpis.data.demo_followups import FollowUps, Visits
from kpis.data.demo_interviews import Interviews
from kpis.data.demo_measures import Measures, Plans
from kpis.data.demo_org import Org
from kpis.data.schema import (
    EXEMPTION_REASONS,
    INTERVIEW_OCCASIONS,
    MEASURE_TYPES,
    NOTIFIER_TYPES,
    PLAN_TYPES,
)


@dataclass
class World:
    org: Org
    opened: np.ndarray
    birth: np.ndarray
    caseworker: np.ndarray
    cpr: pl.Series
    notes: Notifications
    bfus: Investigations
    measures: Measures
    plans: Plans
    follow_ups: FollowUps
    visits: Visits
    interviews: Interviews


def _date(a: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(a, dtype="datetime64[D]"), dtype=pl.Date)


def _ts(a: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(a, dtype="datetime64[ms]"), dtype=pl.Datetime("ms"))


def _flag(a: np.ndarray) -> pl.Series:
    return pl.Series(np.where(a < 0, None, a == 1).tolist(), dtype=pl.Boolean)


def _count(a: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(a), dtype=pl.Int64).replace(-1, None)


def _enum(a: np.ndarray, words: tuple[str, ...]) -> pl.Series:
    return pl.Series(np.asarray(a), dtype=pl.Int64).replace_strict(
        dict(enumerate(words)), default=None, return_dtype=pl.String
    )


def _ids(prefix: str, n: int) -> pl.Series:
    """Ids in row order ("U0000001", ...): rows are sorted by their defining date first."""
    return pl.select(
        pl.lit(prefix) + pl.int_range(1, n + 1).cast(pl.String).str.zfill(7)
    ).to_series()


def _keyed(n: int, rows: np.ndarray, ids: pl.Series) -> pl.Series:
    """Ids by simulation index (null where the row is not exported), for `gather`."""
    slots = np.full(n, -1)
    slots[rows] = np.arange(len(rows))
    return ids.gather(pl.Series(slots).replace(-1, None))


def _in_order(keep: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Indexes of the kept rows sorted by their defining date (ties in simulation order)."""
    o = np.flatnonzero(keep)
    return o[np.lexsort((o, key[o]))]


def canonical_tables(
    w: World, rng: np.random.Generator, sim_start: np.datetime64, start: np.datetime64,
    as_of: np.datetime64,
) -> dict[str, pl.DataFrame]:
    n, b, m = w.notes, w.bfus, w.measures
    keep_n = n.received.astype("datetime64[D]") >= start
    keep_b = ~(b.completed < start)  # completed in the window, or still open
    keep_m = ~(m.ended_real < start)  # running in the window (or not started yet)
    keep_p = keep_m[w.plans.measure] & (w.plans.prepared >= sim_start)
    keep_f = keep_m[w.follow_ups.measure] & (w.follow_ups.held >= sim_start)
    keep_v = keep_m[w.visits.measure]
    kept_case = np.zeros(len(w.opened), dtype=bool)
    for rows, keep in ((n.case, keep_n), (b.case, keep_b), (m.case, keep_m)):
        kept_case[rows[keep]] = True
    iv = w.interviews
    iv_day = np.where(np.isnat(iv.held), iv.recorded, iv.held)
    keep_i = kept_case[iv.case] & (iv_day >= sim_start)

    # A case closes a while after its last activity, unless something is still open on as_of.
    last = np.full(len(w.opened), np.datetime64("1900-01-01", "D"))
    busy = [
        (n.case, n.received.astype("datetime64[D]")),
        (b.case, np.where(np.isnat(b.completed), as_of, b.completed)),
        (m.case, np.where(np.isnat(m.ended_real) | (m.ended_real > as_of), as_of, m.ended_real)),
        (n.case, n.assessed.astype("datetime64[D]")),
        (n.case, n.acknowledged),
        (iv.case, iv_day),
        (iv.case, iv.recorded),
        (m.case[w.plans.measure], w.plans.prepared),
        (m.case[w.follow_ups.measure], w.follow_ups.held),
        (m.case[w.visits.measure], w.visits.held),
    ]
    for rows, when in busy:
        valid = ~np.isnat(when)
        np.maximum.at(last, rows[valid], when[valid])
    closed = last + lognormal_days(rng, len(last), 60, 0.7, 7, 365).astype("timedelta64[D]")
    closed = np.where(closed <= as_of, closed, np.datetime64("NaT", "D"))

    case_rows = np.flatnonzero(kept_case)
    case_rows = case_rows[np.lexsort((case_rows, w.opened[case_rows]))]
    opened = w.opened[case_rows]
    year = pl.Series(opened.astype("datetime64[Y]").astype(int) + 1970).cast(pl.String)
    serial = pl.DataFrame({"y": year}).select(pl.int_range(1, pl.len() + 1).over("y"))
    serial = serial.to_series()
    case_id = _keyed(len(w.opened), case_rows, year + "-" + serial.cast(pl.String).str.zfill(5))
    cw = w.caseworker[case_rows]
    cases = pl.DataFrame({
        "case_id": case_id.gather(case_rows),
        "cpr": w.cpr.gather(case_rows),
        "team": pl.Series(w.org.teams, dtype=pl.String).gather(w.org.caseworker_team[cw]),
        "caseworker": pl.Series(w.org.caseworkers, dtype=pl.String).gather(cw),
        "opened_on": _date(opened),
        "closed_on": _date(closed[case_rows]),
    })

    o = np.flatnonzero(keep_n)
    notifications = pl.DataFrame({
        "notification_id": _ids("U", len(o)),
        "case_id": case_id.gather(n.case[o]),
        "received_at": _ts(n.received[o]),
        "notifier_type": _enum(n.notifier[o], NOTIFIER_TYPES),
        "assessed_at": _ts(n.assessed[o]),
        "acknowledged_on": _date(n.acknowledged[o]),
        "acute_action": pl.Series(n.acute[o]),
    })
    o = _in_order(keep_b, b.aware)
    investigations = pl.DataFrame({
        "investigation_id": _ids("B", len(o)),
        "case_id": case_id.gather(b.case[o]),
        "aware_on": _date(b.aware[o]),
        "decided_on": _date(b.decided[o]),
        "completed_on": _date(b.completed[o]),
        "preliminary_assessment_on": _date(b.preliminary[o]),
        "parental_competence_assessed": _flag(b.parental[o]),
    })
    o = _in_order(keep_i, iv_day)
    child_interviews = pl.DataFrame({
        "interview_id": _ids("S", len(o)),
        "case_id": case_id.gather(iv.case[o]),
        "occasion": _enum(iv.occasion[o], INTERVIEW_OCCASIONS),
        "held_on": _date(iv.held[o]),
        "exemption_reason": _enum(iv.exemption[o], EXEMPTION_REASONS),
        "recorded_on": _date(iv.recorded[o]),
    })
    o = _in_order(keep_m, m.decided)
    measure_id = _keyed(len(m.case), o, _ids("I", len(o)))
    measures = pl.DataFrame({
        "measure_id": measure_id.gather(o),
        "case_id": case_id.gather(m.case[o]),
        "measure_type": _enum(m.kind[o], MEASURE_TYPES),
        "legal_basis": pl.Series(m.legal_basis[o], dtype=pl.String),
        "decided_on": _date(m.decided[o]),
        "started_on": _date(m.started[o]),
        "ended_on": _date(m.ended[o]),
        "plan_decided": _flag(m.plan_decided[o]),
    })
    p = w.plans
    o = _in_order(keep_p, p.prepared)
    plans = pl.DataFrame({
        "plan_id": _ids("P", len(o)),
        "case_id": case_id.gather(m.case[p.measure[o]]),
        "measure_id": measure_id.gather(p.measure[o]),
        "plan_type": _enum(p.kind[o], PLAN_TYPES),
        "prepared_on": _date(p.prepared[o]),
        "goals_total": _count(p.goals_total[o]),
        "goals_measurable": _count(p.goals_measurable[o]),
    })
    f = w.follow_ups
    o = _in_order(keep_f, f.held)
    follow_ups = pl.DataFrame({
        "follow_up_id": _ids("O", len(o)),
        "measure_id": measure_id.gather(f.measure[o]),
        "held_on": _date(f.held[o]),
        "next_due_on": _date(f.next_due[o]),
    })
    v = w.visits
    o = _in_order(keep_v, v.held)
    supervision_visits = pl.DataFrame({
        "visit_id": _ids("T", len(o)),
        "measure_id": measure_id.gather(v.measure[o]),
        "held_on": _date(v.held[o]),
        "child_spoken_to": _flag(v.spoken[o]),
    })
    return {
        "cases": cases.sort("case_id"),
        "notifications": notifications,
        "investigations": investigations,
        "child_interviews": child_interviews,
        "measures": measures,
        "plans": plans,
        "follow_ups": follow_ups,
        "supervision_visits": supervision_visits,
    }
