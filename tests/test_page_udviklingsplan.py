"""AppTest of the Udviklingsplan page on the demo database (issue 14): every figure it shows is the
engine's (kpis.plan.progress called directly), the activities' overdue marks are those counted by
hand for the demo's date, the committee sees no update form, and a department head's update lands
in the status history."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import kpis
from kpis.access.roles import Role, scope_for
from kpis.compute.engine import snapshot_as_of
from kpis.data.snapshot import connect
from kpis.plan import status_store as ss
from kpis.plan.progress import progress
from kpis.plan.validate import load_plan, plan_path
from kpis.present import plan_view as pv
from kpis.present.formatting import danish_today
from kpis.rules.definitions import load_kpis

pytestmark = pytest.mark.usefixtures("clear_streamlit_caches")

TIMEOUT = 180
APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "pages/udviklingsplan.py"


@pytest.fixture(scope="module")
def kpiset():
    return load_kpis(kpis.DEFAULT_KPIS)


@pytest.fixture(scope="module")
def plan(kpiset):
    return load_plan(plan_path(), kpiset)


@pytest.fixture(scope="module")
def conn(demo_db):
    c = connect(demo_db)
    yield c
    c.close()


def _open() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _markdown(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_goals_show_the_engines_baseline_now_and_target(conn, kpiset, plan):
    at = _open()
    assert [t.value for t in at.title] == ["Udviklingsplan"]
    assert [h.value for h in at.header][:4] == ["Underretninger", "Børnefaglige undersøgelser",
                                                "Handleplaner", "Børnesamtaler"]
    text = _markdown(at)
    goals = progress(conn, kpiset, plan, snapshot_as_of(conn))
    assert len(goals) == 6
    for gp in goals:
        summary = pv.goal_summary(gp, kpiset)
        assert " · ".join(f"{k}: {v}" for k, v in summary.items()) in text
        assert pv.trajectory_text(gp, kpiset) in text
    bfu = next(gp for gp in goals if gp.goal.kpi == "bfu_4_mdr")
    assert "Mål: 90,0 % senest 31. december 2026" in text
    assert f"Udgangspunkt: {pv.figure_da(bfu.baseline, kpiset['bfu_4_mdr'].unit)} " \
           "(4. kvartal 2024)" in text
    assert len(at.get("vega_lite_chart")) == 6


def test_overdue_activities_are_marked_on_the_demos_date(conn, plan):
    at = _open()
    at.date_input(key="plan_rapportdato").set_value(snapshot_as_of(conn)).run()
    rows = [r for df in at.table for r in df.value.to_dict("records")]
    assert len(rows) == 12
    overdue = sorted(r["Aktivitet"] for r in rows if r["Frist overskredet"] == pv.OVERDUE_DA)
    # counted by hand from the demo's seeded history on 20-11-2026 (tests/test_plan.py)
    assert overdue == sorted(plan.activity(a).description for a in (
        "bfu_gamle_undersoegelser", "boernesamtale_app", "handleplan_opfoelgning_syd",
        "handleplan_skabelon"))


def test_a_chosen_date_sets_the_figures_statuses_and_overdue_marks(conn, kpiset, plan):
    at = _open()
    # the default: today, when the data are older (a status set today shows at once)
    assert at.date_input(key="plan_rapportdato").value == max(snapshot_as_of(conn),
                                                              danish_today())
    day = date(2025, 10, 1)
    at.date_input(key="plan_rapportdato").set_value(day).run()
    assert not at.exception, [e.message for e in at.exception]
    text = _markdown(at)
    for gp in progress(conn, kpiset, plan, day):
        assert gp.now.period.label == "2025-Q3"  # the last quarter complete on 1 October 2025
        assert " · ".join(f"{k}: {v}" for k, v in pv.goal_summary(gp, kpiset).items()) in text
    rows = {r["Aktivitet"]: r for df in at.table for r in df.value.to_dict("records")}
    # by hand from the demo's history (kpis/plan/demo_status.py) on 1 October 2025: the ICS
    # course (deadline 30 September) is done only on 15 October, the old BFUs (31 August) open
    overdue = sorted(a for a, r in rows.items() if r["Frist overskredet"] == pv.OVERDUE_DA)
    assert overdue == sorted(plan.activity(a).description for a in (
        "bfu_gamle_undersoegelser", "ics_uddannelse"))
    done = sorted(a for a, r in rows.items() if r["Status"] == "Gennemført")
    assert done == sorted(plan.activity(a).description for a in (
        "underretning_procedure", "underretning_vagtplan", "bfu_skabelon",
        "boernesamtale_tjekliste"))
    assert rows[plan.activity("boernesamtale_unge").description]["Status"] == "I gang"
    # the statusrapport of that day, opened in Word, has the page's figures and overdue marks
    from docx import Document

    from kpis.present import statusrapport as sr

    blocks = sr.build(plan, progress(conn, kpiset, plan, day), ss.states(plan, on=day), kpiset,
                      day)
    word = Document(io.BytesIO(sr.to_docx(blocks)))
    goal_tables = [t for t in word.tables if t.rows[0].cells[0].text == "Opgørelse"]
    assert len(goal_tables) == 6
    for t in goal_tables:
        for r in t.rows[1:]:
            assert f"{r.cells[0].text}: {r.cells[1].text}" in text
    late = sorted(r.cells[0].text for t in word.tables for r in t.rows[1:]
                  if r.cells[-1].text == pv.OVERDUE_DA)
    assert late == overdue


@pytest.mark.signed_in_as("committee")
def test_the_committee_sees_the_plan_without_the_update_form(conn, kpiset, plan):
    at = _open()
    assert "Opdatér en aktivitet" not in [h.value for h in at.header]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Hent statusrapport (PDF)", "Hent statusrapport (Word)"]
    goals = progress(conn, kpiset, plan, snapshot_as_of(conn), scope=scope_for(Role.COMMITTEE))
    text = _markdown(at)
    for gp in goals:
        assert pv.trajectory_text(gp, kpiset) in text


@pytest.mark.signed_in_as("department_head")
def test_a_department_head_marks_an_activity_done(plan):
    at = _open()
    options = at.selectbox(key="plan_aktivitet").options
    # Team Nord and Team Syd's leader: not Team Unge's course
    assert plan.activity("boernesamtale_unge").description not in options
    assert plan.activity("bfu_gamle_undersoegelser").description in options
    at.selectbox(key="plan_aktivitet").select(plan.activity("bfu_gamle_undersoegelser"))
    at.selectbox(key="plan_status_ny").select(ss.ActivityStatus.DONE)
    at.text_input(key="plan_note").input("Alle gamle undersøgelser er afsluttet")
    at.button[0].click().run()
    assert not at.exception
    assert any("er nu gennemført" in s.value for s in at.success)
    last = ss.history(plan.id)["bfu_gamle_undersoegelser"][-1]
    assert (last.status, last.note, last.actor) == (
        ss.ActivityStatus.DONE, "Alle gamle undersøgelser er afsluttet", "afdeling")


def test_a_kpis_page_names_the_plan_goals_it_serves():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.query_params.update({"kpi": "bfu_4_mdr"})
    at.switch_page("pages/noegletal.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Mål i udviklingsplanen" in [s.value for s in at.subheader]
    assert ("- Børnefaglige undersøgelser: Børnefaglige undersøgelser afsluttes inden for 4 "
            "måneder i mindst 90 % af sagerne ved udgangen af 2026 (mål 90,0 % senest "
            "31. december 2026)") in [m.value for m in at.markdown]
