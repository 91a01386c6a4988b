"""kpis.data.inventory over a tiny export whose counts are known by hand, and over the demo."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from tiny_export import TINY_KEY, write_tiny_export

from kpis.data import inventory
from kpis.data.importer import run_import
from kpis.data.schema import TABLE_ORDER


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    export = write_tiny_export(root / "export")
    db = root / "tiny.duckdb"
    run_import(export, db, profile="canonical", as_of=date(2025, 6, 30), pseudonym_key=TINY_KEY)
    return db


def test_snapshot_info(tiny_db: Path):
    meta = inventory.snapshot_info(tiny_db)
    assert meta.as_of == date(2025, 6, 30)
    assert meta.profile == "canonical"
    assert meta.snapshot_id


def test_snapshot_info_of_missing_or_foreign_file(tmp_path: Path):
    with pytest.raises(inventory.SnapshotUnavailable):
        inventory.snapshot_info(tmp_path / "nothing.duckdb")
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database")
    with pytest.raises(inventory.SnapshotUnavailable):
        inventory.snapshot_info(junk)


def test_inventory_counts_by_hand(tiny_db: Path):
    inv = inventory.load_inventory(tiny_db)

    assert inv.tables["table"].to_list() == list(TABLE_ORDER)
    assert inv.tables["label_da"][0] == "Sager"
    rows = dict(zip(inv.tables["table"], inv.tables["rows"], strict=True))
    assert rows == {
        "cases": 2, "notifications": 1, "investigations": 0, "child_interviews": 0,
        "measures": 0, "plans": 0, "follow_ups": 0, "supervision_visits": 0,
    }

    files = {r["file"]: r for r in inv.files.iter_rows(named=True)}
    assert list(files) == ["cases.csv", "notifications.csv", "investigations.csv", "measures.csv"]
    assert (files["cases.csv"]["read"], files["cases.csv"]["loaded"],
            files["cases.csv"]["quarantined"]) == (3, 2, 1)
    assert (files["notifications.csv"]["read"], files["notifications.csv"]["loaded"],
            files["notifications.csv"]["quarantined"]) == (2, 1, 1)
    assert files["notifications.csv"]["label_da"] == "Underretninger"

    assert inv.rows_loaded == 3
    assert inv.rows_quarantined == 2
    assert inv.quarantine_records == 2
    q = inv.quarantine_rows.select("file", "row", "column", "column_label", "value").rows()
    # Row numbers as a spreadsheet shows them: the header is row 1.
    assert q == [
        ("cases.csv", 4, "case_id", "Sagsnummer", "C2"),
        ("notifications.csv", 3, "case_id", "Sagsnummer", "C9"),
    ]
    assert inv.quarantine_by_reason["records"].sum() == 2

    history = inv.history.row(0, named=True)
    assert inv.history.height == 1
    assert (history["files"], history["read"], history["loaded"], history["quarantined"]) == (
        4, 5, 3, 2,
    )
    assert history["snapshot_id"] == inv.meta.snapshot_id


def test_quarantine_limit(tiny_db: Path):
    inv = inventory.load_inventory(tiny_db, quarantine_limit=1)
    assert inv.quarantine_rows.height == 1
    assert inv.quarantine_records == 2


def test_demo_counts_are_conserved(demo_db: Path):
    inv = inventory.load_inventory(demo_db)
    for f in inv.files.iter_rows(named=True):
        assert f["read"] == f["loaded"] + f["quarantined"], f["file"]
    loaded = dict(zip(inv.files["table"], inv.files["loaded"], strict=True))
    for t in inv.tables.iter_rows(named=True):
        assert t["rows"] == loaded.get(t["table"], 0), t["table"]
    assert inv.history.height >= 1


def test_file_fingerprint_changes_when_the_file_is_replaced(tmp_path: Path):
    db = tmp_path / "x.duckdb"
    assert inventory.file_fingerprint(db) is None
    db.write_bytes(b"a")
    first = inventory.file_fingerprint(db)
    other = tmp_path / "y.duckdb"
    other.write_bytes(b"bb")
    other.replace(db)
    assert inventory.file_fingerprint(db) != first
