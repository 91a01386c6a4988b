"""Three counting rules (issue 11, section 6), each over a tiny export built here and imported as
it would be in production. Every expected number is worked out by hand in the comments, from
docs/kpi-rules.md and the shared domain facts; none comes from running the code under test.

1. ``plan_maalbare_maal`` takes its regime from the measure's decision date, not from the day the
   plan was prepared (domain.md: "the decision date for plans and follow-up").
2. A completion dated after the export's as-of date is an error in the data, not a future event:
   the row is loaded, the date counts as not yet happened (the step stays late), and the value is
   listed as a finding on the Data page. Quarantining the row would drop an overdue step and
   *improve* the figure.
3. A measure that ended after its follow-up fell due, without one, is late — but nobody can still
   hold that follow-up: it is not overdue-open and not on the worklist.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kpis import DEFAULT_KPIS
from kpis.compute.engine import case_steps, compute, open_steps
from kpis.data import inventory
from kpis.data.importer import run_import
from kpis.data.quarantine import Reason
from kpis.data.snapshot import connect
from kpis.present import drilldown
from kpis.rules.definitions import load_kpis

AS_OF = date(2025, 6, 30)
KEY = b"test-key-for-kpi-rule-cases"
KPIS = load_kpis(DEFAULT_KPIS)

CASES = "case_id,team,caseworker,opened_on\n" + "".join(
    f"C{i},Nord,Anne,2023-01-02\n" for i in range(1, 10))
NO_NOTIFICATIONS = "notification_id,case_id,received_at,notifier_type\n"
NO_INVESTIGATIONS = "investigation_id,case_id,aware_on,completed_on\n"
MEASURE_HEADER = "measure_id,case_id,measure_type,decided_on,started_on,ended_on,plan_decided\n"


def _import(tmp_path: Path, files: dict[str, str]):
    folder = tmp_path / "export"
    folder.mkdir()
    tables = {"cases.csv": CASES, "notifications.csv": NO_NOTIFICATIONS,
              "investigations.csv": NO_INVESTIGATIONS, "measures.csv": MEASURE_HEADER, **files}
    for name, text in tables.items():
        (folder / name).write_text(text, encoding="utf-8")
    db = tmp_path / "snapshot.duckdb"
    result = run_import(folder, db, profile="canonical", as_of=AS_OF, pseudonym_key=KEY)
    return db, result


def _figure(conn, kpi: str, period: str, by=(), group=None) -> tuple[int, int, int, int]:
    df = compute(conn, KPIS, [period], by=list(by), kpi_ids=[kpi])
    if group is None:
        rows = df.filter(df["group_level"] == "").to_dicts()
    else:
        rows = [r for r in df.to_dicts() if r["group_level"] == ",".join(by)
                and all(r[d] == v for d, v in zip(by, group, strict=True))]
    assert len(rows) == 1, rows
    r = rows[0]
    return r["numerator"], r["denominator"], r["pending"], r["overdue_open"]


# --- 1. the regime of a plan's goals ---------------------------------------------------------
#
# M1 (support) decided 2023-12-20 → SEL; its plan P1 prepared 2024-01-10, 2 of 2 goals measurable.
# M2 (support) decided 2024-01-05 → Barnets Lov; its plan P2 prepared 2023-12-15 (before the
# decision, as SEL plans often are), 1 of 3 measurable.
# Figures by the plan's prepared date (the population), regime by the decision:
#   2024: P1 met, SEL          → SEL 1/1, no Barnets Lov row
#   2023: P2 not met, BL       → Barnets Lov 0/1, no SEL row
# (Before the fix the regime came from prepared_on: P1 was BL and P2 SEL.)

PLAN_FILES = {
    "measures.csv": MEASURE_HEADER + "M1,C1,support,2023-12-20,,,\n"
                                     "M2,C2,support,2024-01-05,,,\n",
    "plans.csv": "plan_id,case_id,measure_id,prepared_on,goals_total,goals_measurable\n"
                 "P1,C1,M1,2024-01-10,2,2\n"
                 "P2,C2,M2,2023-12-15,3,1\n",
}


@pytest.fixture(scope="module")
def plan_db(tmp_path_factory):
    return _import(tmp_path_factory.mktemp("plans"), PLAN_FILES)[0]


@pytest.mark.parametrize(("period", "regime", "num", "den"), [
    ("2024", "sel", 1, 1),  # P1, prepared in 2024 for a measure decided in 2023
    ("2023", "barnets_lov", 0, 1),  # P2, prepared in 2023 for a measure decided in 2024
])
def test_plan_goals_take_the_regime_of_the_measures_decision(plan_db, period, regime, num, den):
    conn = connect(plan_db, read_only=True)
    try:
        df = compute(conn, KPIS, [period], by=["regime"], kpi_ids=["plan_maalbare_maal"])
        groups = {r["regime"]: (r["numerator"], r["denominator"])
                  for r in df.filter(df["group_level"] == "regime").to_dicts()}
    finally:
        conn.close()
    assert groups == {regime: (num, den)}


# --- 2. a completion after the as-of date ------------------------------------------------------
#
# As of 2025-06-30. B1 aware 2025-01-10, due 2025-05-10 (+4 months), completed_on 2025-07-15 —
# after the export was taken: an error. B2 aware 2025-01-20, completed 2025-03-01: on time
# (outcome 2025-03-01). B3 aware 2025-07-02: the row's own date is after the as-of date, so the
# row has not happened (quarantined, listed).
# bfu_4_mdr, 2025: B2 on time; B1 not completed as of 06-30 and past due → late (outcome 05-10),
# and still open → overdue-open 1. So 1 of 2 = 50 %. (Before the fix B1 was quarantined and the
# figure was 1 of 1 = 100 %: the error improved it.)

BFU_FILES = {
    "investigations.csv": NO_INVESTIGATIONS + "B1,C1,2025-01-10,2025-07-15\n"
                                              "B2,C2,2025-01-20,2025-03-01\n"
                                              "B3,C3,2025-07-02,\n",
}


@pytest.fixture(scope="module")
def bfu_import(tmp_path_factory):
    return _import(tmp_path_factory.mktemp("bfu"), BFU_FILES)


def test_a_completion_after_the_as_of_date_leaves_the_bfu_late(bfu_import):
    db, _ = bfu_import
    conn = connect(db, read_only=True)
    try:
        assert _figure(conn, "bfu_4_mdr", "2025") == (1, 2, 0, 1)
        steps = {s["unit_id"]: s for s in case_steps(conn, KPIS, "bfu_4_mdr", "2025").to_dicts()}
        worklist = open_steps(conn, KPIS, kpi_ids=["bfu_4_mdr"])
    finally:
        conn.close()
    assert (steps["B1"]["status"], steps["B1"]["completed"], steps["B1"]["due"]) == (
        "late", None, date(2025, 5, 10))
    assert worklist["unit_id"].to_list() == ["B1"]  # still to be done, as far as the data knows


def test_the_later_date_is_listed_as_a_finding_and_the_row_kept(bfu_import):
    db, result = bfu_import
    counts = result.file("investigations")
    # B1 is loaded (a finding), B3 is quarantined: read 3 = loaded 2 + quarantined 1
    assert (counts.rows_read, counts.rows_loaded, counts.rows_quarantined) == (3, 2, 1)
    inv = inventory.load_inventory(db)
    rows = inv.quarantine_rows.select("file", "row", "column", "value", "reason",
                                      "row_state").rows()
    assert rows == [
        ("investigations.csv", 2, "completed_on", "2025-07-15", Reason.AFTER_AS_OF.value,
         inventory.ROW_LOADED),
        ("investigations.csv", 4, "aware_on", "2025-07-02", Reason.ROW_AFTER_AS_OF.value,
         inventory.ROW_QUARANTINED),
    ]
    assert (inv.rows_quarantined, inv.findings_kept) == (1, 1)
    assert "dato efter opgørelsesdatoen: 1 (rækken er indlæst" in result.summary_text()


# --- 3. a measure that ended without its follow-up ---------------------------------------------
#
# As of 2025-06-30, all support measures (Barnets Lov, no parallel BFU, so due = start + 3 months).
#   M3 started 2025-01-02, due 2025-04-02, ended 2025-05-15, no follow-up → late (ended after the
#      due date), outcome 04-02; ended: not overdue-open, not on the worklist. Days late stop at
#      the end: 05-15 − 04-02 = 43.
#   M4 started 2025-01-10, due 2025-04-10, not ended, no follow-up → late, overdue-open (the
#      control: someone can still hold it). Days late 06-30 − 04-10 = 81.
#   M5 started 2025-03-01, due 2025-06-01, ended 2025-04-15 before it fell due, no follow-up →
#      not counted at all (domain.md).
#   M6 SEL support decided and started 2023-01-10, first follow-up F1 2023-04-01 (due 04-10: on
#      time). Later follow-up: F1 + 6 months = 2023-10-01; no next one; ended 2024-03-01 (after
#      that due date) → the interval is late (outcome 2023-10-01, in 2023-Q4), not open.
#      Its plan PL6 is prepared on the decision day (SEL: on time, nothing open).
#   M7 SEL support decided and started 2023-03-01, never a plan (due the decision day), ended
#      2024-02-01 → plan late (outcome 2023-03-01), not open: a plan for an ended measure helps
#      nobody. (Its first follow-up, due 2023-06-01, is likewise late and not open.)
#   M8 SEL support decided 2023-05-01, not started, no plan, not ended → plan late and open (the
#      control).
# opfoelgning_foerste_rettidig, 2025-Q2 (holds the as-of date): M3 late, M4 late → 0 of 2,
#   pending 0, overdue-open 1 (M4). Before the fix: overdue-open 3 (M3, M4, M7).
# opfoelgning_loebende_rettidig: 2023-Q4 0 of 1 (M6 F1→); 2025-Q2 overdue-open 0 (before: 1).
# plan_rettidig: 2023 M6 on time, M7 and M8 late → 1 of 3; 2025-Q2 overdue-open 1 (M8; before: 2).
# Worklist, by due date: M8's plan (2023-05-01), M4's first follow-up (2025-04-10). Before the
# fix also M7's plan and first follow-up, M3's first follow-up and M6 F1→.

ENDED_FILES = {
    "measures.csv": MEASURE_HEADER + "M3,C3,support,2025-01-02,2025-01-02,2025-05-15,\n"
                                     "M4,C4,support,2025-01-10,2025-01-10,,\n"
                                     "M5,C5,support,2025-03-01,2025-03-01,2025-04-15,\n"
                                     "M6,C6,support,2023-01-10,2023-01-10,2024-03-01,\n"
                                     "M7,C7,support,2023-03-01,2023-03-01,2024-02-01,\n"
                                     "M8,C8,support,2023-05-01,,,\n",
    "follow_ups.csv": "follow_up_id,measure_id,held_on\nF1,M6,2023-04-01\n",
    "plans.csv": "plan_id,case_id,measure_id,prepared_on,goals_total,goals_measurable\n"
                 "PL6,C6,M6,2023-01-10,1,1\n",
}


@pytest.fixture(scope="module")
def ended_db(tmp_path_factory):
    return _import(tmp_path_factory.mktemp("ended"), ENDED_FILES)[0]


def test_an_ended_measure_is_late_but_not_overdue_open(ended_db):
    conn = connect(ended_db, read_only=True)
    try:
        first = _figure(conn, "opfoelgning_foerste_rettidig", "2025-Q2")
        later_2023 = _figure(conn, "opfoelgning_loebende_rettidig", "2023-Q4")
        later_now = _figure(conn, "opfoelgning_loebende_rettidig", "2025-Q2")
        plan_2023 = _figure(conn, "plan_rettidig", "2023")
        plan_now = _figure(conn, "plan_rettidig", "2025-Q2")
    finally:
        conn.close()
    assert first == (0, 2, 0, 1)
    assert later_2023 == (0, 1, 0, 0)
    assert later_now == (0, 0, 0, 0)
    assert plan_2023 == (1, 3, 0, 0)
    assert plan_now == (0, 0, 0, 1)


def test_an_ended_measure_is_not_on_the_worklist(ended_db):
    conn = connect(ended_db, read_only=True)
    try:
        worklist = open_steps(conn, KPIS)
    finally:
        conn.close()
    assert list(zip(worklist["kpi"], worklist["unit_id"], strict=True)) == [
        ("plan_rettidig", "M8"), ("opfoelgning_foerste_rettidig", "M4")]


def test_the_drill_down_shows_the_ended_step_as_late_not_open(ended_db):
    conn = connect(ended_db, read_only=True)
    try:
        steps = case_steps(conn, KPIS, "opfoelgning_foerste_rettidig", "2025-Q2")
    finally:
        conn.close()
    by_unit = {s["unit_id"]: s for s in steps.to_dicts()}
    assert set(by_unit) == {"M3", "M4"}  # M5 ended before its due date: not counted
    assert (by_unit["M3"]["days"], by_unit["M4"]["days"]) == (43, 81)
    shown = drilldown.step_rows(steps, {}, "opfoelgning_foerste_rettidig")
    status = dict(zip(shown["Sagsnummer"], shown["Status"], strict=True))
    assert status == {"C3": "For sent", "C4": "Overskredet – stadig åben"}
    totals = drilldown.reconcile(steps, as_of_in_period=True)
    assert (totals.numerator, totals.denominator, totals.overdue_open) == (0, 2, 1)
