"""Preview: saved and edited definitions computed on the same tiny data, side by side.

The export is four BFUs whose outcome falls in 2025-Q1, worked out by hand (4 months from the aware
date, clamped): I1, I2, I3 completed in time; I4 (aware 15 Oct 2024, due 15 Feb 2025) completed 10
March, late. So bfu_4_mdr is 3/4 = 75 %: green against a target of 70 %, red against 90 % (more
than 10 points short).
"""

from __future__ import annotations

from datetime import date

import pytest

from kpis.data.importer import run_import
from kpis.data.snapshot import connect
from kpis.present.preview import Change, counts, preview
from kpis.rules.validate import validate_text
from tests.test_validation import GOOD

KEY = b"test-key-for-the-preview"
EXPORT = {
    "cases.csv": "case_id,team,caseworker,opened_on\nC1,Nord,Anne,2024-09-01\n",
    "notifications.csv": "notification_id,case_id,received_at\n",
    "investigations.csv": (
        "investigation_id,case_id,aware_on,completed_on\n"
        "I1,C1,2024-10-01,2025-01-15\n"
        "I2,C1,2024-10-10,2025-02-01\n"
        "I3,C1,2024-11-01,2025-02-20\n"
        "I4,C1,2024-10-15,2025-03-10\n"
    ),
    "measures.csv": "measure_id,case_id,decided_on\n",
}
COUNT_KPI = """
  - id: bfu_antal
    name: Antal afsluttede BFU
    description: Antal undersøgelser afsluttet i perioden.
    pejlemaerke: styring
    context: true
    legal_basis: {}
    kind: count
    count: {source: investigations, event_date: completed_on}
    unit: count
    direction: higher_is_better
    owner: Analyse
"""


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    folder = tmp_path_factory.mktemp("preview")
    for name, text in EXPORT.items():
        (folder / name).write_text(text, encoding="utf-8")
    db = folder / "snap.duckdb"
    run_import(folder, db, profile="canonical", as_of=date(2025, 6, 30), pseudonym_key=KEY)
    c = connect(db)
    yield c
    c.close()


def kpiset(text):
    k, problems = validate_text(text)
    assert problems == []
    return k


def test_changed_target_changes_status_not_value(conn):
    old = kpiset(GOOD.replace("target: 0.9", "target: 0.7"))
    new = kpiset(GOOD)
    [row] = preview(conn, old, new, "2025-Q1").to_dicts()
    assert row["change"] == Change.CHANGED.value
    assert row["what_changed"] == "mål, status"
    assert (row["old_value"], row["new_value"]) == (0.75, 0.75)
    assert (row["old_target"], row["new_target"]) == (0.7, 0.9)
    assert (row["old_status"], row["new_status"]) == ("green", "red")
    assert (row["old_text"], row["new_text"]) == ("75,0 %", "75,0 %")
    assert (row["old_status_text"], row["new_status_text"]) == ("● Grøn", "■ Rød")
    assert (row["old_target_text"], row["new_target_text"]) == ("70,0 %", "90,0 %")
    assert row["old_n"] == row["new_n"] == 4
    assert row["summary"] == "mål 70,0 % → 90,0 %; status ● Grøn → ■ Rød"


def test_changed_rule_changes_value(conn):
    old = kpiset(GOOD)
    new = kpiset(GOOD.replace("barnets_lov: {months: 4}", "barnets_lov: {months: 5}"))
    [row] = preview(conn, old, new, "2025-Q1").to_dicts()
    # With 5 months I4 (due 15 March) is on time: 4/4.
    assert (row["old_value"], row["new_value"]) == (0.75, 1.0)
    assert row["change"] == "ændret" and row["what_changed"].startswith("værdi")
    assert row["summary"].startswith("75,0 % → 100,0 %")


def test_unchanged_added_and_removed(conn):
    old = kpiset(GOOD)
    same = preview(conn, old, old, "2025-Q1")
    assert same["change"].to_list() == ["uændret"]
    added = preview(conn, old, kpiset(GOOD + COUNT_KPI), "2025-Q1")
    assert added.select("kpi", "change").rows() == [("bfu_antal", "ny"), ("bfu_4_mdr", "uændret")]
    assert added.filter(added["kpi"] == "bfu_antal")["new_value"].item() == 4.0
    removed = preview(conn, kpiset(GOOD + COUNT_KPI), old, "2025-Q1")
    assert removed.select("kpi", "change").rows() == [
        ("bfu_antal", "fjernet"), ("bfu_4_mdr", "uændret")]
    assert removed.filter(removed["kpi"] == "bfu_antal")["new_text"].item() == "–"
    assert removed["summary"].to_list() == ["fjernes (var 4)", "uændret"]
    assert added["summary"].to_list()[0] == "ny: 4"
    assert counts(removed) == {"uændret": 1, "ændret": 0, "ny": 0, "fjernet": 1}


def test_no_saved_definitions_everything_is_new(conn):
    table = preview(conn, None, kpiset(GOOD), "2025-Q1")
    assert table["change"].to_list() == ["ny"]
