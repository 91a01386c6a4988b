"""Drawing the cases to review: pure functions over a frame of eligible cases and a seed.

The same frame (case ids in the same order: sorted), rule and seed give the same sample, so
anyone holding what is stored with a sample (seed, frame, snapshot id and rule) can redraw it.
The RNG is ``random.Random(seed)``; its sequence for a given seed is stable across Python
versions for ``shuffle``/``sample`` on a list.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

import polars as pl

from kpis.compute.periods import Period, PeriodKind, parse_period
from kpis.review.frame import Window
from kpis.review.model import PerCaseworker, RandomSample
from kpis.rules.calendar import add_months

NO_CASEWORKER = "(ingen sagsbehandler)"
NO_TEAM = "(intet team)"


@dataclass(frozen=True)
class Drawn:
    case_id: str
    team: str
    caseworker: str


def window_for(rule: PerCaseworker | RandomSample, as_of: date, label: str | None = None
               ) -> Window:
    """The review window: for ledelsestilsyn the month or quarter ``label`` (default: the one
    holding ``as_of``); for sagsmåling the ``lookback_months`` months up to ``as_of``."""
    if isinstance(rule, RandomSample):
        start = add_months(as_of, -rule.lookback_months)
        start = date.fromordinal(start.toordinal() + 1)
        return Window(f"{rule.lookback_months} mdr. til {as_of:%d.%m.%Y}", start, as_of)
    if label is None:
        label = (f"{as_of.year}-{as_of.month:02d}" if rule.window == "month"
                 else f"{as_of.year}-Q{(as_of.month - 1) // 3 + 1}")
    period: Period = parse_period(label)
    wanted = PeriodKind.MONTH if rule.window == "month" else PeriodKind.QUARTER
    if period.kind is not wanted:
        raise ValueError(f"programmet udtrækker pr. {'måned' if rule.window == 'month' else 'kvartal'}"
                         f"; {label!r} er ikke en{' måned (fx 2026-07)' if rule.window == 'month' else 't kvartal (fx 2026-Q3)'}")
    return Window(period.label, period.start, period.end)


def _cases(frame: pl.DataFrame) -> list[Drawn]:
    rows = frame.select("case_id", "team", "caseworker").sort("case_id").iter_rows()
    return [Drawn(str(c), t or NO_TEAM, w or NO_CASEWORKER) for c, t, w in rows]


def draw_per_caseworker(frame: pl.DataFrame, n: int, seed: int,
                        exclude: frozenset[str] = frozenset()) -> list[Drawn]:
    """``n`` cases per caseworker (all of theirs when fewer), never one in ``exclude`` (cases
    reviewed within the programme's exclusion months). Caseworkers in name order."""
    rng = random.Random(seed)
    by_worker: dict[str, list[Drawn]] = {}
    for d in _cases(frame):
        if d.case_id not in exclude:
            by_worker.setdefault(d.caseworker, []).append(d)
    out: list[Drawn] = []
    for worker in sorted(by_worker):
        pool = by_worker[worker]
        out += rng.sample(pool, min(n, len(pool)))
    return out


def draw_simple(frame: pl.DataFrame, n: int, seed: int,
                exclude: frozenset[str] = frozenset()) -> list[Drawn]:
    pool = [d for d in _cases(frame) if d.case_id not in exclude]
    return random.Random(seed).sample(pool, min(n, len(pool)))


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """``n`` spread over strata in proportion to their sizes (largest remainder; ties to the
    larger stratum, then the name), never more than a stratum holds."""
    total = sum(sizes.values())
    if total <= n:
        return dict(sizes)
    quotas = {k: n * v / total for k, v in sizes.items()}
    alloc = {k: int(q) for k, q in quotas.items()}
    rest = n - sum(alloc.values())
    order = sorted(sizes, key=lambda k: (-(quotas[k] - alloc[k]), -sizes[k], k))
    for k in order[:rest]:
        alloc[k] += 1
    return alloc


def draw_team_stratified(frame: pl.DataFrame, n: int, seed: int,
                         exclude: frozenset[str] = frozenset()) -> list[Drawn]:
    rng = random.Random(seed)
    by_team: dict[str, list[Drawn]] = {}
    for d in _cases(frame):
        if d.case_id not in exclude:
            by_team.setdefault(d.team, []).append(d)
    alloc = allocate({t: len(c) for t, c in by_team.items()}, n)
    out: list[Drawn] = []
    for team in sorted(by_team):
        out += rng.sample(by_team[team], alloc[team])
    return out


def draw(rule: PerCaseworker | RandomSample, frame: pl.DataFrame, seed: int,
         exclude: frozenset[str] = frozenset()) -> list[Drawn]:
    if isinstance(rule, PerCaseworker):
        return draw_per_caseworker(frame, rule.n, seed, exclude)
    if rule.method == "team_stratified":
        return draw_team_stratified(frame, rule.n, seed, exclude)
    return draw_simple(frame, rule.n, seed, exclude)


def replacement(frame: pl.DataFrame, drawn: list[Drawn], replaced: str, seed: int,
                exclude: frozenset[str] = frozenset()) -> Drawn | None:
    """The case that replaces ``replaced``: drawn with the same seed from the cases of the same
    caseworker (ledelsestilsyn) or team not already in the sample, so a replacement is as
    reproducible as the sample itself. None when there is none left."""
    old = next(d for d in drawn if d.case_id == replaced)
    taken = {d.case_id for d in drawn} | set(exclude)
    pool = [d for d in _cases(frame) if d.case_id not in taken
            and d.caseworker == old.caseworker and d.team == old.team]
    if not pool:
        pool = [d for d in _cases(frame) if d.case_id not in taken and d.team == old.team]
    if not pool:
        return None
    return random.Random(f"{seed}:{replaced}").choice(pool)
