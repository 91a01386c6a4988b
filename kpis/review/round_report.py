"""A sagsmåling round against an earlier one, as the committee may read it: per question, per
pejlemærke, per kind of question (lovmedholdelighed, faglig kvalitet) and in all, the share of
*ja* with its 95 % Wilson interval and the number of answers, the change in percentage points and
whether the two intervals overlap; and how each round's sample was drawn. Aggregates only: no case
id, caseworker or team leaves this module. ``kpis.present.review_report`` writes it as PDF and
Excel.

**Suppression.** A figure's deciding count is the number of cases it rests on, as for every
figure the committee sees (docs/disclosure.md): for a question its answers *n* (one per case), for
an aggregate the cases with an answer counted in it. A figure whose deciding count is 1 to
threshold − 1 is withheld (primary). The aggregates' *n* are sums of their questions' *n* within
one round, so a withheld question could be worked out as its pejlemærke's *n* minus its shown
questions (and its *ja* alike, from the shares). So more figures are withheld until no withheld
count lies in the span of the shown ones (complementary): then the shown sums cannot tell the true
counts from others. The questions are the edges of a bipartite graph (pejlemærke – kind) whose
nodes and total are the aggregates, a totally unimodular system: a count that is not determined
can move by ±1 along a cycle of withheld figures, and as only counts of at least 1 are withheld,
that keeps every count non-negative — non-negativity does not pin it either. Rounds are separate
samples and no figure adds them up, so each round is decided on its own; a change or an overlap
is withheld with either of its two figures.

A review KPI of ``config/kpis.yaml`` counts the same answers by quarter on the committee's
pages: ``lattice_guard`` reads the committee's decision so that a round's figure does not give a
withheld quarter back. Not covered (docs/case-review.md): two reports made before and after a few
more reviews are completed differ by those reviews.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path

import numpy as np
import polars as pl

from kpis.compute.engine import ALL, Scope
from kpis.review import store
from kpis.review.figures import COUNTED, compare_rounds
from kpis.review.model import Programme, QuestionKind, RandomSample, round_label_da
from kpis.rules.definitions import Pejlemaerke

KIND_LABELS_DA = {QuestionKind.LOVMEDHOLDELIGHED: "Lovmedholdelighed",
                  QuestionKind.FAGLIG_KVALITET: "Faglig kvalitet"}
TOTAL_KEY = "alle"
# The cost of withholding one more figure to protect another: a question's figure is the
# cheapest, the headline figures (pejlemærke, kind, all) the dearest.
_COST = {"question": 1.0, "pejlemaerke": 4.0, "kind": 6.0, "total": 10.0}


class Level(str, Enum):
    QUESTION = "question"
    PEJLEMAERKE = "pejlemaerke"
    KIND = "kind"
    TOTAL = "total"


@dataclass(frozen=True)
class Estimate:
    """One round's share of ja: ``n`` answers counted (ja, delvist, nej), ``ja`` of them, the
    share and its 95 % interval. Withheld: ``hidden`` and no numbers; no answer: ``n == 0``."""

    n: int | None
    ja: int | None
    share: float | None
    low: float | None
    high: float | None
    hidden: bool = False

    @property
    def shown(self) -> bool:
        return not self.hidden and bool(self.n)

    def withheld(self) -> Estimate:
        return Estimate(None, None, None, None, None, hidden=True)


NO_ANSWERS = Estimate(0, 0, None, None, None)


@dataclass(frozen=True)
class Row:
    """A question or an aggregate, before against after."""

    level: Level
    key: str  # question id, pejlemærke, kind or "alle"
    label: str
    pejlemaerke: Pejlemaerke | None
    kind: QuestionKind | None
    before: Estimate
    after: Estimate
    cases: tuple[int, int] = (0, 0)  # the cases each round's figure rests on (not shown)

    @property
    def change(self) -> float | None:
        """After minus before (0–1), when both are shown."""
        if not (self.before.shown and self.after.shown):
            return None
        return self.after.share - self.before.share

    @property
    def overlap(self) -> bool | None:
        """Do the two 95 % intervals overlap (then the change may be chance)?"""
        if not (self.before.shown and self.after.shown):
            return None
        return self.before.low <= self.after.high and self.after.low <= self.before.high


@dataclass(frozen=True)
class SampleFacts:
    """How one stored sample was drawn, without its cases: counts withheld (None) when 1 to
    threshold − 1."""

    drawn_on: date
    seed: int
    method: str
    criteria: str | None
    window_start: date
    window_end: date
    frame: int | None  # eligible cases
    drawn: int | None  # cases in the sample (a replacement counts, the case it replaced not)
    replaced: int | None
    teams_limited: bool  # drawn from some teams only (a department head's draw)


@dataclass(frozen=True)
class RoundFacts:
    round: str
    samples: tuple[SampleFacts, ...]
    reviewed: int | None  # completed reviews with a counted answer; None when withheld
    first_review: date | None
    last_review: date | None

    @property
    def label(self) -> str:
        return round_label_da(self.round)


@dataclass(frozen=True)
class RoundReport:
    programme: Programme
    before: RoundFacts
    after: RoundFacts
    rows: tuple[Row, ...]
    threshold: int
    teams: tuple[str, ...] | None = None  # the figures cover these teams only
    made_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def at(self, level: Level) -> list[Row]:
        return [r for r in self.rows if r.level is level]

    def questions_of(self, mark: Pejlemaerke) -> list[Row]:
        return [r for r in self.at(Level.QUESTION) if r.pejlemaerke is mark]

    @property
    def file_stem(self) -> str:
        return file_stem(self.programme.id, self.before.round, self.after.round)


def file_stem(programme_id: str, before: str, after: str) -> str:
    return f"rapport-{programme_id}-{after}-mod-{before}"


# --- figures ------------------------------------------------------------------------------------


def _estimates(findings: pl.DataFrame, programme: Programme, before: str, after: str,
               column: str) -> dict[str, tuple[Estimate, Estimate]]:
    cmp = compare_rounds(findings, programme, before, after, level=column)
    out = {}
    for r in cmp.iter_rows(named=True):
        pair = []
        for side in ("before", "after"):
            n = r[f"n_{side}"] or 0
            share = r[f"share_{side}"]
            pair.append(NO_ANSWERS if not n else Estimate(
                n, round(share * n), share, r[f"low_{side}"], r[f"high_{side}"]))
        out[r[column]] = (pair[0], pair[1])
    return out


def _cases(findings: pl.DataFrame, column: str, before: str, after: str) -> dict[str, tuple]:
    counted = findings.filter(pl.col("answer").is_in(list(COUNTED)))
    per = counted.group_by(column, "round").agg(pl.col("case_id").n_unique().alias("cases"))
    got = {(r[column], r["round"]): r["cases"] for r in per.iter_rows(named=True)}
    keys = {k for k, _ in got}
    return {k: (got.get((k, before), 0), got.get((k, after), 0)) for k in keys}


def figures(findings: pl.DataFrame, programme: Programme, before: str, after: str) -> list[Row]:
    """Every row, unsuppressed: each question of the programme (in its order, grouped by
    pejlemærke), each pejlemærke with questions, each kind, and all questions together."""
    kinds = {q.id: q.kind.value for q in programme.questions}
    marks = {q.id: q.pejlemaerke.value for q in programme.questions}
    df = (findings.filter((pl.col("programme_id") == programme.id)
                          & pl.col("round").is_in([before, after])
                          & pl.col("question_id").is_in(list(kinds)))
          .with_columns(pl.col("question_id").replace_strict(kinds).alias("kind"),
                        pl.col("question_id").replace_strict(marks).alias("pejlemaerke"),
                        pl.lit(TOTAL_KEY).alias("total")))
    rows: list[Row] = []
    present = [m for m in Pejlemaerke if any(q.pejlemaerke is m for q in programme.questions)]
    levels = (("question_id", Level.QUESTION), ("pejlemaerke", Level.PEJLEMAERKE),
              ("kind", Level.KIND), ("total", Level.TOTAL))
    est = {lv: _estimates(df, programme, before, after, col) for col, lv in levels}
    cases = {lv: _cases(df, col, before, after) for col, lv in levels}

    def row(level: Level, key: str, label: str, mark=None, kind=None) -> Row:
        b, a = est[level].get(key, (NO_ANSWERS, NO_ANSWERS))
        return Row(level, key, label, mark, kind, b, a, cases[level].get(key, (0, 0)))

    for mark in present:
        for q in programme.questions:
            if q.pejlemaerke is mark:
                rows.append(row(Level.QUESTION, q.id, q.text, mark, q.kind))
    for mark in present:
        rows.append(row(Level.PEJLEMAERKE, mark.value, mark.label_da, mark))
    for kind in QuestionKind:
        if any(q.kind is kind for q in programme.questions):
            rows.append(row(Level.KIND, kind.value, KIND_LABELS_DA[kind], kind=kind))
    rows.append(row(Level.TOTAL, TOTAL_KEY, "Alle spørgsmål"))
    return rows


# --- suppression ----------------------------------------------------------------------------------


def _members(rows: list[Row]) -> list[np.ndarray]:
    """Each row as a 0/1 vector over the questions it adds up."""
    questions = [r for r in rows if r.level is Level.QUESTION]
    out = []
    for r in rows:
        if r.level is Level.QUESTION:
            v = [q.key == r.key for q in questions]
        elif r.level is Level.PEJLEMAERKE:
            v = [q.pejlemaerke is r.pejlemaerke for q in questions]
        elif r.level is Level.KIND:
            v = [q.kind is r.kind for q in questions]
        else:
            v = [True] * len(questions)
        out.append(np.array(v, dtype=float))
    return out


def _determined(vectors: list[np.ndarray], hidden: np.ndarray, unknown: np.ndarray) -> list[int]:
    """The withheld rows whose count the shown rows determine: its vector over the withheld
    questions lies in the span of the shown rows' vectors over them."""
    shown = [v[unknown] for v, h in zip(vectors, hidden) if not h]
    base = np.array(shown) if shown else np.zeros((0, int(unknown.sum())))
    rank = np.linalg.matrix_rank(base) if base.size else 0
    out = []
    for i, (v, h) in enumerate(zip(vectors, hidden)):
        if not h:
            continue
        w = v[unknown]
        if not w.any():  # every question it adds up is shown (or zero)
            out.append(i)
            continue
        stacked = np.vstack([base, w]) if base.size else w[None, :]
        if np.linalg.matrix_rank(stacked) == rank:
            out.append(i)
    return out


def withheld(rows: list[Row], side: str, threshold: int, forced: frozenset[str] = frozenset(),
             public: frozenset[str] = frozenset()) -> set[int]:
    """The rows whose ``side`` ("before" or "after") figure is withheld: primary (resting on 1
    to threshold − 1 cases, or a question in ``forced``) and complementary (until no withheld
    count is determined). A question in ``public`` can be worked out from the committee's other
    views (``lattice_guard``): it counts as shown, and withholding it protects nothing."""
    counts = [getattr(r, side).n or 0 for r in rows]
    cases = [r.cases[0 if side == "before" else 1] for r in rows]
    vectors = _members(rows)
    is_question = np.array([r.level is Level.QUESTION for r in rows])
    hidden = np.array([0 < c < threshold or (r.level is Level.QUESTION and r.key in forced)
                       for r, c in zip(rows, cases)])
    known = np.array([r.level is Level.QUESTION and r.key in public for r in rows])
    cost = [_COST[r.level.value] + 1e-3 * n for r, n in zip(rows, counts)]

    def unknown(h: np.ndarray) -> np.ndarray:
        # the withheld questions' counts; a question with no answer is a known zero
        return np.array([h[i] for i in np.nonzero(is_question)[0]]) & np.array(
            [counts[i] > 0 and not known[i] for i in np.nonzero(is_question)[0]])

    def open_targets(h: np.ndarray) -> list[int]:
        return [i for i in _determined(vectors, h, unknown(h)) if not known[i]]

    while targets := open_targets(hidden):
        target = targets[0]
        candidates = sorted((i for i in range(len(rows))
                             if not hidden[i] and counts[i] > 0 and not known[i]),
                            key=lambda i: cost[i])
        chosen: list[int] | None = None
        for i in candidates:
            trial = hidden.copy()
            trial[i] = True
            if target not in open_targets(trial):
                chosen = [i]
                break
        if chosen is None:
            for a in candidates:
                for b in candidates:
                    if cost[b] <= cost[a]:
                        continue
                    trial = hidden.copy()
                    trial[[a, b]] = True
                    if target not in open_targets(trial):
                        chosen = [a, b]
                        break
                if chosen:
                    break
        if chosen is None:
            # No one or two more will do (a pejlemærke × kind with one question, say): withhold
            # the cheapest neighbour (a question sharing a pejlemærke or a kind) and look again;
            # with no neighbour left, every shown sum holding one of its withheld questions.
            near = [i for i in candidates if is_question[i] and any(
                vectors[a] @ vectors[i] > 0 and vectors[a] @ vectors[target] > 0
                for a in range(len(rows)) if rows[a].level in (Level.PEJLEMAERKE, Level.KIND))]
            u = unknown(hidden).astype(float)
            chosen = near[:1] or [i for i in candidates if not is_question[i]
                                  and (vectors[i] * u) @ vectors[target] > 0]
            if not chosen:  # pragma: no cover - a withheld count always has a shown neighbour
                raise AssertionError(f"{rows[target].key} cannot be protected")
        hidden[chosen] = True
    return set(np.nonzero(hidden)[0].tolist())


def suppress(rows: list[Row], threshold: int,
             other_views: dict[str, tuple[frozenset[str], frozenset[str]]] | None = None
             ) -> list[Row]:
    """The rows as the committee may see them. ``other_views``: per side, the questions to
    withhold and those public because of the committee's other views (``lattice_guard``)."""
    out = list(rows)
    for side in ("before", "after"):
        forced, public = (other_views or {}).get(side, (frozenset(), frozenset()))
        for i in withheld(rows, side, threshold, forced, public):
            out[i] = replace(out[i], **{side: getattr(out[i], side).withheld()})
    return out


# --- the committee's other views ------------------------------------------------------------------

# A guard says of a question's answers in a round, reviewed from one day to another, whether a
# figure the committee sees elsewhere withholds part of them (True), shows all of them (False),
# or does not count them (None).
Guard = Callable[[str, date, date], bool | None]


def _names(kpi) -> tuple[frozenset[str] | None, frozenset[str] | None] | None:
    """The programmes and questions a review KPI's filter keeps (None: any), or None when the
    KPI does not read the findings. A filter with OR, NOT or <> is read as keeping any: the
    guard errs towards withholding."""
    from kpis.rules.expressions import Binary, ColumnRef, InList, Literal, Unary, parse, walk
    from kpis.rules.sources import REVIEW_FINDINGS

    spec = getattr(kpi, "spec", None)
    if getattr(spec, "source", None) != REVIEW_FINDINGS:
        return None
    text = getattr(spec, "filter", None)
    if not text:
        return None, None
    kept: dict[str, set[str]] = {}
    for node in walk(parse(text)):
        if isinstance(node, Unary) and node.op == "NOT" or isinstance(node, Binary) and (
                node.op in ("OR", "<>", "!=")) or isinstance(node, InList) and node.negated:
            return None, None
        if isinstance(node, Binary) and node.op == "=":
            sides = (node.left, node.right)
            col = next((x.name for x in sides if isinstance(x, ColumnRef)), None)
            lit = next((x.value for x in sides if isinstance(x, Literal)), None)
            if col in ("programme_id", "question_id") and isinstance(lit, str):
                kept.setdefault(col, set()).add(lit)
        if isinstance(node, InList) and isinstance(node.operand, ColumnRef) and (
                node.operand.name in ("programme_id", "question_id")):
            kept.setdefault(node.operand.name, set()).update(
                str(x.value) for x in node.items if isinstance(x, Literal))
    return (frozenset(kept["programme_id"]) if "programme_id" in kept else None,
            frozenset(kept["question_id"]) if "question_id" in kept else None)


def lattice_guard(decision, kpiset, programme_id: str) -> Guard:
    """The committee's suppression decision (``kpis.access.suppression.committee_decision``)
    as a guard for the report. A review KPI of the definitions counts the same answers by
    quarter: the report's round figure is the sum of the quarters it was reviewed in. When the
    committee sees every one of those quarters, the round's count is public anyway; when one is
    withheld (or not offered), the report withholds the round's figure too, or it would give the
    quarter back."""
    from datetime import timedelta

    from kpis.compute.periods import PeriodKind, period_of

    readers = {k.id: names for k in kpiset if (names := _names(k)) is not None}

    def guard(question_id: str, first: date, last: date) -> bool | None:
        ids = [kid for kid, (progs, questions) in readers.items()
               if (progs is None or programme_id in progs)
               and (questions is None or question_id in questions)]
        if not ids:
            return None
        quarters, q = [], period_of(PeriodKind.QUARTER, first)
        while q.start <= last:
            quarters.append(q)
            q = period_of(PeriodKind.QUARTER, q.end + timedelta(days=1))
        return any((q.start, q.end) not in decision.spans or decision.is_hidden(kid, "main", q,
                                                                                None)
                   for kid in ids for q in quarters)

    return guard


def other_views(findings: pl.DataFrame, programme: Programme, before: str, after: str,
                guard: Guard) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Per side, the questions ``guard`` says to withhold and those it says are public."""
    counted = findings.filter((pl.col("programme_id") == programme.id)
                              & pl.col("answer").is_in(list(COUNTED)))
    out = {}
    for side, round_ in (("before", before), ("after", after)):
        spans = (counted.filter(pl.col("round") == round_).group_by("question_id")
                 .agg(pl.col("review_date").min().alias("first"),
                      pl.col("review_date").max().alias("last")))
        forced, public = set(), set()
        for r in spans.iter_rows(named=True):
            verdict = guard(r["question_id"], r["first"], r["last"])
            if verdict is True:
                forced.add(r["question_id"])
            elif verdict is False:
                public.add(r["question_id"])
        out[side] = (frozenset(forced), frozenset(public))
    return out


def _small(n: int, threshold: int) -> int | None:
    return None if 0 < n < threshold else n


# --- the rounds' samples --------------------------------------------------------------------------


def round_facts(programme: Programme, round_: str, findings: pl.DataFrame, threshold: int, *,
                scope: Scope = ALL, path: Path | None = None) -> RoundFacts:
    """How the round was drawn (every stored sample of it) and how far it has been reviewed."""
    facts = []
    stored = store.samples(programme.id, path=path) if _exists(path) else pl.DataFrame()
    for s in (stored.filter(pl.col("round") == round_).iter_rows(named=True)
              if not stored.is_empty() else []):
        rule = json.loads(s["rule_json"])
        cases = store.sample_cases(s["sample_id"], scope, path=path)
        facts.append(SampleFacts(
            drawn_on=datetime.fromisoformat(s["drawn_at"]).date(), seed=int(s["seed"]),
            method=rule.get("method", ""), criteria=rule.get("criteria"),
            window_start=date.fromisoformat(s["window_start"]),
            window_end=date.fromisoformat(s["window_end"]),
            frame=_small(len(store.sample_frame(s["sample_id"], path=path)), threshold),
            drawn=_small(cases.filter(pl.col("status") != "replaced").height, threshold),
            replaced=_small(cases.filter(pl.col("status") == "replaced").height, threshold),
            teams_limited=bool(rule.get("teams"))))
    mine = findings.filter((pl.col("programme_id") == programme.id)
                           & (pl.col("round") == round_)
                           & pl.col("answer").is_in(list(COUNTED)))
    reviewed = mine["case_id"].n_unique()
    dates = mine["review_date"] if "review_date" in mine.columns else pl.Series([], dtype=pl.Date)
    return RoundFacts(round_, tuple(facts), _small(reviewed, threshold),
                      dates.min() if reviewed else None, dates.max() if reviewed else None)


def _exists(path: Path | None) -> bool:
    return (path or store.reviews_path()).exists()


def rounds_with_findings(programme: Programme, findings: pl.DataFrame) -> list[str]:
    """The programme's rounds with at least one completed review, in the programme's order."""
    done = set(findings.filter(pl.col("programme_id") == programme.id)["round"].to_list())
    return [r for r in programme.rounds if r in done]


def default_rounds(programme: Programme, findings: pl.DataFrame) -> tuple[str, str] | None:
    """The latest round with completed reviews against the nulpunktsmåling (the programme's
    first round), as the Task Force compares a statusmåling with the start; None until two rounds
    have completed reviews."""
    done = rounds_with_findings(programme, findings)
    if len(done) < 2 or done[0] != programme.rounds[0]:
        return None
    return done[0], done[-1]


def committee_threshold() -> int:
    """The committee's threshold (settings): the report follows the committee's rules, whoever
    makes it."""
    from kpis.access.roles import Role, scope_for

    threshold = scope_for(Role.COMMITTEE).suppress_below
    assert threshold is not None  # the committee's scope always suppresses
    return threshold


def read_findings(scope: Scope = ALL, path: Path | None = None) -> pl.DataFrame:
    """The completed reviews' findings of the scope; none (without creating the reviews file)
    where no review was ever drawn."""
    if not _exists(path):
        return pl.DataFrame(schema=store.FINDINGS_SCHEMA)
    return store.findings(scope, path=path)


def offers(programmes, findings: pl.DataFrame) -> list[tuple[str, str, str]]:
    """(programme id, before, after) of every programme with a report to offer the committee:
    its latest round with completed reviews against the nulpunktsmåling."""
    out = []
    for p in programmes:
        rounds = default_rounds(p, findings) if len(p.rounds) >= 2 else None
        if rounds:
            out.append((p.id, *rounds))
    return out


def report_for(programme: Programme, before: str, after: str, scope: Scope = ALL, *,
               path: Path | None = None, source=None, kpiset=None) -> RoundReport:
    """The report as a page offers it: the scope's findings, the committee's threshold, and —
    for the whole department, given the snapshot ``source`` and the definitions — guarded by
    the committee's decision on the review KPIs (``lattice_guard``)."""
    return build(programme, read_findings(scope, path), before, after, committee_threshold(),
                 scope=scope, path=path,
                 guard=committee_guard(programme.id, scope, source=source, kpiset=kpiset))


def committee_guard(programme_id: str, scope: Scope = ALL, *, source=None, kpiset=None
                    ) -> Guard | None:
    """``lattice_guard`` over the committee's decision for the whole department's figures of
    the snapshot ``source``; None for a subset of teams (outside the committee's lattice) or
    without a snapshot."""
    if scope.teams is not None or source is None or kpiset is None:
        return None
    from kpis.access.suppression import committee_decision

    return lattice_guard(committee_decision(source, kpiset, committee_threshold()), kpiset,
                         programme_id)


def build(programme: Programme, findings: pl.DataFrame, before: str, after: str,
          threshold: int, *, scope: Scope = ALL, path: Path | None = None,
          facts: tuple[RoundFacts, RoundFacts] | None = None, guard: Guard | None = None
          ) -> RoundReport:
    """The report of ``after`` against ``before`` from ``findings`` (store.findings of the
    reader's scope), suppressed for the committee whoever makes it; with ``guard``
    (``lattice_guard``) also against what the committee's other views show."""
    if before not in programme.rounds or after not in programme.rounds:
        raise ValueError(f"ukendt runde; programmets runder: {', '.join(programme.rounds)}")
    if before == after:
        raise ValueError("vælg to forskellige runder")
    views = None if guard is None else other_views(findings, programme, before, after, guard)
    rows = suppress(figures(findings, programme, before, after), threshold, views)
    if facts is None:
        facts = tuple(round_facts(programme, r, findings, threshold, scope=scope, path=path)
                      for r in (before, after))  # type: ignore[assignment]
    return RoundReport(programme, facts[0], facts[1], tuple(rows), threshold,
                       teams=None if scope.teams is None else tuple(sorted(scope.teams)))


def sampling_text_da(programme: Programme) -> str:
    """The programme's sampling rule in plain Danish."""
    rule = programme.sampling
    if not isinstance(rule, RandomSample):
        return (f"{rule.n} sag{'er' if rule.n > 1 else ''} pr. sagsbehandler pr. "
                f"{'måned' if rule.window == 'month' else 'kvartal'}, tilfældigt udtrukket.")
    how = ("fordelt på teamene i forhold til, hvor mange mulige sager hvert team har"
           if rule.method == "team_stratified" else "tilfældigt blandt alle mulige sager")
    return (f"{rule.n} sager udtrukket tilfældigt, {how}. Mulige sager er sager, der opfylder "
            f"kriteriet i de {rule.lookback_months} måneder op til udtrækket.")


def criteria_da(criteria: str | None) -> str:
    """The sample's eligibility criterion in plain Danish, over the review case frame: one
    column reads as its meaning (»en afgørelse om en indsats truffet i perioden«), anything
    longer as the expression with the meaning of each column it uses."""
    from kpis.review.frame import FRAME_COLUMNS
    from kpis.rules.expressions import ColumnRef, parse, walk

    if not criteria:
        return "alle sager"
    meaning = {c: m.replace("vinduet", "perioden") for c, (_, m) in FRAME_COLUMNS.items()}
    tree = parse(criteria)
    if isinstance(tree, ColumnRef) and tree.name in meaning:
        return f"sager med {meaning[tree.name]}"
    used = dict.fromkeys(n.name for n in walk(tree) if isinstance(n, ColumnRef))
    glossary = "; ".join(f"{c} = {meaning.get(c, c)}" for c in used)
    return f"sager, der opfylder »{' '.join(criteria.split())}«" + (
        f" ({glossary})" if glossary else "")
