"""Børnesamtaler: interviews with the child, held or exempted, on every occasion.

Interviews during a BFU (~93–96 % held or exempted) come first; decision interviews are added last,
just enough to bring "interview within 6 months before the decision" to ~57 % (2022) → ~67 %
(2026), counting the interviews the child already had for other reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from kpis.data.demo_bfu import Investigations
from kpis.data.demo_cases import Children, Notifications
from kpis.data.demo_dist import DAY, NAT, add_months, days, lognormal_days, target_share
from kpis.data.demo_followups import FollowUps, Visits
from kpis.data.demo_measures import Measures

NOTIFICATION, INVESTIGATION, DECISION, FOLLOW_UP, SUPERVISION = range(5)  # schema order
DECLINED, MATURITY, CASE_NATURE = range(3)  # schema.EXEMPTION_REASONS order


@dataclass
class Interviews:
    case: np.ndarray
    occasion: np.ndarray
    held: np.ndarray
    exemption: np.ndarray  # -1: none (the interview was held)
    recorded: np.ndarray


def _age_years(birth: np.ndarray, when: np.ndarray) -> np.ndarray:
    return (when - birth) / DAY / 365.25


def _exemptions(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    """Babies are exempt for lack of maturity; some older children decline; a few case natures."""
    u = rng.random(len(age))
    maturity = np.where(age < 2, 0.95, np.where(age < 4, 0.6, 0.0))
    declined = np.where(age >= 12, 0.07, np.where(age >= 4, 0.03, 0.0))
    nature = np.where(age >= 4, 0.04, 0.0)
    return np.select(
        [u < maturity, u < maturity + declined, u < maturity + declined + nature],
        [MATURITY, DECLINED, CASE_NATURE],
        -1,
    )


def _rows(rng, case, occasion, when, exemption, as_of) -> Interviews:
    n = len(case)
    keep = when <= as_of
    held = np.where(exemption < 0, when, NAT)
    lag = lognormal_days(rng, n, 2, 1.0, 0, 20).astype("timedelta64[D]")
    later = np.where(rng.random(n) < 0.7, when + lag, NAT)
    later = np.where(later <= as_of, later, NAT)
    recorded = np.where(exemption < 0, later, when)
    occ = np.full(n, occasion) if np.isscalar(occasion) else occasion
    return Interviews(case[keep], occ[keep], held[keep], exemption[keep], recorded[keep])


def _concat(parts: list[Interviews]) -> Interviews:
    return Interviews(*(np.concatenate([getattr(p, f) for p in parts]) for f in
                        ("case", "occasion", "held", "exemption", "recorded")))


def interviews(
    rng: np.random.Generator,
    notes: Notifications,
    bfus: Investigations,
    m: Measures,
    fus: FollowUps,
    visits: Visits,
    kids: Children,
    as_of: np.datetime64,
) -> Interviews:
    birth, quality = kids.birth, kids.quality
    parts: list[Interviews] = []
    # At the notification: older children, sometimes.
    day = notes.received.astype("datetime64[D]")
    pick = (_age_years(birth[notes.case], day) >= 6) & (rng.random(len(day)) < 0.10)
    when = day[pick] + lognormal_days(rng, int(pick.sum()), 3, 0.8, 0, 30).astype("timedelta64[D]")
    parts.append(_rows(rng, notes.case[pick], NOTIFICATION, when,
                       np.full(int(pick.sum()), -1), as_of))
    # During the BFU, mostly early in it; a few BFUs without, or with one held only afterwards.
    n = len(bfus.case)
    span = (bfus.completed_real - bfus.aware) / DAY
    covered = rng.random(n) < target_share(0.92, 0.955, bfus.aware, quality[bfus.case], 0.3)
    inside = bfus.aware + days(rng.beta(1.2, 3.5, n) * span)
    after = bfus.completed_real + lognormal_days(rng, n, 20, 0.6, 3, 90).astype("timedelta64[D]")
    has = covered | (rng.random(n) < 0.5)
    when = np.where(covered, inside, after)[has]
    age = _age_years(birth[bfus.case[has]], when)
    parts.append(_rows(rng, bfus.case[has], INVESTIGATION, when, _exemptions(rng, age), as_of))
    # At follow-ups and supervision visits the child is sometimes interviewed formally.
    case_f = m.case[fus.measure]
    pick = (rng.random(len(case_f)) < 0.08) & (_age_years(birth[case_f], fus.held) >= 4)
    parts.append(_rows(rng, case_f[pick], FOLLOW_UP, fus.held[pick],
                       np.full(int(pick.sum()), -1), as_of))
    case_v = m.case[visits.measure]
    pick = (visits.spoken == 1) & (rng.random(len(case_v)) < 0.15)
    pick &= _age_years(birth[case_v], visits.held) >= 4
    parts.append(_rows(rng, case_v[pick], SUPERVISION, visits.held[pick],
                       np.full(int(pick.sum()), -1), as_of))
    so_far = _concat(parts)
    parts.append(_decision_interviews(rng, so_far, m, kids, as_of))
    return _concat(parts)


def _decision_interviews(rng, so_far: Interviews, m: Measures, kids: Children, as_of):
    covered = covered_decisions(so_far, m.case, m.decided)
    year = m.decided.astype("datetime64[Y]").astype(int)
    target = target_share(0.55, 0.66, m.decided, kids.quality[m.case], 0.5)
    groups = pl.DataFrame({"team": kids.team[m.case], "year": year, "covered": covered})
    share = groups.with_columns(pl.col("covered").mean().over("team", "year").alias("c"))["c"]
    c = share.to_numpy()
    q_add = np.clip((target - c) / np.maximum(1 - c, 1e-6), 0, 1)
    add = ~covered & (rng.random(len(m.case)) < q_add)
    lag = lognormal_days(rng, int(add.sum()), 7, 0.8, 0, 60).astype("timedelta64[D]")
    when = np.maximum(m.decided[add] - lag, kids.opened[m.case[add]])  # not before the case
    age = _age_years(kids.birth[m.case[add]], when)
    return _rows(rng, m.case[add], DECISION, when, _exemptions(rng, age), as_of)


def covered_decisions(iv: Interviews, case: np.ndarray, decided: np.ndarray) -> np.ndarray:
    """Has the child been interviewed (or exempted) within the 6 months up to each decision?"""
    when = np.where(np.isnat(iv.held), iv.recorded, iv.held)
    # One timeline per case: interviews and decisions sorted together (an interview on the
    # decision day first), the latest interview carried forward onto each decision.
    events = pl.concat([
        pl.DataFrame({"case": iv.case, "when": when, "i": np.full(len(when), -1),
                      "hit": when}).drop_nulls(),
        pl.DataFrame({"case": case, "when": decided, "i": np.arange(len(case)),
                      "hit": np.full(len(case), NAT)}),
    ], how="vertical_relaxed")
    joined = (
        events.sort("case", "when", "i")
        .with_columns(pl.col("hit").forward_fill().over("case"))
        .filter(pl.col("i") >= 0)
        .sort("i")
    )
    hit = joined["hit"].to_numpy().astype("datetime64[D]")
    return ~np.isnat(hit) & (hit >= add_months(decided, -6))
