"""AppTest: the app renders on the demo database, and the Data page shows what was imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from kpis.data.inventory import load_inventory, snapshot_info
from kpis.present.formatting import format_date_da, format_int_da

pytestmark = pytest.mark.usefixtures("clear_streamlit_caches")

TIMEOUT = 60
APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _run(demo_db: Path, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [s.value for s in at.success]
    return "\n".join(parts)


def test_app_renders_with_sidebar_dates(demo_db: Path):
    at = _run(demo_db)
    meta = snapshot_info(demo_db)
    sidebar = "\n".join([m.value for m in at.sidebar.markdown] + [c.value for c in at.sidebar.caption])
    assert f"Data opgjort pr. **{format_date_da(meta.as_of)}**" in sidebar
    assert "Senest indlæst " in sidebar
    assert not at.error


def test_data_page_shows_tables_files_and_quarantine(demo_db: Path):
    at = _run(demo_db, "pages/oversigt_data.py")
    inv = load_inventory(demo_db)

    assert [t.value for t in at.title] == ["Data"]
    # The page ran inside app.py's frame.
    assert at.sidebar.markdown[0].value.startswith("Data opgjort pr. ")
    headers = [h.value for h in at.subheader]
    assert headers == ["Indlæs et nyt udtræk", "Tabeller", "Dækning",
                       "Filer i seneste indlæsning", "Karantæne", "Indlæsninger"]

    assert f"opgjort pr. **{format_date_da(inv.meta.as_of)}**" in _texts(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rækker indlæst"] == format_int_da(inv.rows_loaded)
    assert metrics["Rækker i karantæne"] == format_int_da(inv.rows_quarantined)

    frames = [df.value for df in at.dataframe]
    tables = frames[0]
    assert list(tables["label_da"]) == [
        "Sager", "Underretninger", "Børnefaglige undersøgelser", "Børnesamtaler", "Indsatser",
        "Planer", "Opfølgninger", "Tilsynsbesøg",
    ]
    assert (tables["rows"] > 0).all()

    missing = frames[1]
    assert (missing["share_missing"].between(0, 1)).all()
    files = frames[2]
    assert (files["read"] == files["loaded"] + files["quarantined"]).all()

    # The demo export carries a handful of bad rows: the page lists each with its reason.
    assert inv.quarantine_records > 0
    assert f"**{format_int_da(inv.rows_quarantined)}** rækker kunne ikke indlæses" in _texts(at)
    quarantine = frames[4]
    assert len(quarantine) == inv.quarantine_records
    assert {"file", "row", "column_label", "value", "reason"} <= set(quarantine.columns)
    assert quarantine["reason"].notna().all()
    # The demo's BFU completed after the as-of date is a finding: listed, its row loaded.
    assert inv.findings_kept == 1
    assert "**1** fejl holdt ikke rækken tilbage" in _texts(at)
    kept = quarantine[quarantine["row_state"] == "indlæst"]
    assert list(kept["reason"]) == ["dato efter opgørelsesdatoen"]

    history = frames[5]
    assert len(history) >= 1


def test_missing_snapshot_is_explained_not_crashed(tmp_path: Path, monkeypatch):
    bad = tmp_path / "not-a-snapshot.duckdb"
    bad.write_bytes(b"this is not a database")
    monkeypatch.setenv("PEJLEMAERKER_DB", str(bad))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "kan ikke læses" in at.error[0].value


def test_sidebar_follows_a_new_import(tmp_path: Path, monkeypatch):
    """Caches are keyed on the snapshot: after an import replaces the file, the next run shows it."""
    from datetime import date

    from tiny_export import TINY_KEY, write_tiny_export

    from kpis.data.importer import run_import

    export = write_tiny_export(tmp_path / "export")
    db = tmp_path / "tiny.duckdb"
    run_import(export, db, profile="canonical", as_of=date(2025, 6, 30), pseudonym_key=TINY_KEY)
    monkeypatch.setenv("PEJLEMAERKER_DB", str(db))

    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert "Data opgjort pr. **30. juni 2025**" in at.sidebar.markdown[0].value

    run_import(export, db, profile="canonical", as_of=date(2025, 7, 31), pseudonym_key=TINY_KEY)
    at.run()
    assert not at.exception
    assert "Data opgjort pr. **31. juli 2025**" in at.sidebar.markdown[0].value
    assert any("opgjort pr. **31. juli 2025**" in m.value for m in at.markdown)


def test_first_start_builds_and_imports_the_demo(tmp_path: Path, monkeypatch):
    from kpis.data.demo import DEMO_AS_OF

    db = tmp_path / "new" / "pejlemaerker.duckdb"
    monkeypatch.setenv("PEJLEMAERKER_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert db.is_file()
    assert f"Data opgjort pr. **{format_date_da(DEMO_AS_OF)}**" in at.sidebar.markdown[0].value
    assert load_inventory(db).rows_loaded > 10_000
