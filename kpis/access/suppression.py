"""Small-number suppression for the committee, decided once over everything it can reach.

A committee member can open any period the committee may pick, its trend and comparison, by team
or not, on the pages, in the meeting papers and with ``compute --role committee``; adding and
subtracting what all those views show must not give back a withheld count. So the withheld cells
are decided once per snapshot, definitions and threshold, over that whole lattice
(``kpis.present.period_choice.committee_periods`` × department and teams, every KPI), and every
committee view reads its flags from that one decision: which view is opened first cannot matter.

Primary: a part of a row (``kpis.access.lattice``) whose deciding count is above zero and below
the threshold is withheld. So is a quarter's count for a team (or the department) that no view
shows but the shown figures would add up to, when it is small.

Secondary (complementary): each primary cell gets a *protecting pattern* — a change of the
quarter × team counts by +1/−1 (one cell, two quarters, two teams, or a rectangle of two quarters
and two teams) that moves the primary cell but leaves every shown figure unchanged. Every shown
figure the pattern would change is withheld too. Then the shown figures cannot tell the true
counts from the counts moved by the pattern, so the primary cell is not determined by them; as
the pattern only moves counts of at least 1, non-negativity does not pin it either. Of the
possible patterns the cheapest is taken: as few newly withheld figures as possible, department
figures counting many times a team's.

KPIs that count the same units (several KPIs whose denominator is the completed BFUs, a count
that equals another KPI's denominator) are linked: found as parts whose quarter × team counts
are identical, they share one decision, so a count withheld in one is withheld in the other.

The disclosure check (``kpis.access.disclosure``) plays the attacker against the result.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from kpis.access.lattice import (
    COMMITTEE_DIMENSIONS,
    FLAG_OF_PART,
    Part,
    Shape,
    grid,
    group_matrix,
    parts_of,
    time_row,
)
from kpis.compute.engine import AccessDenied
from kpis.compute.periods import Period, PeriodKind, parse_period, period_of

# What every withheld figure reads as. One word for all of them: a figure withheld only to protect
# another may be large, so "færre end 5" would be untrue there — and two words would tell a reader
# which withheld figures are the small ones.
HIDDEN_TEXT = "skjult"


def withheld_rule_da(threshold: int) -> str:
    """The rule behind »skjult«, for the reading guides."""
    return (f"Tal, der bygger på færre end {threshold} sager, er skjult – og det er andre tal "
            f"også, hvis et skjult tal ellers kunne regnes ud af dem. Der står »{HIDDEN_TEXT}«.")
DEPARTMENT_WEIGHT = 20.0  # withholding a department figure costs as much as 20 team figures
CellKey = tuple[str, str, date, date, str | None]  # kpi, part, first day, last day, team


class CommitteeRequestDenied(AccessDenied):
    """A committee view asked for a figure outside the lattice its suppression was decided on."""


@dataclass(frozen=True)
class Decision:
    """The committee's withheld cells for one snapshot, definitions and threshold."""

    threshold: int
    as_of: date
    spans: frozenset[tuple[date, date]]  # the periods a committee view may show
    teams: tuple[str, ...]
    hidden: frozenset[CellKey]

    def require(self, periods: list[Period], by: tuple[str, ...], as_of: date) -> None:
        """Refuse a request the decision does not cover (in Danish: the CLI prints it)."""
        if as_of != self.as_of:
            raise CommitteeRequestDenied(
                "udvalget ser tallene pr. datasættets opgørelsesdato "
                f"({self.as_of:%d-%m-%Y}); en anden dato kan ikke vælges")
        other = [d for d in by if d not in COMMITTEE_DIMENSIONS]
        if other:
            raise CommitteeRequestDenied(
                f"udvalget kan kun se nøgletal pr. team, ikke pr. {', '.join(other)}")
        for p in periods:
            if (p.start, p.end) not in self.spans:
                raise CommitteeRequestDenied(
                    f"udvalget kan ikke se perioden {p.label}: udvalget ser kvartaler, år og "
                    "løbende 12 måneder til et kvartals slutning (fx R12-2025-Q2) i de seneste "
                    "5 år – ikke måneder, se docs/disclosure.md")

    def is_hidden(self, kpi: str, part: str, period: Period, team: str | None) -> bool:
        return (kpi, part, period.start, period.end, team) in self.hidden

    def apply(self, df: pl.DataFrame) -> pl.DataFrame:
        """Withhold the decided cells of a tidy result (any committee view)."""
        if df.is_empty():
            return df
        periods = {label: parse_period(label) for label in df["period"].unique().to_list()}
        teams = df["team"].to_list() if "team" in df.columns else [None] * df.height
        flags: dict[str, list[bool]] = {flag: [] for flag in FLAG_OF_PART.values()}
        for kpi, label, level, team in zip(df["kpi"], df["period"], df["group_level"], teams):
            p = periods[label]
            group = None if level == "" else team
            for part, flag in FLAG_OF_PART.items():
                flags[flag].append((kpi, part, p.start, p.end, group) in self.hidden)
        return withhold(df.with_columns(**{f: pl.Series(v, dtype=pl.Boolean)
                                           for f, v in flags.items()}))


def withhold(df: pl.DataFrame) -> pl.DataFrame:
    """Blank what the flags withhold: a figure's numerator, denominator, value and p90 (and its
    status), and the pending and overdue-open counts, each by its own flag."""
    hide = pl.col("suppressed")
    return df.with_columns(
        [pl.when(hide).then(None).otherwise(pl.col(c)).alias(c)
         for c in ("numerator", "denominator", "value", "p90")]
        + [pl.when(hide).then(pl.lit("none")).otherwise(pl.col("status")).alias("status"),
           pl.when(pl.col("pending_suppressed")).then(None).otherwise(pl.col("pending"))
           .alias("pending"),
           pl.when(pl.col("overdue_suppressed")).then(None).otherwise(pl.col("overdue_open"))
           .alias("overdue_open")])


# --- the decision -------------------------------------------------------------------------------


def quarter_bins(periods: list[Period], as_of: date) -> list[Period]:
    """The quarters from the first day any period covers to the quarter holding the as-of date."""
    first = period_of(PeriodKind.QUARTER, min(p.start for p in periods))
    last = period_of(PeriodKind.QUARTER, as_of)
    out = [last]
    while out[-1].start > first.start:
        out.append(out[-1].previous())
    return out[::-1]


@dataclass
class Problem:
    """One set of linked parts: shown cells periods × groups over base cells quarters × teams."""

    T: np.ndarray  # periods × quarters: how each shown period adds up from the quarters
    G: np.ndarray  # groups × teams
    primary: np.ndarray  # periods × groups: small shown cells
    base_primary: np.ndarray  # quarters × groups: small quarter cells no view shows
    positive: np.ndarray  # quarters × teams: base cells with a count of at least 1
    weight: np.ndarray  # periods × groups: the cost of withholding each shown cell


def protect(pr: Problem) -> np.ndarray:
    """The withheld shown cells: the primary ones and, for each primary cell (shown or a hidden
    quarter), every shown cell its cheapest protecting pattern changes."""
    hidden = pr.primary.copy()
    nq, nt = pr.T.shape[1], pr.G.shape[1]
    # the patterns applied so far, one per row (u over quarters, w over teams)
    U, W, k = np.zeros((16, nq)), np.zeros((16, nt)), 0
    targets = [(pr.T[i], pr.G[j], (i, j)) for i, j in zip(*np.nonzero(pr.primary))]
    targets += [(np.eye(nq)[q], pr.G[j], None) for q, j in zip(*np.nonzero(pr.base_primary))]
    # department cells first: they admit the fewest patterns
    targets.sort(key=lambda t: (t[1].sum() < len(t[1]), -t[0].sum()))
    for tc, gc, cell in targets:
        if ((U[:k] @ tc) * (W[:k] @ gc) != 0).any():
            continue  # already protected by a pattern applied for another cell
        best = _cheapest(pr, hidden, tc, gc)
        if best is None:  # nothing can move it (a model mismatch): withhold the cell itself
            if cell is not None:
                hidden[cell] = True
            continue
        u, w = best
        hidden |= np.outer(pr.T @ u != 0, pr.G @ w != 0)
        if k == len(U):
            U, W = np.vstack([U, np.zeros_like(U)]), np.vstack([W, np.zeros_like(W)])
        U[k], W[k], k = u, w, k + 1
    return hidden


def _cheapest(pr: Problem, hidden: np.ndarray, tc: np.ndarray, gc: np.ndarray):
    """The protecting pattern for the target (time vector ``tc``, team vector ``gc``) that
    withholds the fewest new figures. Group rows are the department and each team
    (``group_matrix``), so which groups a +1/−1 over teams changes is known in closed form: the
    department unless the pattern's team changes cancel, and each team it moves."""
    cost = pr.weight * ~hidden
    T, pos = pr.T, pr.positive
    nq, nt = T.shape[1], pr.G.shape[1]
    best, best_cost = None, np.inf
    for q in np.nonzero(tc)[0]:
        cu = (T[:, q] != 0) @ cost  # per group: the cost of the periods holding quarter q
        CU = ((T[:, [q]] - T) != 0).T @ cost  # q' × group: periods holding one of q, q'
        time_ok = tc != tc[q]  # the pattern must move the target
        for t in np.nonzero(gc)[0]:
            if not pos[q, t]:
                continue
            team_ok = (gc != gc[t]) & pos[q]
            pairs_t = np.where(team_ok, cu[t + 1] + cu[1:], np.inf)
            pairs_q = np.where(time_ok & pos[:, t], CU[:, 0] + CU[:, t + 1], np.inf)
            rect = np.where(np.outer(time_ok & pos[:, t], team_ok) & pos,
                            CU[:, [t + 1]] + CU[:, 1:], np.inf)
            kt, kq = int(np.argmin(pairs_t)), int(np.argmin(pairs_q))
            rq, rt = np.unravel_index(int(np.argmin(rect)), rect.shape)
            e_q, e_t = np.eye(nq)[q], np.eye(nt)[t]
            options = [(cu[0] + cu[t + 1], e_q, e_t),
                       (pairs_t[kt], e_q, e_t - np.eye(nt)[kt]),
                       (pairs_q[kq], e_q - np.eye(nq)[kq], e_t),
                       (rect[rq, rt], e_q - np.eye(nq)[rq], e_t - np.eye(nt)[rt])]
            for c, u, w in options:
                if c < best_cost:
                    best, best_cost = (u, w), c
    return best


def _linked(parts: list[Part], base: dict[tuple[str, str], dict[str, np.ndarray]]) -> list[list[Part]]:
    """Parts that share counts: identical non-zero quarter × team counts of the same shape."""
    parent = {(p.kpi, p.part): (p.kpi, p.part) for p in parts}

    def find(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    seen: dict[tuple, tuple[str, str]] = {}
    for p in parts:
        for g in base[(p.kpi, p.part)].values():
            if not g[:, 1:].any():
                continue
            key = (p.shape, g.shape, g[:, 1:].tobytes())
            if key in seen:
                parent[find((p.kpi, p.part))] = find(seen[key])
            else:
                seen[key] = (p.kpi, p.part)
    groups: dict[tuple[str, str], list[Part]] = defaultdict(list)
    for p in parts:
        groups[find((p.kpi, p.part))].append(p)
    return list(groups.values())


def decide(frame: pl.DataFrame, kpiset, periods: list[Period], as_of: date,
           threshold: int) -> Decision:
    """The decision from a result frame holding every period of ``periods`` and every quarter
    of ``quarter_bins(periods)``, by team, unsuppressed."""
    bins = quarter_bins(periods, as_of)
    spans = {(p.start, p.end) for p in periods}
    teams = sorted({t for t in frame["team"].to_list() if t is not None})
    G = group_matrix(teams)
    rows_of = {kpi: frame.filter(pl.col("kpi") == kpi) for kpi in kpiset.ids}
    parts = parts_of(kpiset)
    shown: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    base: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    for p in parts:
        shown[(p.kpi, p.part)] = {c: grid(rows_of[p.kpi], c, periods, teams) for c in p.columns}
        base[(p.kpi, p.part)] = {c: grid(rows_of[p.kpi], c, bins, teams) for c in p.columns}
    unseen = np.array([(b.start, b.end) not in spans for b in bins])
    hidden: set[CellKey] = set()
    for group in _linked(parts, base):
        shape = group[0].shape
        small = np.zeros((len(periods), len(teams) + 1), dtype=bool)
        small_base = np.zeros((len(bins), len(teams) + 1), dtype=bool)
        positive = np.zeros((len(bins), len(teams)), dtype=bool)
        size = np.zeros_like(small, dtype=float)
        for p in group:
            for c in p.criteria:
                v, b = shown[(p.kpi, p.part)][c], base[(p.kpi, p.part)][c]
                small |= (v > 0) & (v < threshold)
                small_base |= (b > 0) & (b < threshold) & unseen[:, None]
                positive |= b[:, 1:] > 0
                size = np.maximum(size, v)
        weight = np.ones_like(size)
        weight[:, 0] = DEPARTMENT_WEIGHT
        problem = Problem(
            T=np.array([time_row(p, bins, shape, as_of) for p in periods]), G=G,
            primary=small, base_primary=small_base, positive=positive,
            weight=weight + size * 1e-4)  # ties: withhold the smaller figure
        withheld = protect(problem) if small.any() or small_base.any() else small
        for i, j in zip(*np.nonzero(withheld)):
            period, team = periods[i], (None if j == 0 else teams[j - 1])
            for p in group:
                hidden.add((p.kpi, p.part, period.start, period.end, team))
    return Decision(threshold, as_of, frozenset(spans), tuple(teams), frozenset(hidden))


# --- one decision per snapshot ------------------------------------------------------------------

_decisions: OrderedDict[tuple, Decision] = OrderedDict()
_lock = threading.Lock()
MAX_DECISIONS = 8


def committee_decision(source, kpiset, threshold: int, as_of: date | None = None,
                       settings=None) -> Decision:
    """The committee's decision for the snapshot ``source`` holds (a connection or the unit
    cache), computed on first use and kept per (snapshot, as-of date, definitions, threshold,
    settings) — for every page, paper and CLI call of the process."""
    from kpis.compute.engine import compute, snapshot_as_of
    from kpis.compute.external import external_version
    from kpis.present.period_choice import committee_periods

    snapshot_id = getattr(source, "snapshot_id", None)
    if snapshot_id is None:
        snapshot_id = source.execute("SELECT snapshot_id FROM snapshot_meta").fetchone()[0]
    data_as_of = getattr(source, "as_of", None) or snapshot_as_of(source)
    as_of = as_of or data_as_of
    # The reviews are outside the snapshot: a completed review changes the counts of a review
    # KPI, so a decision taken before it would leave a new small count shown.
    key = (snapshot_id, as_of, kpiset.version, external_version(kpiset), threshold,
           settings.model_dump_json() if settings is not None else "")
    with _lock:
        if key in _decisions:
            _decisions.move_to_end(key)
            return _decisions[key]
        periods = committee_periods(as_of)
        asked = {p.label: p for p in periods + quarter_bins(periods, as_of)}
        frame = compute(source, kpiset, list(asked.values()), COMMITTEE_DIMENSIONS, as_of=as_of,
                        settings=settings)
        decision = decide(frame, kpiset, periods, as_of, threshold)
        _decisions[key] = decision
        while len(_decisions) > MAX_DECISIONS:
            _decisions.popitem(last=False)
        return decision


def committee_view(source, kpiset, result: pl.DataFrame, periods: list[Period],
                   by: tuple[str, ...], as_of: date, threshold: int, settings=None
                   ) -> pl.DataFrame:
    """A committee view of ``result``: refused outside the lattice, else withheld as decided."""
    decision = committee_decision(source, kpiset, threshold, settings=settings)
    decision.require(periods, by, as_of)
    return decision.apply(result)


__all__ = [
    "HIDDEN_TEXT",
    "CommitteeRequestDenied",
    "Decision",
    "Problem",
    "Shape",
    "committee_decision",
    "committee_view",
    "decide",
    "protect",
    "withheld_rule_da",
    "withhold",
]
