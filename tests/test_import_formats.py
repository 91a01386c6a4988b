"""Dialects and formats: the same export as CSV (several dialects), Parquet and xlsx gives the same
snapshot; date-only timestamps are flagged; profiles are detected from file names."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_import_support import (
    DUBU_CSV,
    ROWS,
    all_tables,
    copy_fixture,
    do_import,
    expected_rows,
    table_rows,
    text_rows,
    write_canonical_csv,
    write_csv,
    write_parquet,
    write_xlsx,
)

from kpis.data.schema import TABLE_ORDER


def test_handmade_cp1252_export_loads_every_row_as_expected(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    result = do_import(DUBU_CSV, db)
    assert result.profile == "dubu_dk"  # detected from the Danish file names
    assert result.rows_quarantined == 0
    for name in TABLE_ORDER:
        assert table_rows(db, name) == expected_rows(name), name
        assert result.file(name).rows_loaded == len(ROWS[name])


def test_csv_parquet_and_xlsx_of_the_same_data_give_identical_tables(tmp_path: Path) -> None:
    from_csv, from_parquet, from_xlsx = (tmp_path / f"{k}.duckdb" for k in ("csv", "pq", "xlsx"))
    do_import(DUBU_CSV, from_csv)
    parquet = do_import(write_parquet(tmp_path / "parquet"), from_parquet)
    workbook = do_import(write_xlsx(tmp_path / "export.xlsx"), from_xlsx)
    assert parquet.profile == "canonical"
    assert workbook.profile == "dubu_dk"
    assert workbook.rows_quarantined == parquet.rows_quarantined == 0
    assert all_tables(from_parquet) == all_tables(from_csv)
    assert all_tables(from_xlsx) == all_tables(from_csv)


@pytest.mark.parametrize(
    ("encoding", "sep"), [("utf-8", ","), ("utf-8-sig", ";"), ("utf-8-sig", ","), ("cp1252", ",")]
)
def test_encodings_and_separators(tmp_path: Path, encoding: str, sep: str) -> None:
    folder = write_csv(tmp_path / "export", text_rows(), encoding=encoding, sep=sep)
    db = tmp_path / "db.duckdb"
    result = do_import(folder, db)
    assert result.rows_quarantined == 0
    assert all_tables(db) == {name: expected_rows(name) for name in TABLE_ORDER}


def test_date_only_timestamps_have_has_time_false(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    do_import(DUBU_CSV, db)
    from kpis.data.snapshot import connect

    conn = connect(db)
    rows = conn.execute(
        "SELECT notification_id, received_at_has_time, assessed_at_has_time FROM notifications "
        "ORDER BY notification_id"
    ).fetchall()
    conn.close()
    assert rows == [("N-1", True, True), ("N-2", False, False), ("N-3", True, None),
                    ("N-4", True, True)]


def test_iso_dates_canonical_headers_and_values_are_read_without_a_profile(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    result = do_import(write_canonical_csv(tmp_path / "canonical"), db)
    assert result.profile == "canonical"
    assert result.rows_quarantined == 0
    assert all_tables(db) == {name: expected_rows(name) for name in TABLE_ORDER}


def test_unknown_columns_and_files_are_ignored_and_named_in_the_summary(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    (folder / "noter.txt").write_text("ikke data", encoding="utf-8")
    result = do_import(folder, tmp_path / "db.duckdb")
    assert result.file("cases").ignored_columns == ("Bemærkning",)
    assert result.ignored_files == ("noter.txt",)
    summary = result.summary_text()
    assert "Bemærkning" in summary and "noter.txt" in summary


def test_optional_tables_may_be_absent(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    for stem in ("tilsynsbesoeg", "opfoelgninger", "planer", "boernesamtaler"):
        (folder / f"{stem}.csv").unlink()
    db = tmp_path / "db.duckdb"
    result = do_import(folder, db)
    assert set(result.absent_tables) == {"supervision_visits", "follow_ups", "plans",
                                         "child_interviews"}
    assert table_rows(db, "plans") == []
    assert "valgfrie tabeller" in result.summary_text()


def test_an_explicit_profile_overrides_detection(tmp_path: Path) -> None:
    from kpis.data.importer import ImportRefused

    with pytest.raises(ImportRefused, match="cases"):
        do_import(DUBU_CSV, tmp_path / "db.duckdb", profile="canonical")
    with pytest.raises(ImportRefused, match="Ukendt profil"):
        do_import(DUBU_CSV, tmp_path / "db.duckdb", profile="sbsys")


def test_a_refusal_names_every_missing_required_table(tmp_path: Path) -> None:
    from kpis.data.importer import ImportRefused

    folder = copy_fixture(tmp_path)
    for stem in ("underretninger", "indsatser"):
        (folder / f"{stem}.csv").unlink()
    db = tmp_path / "db.duckdb"
    with pytest.raises(ImportRefused) as refused:
        do_import(folder, db)
    assert refused.value.message == (
        f"Eksporten mangler 2 påkrævede tabeller i {folder.name}: "
        "Underretninger (notifications): forventede filen underretninger.csv eller "
        "underretninger.parquet; Indsatser (measures): forventede filen indsatser.csv eller "
        "indsatser.parquet.")
    assert not db.exists()
