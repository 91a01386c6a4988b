"""The demo municipality's organisation (teams, caseworkers) and its children's CPR numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from kpis.data.demo_dist import choice_idx

# Team names and how well each team works. "Team Syd" is the weak team, "Team Øst" the strong one,
# so team comparisons on the dashboard have something to show. Team Unge takes the teenagers.
BASE_TEAMS = ("Team Nord", "Team Syd", "Team Øst", "Team Vest", "Team Unge")
BASE_QUALITY = (0.0, -1.0, 1.0, 0.3, -0.2)
YOUTH_TEAM = 4
YOUTH_FROM_AGE = 14

FIRST_NAMES = (
    "Anne", "Mette", "Lone", "Susanne", "Hanne", "Pia", "Camilla", "Louise", "Maria", "Sofie",
    "Line", "Rikke", "Tina", "Helle", "Bente", "Karina", "Jette", "Birgitte", "Signe", "Ida",
    "Søren", "Jens", "Mikkel", "Rasmus", "Anders", "Jørgen", "Bjørn", "Morten", "Thomas", "Peter",
    "Lars", "Henrik", "Mads", "Kasper", "Frederik", "Åse", "Maja", "Dorthe", "Gitte", "Niels",
)
LAST_NAMES = (
    "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
    "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen",
    "Johansen", "Møller", "Mortensen", "Kjær", "Dahl", "Lund", "Holm", "Bøgh", "Skov",
    "Højgaard", "Østergaard", "Damgaard", "Bækgaard", "Frølund",
)


@dataclass(frozen=True)
class Org:
    teams: tuple[str, ...]
    team_is_youth: np.ndarray  # bool per team
    caseworkers: tuple[str, ...]
    caseworker_team: np.ndarray  # team index per caseworker
    caseworker_quality: np.ndarray  # team quality plus a personal deviation


def build_org(rng: np.random.Generator, scale: float) -> Org:
    """Teams grow with the square root of the scale, and so does each team's size: a municipality
    100 times larger has about 50 teams of 40–60 caseworkers rather than 500 tiny teams."""
    root = math.sqrt(scale)
    n_teams = max(3, round(5 * root))
    names, quality = [], []
    for i in range(n_teams):
        base = BASE_TEAMS[i % 5]
        names.append(base if n_teams <= 5 else f"{base} {i // 5 + 1}")
        jitter = 0.0 if i < 5 else float(rng.normal(0, 0.3))
        quality.append(BASE_QUALITY[i % 5] + jitter)
    is_youth = np.array([i % 5 == YOUTH_TEAM for i in range(n_teams)])
    lo, hi = max(2, round(4 * root)), max(3, round(6 * root))
    sizes = rng.integers(lo, hi + 1, size=n_teams)
    cw_team = np.repeat(np.arange(n_teams), sizes)
    cw_quality = np.asarray(quality)[cw_team] + rng.normal(0, 0.25, size=len(cw_team))
    return Org(
        teams=tuple(names),
        team_is_youth=is_youth,
        caseworkers=_person_names(rng, len(cw_team)),
        caseworker_team=cw_team,
        caseworker_quality=cw_quality,
    )


def _person_names(rng: np.random.Generator, n: int) -> tuple[str, ...]:
    pairs = [f"{f} {s}" for f in FIRST_NAMES for s in LAST_NAMES]
    if n > len(pairs):  # a national-scale run: add a middle initial to stay unique
        pairs = [
            f"{f} {m}. {s}" for f in FIRST_NAMES for m in "ABCDEFGHJKLMNOPRST" for s in LAST_NAMES
        ]
    order = rng.permutation(len(pairs))[:n]
    return tuple(pairs[i] for i in order)


def assign_caseworkers(
    rng: np.random.Generator, org: Org, age_at_opening: np.ndarray
) -> np.ndarray:
    """Caseworker index per case: teenagers go to a youth team when there is one, other cases to
    the district teams; within a team some caseworkers carry more cases than others."""
    n = len(age_at_opening)
    youth_teams = np.flatnonzero(org.team_is_youth)
    district_teams = np.flatnonzero(~org.team_is_youth)
    team = district_teams[rng.integers(0, len(district_teams), size=n)]
    if len(youth_teams):
        teen = (age_at_opening >= YOUTH_FROM_AGE) & (rng.random(n) < 0.9)
        team[teen] = youth_teams[rng.integers(0, len(youth_teams), size=int(teen.sum()))]
    workload = rng.uniform(0.6, 1.4, size=len(org.caseworkers))
    out = np.empty(n, dtype=np.int64)
    for t in range(len(org.teams)):
        rows = np.flatnonzero(team == t)
        members = np.flatnonzero(org.caseworker_team == t)
        out[rows] = members[choice_idx(rng, workload[members], len(rows))]
    return out


def birth_dates(rng: np.random.Generator, opened: np.ndarray, age_weights: list[float]) -> np.ndarray:
    """Birth dates that make the child 0–17 years old on the day its case was opened."""
    age = choice_idx(rng, age_weights, len(opened))
    # 365 days per year of age keeps the oldest child strictly under 18 (18 years ≥ 6574 days).
    offset = age * 365 + rng.integers(0, 365, size=len(opened))
    return opened - offset.astype("timedelta64[D]")


def cpr_numbers(rng: np.random.Generator, birth: np.ndarray) -> pl.Series:
    """Synthetic CPR numbers "ddmmyy-ssss" whose 7th digit gives the right century, all distinct."""
    n = len(birth)
    year = birth.astype("datetime64[Y]").astype(int) + 1970
    serial = _draw_serials(rng, year)
    for _ in range(50):  # two children born the same day may draw the same number: redraw them
        key = birth.astype(np.int64) * 10_000 + serial
        _, first = np.unique(key, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        serial[dup] = _draw_serials(rng, year[dup])
    else:  # pragma: no cover - needs tens of thousands of children on one birthday
        raise RuntimeError("could not draw distinct CPR numbers")
    born = pl.Series("birth", birth).cast(pl.Date)
    return (born.dt.strftime("%d%m%y") + "-" + pl.Series(serial).cast(pl.String).str.zfill(4))


def _draw_serials(rng: np.random.Generator, year: np.ndarray) -> np.ndarray:
    # Century rule on digit 7: 0–3 → 1900s; 4 and 9 → 2000s when yy ≤ 36; 5–8 → 2000s when yy ≤ 57.
    n = len(year)
    digit7 = np.where(
        year < 2000, rng.integers(0, 4, size=n), np.array([4, 5, 6, 7, 8, 9])[rng.integers(0, 6, n)]
    )
    return digit7 * 1000 + rng.integers(0, 1000, size=n)
