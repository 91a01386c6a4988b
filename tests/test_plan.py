"""The udviklingsplan (issue 14): validation, baselines, the line to the target, "on track",
the committee's suppression, and the activity status store. Expectations computed by hand."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest

from kpis.access.roles import Role, scope_for
from kpis.compute.periods import parse_period
from kpis.plan.model import ActivityStatus, Goal
from kpis.plan.progress import (
    Standing,
    baseline_period,
    current_period,
    line_at,
    progress,
    standing,
)
from kpis.plan.validate import validate_text
from kpis.rules.definitions import Direction, load_kpis

ROOT = Path(__file__).resolve().parent.parent
PLAN_FILE = ROOT / "config" / "plan.yaml"


@pytest.fixture(scope="module")
def kpiset():
    return load_kpis(ROOT / "config" / "kpis.yaml")


@pytest.fixture(scope="module")
def plan(kpiset):
    p, problems = validate_text(PLAN_FILE.read_text(encoding="utf-8"), kpiset, str(PLAN_FILE))
    assert problems == []
    return p


# --- the shipped demo plan ------------------------------------------------------------------------


def test_the_shipped_plan_has_four_themes_and_a_dozen_activities(plan):
    assert [t.title for t in plan.themes] == ["Underretninger", "Børnefaglige undersøgelser",
                                             "Handleplaner", "Børnesamtaler"]
    assert len(plan.activities()) == 12
    assert {g.kpi for _, _, g in plan.goals()} >= {"underretning_24t", "bfu_4_mdr",
                                                   "plan_rettidig", "boernesamtale_foer_afgoerelse"}
    bfu = next(g for _, _, g in plan.goals() if g.kpi == "bfu_4_mdr")
    assert (bfu.target, bfu.by) == (0.90, date(2026, 12, 31))


def test_cli_validates_the_shipped_plan(capsys):
    from kpis.cli import main

    assert main(["plan", "validate", str(PLAN_FILE)]) == 0
    assert "4 temaer, 6 mål, 12 aktiviteter, ingen problemer" in capsys.readouterr().out


# --- validation: every problem with its line ------------------------------------------------------

BROKEN = """\
version: 1
plan:
  id: p
  title: Prøveplan
  start: 2025-01-01
  owners:
    - id: ledelsen
      label: Afdelingsledelsen
  themes:
    - id: tema
      title: Tema
      recommendations:
        - id: anbefaling
          title: Anbefaling
          goals:
            - id: maal_a
              text: Mål A
              kpi: underretning_24
              target: 0.9
              by: 2026-12-31
            - id: maal_b
              text: Mål B
              kpi: bfu_4_mdr
              target: 90
              by: 2024-06-30
          activities:
            - id: maal_a
              description: Aktivitet
              owner: ledelse
              start: 2025-05-01
              deadline: 2025-04-01
"""


def test_a_broken_plan_reports_every_problem_with_its_line(kpiset, tmp_path, capsys):
    _, problems = validate_text(BROKEN, kpiset, "plan.yaml")
    found = {(p.line, p.field) for p in problems}
    by_line = {p.line: str(p) for p in problems}
    # line numbers counted by hand in BROKEN above
    assert "ukendt nøgletal 'underretning_24'" in by_line[18]
    assert "mente du 'underretning_24t'?" in by_line[18]
    assert "målet 90 ligger uden for nøgletallets område" in by_line[24]
    assert "måldatoen 2024-06-30 ligger ikke efter planens start" in by_line[25]
    assert "id'et 'maal_a' findes allerede" in by_line[27]
    assert "ukendt ansvarlig 'ledelse'" in by_line[29] and "'ledelsen'" in by_line[29]
    assert "fristen (2025-04-01) ligger før starten (2025-05-01)" in by_line[31]
    assert len(found) == len(problems) == 6
    bad = tmp_path / "plan.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    from kpis.cli import main

    assert main(["plan", "validate", str(bad)]) == 1
    assert f"6 problem(er) i {bad}" in capsys.readouterr().out


def test_unknown_field_and_missing_field_are_named(kpiset):
    text = BROKEN.replace("  title: Prøveplan\n", "  titel: Prøveplan\n")
    _, problems = validate_text(text, kpiset, "plan.yaml")
    texts = [str(p) for p in problems]
    assert any("plan.yaml, linje 4" in t and "ukendt felt 'titel'" in t for t in texts)
    assert any("plan.title: mangler" in t for t in texts)


# --- periods, the line and "on track" -------------------------------------------------------------


@pytest.mark.parametrize("start, quarter", [
    (date(2025, 1, 1), "2024-Q4"),   # a plan starting on a quarter's first day
    (date(2025, 2, 15), "2024-Q4"),  # mid-quarter: 2025-Q1 is not over at the start
    (date(2025, 3, 31), "2024-Q4"),
    (date(2025, 4, 1), "2025-Q1"),
])
def test_baseline_is_the_last_complete_quarter_before_the_start(start, quarter):
    assert baseline_period(start) == parse_period(quarter)


@pytest.mark.parametrize("day, quarter", [
    (date(2026, 11, 20), "2026-Q3"), (date(2026, 9, 30), "2026-Q3"), (date(2026, 10, 1), "2026-Q3"),
    (date(2026, 12, 31), "2026-Q4"),
])
def test_now_is_the_last_quarter_complete_on_the_report_date(day, quarter):
    assert current_period(day) == parse_period(quarter)


def test_the_line_from_baseline_to_target():
    # 2025-01-01 .. 2026-12-31 is 729 days; 2026-01-01 is day 365: 0.50 + 0.40 * 365/729
    at = line_at(0.50, date(2025, 1, 1), 0.90, date(2026, 12, 31), date(2026, 1, 1))
    assert at == pytest.approx(0.700274, abs=1e-6)
    assert line_at(0.50, date(2025, 1, 1), 0.90, date(2026, 12, 31), date(2024, 6, 1)) == 0.50
    assert line_at(0.50, date(2025, 1, 1), 0.90, date(2026, 12, 31), date(2027, 3, 1)) == 0.90


GOAL = Goal(id="g", text="g", kpi="bfu_4_mdr", target=0.90, by=date(2026, 12, 31))


@pytest.mark.parametrize("value, expected", [
    (0.71, Standing.ON_TRACK), (0.69, Standing.BEHIND), (0.90, Standing.REACHED),
    (None, Standing.UNKNOWN),
])
def test_on_track_is_at_or_above_the_line(value, expected):
    assert standing(value, 0.50, date(2025, 1, 1), GOAL, Direction.HIGHER_IS_BETTER,
                    date(2026, 1, 1)) is expected


def test_lower_is_better_is_on_track_at_or_below_the_line():
    # 120 days down to 60 by 2026-12-31: on 2026-01-01 the line is 120 - 60 * 365/729 = 89.959
    goal = Goal(id="g", text="g", kpi="bfu_varighed_dage", target=60, by=date(2026, 12, 31))
    args = (120.0, date(2025, 1, 1), goal, Direction.LOWER_IS_BETTER, date(2026, 1, 1))
    assert standing(89.0, *args) is Standing.ON_TRACK
    assert standing(91.0, *args) is Standing.BEHIND
    assert standing(60.0, *args) is Standing.REACHED
    assert standing(80.0, None, *args[1:]) is Standing.UNKNOWN  # no baseline: no line


# --- baselines computed by the engine on a hand-made export ----------------------------------------

# Notifications with known 24-hour outcomes. 2024-Q4: N1, N2, N4 in time, N3 after 48 hours: 3/4.
# 2025-Q1: N5 and N7 in time, N6 after 26 hours: 2/3. Too few for the committee (threshold 5).
EXPORT = {
    "cases.csv": "case_id,team,caseworker,opened_on\n" + "".join(
        f"C{i},Nord,Anne,2024-09-01\n" for i in range(1, 8)),
    "notifications.csv": (
        "notification_id,case_id,received_at,assessed_at,notifier_type\n"
        "N1,C1,2024-10-01T10:00,2024-10-01T15:00,professional\n"
        "N2,C2,2024-11-05T09:00,2024-11-05T12:00,professional\n"
        "N3,C3,2024-12-02T08:00,2024-12-04T08:00,private\n"
        "N4,C4,2024-12-10T10:00,2024-12-10T11:00,professional\n"
        "N5,C5,2025-02-03T10:00,2025-02-03T11:00,professional\n"
        "N6,C6,2025-03-03T10:00,2025-03-04T12:00,private\n"
        "N7,C7,2025-03-10T10:00,2025-03-10T12:00,professional\n"),
    "investigations.csv": "investigation_id,case_id,aware_on\n",
    "measures.csv": "measure_id,case_id,decided_on\n",
}
PLAN_24T = BROKEN.split("  themes:")[0] + """\
  themes:
    - id: tema
      title: Underretninger
      recommendations:
        - id: anbefaling
          title: Anbefaling
          goals:
            - id: maal
              text: 95 % inden for 24 timer
              kpi: underretning_24t
              target: 0.95
              by: 2025-12-31
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from kpis.data.importer import run_import
    from kpis.data.snapshot import connect

    folder = tmp_path_factory.mktemp("plan_export")
    for name, text in EXPORT.items():
        (folder / name).write_text(text, encoding="utf-8")
    db = folder / "snapshot.duckdb"
    run_import(folder, db, profile="canonical", as_of=date(2025, 6, 30),
               pseudonym_key=b"test-key-for-plan-tests")
    conn = connect(db, read_only=True)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def plan_24t(kpiset):
    p, problems = validate_text(PLAN_24T, kpiset)
    assert problems == []
    return p


def test_baseline_and_now_are_computed_by_the_engine(tiny, kpiset, plan_24t):
    (gp,) = progress(tiny, kpiset, plan_24t, date(2025, 4, 15))
    assert (gp.baseline.period.label, gp.now.period.label) == ("2024-Q4", "2025-Q1")
    assert gp.baseline.value == pytest.approx(3 / 4)
    assert gp.now.value == pytest.approx(2 / 3)
    # 2025-01-01 .. 2025-12-31 is 364 days, 2025-04-15 is day 104: 0.75 + 0.20 * 104/364
    assert gp.line_now == pytest.approx(0.75 + 0.20 * 104 / 364)
    assert gp.standing is Standing.BEHIND


def test_a_new_goals_baseline_is_computed_before_it_is_added(tiny, kpiset):
    """The plan editor shows the baseline a goal would get (kpis.plan.progress.baseline): the
    same 3/4 in 2024-Q4 as above, for a plan starting 1 January or 15 February 2025."""
    from kpis.plan.progress import baseline

    for start in (date(2025, 1, 1), date(2025, 2, 15)):
        point = baseline(tiny, kpiset, "underretning_24t", start)
        assert (point.period.label, point.value, point.withheld) == ("2024-Q4", 0.75, False)
    assert baseline(tiny, kpiset, "underretning_24t", date(2025, 1, 1),
                    scope=scope_for(Role.COMMITTEE)).withheld


def test_the_committee_sees_withheld_figures_as_withheld(tiny, kpiset, plan_24t):
    (gp,) = progress(tiny, kpiset, plan_24t, date(2025, 4, 15), scope=scope_for(Role.COMMITTEE))
    assert gp.baseline.withheld and gp.now.withheld
    assert gp.baseline.value is None and gp.now.value is None
    assert gp.line_now is None and gp.standing is Standing.UNKNOWN


# --- activity status ------------------------------------------------------------------------------


def test_status_history_current_status_and_audit(plan, tmp_path):
    from kpis.access import audit
    from kpis.plan import status_store as ss

    store, log = tmp_path / "plan_status.sqlite", tmp_path / "audit.sqlite"
    lead = scope_for(Role.DEPARTMENT_HEAD, frozenset({"Team Syd"}))
    kw = {"actor": "leder", "role": Role.DEPARTMENT_HEAD, "scope": lead, "path": store, "audit_path": log}
    ss.record_change(plan, "bfu_gamle_undersoegelser", "i_gang", date(2025, 3, 3), "Startet", **kw)
    ss.record_change(plan, "bfu_gamle_undersoegelser", ActivityStatus.DONE, date(2025, 8, 20),
                     "Alle  gennemgået", **kw)
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
    hist = ss.history(plan.id, path=store)["bfu_gamle_undersoegelser"]
    assert [(c.status, c.changed_on, c.note) for c in hist] == [
        (ActivityStatus.IN_PROGRESS, date(2025, 3, 3), "Startet"),
        (ActivityStatus.DONE, date(2025, 8, 20), "Alle gennemgået")]
    assert ss.current(plan, path=store)["bfu_gamle_undersoegelser"] is ActivityStatus.DONE
    assert ss.current(plan, path=store, on=date(2025, 6, 1))["bfu_gamle_undersoegelser"] \
        is ActivityStatus.IN_PROGRESS
    assert ss.current(plan, path=store)["ics_uddannelse"] is ActivityStatus.NOT_STARTED
    entries = audit.read(path=log)
    assert entries.height == 2 and set(entries["action"]) == {"plan_status"}
    assert "Gennemført pr. 20-08-2025" in entries["detail"].to_list()[0] + \
        entries["detail"].to_list()[1]


def test_who_may_update_and_what_is_refused(plan, tmp_path):
    from kpis.plan import status_store as ss

    store, log = tmp_path / "s.sqlite", tmp_path / "a.sqlite"
    nord = scope_for(Role.DEPARTMENT_HEAD, frozenset({"Team Nord"}))
    # Team Syd's activity is not Team Nord's leader's; the department's activities are.
    assert not ss.may_update(plan, "bfu_gamle_undersoegelser", Role.DEPARTMENT_HEAD, nord)
    assert ss.may_update(plan, "underretning_procedure", Role.DEPARTMENT_HEAD, nord)
    assert ss.may_update(plan, "handleplan_ledelsestilsyn", Role.DEPARTMENT_HEAD, nord)
    assert not ss.may_update(plan, "handleplan_ledelsestilsyn", Role.COMMITTEE,
                             scope_for(Role.COMMITTEE))
    kw = {"actor": "leder", "role": Role.DEPARTMENT_HEAD, "scope": nord, "path": store, "audit_path": log}
    with pytest.raises(ss.StatusError, match="kun opdatere"):
        ss.record_change(plan, "bfu_gamle_undersoegelser", "i_gang", date(2025, 3, 3), "x", **kw)
    with pytest.raises(ss.StatusError, match="note"):
        ss.record_change(plan, "underretning_procedure", "i_gang", date(2025, 3, 3), "  ", **kw)
    with pytest.raises(ss.StatusError, match="CPR"):
        ss.record_change(plan, "underretning_procedure", "i_gang", date(2025, 3, 3),
                         "Barnet 010203-1234 er talt med", **kw)
    assert ss.history(plan.id, path=store) == {}


def test_overdue_is_past_the_deadline_and_still_open():
    from kpis.plan.status_store import is_overdue

    assert is_overdue(date(2025, 4, 30), ActivityStatus.IN_PROGRESS, date(2025, 5, 1))
    assert not is_overdue(date(2025, 4, 30), ActivityStatus.IN_PROGRESS, date(2025, 4, 30))
    assert not is_overdue(date(2025, 4, 30), ActivityStatus.DONE, date(2025, 5, 1))
    assert not is_overdue(date(2025, 4, 30), ActivityStatus.ABANDONED, date(2025, 5, 1))


WRITER = """
import os, sys
from datetime import date
from pathlib import Path
from kpis.access.roles import Role
from kpis.compute.engine import Scope
from kpis.plan import status_store as ss
from kpis.plan.validate import load_plan
from kpis.rules.definitions import load_kpis
root, store, log = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
plan = load_plan(root / "config" / "plan.yaml", load_kpis(root / "config" / "kpis.yaml"))
for i in range(int(sys.argv[4])):
    ss.record_change(plan, "underretning_vagtplan", "i_gang", date(2025, 3, 1), f"note {i}",
                     actor=f"p{os.getpid()}", role=Role.ANALYST, scope=Scope(), path=store,
                     audit_path=log)
"""


def test_several_processes_write_without_losing_a_change(plan, tmp_path):
    """Two separate Python processes (not a multiprocessing pool, which hangs when a worker
    dies) append at once; every change arrives."""
    import subprocess
    import sys

    from kpis.plan import status_store as ss

    store, log = tmp_path / "s.sqlite", tmp_path / "a.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(ROOT), str(store), str(log),
                               "15"], env=env, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert len(ss.history(plan.id, path=store)["underretning_vagtplan"]) == 30


def test_the_demo_seeds_a_dozen_activities_in_mixed_states_once(plan, tmp_path):
    from kpis.plan import status_store as ss
    from kpis.plan.demo_status import seed_demo_status

    store, log = tmp_path / "s.sqlite", tmp_path / "a.sqlite"
    assert seed_demo_status(path=store, audit_path=log) == 17
    assert seed_demo_status(path=store, audit_path=log) == 0  # a second build adds nothing
    on = date(2026, 11, 20)
    now = ss.current(plan, path=store, on=on)
    counts = {s: sum(v is s for v in now.values()) for s in ActivityStatus}
    # counted by hand in DEMO_CHANGES: 5 done, 5 in progress, 1 abandoned, 1 never started
    assert counts == {ActivityStatus.DONE: 5, ActivityStatus.IN_PROGRESS: 5,
                      ActivityStatus.ABANDONED: 1, ActivityStatus.NOT_STARTED: 1}
    overdue = sorted(a.id for _, _, a in plan.activities()
                     if ss.is_overdue(a.deadline, now[a.id], on))
    assert overdue == ["bfu_gamle_undersoegelser", "boernesamtale_app",
                       "handleplan_opfoelgning_syd", "handleplan_skabelon"]


# --- versions -------------------------------------------------------------------------------------


def test_a_revised_plan_keeps_the_old_one_readable(kpiset, tmp_path):
    from kpis.plan.versions import plan_history_for
    from kpis.rules.history import InvalidDefinitions

    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(PLAN_24T, encoding="utf-8")
    hist = plan_history_for(plan_file, tmp_path / "plan_history", kpiset)
    first = hist.versions()[0]
    revised = PLAN_24T.replace("title: Underretninger", "title: Underretninger, runde 2")
    with pytest.raises(InvalidDefinitions):  # checked as a plan: an unknown KPI is refused
        hist.save(revised.replace("kpi: underretning_24t", "kpi: findes_ikke"),
                  opened_hash=first.hash, who="analytiker", reason="ny runde")
    saved = hist.save(revised, opened_hash=first.hash, who="analytiker", reason="nye temaer")
    assert [v.seq for v in hist.versions()] == [2, 1]
    assert hist.plan_of(first).themes[0].title == "Underretninger"
    assert hist.plan_of(saved).themes[0].title == "Underretninger, runde 2"
    assert "Underretninger, runde 2" in plan_file.read_text(encoding="utf-8")


def test_the_goals_a_kpi_serves(plan):
    assert [g.id for _, _, g in plan.goals_for_kpi("bfu_4_mdr")] == ["bfu_4_mdr_90"]
    assert [t.title for t, _, _ in plan.goals_for_kpi("plan_maalbare_maal")] == ["Handleplaner"]
    assert plan.goals_for_kpi("underretninger_antal") == []


def test_a_withheld_figure_reads_as_withheld_with_no_number(tiny, kpiset, plan_24t):
    from kpis.present.plan_view import figure_da, goal_summary, trajectory_text

    (gp,) = progress(tiny, kpiset, plan_24t, date(2025, 4, 15), scope=scope_for(Role.COMMITTEE))
    unit = kpiset["underretning_24t"].unit
    assert figure_da(gp.baseline, unit) == "skjult"
    summary = goal_summary(gp, kpiset)
    assert summary["Udgangspunkt"] == "skjult (4. kvartal 2024)"
    assert summary["Linjen på datoen"] == "–" and summary["Vurdering"] == "Kan ikke vurderes"
    text = trajectory_text(gp, kpiset)
    assert "75" not in text and "66" not in text and "67" not in text  # 3/4 and 2/3 stay hidden
