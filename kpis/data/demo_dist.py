"""Vectorised building blocks of the demo generator: seeded randomness, compliance targets,
long-tailed delays and calendar arithmetic on numpy date arrays.

Dates are ``datetime64[D]`` arrays (NaT = no value), timestamps ``datetime64[m]``. Everything works
on whole arrays because the national data set (``--scale 100``) has millions of rows.
"""

from __future__ import annotations

import zlib
from datetime import date

import holidays
import numpy as np

DAY = np.timedelta64(1, "D")
NAT = np.datetime64("NaT", "D")
# Barnets Lov replaced the child rules of Serviceloven on this day. Kept here rather than imported
# from kpis.rules: the data layer must not depend on the rules layer.
BL_START = np.datetime64("2024-01-01", "D")
# Compliance targets are anchored to calendar years, so they mean the same whatever `start` is.
TREND_FROM = np.datetime64("2022-01-01", "D")
TREND_YEARS = 5.0


def rng_for(seed: int, part: str) -> np.random.Generator:
    """An independent generator per part of the data: changing how one table is drawn must not
    shift the random numbers of every other table."""
    return np.random.default_rng([seed, zlib.crc32(part.encode("utf-8"))])


def d64(d: date) -> np.datetime64:
    return np.datetime64(d.isoformat(), "D")


def logit(p: np.ndarray | float) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def target_share(
    p_first: float, p_last: float, when: np.ndarray, quality: np.ndarray, weight: float
) -> np.ndarray:
    """The chance a step is done right: interpolated on the logit scale from `p_first` (start of
    2022) to `p_last` (end of 2026) — the department improves — and shifted by the quality of the
    caseworker's team (weak team < 0 < strong team)."""
    frac = (when - TREND_FROM).astype("timedelta64[D]").astype(float) / (365.25 * TREND_YEARS)
    frac = np.clip(np.nan_to_num(frac, nan=0.5), -0.3, 1.1)
    base = (1 - frac) * logit(p_first) + frac * logit(p_last)
    return sigmoid(base + weight * quality)


def targeted_delay(
    rng: np.random.Generator,
    p: np.ndarray,
    due: np.ndarray,
    spread: float,
    lo: float,
    hi: float,
) -> np.ndarray:
    """Delays (in the unit of `due`) with a long right tail such that P(delay <= due) = p.

    A log-logistic draw scaled so that its p-quantile is exactly the deadline: realistic
    skew (most work is done well inside the deadline, a few cases drag on for months) while the
    on-time share per team and year stays where we aim it."""
    u = rng.random(len(p))
    noise = np.log(u / (1 - u)) if len(p) else u
    x = np.asarray(due, dtype=float) * np.exp(spread * (noise - logit(p)))
    return np.clip(x, lo, hi)


def lognormal_days(rng: np.random.Generator, n: int, median: float, sigma: float,
                   lo: float, hi: float) -> np.ndarray:
    """Whole days from a lognormal: lags that are not deadline-bound (e.g. decision → start)."""
    return np.clip(np.floor(median * np.exp(sigma * rng.standard_normal(n))), lo, hi).astype(int)


def days(x: np.ndarray) -> np.ndarray:
    return np.floor(x).astype(int).astype("timedelta64[D]")


def add_months(d: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """Calendar months, clamped to the last day of a shorter month (31 Oct + 4 = 28/29 Feb)."""
    d = np.asarray(d, dtype="datetime64[D]")
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype(int)
    target = month + np.asarray(n).astype("timedelta64[M]")
    first = target.astype("datetime64[D]")
    last_day = ((target + 1).astype("datetime64[D]") - first).astype(int) - 1
    out = first + np.minimum(day_of_month, last_day).astype("timedelta64[D]")
    return np.where(np.isnat(d), NAT, out)


def years_later(d: np.ndarray, years: int) -> np.ndarray:
    return add_months(d, 12 * years)


def hverdage_due(d: np.ndarray, n: int) -> np.ndarray:
    """The n-th working day after `d` (d itself never counts, whatever day it is)."""
    valid = ~np.isnat(d)
    out = np.full(len(d), NAT)
    if valid.any():
        years = d[valid].astype("datetime64[Y]").astype(int) + 1970
        closed = [
            np.datetime64(x, "D")
            for x in holidays.country_holidays(
                "DK", years=range(int(years.min()), int(years.max()) + 2), language="da"
            )
        ]
        # roll="backward": a weekend receipt counts from the Friday before, so the first
        # counted day is the Monday, as the law's "hverdage after receipt" has it.
        out[valid] = np.busday_offset(d[valid], n, roll="backward", holidays=closed)
    return out


def weekday(d: np.ndarray) -> np.ndarray:
    """0 = Monday … 6 = Sunday (1970-01-01 was a Thursday)."""
    return (d.astype("datetime64[D]").astype(int) + 3) % 7


def choice_idx(rng: np.random.Generator, weights: np.ndarray | list[float], n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def first_of_group(keys: np.ndarray) -> np.ndarray:
    """For an array sorted by key: True on the first row of each key."""
    out = np.ones(len(keys), dtype=bool)
    if len(keys) > 1:
        out[1:] = keys[1:] != keys[:-1]
    return out
