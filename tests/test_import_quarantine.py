"""Bad rows: every class of problem is quarantined with its reason, counts are conserved per file,
and no CPR number reaches the snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_import_support import (
    DUBU,
    ROWS,
    do_import,
    quarantine,
    table_rows,
    text_rows,
    varchar_values,
    write_csv,
)

from kpis.data.cpr import CPR_HIDDEN, contains_cpr
from kpis.data.quarantine import Reason
from kpis.data.schema import TABLE_ORDER


def _export(tmp_path: Path, edits: list[tuple[str, int, str, str]] = (),
            extra_rows: dict[str, list[dict[str, str]]] | None = None) -> Path:
    """The clean export with cells replaced: (table, row index, canonical column, new text)."""
    tables = text_rows()
    for table, index, column, text in edits:
        tables[table][index][DUBU.header(table, column)] = text
    for table, rows in (extra_rows or {}).items():
        tables[table] += rows
    return write_csv(tmp_path / "export", tables)


# (table, row index, column, new text, expected reason, expected recorded value)
BAD_CELLS = [
    ("investigations", 0, "completed_on", "31-02-2024", Reason.INVALID_DATE, "31-02-2024"),
    ("investigations", 0, "aware_on", "2024/13/01", Reason.INVALID_DATE, "2024/13/01"),
    ("notifications", 0, "received_at", "05-02-2024 25:00", Reason.INVALID_TIMESTAMP,
     "05-02-2024 25:00"),
    ("notifications", 0, "acute_action", "Måske", Reason.INVALID_BOOL, "Måske"),
    ("plans", 0, "goals_total", "tre", Reason.INVALID_INT, "tre"),
    ("plans", 0, "goals_total", "-1", Reason.INVALID_INT, "-1"),
    ("measures", 0, "measure_type", "Familiebehandling", Reason.UNKNOWN_VALUE,
     "Familiebehandling"),
    ("cases", 0, "opened_on", "", Reason.MISSING, None),
    ("notifications", 1, "notification_id", "  ", Reason.MISSING, None),
    ("cases", 0, "cpr", "320115-4123", Reason.INVALID_CPR, CPR_HIDDEN),
    ("cases", 0, "cpr", "01011541", Reason.INVALID_CPR, CPR_HIDDEN),
    ("cases", 0, "team", "Team 010115-4123", Reason.CPR_IN_TEXT, CPR_HIDDEN),
    ("notifications", 0, "case_id", "S-999", Reason.UNKNOWN_CASE, "S-999"),
    ("follow_ups", 0, "measure_id", "I-999", Reason.UNKNOWN_MEASURE, "I-999"),
    ("investigations", 2, "aware_on", "01-07-2025", Reason.ROW_AFTER_AS_OF, "01-07-2025"),
    ("notifications", 2, "received_at", "01-07-2025 08:00", Reason.ROW_AFTER_AS_OF,
     "01-07-2025 08:00"),
    # K-2 was not held: its exemption's recorded_on is the date that makes the row exist
    ("child_interviews", 1, "recorded_on", "01-07-2025", Reason.ROW_AFTER_AS_OF, "01-07-2025"),
    ("measures", 0, "ended_on", "01-06-2024", Reason.BEFORE_START, "01-06-2024"),
    ("notifications", 0, "assessed_at", "05-02-2024 09:00", Reason.BEFORE_START,
     "05-02-2024 09:00"),
    ("cases", 0, "closed_on", "01-01-2023", Reason.BEFORE_START, "01-01-2023"),
    ("child_interviews", 0, "held_on", "", Reason.NOT_HELD_NOR_EXEMPTED, None),
    ("plans", 0, "measure_id", "I-2", Reason.MEASURE_OF_OTHER_CASE, "I-2"),
    ("plans", 0, "goals_measurable", "4", Reason.MORE_MEASURABLE_THAN_GOALS, "4"),
]


@pytest.mark.parametrize(("table", "index", "column", "text", "reason", "value"), BAD_CELLS,
                         ids=[f"{t}.{c}={x!r}" for t, _, c, x, *_ in BAD_CELLS])
def test_each_bad_value_is_quarantined_with_its_reason(
    tmp_path: Path, table: str, index: int, column: str, text: str, reason: Reason,
    value: str | None,
) -> None:
    db = tmp_path / "db.duckdb"
    result = do_import(_export(tmp_path, [(table, index, column, text)]), db)
    file = f"{DUBU.file_stem(table)}.csv"
    records = [q for q in quarantine(db) if q[1] == table]
    assert records == [(file, table, index + 2, column, value, reason.value)]
    assert result.file(table).rows_quarantined == 1
    assert len(table_rows(db, table)) == len(ROWS[table]) - 1


# (table, row index, column, new text): dates after the as-of date (30-06-2025) that do not
# define the row. Each is a finding: the row is loaded and the record listed.
KEPT_AFTER_AS_OF = [
    ("notifications", 3, "assessed_at", "01-07-2025 08:00"),
    ("investigations", 0, "completed_on", "15-07-2025"),
    ("measures", 0, "started_on", "01-08-2025"),
    ("cases", 0, "closed_on", "01-07-2025"),
    ("child_interviews", 0, "recorded_on", "01-07-2025"),  # K-1 was held: held_on defines it
]


@pytest.mark.parametrize(("table", "index", "column", "text"), KEPT_AFTER_AS_OF,
                         ids=[f"{t}.{c}" for t, _, c, _ in KEPT_AFTER_AS_OF])
def test_a_later_date_that_does_not_define_the_row_keeps_it_as_a_finding(
    tmp_path: Path, table: str, index: int, column: str, text: str,
) -> None:
    db = tmp_path / "db.duckdb"
    result = do_import(_export(tmp_path, [(table, index, column, text)]), db)
    file = f"{DUBU.file_stem(table)}.csv"
    assert quarantine(db) == [(file, table, index + 2, column, text, Reason.AFTER_AS_OF.value)]
    counts = result.file(table)
    assert (counts.rows_loaded, counts.rows_quarantined) == (len(ROWS[table]), 0)
    assert len(table_rows(db, table)) == len(ROWS[table])
    assert "dato efter opgørelsesdatoen: 1 (rækken er indlæst" in result.summary_text()


def test_a_planned_date_may_lie_after_the_as_of_date(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    do_import(_export(tmp_path, [("follow_ups", 0, "next_due_on", "01-01-2030")]), db)
    assert quarantine(db) == []


def test_a_completion_on_its_start_day_is_fine(tmp_path: Path) -> None:
    # N-2 has date-only times: an assessment on the same day is not "before" the receipt
    db = tmp_path / "db.duckdb"
    do_import(_export(tmp_path, [("notifications", 1, "assessed_at", "20-11-2023 08:00")]), db)
    assert quarantine(db) == []


def test_a_repeated_id_loads_the_first_row_and_quarantines_the_later(tmp_path: Path) -> None:
    again = dict(text_rows()["notifications"][0])
    again[DUBU.header("notifications", "notifier_type")] = "Privatperson"
    db = tmp_path / "db.duckdb"
    do_import(_export(tmp_path, extra_rows={"notifications": [again]}), db)
    assert quarantine(db) == [("underretninger.csv", "notifications", 6, "notification_id", "N-1",
                               Reason.DUPLICATE_ID.value)]
    first = [r for r in table_rows(db, "notifications") if r[0] == "N-1"]
    assert len(first) == 1 and first[0][4] == "professional"


def test_a_repeated_id_after_a_quarantined_first_row_is_loaded(tmp_path: Path) -> None:
    # The first N-1 is bad, so the second is the first that can be loaded.
    again = dict(text_rows()["notifications"][0])
    db = tmp_path / "db.duckdb"
    do_import(_export(tmp_path, [("notifications", 0, "acute_action", "?")],
                      extra_rows={"notifications": [again]}), db)
    assert [q[4:] for q in quarantine(db)] == [("?", Reason.INVALID_BOOL.value)]
    assert [r[0] for r in table_rows(db, "notifications")].count("N-1") == 1


def test_rows_pointing_at_a_quarantined_case_or_measure_are_quarantined(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    result = do_import(_export(tmp_path, [("cases", 1, "opened_on", "i går")]), db)  # S-101
    found = {(q[1], q[3], q[5]) for q in quarantine(db)}
    assert found == {
        ("cases", "opened_on", Reason.INVALID_DATE.value),
        ("notifications", "case_id", Reason.QUARANTINED_CASE.value),
        ("investigations", "case_id", Reason.QUARANTINED_CASE.value),
        ("child_interviews", "case_id", Reason.QUARANTINED_CASE.value),
        ("measures", "case_id", Reason.QUARANTINED_CASE.value),  # I-2
        ("plans", "case_id", Reason.QUARANTINED_CASE.value),  # P-2 names S-101 ...
        ("plans", "measure_id", Reason.QUARANTINED_MEASURE.value),  # ... and I-2
        ("follow_ups", "measure_id", Reason.QUARANTINED_MEASURE.value),  # F-2
        ("supervision_visits", "measure_id", Reason.QUARANTINED_MEASURE.value),  # V-1
    }
    # P-2 has two problems but is one quarantined row
    assert result.file("plans").rows_quarantined == 1
    assert len(quarantine(db)) == 9


def test_a_row_with_several_problems_has_a_record_each_and_counts_once(tmp_path: Path) -> None:
    edits = [("investigations", 0, "aware_on", "x"), ("investigations", 0, "completed_on", "y"),
             ("investigations", 0, "parental_competence_assessed", "z")]
    db = tmp_path / "db.duckdb"
    result = do_import(_export(tmp_path, edits), db)
    assert [(q[2], q[3]) for q in quarantine(db)] == [
        (2, "aware_on"), (2, "completed_on"), (2, "parental_competence_assessed")]
    counts = result.file("investigations")
    assert (counts.rows_read, counts.rows_loaded, counts.rows_quarantined) == (3, 2, 1)


def test_extra_fields_without_a_header_quarantine_the_row(tmp_path: Path) -> None:
    folder = _export(tmp_path)
    path = folder / "tilsynsbesoeg.csv"
    lines = path.read_text(encoding="cp1252").splitlines()
    lines[1] += ";overskud"
    lines[2] += ";;"  # empty trailing fields are how Excel pads rows: harmless
    path.write_text("\r\n".join(lines) + "\r\n", encoding="cp1252")
    db = tmp_path / "db.duckdb"
    do_import(folder, db)
    assert [(q[2], q[4], q[5]) for q in quarantine(db)] == [
        (2, "overskud", Reason.EXTRA_FIELDS.value)]


def test_blank_rows_are_skipped_but_row_numbers_match_the_spreadsheet(tmp_path: Path) -> None:
    folder = _export(tmp_path, [("measures", 2, "decided_on", "?")])
    path = folder / "indsatser.csv"
    lines = path.read_text(encoding="cp1252").splitlines()
    lines.insert(2, ";;;;;;;")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="cp1252")
    db = tmp_path / "db.duckdb"
    result = do_import(folder, db)
    assert [q[2] for q in quarantine(db) if q[1] == "measures"] == [5]  # data row 3 sits on spreadsheet row 5 now
    assert result.blank_rows == 1
    assert result.file("measures").rows_read == 3


def test_loaded_plus_quarantined_equals_read_for_every_file(tmp_path: Path) -> None:
    edits = [(t, i, c, x) for t, i, c, x, *_ in BAD_CELLS if (t, i) not in {("cases", 0)}]
    db = tmp_path / "db.duckdb"
    result = do_import(_export(tmp_path, edits), db)
    assert {f.table for f in result.files} == set(TABLE_ORDER)
    for f in result.files:
        assert f.rows_loaded + f.rows_quarantined == f.rows_read == len(ROWS[f.table]), f.file
        assert len(table_rows(db, f.table)) == f.rows_loaded
        rows_in_quarantine = {q[2] for q in quarantine(db)
                              if q[0] == f.file and not Reason(q[5]).keeps_row}
        assert len(rows_in_quarantine) == f.rows_quarantined
    summary = result.summary_text()
    for f in result.files:
        assert f.file in summary


def test_no_cpr_number_reaches_any_table_or_the_quarantine(tmp_path: Path) -> None:
    cprs = [("cases", 0, "cpr", "320115-4123"),  # invalid: quarantined, value hidden
            ("cases", 1, "team", "Team 150310-5234"),  # a CPR in free text
            ("investigations", 0, "completed_on", "010115-4123"),  # a CPR in a date column
            ("notifications", 0, "case_id", "2912164321"),  # ... and as a case number
            ("measures", 0, "legal_basis", "se 0306189876")]
    db = tmp_path / "db.duckdb"
    result = do_import(_export(tmp_path, cprs), db)
    assert result.rows_quarantined > 0
    # Digests are hex and may by chance contain ten digits: they are not personal data.
    digests = {("import_files", "sha256"), ("snapshot_meta", "fingerprint"),
               ("import_history", "fingerprint"), ("import_history", "files")}
    values = [v for v in varchar_values(db) if (v[0], v[1]) not in digests]
    assert values, "the scan must see the tables"
    assert [v for v in values if contains_cpr(v[2])] == []
    assert not contains_cpr(result.summary_text())
    # the valid CPR numbers became pseudonyms and birth dates
    cases = table_rows(db, "cases")
    assert all(str(r[1]).startswith("barn-") for r in cases)


def test_interviews_without_a_held_on_column_may_all_be_exemptions(tmp_path: Path) -> None:
    folder = _export(tmp_path)
    path = folder / "boernesamtaler.csv"
    lines = [";".join(x for i, x in enumerate(line.split(";")) if i != 3)
             for line in path.read_text(encoding="cp1252").splitlines()]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="cp1252")
    db = tmp_path / "db.duckdb"
    result = do_import(folder, db)
    assert result.file("child_interviews").rows_loaded == 1  # K-2, the exemption
    assert {(q[2], q[3], q[5]) for q in quarantine(db)} == {
        (2, "held_on", Reason.NOT_HELD_NOR_EXEMPTED.value),
        (4, "held_on", Reason.NOT_HELD_NOR_EXEMPTED.value)}
