"""Children, their cases and their underretninger (notifications).

Cases come from two sources: children placed before the simulated period (so ~130 children are in
care on any day, as in a real municipality) and children whose first notification arrives during
it. Repeat notifications go to earlier cases, mostly recent ones, so children have several.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kpis.data.demo_dist import (
    DAY,
    NAT,
    add_months,
    choice_idx,
    days,
    hverdage_due,
    target_share,
    targeted_delay,
    weekday,
)
from kpis.data.demo_org import birth_dates

NOTIFICATIONS_PER_YEAR = 1400
PLACEMENTS_PER_YEAR = 35
FIRST_NOTIFICATION_SHARE = 0.40  # the rest are repeat notifications about known children
NOTIFIER_WEIGHTS = (0.70, 0.20, 0.07, 0.03)  # professional, private, anonymous, other
# Children notified about: many babies and teenagers. Placed children: babies and teenagers even more.
NOTIFIED_AGE_WEIGHTS = [10, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 7, 8, 9, 9, 8, 6]
PLACED_AGE_WEIGHTS = [14, 6, 4, 4, 4, 4, 4, 4, 4, 5, 5, 6, 8, 10, 12, 12, 8, 4]
# When during the day notifications arrive: office hours on weekdays, the police at night.
WEEKDAY_HOURS = [.3, .2, .2, .2, .2, .3, .6, 1.5, 6, 8, 8, 8, 7, 7, 6, 4, 2.5, 1.5, 1.2, 1, 1, .8, .6, .4]
WEEKEND_HOURS = [1, .8, .7, .6, .5, .5, .6, .8, 1.2, 1.5, 1.8, 2, 2, 2, 2, 2, 2, 2, 2, 1.8, 1.6, 1.4,
                 1.2, 1.1]
MONTH_FACTOR = [1.05, 1.05, 1.1, 1.0, 1.05, 1.0, 0.6, 0.9, 1.1, 1.1, 1.1, 0.85]


@dataclass
class Span:
    scale: float
    sim_start: np.datetime64  # warm-up start: the steady state is reached before `start`
    start: np.datetime64
    as_of: np.datetime64


@dataclass(frozen=True)
class Children:
    """Per case (= per child): when the case opened, the birth date, and who handles it."""
    opened: np.ndarray
    birth: np.ndarray
    quality: np.ndarray  # the caseworker's quality (team quality plus a personal deviation)
    team: np.ndarray


@dataclass
class Legacy:
    """Placements that began before the simulated period, one child (case) each."""
    birth: np.ndarray
    opened: np.ndarray
    decided: np.ndarray
    started: np.ndarray
    ended: np.ndarray  # the real end, possibly after as_of (the caller hides it)


def placement_end(rng: np.random.Generator, started: np.ndarray, birth: np.ndarray) -> np.ndarray:
    """Placements last years (median ~3), never past the 18th birthday."""
    n = len(started)
    dur = np.floor(365 * 3.2 * np.exp(1.0 * rng.standard_normal(n))).clip(30, 20 * 365)
    adult = add_months(birth, 12 * 18) - DAY
    return np.minimum(started + dur.astype(int).astype("timedelta64[D]"), adult)


def legacy_placements(rng: np.random.Generator, span: Span) -> Legacy:
    first = span.sim_start - np.timedelta64(18 * 365, "D")
    n_days = int((span.sim_start - first) / DAY)
    # A little above today's rate: placements from the 2010s last longer than recent ones
    # (they have survived), and ~130 children must be in care when the window opens.
    n = rng.poisson(1.15 * PLACEMENTS_PER_YEAR * span.scale * n_days / 365.25)
    started = np.sort(first + rng.integers(0, n_days, size=n).astype("timedelta64[D]"))
    birth = birth_dates(rng, started, PLACED_AGE_WEIGHTS)
    ended = placement_end(rng, started, birth)
    keep = ended >= span.sim_start  # only children still in care when the simulation begins
    started, birth, ended = started[keep], birth[keep], ended[keep]
    decided = started - days(rng.exponential(3, size=len(started)))
    opened = np.maximum(decided - days(rng.exponential(200, size=len(started))), birth)
    return Legacy(birth, opened, decided, started, ended)


@dataclass
class Notifications:
    case: np.ndarray  # case index
    received: np.ndarray  # datetime64[m]
    notifier: np.ndarray  # index into NOTIFIER_TYPES
    new_case: np.ndarray  # bool: this notification opened the case
    # filled by notification_outcomes
    assessed: np.ndarray | None = None
    acknowledged: np.ndarray | None = None
    acute: np.ndarray | None = None


def arrival_times(rng: np.random.Generator, span: Span) -> np.ndarray:
    """Notification timestamps: fewer at weekends and in July, a little growth year on year, and
    at all hours — the 24-hour rule runs through nights, weekends and daylight-saving changes."""
    day = np.arange(span.sim_start, span.as_of + DAY, dtype="datetime64[D]")
    wd = weekday(day)
    month = day.astype("datetime64[M]").astype(int) % 12
    years = (day - span.start) / np.timedelta64(365, "D")
    w = np.where(wd < 5, 1.0, 0.42) * np.asarray(MONTH_FACTOR)[month] * 1.03 ** years
    expected = NOTIFICATIONS_PER_YEAR * span.scale * len(day) / 365.25
    n = rng.poisson(expected)
    picked = np.sort(choice_idx(rng, w, n))
    d = day[picked]
    weekend = weekday(d) >= 5
    hour = np.where(weekend, choice_idx(rng, WEEKEND_HOURS, n), choice_idx(rng, WEEKDAY_HOURS, n))
    minute = rng.integers(0, 60, size=n)
    ts = d.astype("datetime64[m]") + (hour * 60 + minute).astype("timedelta64[m]")
    return np.sort(ts)


def notifications_and_cases(
    rng: np.random.Generator, span: Span, legacy_birth: np.ndarray
) -> tuple[Notifications, np.ndarray, np.ndarray]:
    """Notifications with their case index, and (opened, birth) of the cases they open. Case
    indexes 0..L-1 are the legacy placements; new cases follow in order of their first notification."""
    ts = arrival_times(rng, span)
    n, n_legacy = len(ts), len(legacy_birth)
    first = rng.random(n) < FIRST_NOTIFICATION_SHARE
    opened_before = n_legacy + np.cumsum(first) - first  # cases opened before this notification
    # Repeats go mostly to recently opened cases, some to any earlier case (a child notified again
    # years later).
    recent = (FIRST_NOTIFICATION_SHARE * NOTIFICATIONS_PER_YEAR * span.scale * 0.4) + 1
    lag = np.floor(rng.exponential(recent, size=n)).astype(np.int64)
    anywhere = rng.random(n) < 0.08
    lag[anywhere] = np.floor(rng.random(int(anywhere.sum())) * opened_before[anywhere]).astype(int)
    case = opened_before - 1 - lag
    no_earlier = ~first & (case < 0)
    if n_legacy:
        case[no_earlier] = rng.integers(0, n_legacy, size=int(no_earlier.sum()))
    else:
        first |= no_earlier
    case[first] = n_legacy + np.cumsum(first)[first] - 1
    opened = ts[first].astype("datetime64[D]")
    birth = birth_dates(rng, opened, NOTIFIED_AGE_WEIGHTS)
    all_birth = np.concatenate([legacy_birth, birth])
    # A child who has turned 18 is no longer a children's case: drop such repeat notifications.
    adult = add_months(all_birth[case], 12 * 18)
    keep = ts.astype("datetime64[D]") < adult
    notifier = choice_idx(rng, NOTIFIER_WEIGHTS, n)
    notes = Notifications(case[keep], ts[keep], notifier[keep], first[keep])
    return notes, opened, birth


def notification_outcomes(
    rng: np.random.Generator, notes: Notifications, quality: np.ndarray, as_of: np.datetime64
) -> None:
    """Assessment within 24 hours (~85–92 %), receipt to professionals within 6 hverdage (~85 %)."""
    n = len(notes.case)
    q = quality[notes.case]
    day = notes.received.astype("datetime64[D]")
    off_hours = (weekday(day) >= 5) | (notes.received.astype("datetime64[h]").astype(int) % 24 >= 17)
    p24 = target_share(0.86, 0.92, day, q - 0.6 * off_hours, 0.45)
    hours = targeted_delay(rng, p24, np.full(n, 24.0), 0.9, 0.1, 24 * 30)
    assessed = notes.received + np.round(hours * 60).astype(int).astype("timedelta64[m]")
    # Nobody assesses between 01:00 and 06:00 unless acute: push those to the morning shift.
    hour = assessed.astype("datetime64[h]").astype(int) % 24
    night = (hour >= 1) & (hour < 6) & (rng.random(n) < 0.8)
    morning = assessed.astype("datetime64[D]").astype("datetime64[m]") + np.timedelta64(7 * 60, "m")
    assessed = np.where(night, morning + rng.integers(0, 90, n).astype("timedelta64[m]"), assessed)
    assessed = np.where(assessed.astype("datetime64[D]") <= as_of, assessed, np.datetime64("NaT"))

    professional = notes.notifier == 0
    due = hverdage_due(day, 6)
    due_days = (due - day) / DAY
    p_ack = target_share(0.80, 0.90, day, q, 0.5)
    lag = targeted_delay(rng, p_ack, due_days, 0.5, 0, 90)
    ack = day + days(lag)
    forgotten = rng.random(n) < 0.005
    ack = np.where(professional & ~forgotten & (ack <= as_of), ack, NAT)
    notes.assessed, notes.acknowledged = assessed, ack
    notes.acute = rng.random(n) < 0.05
