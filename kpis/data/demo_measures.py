"""Indsatser (support measures and placements) and their plans."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kpis.data.demo_bfu import Investigations
from kpis.data.demo_cases import Children, Legacy, placement_end
from kpis.data.demo_dist import (
    BL_START,
    DAY,
    NAT,
    add_months,
    choice_idx,
    days,
    lognormal_days,
    target_share,
    targeted_delay,
)

SUPPORT, PLACEMENT, WITHOUT_CONSENT = 0, 1, 2  # index into schema.MEASURE_TYPES
HANDLEPLAN, BARNETS_PLAN, UNGEPLAN = 0, 1, 2  # index into schema.PLAN_TYPES
MEASURES_PER_BFU = (0.18, 0.27, 0.25, 0.18, 0.12)  # 0, 1, 2, 3, 4 measures after one BFU
SEL_SUPPORT_BASIS = (
    "Serviceloven § 52, stk. 3, nr. 3",  # familiebehandling
    "Serviceloven § 52, stk. 3, nr. 1",  # praktisk, pædagogisk eller anden støtte i hjemmet
    "Serviceloven § 52, stk. 3, nr. 6",  # personlig rådgiver / kontaktperson
    "Serviceloven § 52, stk. 3, nr. 9",  # anden hjælp
)
LEGAL_BASIS = {  # (Barnets Lov?, measure type) -> text
    (True, SUPPORT): "Barnets Lov § 32",
    (True, PLACEMENT): "Barnets Lov § 46",
    (True, WITHOUT_CONSENT): "Barnets Lov § 47",
    (False, PLACEMENT): "Serviceloven § 52, stk. 3, nr. 7",
    (False, WITHOUT_CONSENT): "Serviceloven § 58",
}


@dataclass
class Measures:
    case: np.ndarray
    kind: np.ndarray  # SUPPORT / PLACEMENT / WITHOUT_CONSENT
    legal_basis: np.ndarray  # str
    decided: np.ndarray
    started: np.ndarray  # NaT: not started by the as-of date
    ended_real: np.ndarray  # the real end (may lie after as_of; NaT if never started)
    ended: np.ndarray  # as exported: past end, planned end, or NaT
    plan_decided: np.ndarray  # int8 1/0/-1
    bfu: np.ndarray  # index of the BFU it came from, -1 for earlier placements


def measures(
    rng: np.random.Generator,
    bfus: Investigations,
    legacy: Legacy,
    birth: np.ndarray,
    as_of: np.datetime64,
) -> Measures:
    """~600 support measures and ~35 placements a year: mostly decided shortly after a BFU, some
    urgently while it runs (so Barnets Lov's "parallel BFU" follow-up rule has cases), later ones
    months apart."""
    per_bfu = choice_idx(rng, MEASURES_PER_BFU, len(bfus.case))
    bfu = np.repeat(np.arange(len(bfus.case)), per_bfu)
    k = np.arange(len(bfu)) - np.repeat(np.cumsum(per_bfu) - per_bfu, per_bfu)
    n = len(bfu)
    aware, done = bfus.aware[bfu], bfus.completed_real[bfu]
    urgent = (k == 0) & (rng.random(n) < 0.15)
    span = (np.minimum(done, as_of) - aware) / DAY
    first = np.where(
        urgent,
        aware + days(rng.random(n) * span),
        done + lognormal_days(rng, n, 12, 0.9, 0, 150).astype("timedelta64[D]"),
    )
    gap = np.where(k == 0, 0, lognormal_days(rng, n, 150, 0.7, 14, 900))
    group_start = np.flatnonzero(k == 0)
    csum = np.cumsum(gap)
    offset = csum - np.repeat(csum[group_start], per_bfu[per_bfu > 0])
    decided = first[np.repeat(group_start, per_bfu[per_bfu > 0])] + offset.astype("timedelta64[D]")
    case = bfus.case[bfu]
    adult = add_months(birth[case], 12 * 18)
    keep = (decided <= as_of) & (decided < adult)
    bfu, k, urgent, decided, case = bfu[keep], k[keep], urgent[keep], decided[keep], case[keep]
    n = len(bfu)
    p_place = np.where(k == 0, 0.10, 0.025)
    kind = np.where(rng.random(n) < p_place, PLACEMENT, SUPPORT)
    kind[(kind == PLACEMENT) & (rng.random(n) < 0.15)] = WITHOUT_CONSENT
    placed = kind != SUPPORT
    start_lag = np.where(
        placed & urgent, 0, np.where(placed, lognormal_days(rng, n, 5, 1.0, 0, 60),
                                     lognormal_days(rng, n, 8, 1.0, 0, 120))
    )
    started = decided + start_lag.astype("timedelta64[D]")
    support_end = started + lognormal_days(rng, n, 270, 0.6, 30, 2500).astype("timedelta64[D]")
    ended = np.where(placed, placement_end(rng, started, birth[case]), support_end)

    lk = np.where(rng.random(len(legacy.started)) < 0.15, WITHOUT_CONSENT, PLACEMENT)
    m = Measures(
        case=np.concatenate([np.arange(len(legacy.started)), case]),
        kind=np.concatenate([lk, kind]),
        legal_basis=np.empty(0, dtype=object),
        decided=np.concatenate([legacy.decided, decided]),
        started=np.concatenate([legacy.started, started]),
        ended_real=np.concatenate([legacy.ended, ended]),
        ended=np.empty(0),
        plan_decided=np.empty(0, dtype=np.int8),
        bfu=np.concatenate([np.full(len(legacy.started), -1), bfu]),
    )
    _finish(rng, m, birth, as_of)
    return m


def _finish(rng: np.random.Generator, m: Measures, birth: np.ndarray, as_of: np.datetime64) -> None:
    n = len(m.case)
    adult = add_months(birth[m.case], 12 * 18) - DAY
    # Support ends at 18 (after-care is not modelled); a measure started on the last days before
    # the birthday ends the day it starts, never before.
    m.ended_real = np.maximum(np.minimum(m.ended_real, adult), m.started)
    m.started = np.where(m.started <= as_of, m.started, NAT)
    m.ended_real = np.where(np.isnat(m.started), NAT, m.ended_real)
    placed = m.kind != SUPPORT
    past = m.ended_real <= as_of
    # Ongoing: some have a planned end (a support measure granted until a date, a placement
    # until the 18th birthday); planned dates may lie after the as-of date.
    planned_support = ~placed & (rng.random(n) < 0.4) & (m.ended_real <= as_of + 730 * DAY)
    planned_placement = placed & (rng.random(n) < 0.3)
    m.ended = np.where(
        past | planned_support, m.ended_real,
        np.where(planned_placement, np.maximum(adult, m.started), NAT)
    )
    m.ended = np.where(np.isnat(m.started), NAT, m.ended)

    bl = m.decided >= BL_START
    u = rng.random(n)
    support_choice = np.where(u < 0.60, 1, np.where(u < 0.92, 0, -1))
    m.plan_decided = np.where(
        bl & ~placed, support_choice, np.where(bl & (u < 0.5), 1, -1)
    ).astype(np.int8)
    sel_support = np.array(SEL_SUPPORT_BASIS, dtype=object)[
        choice_idx(rng, [0.45, 0.25, 0.2, 0.1], n)
    ]
    basis = sel_support.copy()
    for (is_bl, kind), text in LEGAL_BASIS.items():
        basis[(bl == is_bl) & (m.kind == kind)] = text
    m.legal_basis = basis


@dataclass
class Plans:
    measure: np.ndarray
    kind: np.ndarray  # HANDLEPLAN / BARNETS_PLAN / UNGEPLAN
    prepared: np.ndarray
    goals_total: np.ndarray  # -1 = blank
    goals_measurable: np.ndarray


def plans(
    rng: np.random.Generator,
    m: Measures,
    kids: Children,
    as_of: np.datetime64,
) -> Plans:
    """Plans on time ~75–80 %, with yearly revisions of long measures; goals all measurable in
    ~55–70 % of plans."""
    n = len(m.case)
    bl = m.decided >= BL_START
    placed = m.kind != SUPPORT
    needs = ~bl | placed | (m.plan_decided == 1) | (rng.random(n) < 0.05)
    due_zero = ~bl | (m.kind == WITHOUT_CONSENT)  # SEL: before the decision; BL § 47 likewise
    q = kids.quality[m.case]
    p = target_share(0.70, 0.84, m.decided, q, 0.5)
    due_days = (add_months(m.decided, 3) - m.decided) / DAY
    on = rng.random(n) < p
    before = -np.minimum(np.floor(rng.exponential(5, n)), 45)
    after = 1 + lognormal_days(rng, n, 25, 1.0, 0, 365)
    offset = np.where(
        due_zero,
        np.where(on, before, after),
        np.floor(targeted_delay(rng, p, due_days, 0.45, 0, 400)),
    )
    # A plan made before the decision is never older than the case itself.
    first = np.maximum(m.decided + offset.astype(int).astype("timedelta64[D]"), kids.opened[m.case])
    ok = needs & (rng.random(n) >= 0.015)
    idx, prepared = [np.flatnonzero(ok)], [first[ok]]
    # Revisions: roughly yearly while the measure runs.
    last = np.minimum(np.where(np.isnat(m.ended_real), as_of, m.ended_real), as_of)
    for year in range(1, 20):
        rev = first + (365 * year + rng.integers(-60, 61, n)).astype("timedelta64[D]")
        more = ok & (rev <= last) & (rng.random(n) < 0.6)
        if not more.any():
            break
        idx.append(np.flatnonzero(more))
        prepared.append(rev[more])
    measure = np.concatenate(idx)
    prepared_on = np.concatenate(prepared)
    keep = prepared_on <= as_of
    measure, prepared_on = measure[keep], prepared_on[keep]
    order = np.lexsort((prepared_on, measure))
    measure, prepared_on = measure[order], prepared_on[order]
    k = len(measure)

    aged16 = prepared_on >= add_months(kids.birth[m.case[measure]], 12 * 16)
    kind = np.where(prepared_on < BL_START, HANDLEPLAN, np.where(aged16, UNGEPLAN, BARNETS_PLAN))
    total = np.where(rng.random(k) < 0.04, 0, np.minimum(1 + rng.poisson(2, k), 8))
    p_goal = target_share(0.52, 0.74, prepared_on, q[measure], 0.5)
    all_ok = rng.random(k) < p_goal
    measurable = np.where(all_ok, total, np.floor(rng.random(k) * total)).astype(int)
    blank = rng.random(k) < 0.02
    total[blank], measurable[blank] = -1, -1
    return Plans(measure, kind, prepared_on, total, measurable)
