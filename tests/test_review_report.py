"""The sagsmåling report for the committee: shares, intervals, change and overlap computed by
hand on a small fixture; the committee's suppression (primary and complementary, checked by an
attacker written apart from it); the rounds' samples in plain Danish; and PDF and Excel without a
case id, a caseworker or a team."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import openpyxl
import polars as pl
import pytest
from pypdf import PdfReader

from kpis.present import review_report as rp
from kpis.review import round_report as rr
from kpis.review import store
from kpis.review.model import Programme
from kpis.review.sampling import Drawn

THRESHOLD = 5


def _question(qid: str, mark: str, kind: str) -> dict:
    return {"id": qid, "text": f"Spørgsmål {qid}?", "guidance": "Ja, når det er gjort.",
            "pejlemaerke": mark, "step": "boernefaglig_undersoegelse",
            "legal_basis": {"sel": "§ 50", "barnets_lov": "§ 20"}, "kind": kind}


PROGRAMME = Programme.model_validate({
    "id": "maaling", "name": "Sagsmåling af konkrete sager", "purpose": "sagsmaaling",
    "description": "Tilfældigt udtrukne sager med en afgørelse.",
    "sampling": {"method": "team_stratified", "n": 30, "lookback_months": 12,
                 "criteria": "decision_in_window"},
    "rounds": ["nulpunktsmaaling", "statusmaaling_1", "statusmaaling_2"],
    "questions": [_question("fu_a", "faglig_udredning", "lovmedholdelighed"),
                  _question("fu_b", "faglig_udredning", "lovmedholdelighed"),
                  _question("ind_a", "inddragelse", "faglig_kvalitet"),
                  _question("ind_b", "inddragelse", "lovmedholdelighed")]})

BEFORE, AFTER = "nulpunktsmaaling", "statusmaaling_1"


def _answers(round_: str, prefix: str, question: str, *counts: tuple[str, int]) -> list[tuple]:
    out, i = [], 0
    for answer, k in counts:
        for _ in range(k):
            out.append(("maaling", round_, f"{prefix}-{i:04d}", "Team Lille", "Anne Andersen",
                        question, answer, date(2026, 3, 1) if prefix == "NUL" else
                        date(2026, 9, 1)))
            i += 1
    return out


def _findings(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, orient="row", schema={
        "programme_id": pl.String, "round": pl.String, "case_id": pl.String, "team": pl.String,
        "caseworker": pl.String, "question_id": pl.String, "answer": pl.String,
        "review_date": pl.Date})


# Nulpunktsmåling: fu_a 18 of 30; fu_b 2 of 3 (and 3 ikke relevant); ind_a 6 of 12 (4 delvist);
# ind_b 10 of 20. Statusmåling 1: fu_a 24 of 30; fu_b 6 of 8; ind_a 9 of 12; ind_b 20 of 20.
FINDINGS = _findings(
    _answers(BEFORE, "NUL", "fu_a", ("ja", 18), ("nej", 12))
    + _answers(BEFORE, "NUL", "fu_b", ("ja", 2), ("nej", 1), ("ikke_relevant", 3))
    + _answers(BEFORE, "NUL", "ind_a", ("ja", 6), ("delvist", 4), ("nej", 2))
    + _answers(BEFORE, "NUL", "ind_b", ("ja", 10), ("nej", 10))
    + _answers(AFTER, "STA", "fu_a", ("ja", 24), ("nej", 6))
    + _answers(AFTER, "STA", "fu_b", ("ja", 6), ("nej", 2))
    + _answers(AFTER, "STA", "ind_a", ("ja", 9), ("nej", 3))
    + _answers(AFTER, "STA", "ind_b", ("ja", 20)))


def _facts(round_: str, reviewed: int | None) -> rr.RoundFacts:
    sample = rr.SampleFacts(date(2026, 2, 1), 2026, "team_stratified", "decision_in_window",
                            date(2025, 2, 1), date(2026, 1, 31), 412, 30, 0, False)
    return rr.RoundFacts(round_, (sample,), reviewed, date(2026, 3, 1), date(2026, 3, 20))


@pytest.fixture(scope="module")
def report() -> rr.RoundReport:
    return rr.build(PROGRAMME, FINDINGS, BEFORE, AFTER, THRESHOLD,
                    facts=(_facts(BEFORE, 30), _facts(AFTER, 30)))


def _row(report, key) -> rr.Row:
    return next(r for r in report.rows if r.key == key)


def _r(x: float | None, digits: int = 3) -> float | None:
    return None if x is None else round(x, digits)


# --- figures by hand ------------------------------------------------------------------------------


def test_unsuppressed_figures_by_hand():
    rows = {r.key: r for r in rr.figures(FINDINGS, PROGRAMME, BEFORE, AFTER)}
    fu_a = rows["fu_a"]
    # 18/30 = 60 %: z² = 3.8415, centre (0.6 + 0.0640) / 1.1280 = 0.5887, half
    # 1.96 · √(0.24/30 + 3.8415/3600) / 1.1280 = 0.1654 → 42.3–75.4 %.
    assert (fu_a.before.n, fu_a.before.ja, fu_a.before.share) == (30, 18, 0.6)
    assert (_r(fu_a.before.low), _r(fu_a.before.high)) == (0.423, 0.754)
    # 24/30 = 80 %: centre (0.8 + 0.0640) / 1.1280 = 0.7660, half 1.96 · √(0.16/30 +
    # 0.001067) / 1.1280 = 0.1390 → 62.7–90.5 %; the intervals overlap (62.7 ≤ 75.4).
    assert (_r(fu_a.after.low), _r(fu_a.after.high)) == (0.627, 0.905)
    assert _r(fu_a.change) == 0.2 and fu_a.overlap is True
    # ind_a: delvist is not ja, 6 of 12; ikke relevant is left out of fu_b (2 of 3).
    assert (rows["ind_a"].before.n, rows["ind_a"].before.share) == (12, 0.5)
    assert (rows["fu_b"].before.n, rows["fu_b"].before.ja) == (3, 2)
    # ind_b: 10/20 (29.9–70.1 %) against 20/20 (83.9–100 %): apart, +50 points.
    ind_b = rows["ind_b"]
    assert (_r(ind_b.before.low), _r(ind_b.before.high)) == (0.299, 0.701)
    assert (_r(ind_b.after.low), ind_b.after.high) == (0.839, 1.0)
    assert _r(ind_b.change) == 0.5 and ind_b.overlap is False
    # Faglig udredning adds fu_a and fu_b: 20 of 33 before, 30 of 38 after.
    fu = rows["faglig_udredning"]
    assert (fu.before.n, fu.before.ja, fu.after.n, fu.after.ja) == (33, 20, 38, 30)
    assert fu.cases == (30, 30)  # the cases behind it: the 30 of fu_a include fu_b's
    # Lovmedholdelighed: fu_a, fu_b and ind_b; faglig kvalitet: ind_a only; all: 36 of 65.
    lov, fk = rows["lovmedholdelighed"], rows["faglig_kvalitet"]
    assert (lov.before.n, lov.before.ja, fk.before.n, fk.before.ja) == (53, 30, 12, 6)
    assert (rows["alle"].before.n, rows["alle"].before.ja) == (65, 36)
    assert (rows["alle"].after.n, rows["alle"].after.ja) == (70, 59)


def test_rows_are_questions_by_pejlemaerke_then_the_sums():
    rows = rr.figures(FINDINGS, PROGRAMME, BEFORE, AFTER)
    assert [(r.level.value, r.key) for r in rows] == [
        ("question", "fu_a"), ("question", "fu_b"), ("question", "ind_a"),
        ("question", "ind_b"), ("pejlemaerke", "faglig_udredning"),
        ("pejlemaerke", "inddragelse"), ("kind", "lovmedholdelighed"),
        ("kind", "faglig_kvalitet"), ("total", "alle")]


# --- suppression ----------------------------------------------------------------------------------


def test_a_small_question_is_withheld_and_so_is_the_one_that_would_give_it_away(report):
    fu_b, fu_a = _row(report, "fu_b"), _row(report, "fu_a")
    assert fu_b.before.hidden and fu_b.before.n is None  # 3 answers: primary
    # Faglig udredning (33) minus fu_a (30) would be fu_b: fu_a is withheld too — the
    # cheapest figure that breaks the sum (ind_a or ind_b would not).
    assert fu_a.before.hidden and fu_a.before.ja is None
    assert fu_a.change is None and fu_a.overlap is None  # a change needs both figures
    assert not _row(report, "ind_a").before.hidden and not _row(report, "ind_b").before.hidden
    assert _row(report, "faglig_udredning").before.n == 33  # the sum itself stays
    assert not any(r.after.hidden for r in report.rows)  # fu_b has 8 answers after


def _attacker_recovers(report: rr.RoundReport, side: str) -> list[str]:
    """Written apart from the decision: the shown sums as equations over the withheld
    questions' counts; a withheld count is recovered when every solution of the equations
    gives it the same value (no null-space direction moves it)."""
    questions = report.at(rr.Level.QUESTION)
    hidden = [q for q in questions if getattr(q, side).hidden]
    if not hidden:
        return []
    members = {
        rr.Level.PEJLEMAERKE: lambda agg, q: q.pejlemaerke is agg.pejlemaerke,
        rr.Level.KIND: lambda agg, q: q.kind is agg.kind,
        rr.Level.TOTAL: lambda agg, q: True,
    }
    rows = []
    for agg in report.rows:
        if agg.level is rr.Level.QUESTION or getattr(agg, side).hidden:
            continue
        inside = [q for q in questions if members[agg.level](agg, q)]
        rows.append([1.0 if q in inside else 0.0 for q in hidden])
    a = np.array(rows) if rows else np.zeros((0, len(hidden)))
    _, s, vt = np.linalg.svd(a) if a.size else (None, np.array([]), np.eye(len(hidden)))
    null = vt[(s > 1e-9).sum():]
    return [q.key for j, q in enumerate(hidden) if not null.size or np.abs(null[:, j]).max()
            < 1e-9]


def test_the_attacker_recovers_nothing(report):
    for side in ("before", "after"):
        assert _attacker_recovers(report, side) == []


def test_against_primary_suppression_alone_the_attacker_wins():
    rows = rr.figures(FINDINGS, PROGRAMME, BEFORE, AFTER)
    primary = [r if r.key != "fu_b" else rr.Row(r.level, r.key, r.label, r.pejlemaerke, r.kind,
                                                 r.before.withheld(), r.after, r.cases)
               for r in rows]
    naive = rr.RoundReport(PROGRAMME, _facts(BEFORE, 30), _facts(AFTER, 30), tuple(primary),
                           THRESHOLD)
    assert _attacker_recovers(naive, "before") == ["fu_b"]


def test_a_round_of_four_cases_shows_no_figure():
    few = _findings(_answers("statusmaaling_2", "TRE", "fu_a", ("ja", 3), ("nej", 1))
                    + _answers("statusmaaling_2", "TRE", "ind_a", ("ja", 4)))
    report = rr.build(PROGRAMME, pl.concat([FINDINGS, few]), BEFORE, "statusmaaling_2",
                      THRESHOLD, facts=(_facts(BEFORE, 30), _facts("statusmaaling_2", None)))
    # Every figure of the round rests on 4 cases, sums included (8 answers, but 4 cases).
    shown = [r.key for r in report.rows if r.after.n and not r.after.hidden]
    assert shown == []
    assert _row(report, "alle").after.hidden
    assert _row(report, "fu_b").after.n == 0 and not _row(report, "fu_b").after.hidden


def test_the_shipped_programme_on_random_answers_leaks_nothing():
    from kpis.review.model import DEFAULT_REVIEWS
    from kpis.review.validate import load_and_validate

    programme = load_and_validate(DEFAULT_REVIEWS)["sagsmaaling"]
    rng = np.random.default_rng(7)
    rows = []
    for round_, prefix in ((BEFORE, "NUL"), (AFTER, "STA")):
        for q in programme.questions:
            k = int(rng.choice([0, 1, 2, 3, 4, 6, 12, 25]))
            for i in range(k):
                rows.append((programme.id, round_, f"{prefix}-{i:04d}", "T", "W", q.id,
                             str(rng.choice(["ja", "nej", "delvist"])), date(2026, 3, 1)))
    report = rr.build(programme, _findings(rows), BEFORE, AFTER, THRESHOLD,
                      facts=(_facts(BEFORE, 30), _facts(AFTER, 30)))
    for side in ("before", "after"):
        est = [getattr(r, side) for r in report.rows]
        assert not any(e.n is not None and 0 < e.n < THRESHOLD and e.shown for e in est
                       if e is not None)
        assert _attacker_recovers(report, side) == []


# --- the report as files ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf_text(report) -> str:
    reader = PdfReader(io.BytesIO(rp.build_pdf(report)))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_says_what_the_rows_say(report, pdf_text):
    flat = " ".join(pdf_text.split())
    assert "Statusmåling 1 sammenlignet med nulpunktsmåling" in flat
    assert "95 %-interval 30–70 %" in flat and "95 %-interval 84–100 %" in flat  # ind_b
    assert "+50" in flat and rp.NOT_CHANCE in flat
    assert "Forskellen kan skyldes" in flat  # ind_a: 50 % → 75 %, intervals overlap
    assert "skjult" in flat and "færre end 5 sager" in flat
    assert "Frø 2026" in flat and "412 mulige sager" in flat
    assert "sager med en afgørelse om en indsats truffet i perioden" in flat


def test_no_case_caseworker_or_team_leaves_in_the_files(report, pdf_text):
    book = openpyxl.load_workbook(io.BytesIO(rp.build_xlsx(report)))
    cells = " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row
                     if c.value is not None)
    for text in (pdf_text, cells):
        assert "NUL-0" not in text and "STA-0" not in text
        assert "Anne" not in text and "Team Lille" not in text


def test_the_workbook_keeps_numbers_as_numbers_and_withheld_as_skjult(report):
    book = openpyxl.load_workbook(io.BytesIO(rp.build_xlsx(report)))
    assert book.sheetnames == ["Overblik", "Spørgsmål", "Om målingen"]
    ws = book["Spørgsmål"]
    header = next(r for r in ws.iter_rows(values_only=True) if r[0] == "Pejlemærke")
    assert header[3:7] == ("Nulpunktsmåling: andel ja", "Nulpunktsmåling: 95 %-interval fra",
                           "Nulpunktsmåling: 95 %-interval til", "Nulpunktsmåling: n")
    rows = {r[-1]: r for r in ws.iter_rows(values_only=True) if r[-1] in {"fu_a", "ind_b"}}
    assert rows["fu_a"][3:7] == ("skjult",) * 4
    assert rows["fu_a"][7:11] == (0.8, 0.63, 0.9, 30)  # whole percentages, as shown
    assert rows["ind_b"][3:13] == (0.5, 0.3, 0.7, 20, 1.0, 0.84, 1.0, 20, 50, rp.NOT_CHANCE)
    cell = next(c for row in ws.iter_rows() for c in row if c.value == 0.63)
    assert cell.number_format == "0%"
    change = next(c for row in ws.iter_rows() for c in row if c.value == 50)
    assert change.number_format == "+0;-0;0"  # +50 under »Ændring (procentpoint)«
    overview = book["Overblik"]
    labels = [r[0] for r in overview.iter_rows(values_only=True)]
    assert {"Faglig udredning", "Inddragelse", "Alle spørgsmål", "Lovmedholdelighed",
            "Faglig kvalitet"} <= set(labels)


def test_change_and_verdict_in_danish(report):
    assert rp.change_text_da(-3) == "−3 procentpoint" and rp.change_text_da(0) == "±0 procentpoint"
    assert rp.change_points(_row(report, "ind_a")) == 25  # 75 % − 50 %
    assert rp.verdict_da(_row(report, "ind_a")) == rp.MAYBE_CHANCE
    assert rp.verdict_da(_row(report, "fu_a")) == "–"
    assert rp.estimate_lines_da(_row(report, "fu_b").before, rr.Level.QUESTION) == ["skjult"]
    assert rp.estimate_lines_da(_row(report, "ind_b").after, rr.Level.QUESTION) == [
        "100 %", "95 %-interval 84–100 %", "n = 20 sager"]


# --- the rounds from the store ------------------------------------------------------------------


@pytest.fixture
def reviews_db(tmp_path, monkeypatch):
    path = tmp_path / "reviews.sqlite"
    monkeypatch.setenv(store.REVIEWS_ENV, str(path))
    return path


def test_round_facts_from_a_stored_sample(reviews_db):
    analyst = store.Actor("ana", "analyst")
    frame = tuple(f"K{i:03d}" for i in range(40))
    drawn = tuple(Drawn(c, "Team Nord", "Bo") for c in frame[:6])
    sid = store.save_sample(store.NewSample(
        "maaling", BEFORE, "12 mdr.", date(2025, 3, 1), date(2026, 2, 28), 99, "snap",
        {"method": "team_stratified", "n": 6, "criteria": "decision_in_window", "teams": None},
        frame, drawn), analyst)
    store.replace_case(sid, "K000", Drawn("K010", "Team Nord", "Bo"), "sagen er lukket",
                       analyst)
    for case in ("K001", "K002", "K003"):
        rid = store.open_review(sid, case, analyst)
        store.save_answers(rid, {"fu_a": ("ja", None)}, analyst)
        store.complete(rid, analyst, on=date(2026, 3, 5))
    facts = rr.round_facts(PROGRAMME, BEFORE, store.findings(), THRESHOLD)
    (s,) = facts.samples
    assert (s.seed, s.frame, s.drawn, s.criteria) == (99, 40, 6, "decision_in_window")
    assert s.replaced is None  # one replaced case: withheld like any count of 1 to 4
    assert facts.reviewed is None  # 3 reviewed
    lines = rp.round_lines_da(facts)
    assert lines[0].startswith("6 sager udtrukket")
    assert "blandt 40 mulige sager" in lines[0] and "Frø 99." in lines[0]
    assert "skjult antal sager er skiftet ud med en begrundelse" in lines[0]
    assert lines[1].startswith("skjult antal sager gennemgået")


def test_default_rounds_compare_the_latest_with_the_nulpunktsmaaling():
    assert rr.default_rounds(PROGRAMME, FINDINGS) == (BEFORE, AFTER)
    only_first = FINDINGS.filter(pl.col("round") == BEFORE)
    assert rr.default_rounds(PROGRAMME, only_first) is None
    with pytest.raises(ValueError):
        rr.build(PROGRAMME, FINDINGS, BEFORE, BEFORE, THRESHOLD)


# --- the committee's other views: review KPIs by quarter ----------------------------------------


def _kpi(kpi_id: str, filter_: str | None, source: str = "review_findings"):
    from types import SimpleNamespace

    return SimpleNamespace(id=kpi_id, spec=SimpleNamespace(source=source, filter=filter_))


def test_which_answers_a_review_kpi_counts():
    assert rr._names(_kpi("k", "programme_id = 'maaling' AND question_id = 'fu_a' AND counted")
                     ) == (frozenset({"maaling"}), frozenset({"fu_a"}))
    assert rr._names(_kpi("k", "question_id IN ('fu_a', 'fu_b')")) == (
        None, frozenset({"fu_a", "fu_b"}))
    # OR, NOT, <>: read as counting any answer (the guard errs towards withholding)
    assert rr._names(_kpi("k", "question_id = 'fu_a' OR question_id = 'fu_b'")) == (None, None)
    assert rr._names(_kpi("k", "NOT question_id = 'fu_a'")) == (None, None)
    assert rr._names(_kpi("k", "x = 1", source="notifications")) is None


def _decision(hidden_quarters: list[str]):
    from kpis.access.suppression import Decision
    from kpis.compute.periods import parse_period

    spans = frozenset((p.start, p.end) for p in map(parse_period, (
        "2026-Q1", "2026-Q2", "2026-Q3")))
    hidden = frozenset(("k_fu_a", "main", p.start, p.end, None)
                       for p in map(parse_period, hidden_quarters))
    return Decision(5, date(2026, 11, 20), spans, ("Team Lille",), hidden)


def test_the_guard_reads_the_committees_decision_by_quarter():
    guard = rr.lattice_guard(_decision(["2026-Q2"]),
                             [_kpi("k_fu_a", "programme_id = 'maaling' AND question_id = 'fu_a'")],
                             "maaling")
    assert guard("fu_a", date(2026, 3, 1), date(2026, 3, 20)) is False  # Q1 shown: public
    assert guard("fu_a", date(2026, 3, 20), date(2026, 4, 5)) is True  # Q2 withheld
    assert guard("fu_a", date(2026, 12, 1), date(2026, 12, 2)) is True  # Q4 not offered
    assert guard("ind_a", date(2026, 3, 1), date(2026, 3, 20)) is None  # no KPI counts it
    assert rr.lattice_guard(_decision([]), [_kpi("k_fu_a", "question_id = 'fu_a'")], "andet")(
        "fu_a", date(2026, 3, 1), date(2026, 3, 2)) is False  # no programme named: any


def test_a_round_whose_quarter_the_committee_does_not_see_is_withheld_in_the_report():
    # fu_a of statusmåling 1 (24 of 30) was reviewed in 2026-Q3, withheld on the committee's
    # pages: 30 here would give that quarter back. It is withheld, and fu_b with it (faglig
    # udredning minus fu_b would be fu_a).
    guard = rr.lattice_guard(_decision(["2026-Q3"]), [_kpi("k_fu_a", "question_id = 'fu_a'")],
                             "maaling")
    report = rr.build(PROGRAMME, FINDINGS, BEFORE, AFTER, THRESHOLD, guard=guard,
                      facts=(_facts(BEFORE, 30), _facts(AFTER, 30)))
    assert _row(report, "fu_a").after.hidden and _row(report, "fu_b").after.hidden
    assert not _row(report, "faglig_udredning").after.hidden
    # Before (2026-Q1, shown there) fu_a is public: withholding it would not hide it, so fu_b's
    # 3 is protected by ind_b and both pejlemærker instead (lovmedholdelighed then gives only
    # fu_b + ind_b).
    assert _row(report, "fu_b").before.hidden and not _row(report, "fu_a").before.hidden
    assert [r.key for r in report.rows if r.before.hidden] == [
        "fu_b", "ind_b", "faglig_udredning", "inddragelse"]
    for side in ("before", "after"):
        assert _attacker_recovers(report, side) == []
