"""The disclosure check: play the attacker against every committee view of a snapshot.

    python -m kpis disclosure-check [--db FILE] [--kpis-file FILE] [--format table|json]

It opens every view a committee member can reach — the overview and the meeting papers for each
period the committee can choose and each comparison, the KPI page's team table for each period,
and ``compute --role committee --by team`` over every period at once — through the engine with the
committee's scope, exactly as the pages do. Then it writes down what it saw as linear equations:
each shown count is a sum of unknown counts (per month and team for flows; the state on a day for
stocks and for the pending and overdue counts), teams add up to the department, and KPIs that
count the same units share their unknowns. A withheld count is recovered when it is determined by
those equations (its coefficients lie in the row space of the shown counts': a rank test). The same
goes for the counts no view shows but the views add up to (a quarter's count for a team, say).

It reports every recovered count of a figure resting on fewer than the threshold (0 < n <
threshold), with the KPI, the period, the group, which count, the value the attacker computes and
the true value; and every cell shown in one view but withheld (or different) in another. Exit code
1 when it found anything, 0 when not. What it does not try (intervals from non-negativity, sums
of several KPIs that are not equal): docs/disclosure.md.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from kpis.access.lattice import (
    FLAG_OF_PART,
    Part,
    Shape,
    group_matrix,
    is_small,
    parts_of,
    time_row,
)
from kpis.compute.periods import Period, PeriodKind, period_of

COUNT_DA = {"numerator": "tæller", "denominator": "nævner", "pending": "afventer",
            "overdue_open": "åbne efter fristen"}
TOLERANCE = 1e-7


@dataclass(frozen=True)
class View:
    name: str
    periods: tuple[Period, ...]
    by: tuple[str, ...] = ()


def committee_views(as_of: date) -> list[View]:
    """Every committee view of a snapshot with this as-of date, as the pages ask the engine."""
    from kpis.present.period_choice import (
        COMMITTEE_KINDS,
        Comparison,
        choices,
        committee_periods,
        periods_needed,
    )

    views = []
    for kind in COMMITTEE_KINDS:
        for p in choices(kind, as_of):
            for c in Comparison:
                views.append(View(f"Overblik og mødebilag: {p.label}, {c.label_da.lower()}",
                                  tuple(periods_needed(p, c, as_of))))
            views.append(View(f"Nøgletal, teams: {p.label}", (p,), ("team",)))
    views.append(View("compute --role committee --by team, alle udvalgets perioder",
                      tuple(committee_periods(as_of)), ("team",)))
    return views


@dataclass(frozen=True)
class Finding:
    kpi: str
    count: str  # result column: numerator, denominator, pending, overdue_open
    period: str  # a period label, or the first and last month of a span no view shows
    group: str  # "Hele afdelingen" or the team
    recovered: float
    true: int
    shown_in_no_view: bool = False

    def text_da(self) -> str:
        where = f"{self.period} (vises ikke selv)" if self.shown_in_no_view else self.period
        return (f"{self.kpi}, {where}, {self.group}, {COUNT_DA[self.count]}: kan regnes ud "
                f"som {self.recovered:g} (sandt tal: {self.true})")


@dataclass
class Report:
    snapshot_id: str
    as_of: date
    threshold: int
    views: int
    shown: int = 0
    withheld: int = 0
    recovered: list[Finding] = field(default_factory=list)
    inconsistent: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.recovered and not self.inconsistent

    def text_da(self) -> str:
        head = (f"Afsløringstjek af datasæt {self.snapshot_id} (opgjort pr. "
                f"{self.as_of:%d-%m-%Y}), tærskel {self.threshold}: {self.views} "
                f"udvalgsvisninger gennemgået, {self.shown} viste og {self.withheld} "
                "tilbageholdte tal.")
        if self.ok:
            return head + ("\nIngen tilbageholdte små tal kan regnes ud ved at lægge viste tal "
                           "sammen eller trække dem fra hinanden. Bilagene kan sendes.")
        lines = [head]
        if self.recovered:
            lines.append(f"{len(self.recovered)} små tal kan regnes ud af de viste tal. Send "
                         "ikke bilagene; kontakt den, der vedligeholder Pejlemærker:")
            lines += [f"  - {f.text_da()}" for f in self.recovered]
        if self.inconsistent:
            lines.append(f"{len(self.inconsistent)} tal vises forskelligt i forskellige "
                         "visninger:")
            lines += [f"  - {x}" for x in self.inconsistent]
        return "\n".join(lines)

    def as_json(self) -> dict:
        return {"snapshot_id": self.snapshot_id, "as_of": self.as_of.isoformat(),
                "threshold": self.threshold, "views": self.views, "shown": self.shown,
                "withheld": self.withheld, "ok": self.ok,
                "recovered": [asdict(f) for f in self.recovered],
                "inconsistent": self.inconsistent}


def _group_da(team: str | None) -> str:
    return "Hele afdelingen" if team is None else team


def month_bins(first: date, as_of: date) -> list[Period]:
    last = period_of(PeriodKind.MONTH, as_of)
    out = [last]
    while out[-1].start > first:
        out.append(out[-1].previous())
    return out[::-1]


class _Seen:
    """What the views showed: per (kpi, part, first day, last day, team) the counts, or None
    when withheld."""

    def __init__(self):
        self.cells: dict[tuple, dict[str, int] | None] = {}
        self.periods: dict[tuple[date, date], Period] = {}
        self.inconsistent: list[str] = []

    def add(self, view: View, df: pl.DataFrame, parts: list[Part]) -> None:
        by_kpi = defaultdict(list)
        for p in parts:
            by_kpi[p.kpi].append(p)
        labels = {p.label: p for p in view.periods}
        for r in df.iter_rows(named=True):
            period = labels[r["period"]]
            self.periods.setdefault((period.start, period.end), period)
            team = None if r["group_level"] == "" else r["team"]
            for part in by_kpi[r["kpi"]]:
                key = (part.kpi, part.part, period.start, period.end, team)
                value = None if r[FLAG_OF_PART[part.part]] else {
                    c: int(r[c] or 0) for c in part.columns}
                if key in self.cells and self.cells[key] != value:
                    self.inconsistent.append(
                        f"{part.kpi} ({part.part}), {period.label}, {_group_da(team)}: "
                        f"{self.cells[key]} et sted, {value} i {view.name}")
                self.cells.setdefault(key, value)


def check(source, kpiset, threshold: int, views: list[View] | None = None) -> Report:
    """Open every committee view of ``source`` (a connection or the unit cache) and try to
    recover every withheld small count from what they show."""
    from kpis.compute.engine import Scope, compute, snapshot_as_of

    snapshot_id = getattr(source, "snapshot_id", None) or source.execute(
        "SELECT snapshot_id FROM snapshot_meta").fetchone()[0]
    as_of = getattr(source, "as_of", None) or snapshot_as_of(source)
    views = views if views is not None else committee_views(as_of)
    committee = Scope(teams=None, suppress_below=threshold, case_level=False)
    parts = parts_of(kpiset)
    seen = _Seen()
    done = set()
    for view in views:
        key = (tuple(p.label for p in view.periods), view.by)
        if key in done:
            continue
        done.add(key)
        seen.add(view, compute(source, kpiset, list(view.periods), view.by, scope=committee),
                 parts)
    report = Report(snapshot_id, as_of, threshold, len(views),
                    shown=sum(v is not None for v in seen.cells.values()),
                    withheld=sum(v is None for v in seen.cells.values()),
                    inconsistent=seen.inconsistent)
    periods = list(seen.periods.values())
    months = month_bins(min(p.start for p in periods), as_of)
    asked = {p.label: p for p in periods + months}
    truth = compute(source, kpiset, list(asked.values()), ("team",))  # as an analyst sees it
    teams = sorted({t for t in truth["team"].to_list() if t is not None})
    report.recovered = _attack(seen, truth, parts, periods, months, teams, as_of, threshold)
    return report


def _truth_grid(rows: list[dict], column: str, periods: list[Period], teams: list[str]):
    out = np.zeros((len(periods), len(teams) + 1))
    where = {p.label: i for i, p in enumerate(periods)}
    col = {t: j + 1 for j, t in enumerate(teams)}
    for r in rows:
        if r["period"] in where:
            out[where[r["period"]], 0 if r["group_level"] == "" else col[r["team"]]] = \
                r[column] or 0
    return out


def _attack(seen: _Seen, truth: pl.DataFrame, parts: list[Part], periods: list[Period],
            months: list[Period], teams: list[str], as_of: date, threshold: int) -> list[Finding]:
    rows_of = defaultdict(list)
    for r in truth.iter_rows(named=True):
        rows_of[r["kpi"]].append(r)
    G = group_matrix(teams)
    groups = [None, *teams]
    # Unknowns: per shape, the months merged into atoms no shown period splits.
    T_month = {s: np.array([time_row(p, months, s, as_of) for p in periods]) for s in Shape}
    atoms = {}
    for s, T in T_month.items():
        cols, index = np.unique(T, axis=1, return_inverse=True)
        index = np.asarray(index).reshape(-1)
        atoms[s] = (cols, index)
    month_truth = {}
    period_truth = {}
    for part in parts:
        for c in part.columns:
            month_truth[(part.kpi, part.part, c)] = _truth_grid(rows_of[part.kpi], c, months,
                                                                teams)
            period_truth[(part.kpi, part.part, c)] = _truth_grid(rows_of[part.kpi], c, periods,
                                                                 teams)
    # Series that count the same units share their unknowns.
    series = defaultdict(list)
    for part in parts:
        for c in part.columns:
            m = month_truth[(part.kpi, part.part, c)][:, 1:]
            key = (part.shape, m.tobytes()) if m.any() else (part.shape, part.kpi, part.part, c)
            series[key].append((part, c))
    findings = []
    for members in series.values():
        shape = members[0][0].shape
        cols, index = atoms[shape]
        n_atoms = cols.shape[1]
        # atoms that are a view's period themselves: shown or withheld there, checked as such
        periods_of_atoms = {int(np.argmax(row)) for row in cols
                            if row.sum() == 1 and np.count_nonzero(row) == 1}
        rows, rhs, targets = [], [], []
        for part, c in members:
            for i, p in enumerate(periods):
                for j, team in enumerate(groups):
                    key = (part.kpi, part.part, p.start, p.end, team)
                    if key not in seen.cells:
                        continue
                    a = np.kron(cols[i], G[j])
                    if seen.cells[key] is None:
                        targets.append((a, part, c, p.label, team, i, j, False))
                    else:
                        rows.append(a)
                        rhs.append(seen.cells[key][c])
            for k in range(n_atoms):
                if not cols[:, k].any() or k in periods_of_atoms:
                    continue  # a span no shown figure touches, or one a view is about
                span = [m for m, a in zip(months, index) if a == k]
                if shape is Shape.FLOW and len(span) > 1:
                    label = f"{span[0].label}–{span[-1].label}"
                else:
                    label = span[-1].label
                for j, team in enumerate(groups):
                    a = np.kron(np.eye(n_atoms)[k], G[j])
                    targets.append((a, part, c, label, team, k, j, True))
        if not targets or not rows:
            continue
        A, b = np.array(rows), np.array(rhs, dtype=float)
        # The row space of A is the range of AᵀA (small: unknowns × unknowns).
        evals, evecs = np.linalg.eigh(A.T @ A)
        keep = evals > TOLERANCE * max(1.0, float(evals.max(initial=0.0)))
        Vt = evecs[:, keep].T
        x = Vt.T @ ((Vt @ (A.T @ b)) / evals[keep])  # the least-norm solution of A x = b
        for a, part, c, label, team, i, j, unseen in targets:
            if np.linalg.norm(a - Vt.T @ (Vt @ a)) > 1e-6:
                continue
            if unseen:
                mask = index == i
                crit = [month_truth[(part.kpi, part.part, cc)][mask][:, j].sum()
                        if shape is Shape.FLOW else
                        month_truth[(part.kpi, part.part, cc)][mask][:, j][-1]
                        for cc in part.criteria]
                true = (month_truth[(part.kpi, part.part, c)][mask][:, j].sum()
                        if shape is Shape.FLOW else
                        month_truth[(part.kpi, part.part, c)][mask][:, j][-1])
            else:
                crit = [period_truth[(part.kpi, part.part, cc)][i, j] for cc in part.criteria]
                true = period_truth[(part.kpi, part.part, c)][i, j]
            if not any(is_small(v, threshold) for v in crit):
                continue
            findings.append(Finding(part.kpi, c, label, _group_da(team), round(float(a @ x), 6) + 0.0,
                                    int(true), unseen))
    return sorted(set(findings), key=lambda f: (f.kpi, f.period, f.group, f.count))


def cli_disclosure_check(args) -> int:
    from kpis.compute.unit_cache import snapshot_cache
    from kpis.rules.validate import KpiDefinitionError, load_and_validate
    from kpis.settings import default_settings

    if not Path(args.db).exists():
        print(f"databasen {args.db} findes ikke; importér først (python -m kpis import)",
              file=sys.stderr)
        return 2
    try:
        kpiset = load_and_validate(args.kpis_file)
    except KpiDefinitionError as exc:
        print(f"nøgletallene er ugyldige:\n{exc}", file=sys.stderr)
        return 2
    threshold = default_settings().privacy.suppression_threshold
    report = check(snapshot_cache(Path(args.db)), kpiset, threshold)
    if args.format == "json":
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=2, default=str))
    else:
        print(report.text_da())
    return 0 if report.ok else 1
