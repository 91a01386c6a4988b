"""One snapshot per page run: an import that replaces the database file in the middle of a run
never gives the sidebar one snapshot and the page (or its queries) another.

The import is made to land at the worst moments by a hook, so the window is hit on every run:
right after the sidebar was drawn, and right before a page's own query opens the database.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from tiny_export import TINY_KEY, write_tiny_export

from kpis.data import inventory
from kpis.data.importer import run_import
from kpis.data.snapshot import connect, hold_snapshot, snapshot_meta

pytestmark = pytest.mark.usefixtures("clear_streamlit_caches")

TIMEOUT = 60
APP = str(Path(__file__).resolve().parent.parent / "app.py")
OLD, NEW = date(2025, 6, 30), date(2025, 7, 31)
OLD_TEXT, NEW_TEXT = "30. juni 2025", "31. juli 2025"  # by hand


@pytest.fixture
def two_snapshots(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """The served database (the tiny export as of 30 June) and, beside it, the next import's
    finished file (as of 31 July), ready to be moved onto the database path."""
    export = write_tiny_export(tmp_path / "export")
    db, new = tmp_path / "db" / "tiny.duckdb", tmp_path / "next" / "tiny.duckdb"
    run_import(export, db, profile="canonical", as_of=OLD, pseudonym_key=TINY_KEY)
    run_import(export, new, profile="canonical", as_of=NEW, pseudonym_key=TINY_KEY)
    monkeypatch.setenv("PEJLEMAERKER_DB", str(db))
    return db, new


def _land(new: Path, db: Path) -> None:
    """What an import's last step does: move the finished file onto the path (os.replace)."""
    staged = db.with_name(".staged.tmp")
    shutil.copyfile(new, staged)
    os.replace(staged, db)


def _sidebar_date(at: AppTest) -> str:
    return at.sidebar.markdown[0].value


def test_a_held_snapshot_keeps_reading_its_file_after_the_swap(two_snapshots):
    db, new = two_snapshots
    held = hold_snapshot(db)
    _land(new, db)
    conn = held.connect()
    try:
        assert snapshot_meta(conn).as_of == OLD  # the file it opened, not the path's new one
    finally:
        conn.close()
    assert held.meta.as_of == OLD
    assert hold_snapshot(db).meta.as_of == NEW  # the next run opens the new one


def test_import_after_the_sidebar_does_not_split_the_overview(two_snapshots, monkeypatch):
    """The import lands between the sidebar and the page body: both show one snapshot."""
    from pages import _frame

    db, new = two_snapshots
    draw_sidebar = _frame.render_sidebar
    landed = []

    def sidebar_then_import(meta):
        draw_sidebar(meta)
        if not landed:
            _land(new, db)
            landed.append(meta.as_of)

    monkeypatch.setattr(_frame, "render_sidebar", sidebar_then_import)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.message for e in at.exception]
    assert landed == [OLD]
    sidebar = _sidebar_date(at)
    body = next(m.value for m in at.markdown if "Børne- og Familieudvalgets" in m.value)
    shown = {d for d in (OLD_TEXT, NEW_TEXT) if d in sidebar}
    assert len(shown) == 1, sidebar
    assert f"opgjort pr. **{shown.pop()}**" in body, (sidebar, body)


def test_a_page_query_reads_the_snapshot_of_its_run(two_snapshots, monkeypatch):
    """The import lands just before the Data page's own query opens the database: the query
    reads the snapshot whose dates the sidebar and the page show, not the new file."""
    db, new = two_snapshots
    load = inventory.load_inventory
    read = []

    def import_then_load(source, *args, **kwargs):
        _land(new, db)
        result = load(source, *args, **kwargs)
        read.append(result.meta.as_of)
        return result

    monkeypatch.setattr(inventory, "load_inventory", import_then_load)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/oversigt_data.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert f"**{OLD_TEXT}**" in _sidebar_date(at)
    assert any(f"opgjort pr. **{OLD_TEXT}**" in m.value for m in at.markdown)
    assert read == [OLD]  # the page's rows came from the snapshot it shows
    conn = connect(db)
    try:
        assert snapshot_meta(conn).as_of == NEW  # the import did land
    finally:
        conn.close()
