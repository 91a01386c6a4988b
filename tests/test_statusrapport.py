"""The statusrapport for a chosen date (issue 14), on a hand-made export whose quarters are known:
the baseline and the trajectory computed by hand, the activities carried out / outstanding /
overdue from a hand-written status history, the case measurement's rounds with their intervals,
and the PDF and the Word file carrying the very same headings, tables and figures."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from kpis.access.roles import Role, scope_for
from kpis.plan import status_store as ss
from kpis.plan.model import ActivityStatus
from kpis.plan.progress import Standing, progress
from kpis.plan.validate import validate_text
from kpis.present import plan_view as pv
from kpis.present import statusrapport as sr
from kpis.rules.definitions import load_kpis

ROOT = Path(__file__).resolve().parent.parent

# underretning_24t per quarter, by hand: 2024-Q4 2 of 4 in time (N3 after 48 hours, N4 after 30),
# 2025-Q1 3 of 4 (N8 after 25 hours), 2025-Q2 3 of 5 (N12 after 26 hours, N13 after 72).
_NOTES = [
    ("2024-10-01T10:00", "2024-10-01T11:00"), ("2024-11-05T09:00", "2024-11-05T12:00"),
    ("2024-12-02T08:00", "2024-12-04T08:00"), ("2024-12-10T10:00", "2024-12-11T16:00"),
    ("2025-01-13T10:00", "2025-01-13T11:00"), ("2025-02-03T10:00", "2025-02-03T18:00"),
    ("2025-03-03T10:00", "2025-03-03T12:00"), ("2025-03-10T10:00", "2025-03-11T11:00"),
    ("2025-04-07T10:00", "2025-04-07T11:00"), ("2025-05-05T10:00", "2025-05-05T15:00"),
    ("2025-05-19T10:00", "2025-05-19T20:00"), ("2025-06-02T10:00", "2025-06-03T12:00"),
    ("2025-06-10T10:00", "2025-06-13T10:00"),
]
EXPORT = {
    "cases.csv": "case_id,team,caseworker,opened_on\n" + "".join(
        f"C{i},Nord,Anne,2024-09-01\n" for i in range(1, len(_NOTES) + 1)),
    "notifications.csv": "notification_id,case_id,received_at,assessed_at,notifier_type\n" + "".join(
        f"N{i},C{i},{got},{done},professional\n" for i, (got, done) in enumerate(_NOTES, 1)),
    "investigations.csv": "investigation_id,case_id,aware_on\n",
    "measures.csv": "measure_id,case_id,decided_on\n",
}
AS_OF = date(2025, 6, 30)

PLAN = """\
version: 1
plan:
  id: proeveplan
  title: Prøveplan
  start: 2025-01-01
  approved: Byrådet, december 2024
  owners:
    - {id: ledelsen, label: Afdelingsledelsen}
    - {id: nord, label: Team Nord, team: Nord}
  themes:
    - id: underretninger
      title: Underretninger
      recommendations:
        - id: hurtig_vurdering
          title: Hurtig vurdering
          goals:
            - id: maal_24t
              text: 90 % vurderet inden for 24 timer ved udgangen af 2025
              kpi: underretning_24t
              target: 0.90
              by: 2025-12-31
          activities:
            - {id: a_procedure, description: Ny procedure, owner: nord, start: 2025-01-01,
               deadline: 2025-03-31}
            - {id: b_vagtplan, description: Ny vagtplan, owner: ledelsen, start: 2025-01-01,
               deadline: 2025-05-31}
            - {id: c_kursus, description: Kursus for alle, owner: ledelsen, start: 2025-06-01,
               deadline: 2025-12-31}
            - {id: d_app, description: App til vurdering, owner: nord, start: 2025-01-01,
               deadline: 2025-04-30}
"""
# The hand-written history: (activity, status, day). A done late (20 April, deadline 31 March);
# B in progress from February (deadline 31 May); C never touched; D abandoned on 10 May.
HISTORY = (("a_procedure", "i_gang", date(2025, 1, 10)), ("b_vagtplan", "i_gang", date(2025, 2, 1)),
           ("d_app", "i_gang", date(2025, 2, 1)), ("a_procedure", "gennemfoert", date(2025, 4, 20)),
           ("d_app", "opgivet", date(2025, 5, 10)))


@pytest.fixture(scope="module")
def kpiset():
    return load_kpis(ROOT / "config" / "kpis.yaml")


@pytest.fixture(scope="module")
def plan(kpiset):
    p, problems = validate_text(PLAN, kpiset)
    assert problems == []
    return p


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from kpis.data.importer import run_import
    from kpis.data.snapshot import connect

    folder = tmp_path_factory.mktemp("report_export")
    for name, text in EXPORT.items():
        (folder / name).write_text(text, encoding="utf-8")
    db = folder / "snapshot.duckdb"
    run_import(folder, db, profile="canonical", as_of=AS_OF, pseudonym_key=b"test-key-for-the-statusrapport")
    conn = connect(db, read_only=True)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def store(plan, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report_status")
    path, log = folder / "plan_status.sqlite", folder / "audit.sqlite"
    for activity, status, day in HISTORY:
        ss.record_change(plan, activity, status, day, "note", actor="analytiker",
                         role=Role.ANALYST, scope=scope_for(Role.ANALYST), path=path,
                         audit_path=log)
    return path


def _report(tiny, kpiset, plan, store, on, role=Role.ANALYST, rounds=None):
    scope = scope_for(role)
    goals = progress(tiny, kpiset, plan, on, scope=scope)
    return sr.build(plan, goals, ss.states(plan, path=store, on=on), kpiset, on, as_of=AS_OF,
                    rounds=rounds, teams=scope.team_list, suppress_below=scope.suppress_below)


def _tables(blocks):
    return [b.table for b in blocks if b.kind == "table"]


def _summary(blocks) -> dict[str, str]:
    (table,) = [t for t in _tables(blocks) if t.header == ("Opgørelse", "Værdi")]
    return dict(table.rows)


# --- baseline and trajectory, by hand -----------------------------------------------------------


@pytest.mark.parametrize("on, now_label, now, line, standing", [
    # 2025-01-01 .. 2025-12-31 is 364 days; the line from 0.50 to 0.90.
    (date(2025, 3, 31), "2025-Q1", 3 / 4, 0.50 + 0.40 * 89 / 364, Standing.ON_TRACK),
    (date(2025, 4, 15), "2025-Q1", 3 / 4, 0.50 + 0.40 * 104 / 364, Standing.ON_TRACK),
    (date(2025, 6, 29), "2025-Q1", 3 / 4, 0.50 + 0.40 * 179 / 364, Standing.ON_TRACK),
    (date(2025, 6, 30), "2025-Q2", 3 / 5, 0.50 + 0.40 * 180 / 364, Standing.BEHIND),
])
def test_baseline_now_line_and_standing_on_a_report_date(tiny, kpiset, plan, on, now_label, now,
                                                          line, standing):
    (gp,) = progress(tiny, kpiset, plan, on)
    # the baseline is the quarter in force on the plan's start: the last complete one, 2024-Q4
    assert (gp.baseline.period.label, gp.baseline.value) == ("2024-Q4", pytest.approx(2 / 4))
    assert (gp.now.period.label, gp.now.value) == (now_label, pytest.approx(now))
    assert gp.line_now == pytest.approx(line)
    assert gp.standing is standing
    assert (gp.now.numerator, gp.now.denominator) == {"2025-Q1": (3, 4), "2025-Q2": (3, 5)}[
        now_label]


# --- activities on a date, from a hand-written history --------------------------------------------


def _groups(plan, store, on):
    groups = sr.activity_groups(plan, plan.themes[0].recommendations[0].activities,
                                ss.states(plan, path=store, on=on), on)
    return {g: [(x.activity.id, x.state.status, x.overdue) for x in lines]
            for g, lines in groups.items()}


def test_activities_carried_out_outstanding_and_overdue_on_a_date(plan, store):
    S = ActivityStatus
    # 15 April: A in progress and past its deadline (31 March); D in progress, due 30 April.
    assert _groups(plan, store, date(2025, 4, 15)) == {
        sr.CARRIED_OUT: [],
        sr.OUTSTANDING: [("a_procedure", S.IN_PROGRESS, True), ("b_vagtplan", S.IN_PROGRESS, False),
                         ("c_kursus", S.NOT_STARTED, False), ("d_app", S.IN_PROGRESS, False)],
        sr.ABANDONED: []}
    # 30 June: A done (late, but done is never overdue); B past 31 May; D abandoned.
    assert _groups(plan, store, date(2025, 6, 30)) == {
        sr.CARRIED_OUT: [("a_procedure", S.DONE, False)],
        sr.OUTSTANDING: [("b_vagtplan", S.IN_PROGRESS, True), ("c_kursus", S.NOT_STARTED, False)],
        sr.ABANDONED: [("d_app", S.ABANDONED, False)]}
    # Before any change: everything not started, nothing overdue yet.
    assert _groups(plan, store, date(2025, 1, 5))[sr.OUTSTANDING] == [
        (a, S.NOT_STARTED, False) for a in ("a_procedure", "b_vagtplan", "c_kursus", "d_app")]


# --- the report for a date ------------------------------------------------------------------------


def test_the_report_for_a_date_has_that_days_figures_and_activities(tiny, kpiset, plan, store):
    april = _report(tiny, kpiset, plan, store, date(2025, 4, 15))
    assert _summary(april) == {
        "Nøgletal": "Underretninger vurderet inden for 24 timer",
        "Udgangspunkt": "50,0 % (4. kvartal 2024)", "Nu": "75,0 % (1. kvartal 2025)",
        "Mål": "90,0 % senest 31. december 2025",
        pv.LINE_ON_DAY_DA: "61,4 %",  # 0.50 + 0.40 * 104/364 = 0.6143
        "Vurdering": "På sporet"}
    tables = {t.rows[0][0]: t for t in _tables(april)}
    outstanding = tables["Ny procedure"]
    assert outstanding.header[-1] == "Frist overskredet"
    assert outstanding.rows[0] == ("Ny procedure", "Team Nord", "31. marts 2025",
                                   "I gang siden 10. januar 2025", "Overskredet")
    june = _report(tiny, kpiset, plan, store, date(2025, 6, 30))
    assert _summary(june)["Nu"] == "60,0 % (2. kvartal 2025)"
    assert _summary(june)[pv.LINE_ON_DAY_DA] == "69,8 %"  # 0.50 + 0.40 * 180/364 = 0.6978
    assert _summary(june)["Vurdering"] == "Bagud"
    labels = [b.text for b in june if b.kind == "label"]
    assert labels == [f"{sr.CARRIED_OUT}:", f"{sr.OUTSTANDING}:", f"{sr.ABANDONED}:"]
    rows = [t.rows for t in _tables(june)]
    assert (("Ny procedure", "Team Nord", "31. marts 2025", "Gennemført den 20. april 2025"),) in rows
    assert (("App til vurdering", "Team Nord", "30. april 2025", "Opgivet den 10. maj 2025"),) \
        in rows
    assert ("Ny vagtplan", "Afdelingsledelsen", "31. maj 2025", "I gang siden 1. februar 2025",
            "Overskredet") in [r for t in rows for r in t]
    overview = next(t for t in _tables(june) if t.header[0] == "Tema")
    # 0 reached, 0 on track, 1 behind, 0 unknown; 1 done; 2 outstanding of which 1 overdue
    assert overview.rows == (("Underretninger", "0", "0", "1", "0", "1", "2 (1)"),)
    intro = " ".join(b.text for b in june[:4])
    assert "Opgjort pr. 30. juni 2025" in intro and "godkendt af Byrådet, december 2024" in intro


def test_definitions_are_plain_danish_without_query_code(tiny, kpiset, plan, store):
    blocks = _report(tiny, kpiset, plan, store, AS_OF)
    at = [b.text for b in blocks].index("Sådan er tallene opgjort")
    text = " ".join(b.text for b in blocks[at:])
    kpi = kpiset["underretning_24t"]
    assert kpi.name in text and " ".join(kpi.description.split()) in text
    assert "Barnets Lov" in text
    for code in ("received_at", "assessed_at", "notifications", "SELECT", "`"):
        assert code not in text


def test_the_committees_report_keeps_withheld_figures_withheld(tiny, kpiset, plan, store):
    # 4 notifications a quarter in 2024-Q4 and 2025-Q1: below the committee's threshold of 5
    blocks = _report(tiny, kpiset, plan, store, date(2025, 4, 15), role=Role.COMMITTEE)
    summary = _summary(blocks)
    assert summary["Udgangspunkt"] == "skjult (4. kvartal 2024)"
    assert summary["Nu"] == "skjult (1. kvartal 2025)"
    assert summary["Vurdering"] == "Kan ikke vurderes" and summary[pv.LINE_ON_DAY_DA] == "–"
    assert "chart" not in [b.kind for b in blocks]  # every quarter withheld: no picture
    for text in (_docx_text(sr.to_docx(blocks)), _pdf_text(sr.to_pdf(blocks))):
        assert "skjult" in text and "Kan ikke vurderes" in text
        assert "50,0" not in text and "75,0" not in text
        assert "Tal, der bygger på færre end 5 sager, er skjult" in text


# --- case measurement before and after ----------------------------------------------------------


@pytest.fixture(scope="module")
def programme():
    from kpis.review.model import DEFAULT_REVIEWS
    from kpis.review.validate import load_and_validate

    return load_and_validate(DEFAULT_REVIEWS)["sagsmaaling"]


def _findings(programme, rows):
    return pl.DataFrame([{"programme_id": programme.id, "round": r, "window_label": "",
                          "case_id": c, "team": "Nord", "caseworker": "Anne", "question_id": q,
                          "answer": a, "review_date": d} for r, c, q, a, d in rows])


def test_rounds_before_and_after_with_intervals_and_n(programme):
    q1 = programme.questions[0]
    q2 = next(q for q in programme.questions if q.pejlemaerke != q1.pejlemaerke)
    before, after = date(2025, 3, 1), date(2026, 3, 1)
    rows = [("nulpunktsmaaling", f"C{i}", q1.id, "ja" if i < 18 else "nej", before)
            for i in range(30)]
    rows += [("statusmaaling_1", f"D{i}", q1.id, "ja" if i < 24 else "delvist", after)
             for i in range(30)]
    rows += [("statusmaaling_1", f"D{i}", q1.id, "ikke_relevant", after) for i in range(30, 33)]
    # three cases for the other pejlemærke: too few for the committee
    rows += [("nulpunktsmaaling", f"C{i}", q2.id, "ja", before) for i in range(3)]
    # completed after the report date: not in the report of that date (but the committee's)
    rows += [("statusmaaling_2", "E1", q1.id, "nej", date(2026, 6, 1)),
             ("statusmaaling_1", "D99", q1.id, "nej", date(2026, 5, 1))]
    findings = _findings(programme, rows)
    (rc,) = sr.case_rounds(findings, [programme], date(2026, 4, 1))
    assert (rc.before, rc.after) == ("Nulpunktsmåling", "Statusmåling 1")
    by_mark = {r[0]: r for r in rc.rows}
    assert list(by_mark)[-1] == "Alle spørgsmål"
    # 18 of 30: 60 %, Wilson 42.3-75.4 %; 24 of 30: 80 %, Wilson 62.7-90.5 % (by hand, z = 1.96);
    # the intervals overlap, so the 20 points may be chance. 'ikke relevant' is not counted.
    assert by_mark[q1.pejlemaerke.label_da] == (
        q1.pejlemaerke.label_da, "60 % (95 %-interval 42–75 %, n = 30 svar)",
        "80 % (95 %-interval 63–90 %, n = 30 svar)", "+20 procentpoint",
        "Forskellen kan skyldes tilfældigheder")
    assert by_mark[q2.pejlemaerke.label_da][1:3] == ("100 % (95 %-interval 44–100 %, n = 3 svar)",
                                                     "ingen svar")
    # all questions before: 18 + 3 of 33 = 63.6 %
    assert by_mark["Alle spørgsmål"][1].startswith("64 % (95 %-interval")
    # the committee: the three cases are withheld, and so is what they could be worked out from
    # (all questions minus the first pejlemærke), as in the sagsmåling report
    (committee,) = sr.case_rounds(findings, [programme], date(2026, 4, 1), suppress_below=5)
    hidden = {r[0]: r for r in committee.rows}
    assert hidden[q2.pejlemaerke.label_da][1] == "skjult"
    # all 33 minus the other pejlemærke's 30 would give the 3: the cheaper pejlemærke goes too
    # ... and it counts the whole rounds present by the date (statusmåling 1 with D99: 24 of 31,
    # Wilson 60.2-88.6 %), never a cut a day's reviews could be told from; statusmåling 2 has
    # no review by the date, so it is not the "after"
    assert committee.after == "Statusmåling 1" and committee.whole_rounds
    assert hidden[q1.pejlemaerke.label_da][1:] == (
        "skjult", "77 % (95 %-interval 60–89 %, n = 31 svar)", "–", "–")
    assert "n = 3 svar" not in " ".join(c for r in committee.rows for c in r)
    # a report dated before the statusmåling has only the nulpunktsmåling
    (early,) = sr.case_rounds(findings, [programme], date(2025, 6, 1))
    assert (early.before, early.after) == ("Nulpunktsmåling", None)
    (none,) = sr.case_rounds(findings, [programme], date(2025, 1, 1))
    assert (none.before, none.after) == (None, None)


def test_the_rounds_section_in_the_report_has_no_case_ids(tiny, kpiset, plan, store, programme):
    q1 = programme.questions[0]
    rows = [("nulpunktsmaaling", f"SAG-{i}", q1.id, "ja", date(2025, 3, 1)) for i in range(6)]
    rounds = sr.case_rounds(_findings(programme, rows), [programme], AS_OF)
    blocks = _report(tiny, kpiset, plan, store, AS_OF, rounds=rounds)
    titles = [b.text for b in blocks]
    assert "Sagsmåling før og efter" in titles and sr.ROUND_METHOD_DA in titles
    for text in (_docx_text(sr.to_docx(blocks)), _pdf_text(sr.to_pdf(blocks))):
        assert "100 % (95 %-interval 61–100 %, n = 6 svar)" in text
        assert "SAG-" not in text


# --- PDF and Word: the same headings, tables and figures ------------------------------------------


def _pdf_text(data: bytes) -> str:
    """The PDF's text without its page footers (a paragraph may run on over a page break)."""
    import re

    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r" ?Statusrapport · [^·]+ · opgjort pr\. [^·]+ · side \d+ af \d+ ?", " ", text)


def _docx(data: bytes):
    from docx import Document

    return Document(io.BytesIO(data))


def _docx_text(data: bytes) -> str:
    doc = _docx(data)
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return " ".join([p.text for p in doc.paragraphs] + cells)


def test_word_has_real_headings_tables_and_the_reports_figures(tiny, kpiset, plan, store):
    blocks = _report(tiny, kpiset, plan, store, AS_OF)
    doc = _docx(sr.to_docx(blocks))
    headings = [(p.style.name, p.text) for p in doc.paragraphs
                if p.style.name == "Title" or p.style.name.startswith("Heading")]
    expected = [({"title": "Title", "heading": "Heading 1", "subheading": "Heading 2",
                  "goal": "Heading 3"}[b.kind], f"Mål: {b.text}" if b.kind == "goal" else b.text)
                for b in blocks if b.kind in ("title", "heading", "subheading", "goal")]
    assert headings == expected
    assert headings[:3] == [("Title", "Statusrapport: Prøveplan"), ("Heading 1", "Overblik"),
                            ("Heading 1", "Underretninger")]
    # every table of the report is a real Word table with the same cells, header row first
    words = [[tuple(c.text for c in r.cells) for r in t.rows] for t in doc.tables]
    assert words == [[t.header, *t.rows] for t in _tables(blocks)]
    # the one picture is the goal's trajectory chart, with its words as alternative text; no
    # text is a picture
    charts = [b for b in blocks if b.kind == "chart"]
    assert len(charts) == len(doc.inline_shapes) == 1
    assert doc.inline_shapes[0]._inline.docPr.get("descr") == charts[0].text
    assert charts[0].text.startswith("Nøgletallet pr. kvartal: 4. kvartal 2024: 50,0 %; "
                                     "1. kvartal 2025: 75,0 %; 2. kvartal 2025: 60,0 %.")
    assert doc.core_properties.language == "da-DK"
    lang = doc.styles["Normal"].element.rPr.find(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}lang")
    assert lang.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val") == "da-DK"
    assert "opgjort pr. 30. juni 2025" in doc.sections[0].footer.paragraphs[0].text


def test_pdf_has_the_same_headings_and_figures_as_the_word_file(tiny, kpiset, plan, store):
    blocks = _report(tiny, kpiset, plan, store, AS_OF)
    pdf = _pdf_text(sr.to_pdf(blocks))
    word = _docx_text(sr.to_docx(blocks))
    for b in blocks:
        if b.kind == "table":
            for cell in (*b.table.header, *(c for row in b.table.rows for c in row)):
                assert cell in pdf and cell in word, cell
        elif b.kind != "footer":
            text = f"Mål: {b.text}" if b.kind == "goal" else b.text
            assert " ".join(text.split()) in pdf and text in word, text


def test_a_goal_on_a_sample_based_figure_carries_its_interval_and_n():
    from kpis.compute.periods import parse_period
    from kpis.plan.model import Goal
    from kpis.plan.progress import GoalProgress, Point
    from kpis.rules.definitions import Direction
    from kpis.rules.validate import validate_text as validate_kpis
    from tests.test_review import REVIEW_KPI

    kpiset, problems = validate_kpis(REVIEW_KPI, "k.yaml")
    assert problems == []
    goal = Goal(id="g", text="g", kpi="sagsmaaling_foraeldrekompetence", target=0.9,
                by=date(2026, 12, 31))
    base = Point(parse_period("2024-Q4"), 18 / 30, False, 18, 30)
    now = Point(parse_period("2026-Q3"), 24 / 30, False, 24, 30)
    gp = GoalProgress(goal, Direction.HIGHER_IS_BETTER, base, now, (base, now), 0.85,
                      Standing.BEHIND, date(2026, 11, 20))
    summary = pv.goal_summary(gp, kpiset)
    # Wilson by hand: 18 of 30 is 42.3-75.4 %, 24 of 30 is 62.7-90.5 %
    assert summary["Udgangspunkt"] == "60 % (95 %-interval 42–75 %, n = 30 sager) (4. kvartal 2024)"
    assert summary["Nu"] == "80 % (95 %-interval 63–90 %, n = 30 sager) (3. kvartal 2026)"
    hidden = GoalProgress(goal, Direction.HIGHER_IS_BETTER, Point(base.period, None, True), now,
                          (now,), None, Standing.UNKNOWN, date(2026, 11, 20))
    assert pv.goal_summary(hidden, kpiset)["Udgangspunkt"] == "skjult (4. kvartal 2024)"
    # a figure that counts every case has no interval
    assert pv.figure_da(now, kpiset["sagsmaaling_foraeldrekompetence"].unit) == "80,0 %"


def test_committee_rounds_follow_the_overview_guard(programme):
    # The sagsmåling report on Overblik withholds a question whose quarter the committee does
    # not see; the statusrapport's extract must withhold it too, or the two papers together give
    # the quarter back.
    q1 = programme.questions[0]
    rows = [("nulpunktsmaaling", f"C{i}", q1.id, "ja" if i < 18 else "nej", date(2025, 3, 1))
            for i in range(30)]
    rows += [("statusmaaling_1", f"D{i}", q1.id, "ja" if i < 24 else "nej", date(2026, 3, 1))
             for i in range(30)]
    findings = _findings(programme, rows)
    (free,) = sr.case_rounds(findings, [programme], date(2026, 4, 1), suppress_below=5)
    assert {r[0]: r for r in free.rows}[q1.pejlemaerke.label_da][2].startswith("80 %")

    def withhold_q1(question_id, first, last):
        return True if question_id == q1.id else None

    (guarded,) = sr.case_rounds(findings, [programme], date(2026, 4, 1), suppress_below=5,
                                guard_of=lambda pid: withhold_q1)
    text = " ".join(c for r in guarded.rows for c in r)
    assert "80 %" not in text and "60 %" not in text
