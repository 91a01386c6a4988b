"""Børnefaglige undersøgelser (BFUs): triggered by notifications, one open at a time per child."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kpis.data.demo_cases import Notifications
from kpis.data.demo_dist import (
    DAY,
    NAT,
    add_months,
    days,
    lognormal_days,
    target_share,
    targeted_delay,
)

BFU_AFTER_FIRST_NOTIFICATION = 0.55
BFU_AFTER_REPEAT_NOTIFICATION = 0.13


@dataclass
class Investigations:
    case: np.ndarray
    aware: np.ndarray
    decided: np.ndarray
    completed: np.ndarray  # NaT while open on the as-of date
    completed_real: np.ndarray  # when it will be completed (used to time what happens meanwhile)
    preliminary: np.ndarray
    parental: np.ndarray  # int8: 1 Ja, 0 Nej, -1 blank


def investigations(
    rng: np.random.Generator, notes: Notifications, quality: np.ndarray, as_of: np.datetime64
) -> Investigations:
    """~400 BFUs a year; completed within 4 months of the aware date ~50 % in 2022 rising to
    ~63 % by 2026, the weak team far below, the strong team far above."""
    p_trigger = np.where(notes.new_case, BFU_AFTER_FIRST_NOTIFICATION, BFU_AFTER_REPEAT_NOTIFICATION)
    pick = rng.random(len(notes.case)) < p_trigger
    case = notes.case[pick]
    aware = notes.received[pick].astype("datetime64[D]")
    q = quality[case]
    due_days = (add_months(aware, 4) - aware) / DAY
    p = target_share(0.50, 0.66, aware, q, 0.7)
    completed = aware + days(targeted_delay(rng, p, due_days, 0.3, 14, 540))
    case, aware, completed = _one_open_at_a_time(case, aware, completed)
    n = len(case)
    q = quality[case]
    due = add_months(aware, 4)

    decided = np.minimum(aware + lognormal_days(rng, n, 6, 0.8, 0, 60).astype("timedelta64[D]"),
                         completed)
    decided = np.where(decided <= as_of, decided, NAT)

    late = (completed > due) & (due < as_of)
    prelim = due + rng.integers(-14, 22, size=n).astype("timedelta64[D]")
    ok = late & (rng.random(n) < 0.55) & (prelim > aware) & (prelim < completed) & (prelim <= as_of)
    prelim = np.where(ok, prelim, NAT)

    done = completed <= as_of
    p_parent = target_share(0.60, 0.80, completed, q, 0.5)
    parental = np.where(rng.random(n) < p_parent, 1, 0).astype(np.int8)
    parental[~done | (rng.random(n) < 0.03)] = -1
    return Investigations(
        case=case,
        aware=aware,
        decided=decided,
        completed=np.where(done, completed, NAT),
        completed_real=completed,
        preliminary=prelim,
        parental=parental,
    )


def _one_open_at_a_time(
    case: np.ndarray, aware: np.ndarray, completed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop a BFU that would start while the same child's previous BFU is still running."""
    order = np.lexsort((aware, case))
    case, aware, completed = case[order], aware[order], completed[order]
    while True:
        same = np.zeros(len(case), dtype=bool)
        same[1:] = case[1:] == case[:-1]
        clash = np.zeros(len(case), dtype=bool)
        clash[1:] = same[1:] & (aware[1:] <= completed[:-1])
        if not clash.any():
            return case, aware, completed
        keep = ~clash
        case, aware, completed = case[keep], aware[keep], completed[keep]
