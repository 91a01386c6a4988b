"""Opfølgninger (follow-ups on measures) and tilsynsbesøg (supervision visits to placed children)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from kpis.data.demo_bfu import Investigations
from kpis.data.demo_dist import (
    BL_START,
    DAY,
    NAT,
    add_months,
    choice_idx,
    days,
    target_share,
    targeted_delay,
)
from kpis.data.demo_measures import SUPPORT, Measures

CADENCE_MONTHS = (3, 6, 12)  # what a Barnets Lov first follow-up decides for the next ones
CADENCE_WEIGHTS = (0.3, 0.55, 0.15)


@dataclass
class FollowUps:
    measure: np.ndarray
    held: np.ndarray
    next_due: np.ndarray  # NaT when not recorded (always under SEL)


def parallel_bfu_completion(m: Measures, bfus: Investigations) -> np.ndarray:
    """Earliest completion of a BFU on the same case that was running when the measure started
    (Barnets Lov § 95, stk. 2): aware on or before the start, completed after it."""
    ms = pl.DataFrame({"i": np.arange(len(m.case)), "case": m.case, "started": m.started})
    bs = pl.DataFrame({"case": bfus.case, "aware": bfus.aware, "completed": bfus.completed})
    hit = (
        ms.join(bs, on="case")
        .filter((pl.col("aware") <= pl.col("started")) & (pl.col("completed") > pl.col("started")))
        .group_by("i")
        .agg(pl.col("completed").min())
    )
    out = np.full(len(m.case), NAT)
    out[hit["i"].to_numpy()] = hit["completed"].to_numpy().astype("datetime64[D]")
    return out


def _closing(rng, held, end, due, ended, earliest):
    """A measure that ends before its next (late) follow-up mostly gets one when it is closed:
    late, but done, rather than left open for ever on the worklist."""
    ends_first = (held > end) & (end == ended) & (end > due) & (rng.random(len(held)) < 0.8)
    at_close = np.maximum(end - days(rng.random(len(held)) * 14), earliest)
    return np.where(ends_first, at_close, held)


def follow_ups(
    rng: np.random.Generator,
    m: Measures,
    bfus: Investigations,
    quality: np.ndarray,
    as_of: np.datetime64,
) -> FollowUps:
    """First follow-up on time ~48 % (2022) → ~78 % (2026); later ones within their interval ~70 %."""
    n = len(m.case)
    q = quality[m.case]
    bl = m.decided >= BL_START
    due = add_months(m.started, 3)
    par = parallel_bfu_completion(m, bfus)
    due = np.where(bl & ~np.isnat(par) & (par < due), par, due)
    due_days = np.nan_to_num((due - m.started) / DAY, nan=90)
    p = target_share(0.42, 0.80, m.started, q, 0.6)
    held = m.started + days(targeted_delay(rng, p, due_days, 0.4, 0, 400))
    end = np.minimum(np.where(np.isnat(m.ended_real), as_of, m.ended_real), as_of)
    # A measure that ends before its (late) first follow-up mostly gets one when it is closed:
    # late, but done, rather than left open for ever on the worklist.
    held = _closing(rng, held, end, due, m.ended_real, m.started)
    active = ~np.isnat(m.started) & (held <= end) & (rng.random(n) >= 0.02)
    rows_m, rows_held, rows_next = [], [], []
    for _ in range(80):  # a placement that began in 2004 has ~45 follow-ups by 2026
        idx = np.flatnonzero(active)
        if not len(idx):
            break
        cur = held[idx]
        cadence = np.asarray(CADENCE_MONTHS)[choice_idx(rng, CADENCE_WEIGHTS, len(idx))]
        recorded = bl[idx] & (rng.random(len(idx)) < 0.85)
        next_due = np.where(recorded, add_months(cur, cadence), NAT)
        rows_m.append(idx)
        rows_held.append(cur)
        rows_next.append(next_due)
        interval_due = np.where(recorded, next_due, add_months(cur, 6))
        p_next = target_share(0.58, 0.72, cur, q[idx], 0.5)
        gap = targeted_delay(rng, p_next, (interval_due - cur) / DAY, 0.35, 14, 500)
        nxt = _closing(rng, cur + days(gap), end[idx], interval_due, m.ended_real[idx], cur + DAY)
        held[idx] = nxt
        active[idx] = nxt <= end[idx]
    return FollowUps(np.concatenate(rows_m), np.concatenate(rows_held), np.concatenate(rows_next))


@dataclass
class Visits:
    measure: np.ndarray
    held: np.ndarray
    spoken: np.ndarray  # int8 1/0/-1


def supervision_visits(
    rng: np.random.Generator,
    m: Measures,
    quality: np.ndarray,
    from_day: np.datetime64,
    as_of: np.datetime64,
) -> Visits:
    """Per placement year: two or more visits with a conversation ~80 % of the time; some visits
    where the child was not spoken to. Only placement years that end on or after `from_day`."""
    placed = np.flatnonzero((m.kind != SUPPORT) & ~np.isnat(m.started))
    started, q = m.started[placed], quality[m.case[placed]]
    end = np.minimum(np.where(np.isnat(m.ended_real[placed]), as_of, m.ended_real[placed]), as_of)
    out_m, out_d, out_s = [], [], []
    for k in range(25):
        ys, ye = add_months(started, 12 * k), add_months(started, 12 * (k + 1)) - DAY
        live = (ys <= end) & (ye >= from_day)
        if not (ys <= end).any():
            break
        idx = np.flatnonzero(live)
        if not len(idx):
            continue
        n = len(idx)
        good = rng.random(n) < target_share(0.74, 0.84, ye[idx], q[idx], 0.5)
        spoken = np.where(good, 2 + (rng.random(n) < 0.35) + (rng.random(n) < 0.1),
                          (rng.random(n) < 0.6).astype(int))
        extra = (rng.random(n) < 0.25).astype(int)
        year_len = ((ye[idx] - ys[idx]) / DAY + 1).astype(float)
        # Spoken-to visits spread over the year (visit i of n in the i-th stretch of it).
        rep = np.repeat(np.arange(n), spoken)
        i = np.arange(len(rep)) - np.repeat(np.cumsum(spoken) - spoken, spoken)
        pos = (i + rng.random(len(rep))) / spoken[rep] * year_len[rep]
        rep2 = np.repeat(np.arange(n), extra)
        pos2 = rng.random(len(rep2)) * year_len[rep2]
        rows = np.concatenate([rep, rep2])
        when = ys[idx][rows] + days(np.concatenate([pos, pos2]))
        flag = np.concatenate([np.ones(len(rep)), np.where(rng.random(len(rep2)) < 0.9, 0, -1)])
        ok = when <= end[idx][rows]
        out_m.append(placed[idx][rows][ok])
        out_d.append(when[ok])
        out_s.append(flag[ok].astype(np.int8))
    if not out_m:
        return Visits(np.empty(0, np.int64), np.empty(0, "datetime64[D]"), np.empty(0, np.int8))
    return Visits(np.concatenate(out_m), np.concatenate(out_d), np.concatenate(out_s))
