"""Every moment is stored in UTC and shown in Danish time, whatever the server's clock says.

On a UTC server a time stored as "the server's local time" and shown as if it were Danish is an
hour early in winter and two in summer; on a Danish server, a time stored that way would be read
back wrong. Expected texts are computed by hand: Danish time is UTC+1 in winter, UTC+2 in summer.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest
from tiny_export import TINY_KEY, write_tiny_export

from kpis.data.importer import run_import
from kpis.data.snapshot import connect
from kpis.present.formatting import danish_time_columns, danish_today
from kpis.rules.history import history_for, text_hash
from tests.test_validation import GOOD

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 60


@pytest.fixture
def danish_server_clock(monkeypatch):
    """The process's local time zone set to Danish time, as on a server set up in Denmark."""
    monkeypatch.setenv("TZ", "Europe/Copenhagen")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _close_to_utc_now(moment: datetime) -> bool:
    """Within a minute of now in UTC (the local clock is an hour or two off, so this tells
    whether UTC or the local time was stored)."""
    return abs(moment - datetime.now(UTC).replace(tzinfo=None)) < timedelta(minutes=1)


def test_danish_time_columns_of_a_table():
    utc = pl.DataFrame({"at": [datetime(2026, 11, 20, 15, 16), datetime(2026, 7, 1, 15, 16)]})
    shown = danish_time_columns(utc, "at")
    assert shown["at"].to_list() == [datetime(2026, 11, 20, 16, 16), datetime(2026, 7, 1, 17, 16)]
    aware = utc.with_columns(pl.col("at").dt.replace_time_zone("UTC"))
    assert danish_time_columns(aware, "at")["at"].to_list() == shown["at"].to_list()


def test_an_import_stores_its_time_in_utc(tmp_path: Path, danish_server_clock):
    assert time.localtime().tm_gmtoff in (3600, 7200)  # the clock is Danish now
    result = run_import(write_tiny_export(tmp_path / "export"), tmp_path / "db.duckdb",
                        profile="canonical", as_of=date(2025, 6, 30), pseudonym_key=TINY_KEY)
    assert _close_to_utc_now(result.imported_at)


def test_a_definition_change_stores_its_time_in_utc(tmp_path: Path, danish_server_clock):
    path = tmp_path / "kpis.yaml"
    path.write_text(GOOD, encoding="utf-8")
    hist = history_for(path, tmp_path / "history")
    version = hist.save(GOOD.replace("target: 0.9", "target: 0.8"), opened_hash=text_hash(GOOD),
                        who="Anne", reason="ny målsætning")
    assert _close_to_utc_now(version.at)


@pytest.fixture
def imported_at(request, tmp_path: Path, monkeypatch) -> Path:
    """A snapshot whose import ran at the given moment (UTC, as the importer stores it)."""
    db = tmp_path / "tiny.duckdb"
    run_import(write_tiny_export(tmp_path / "export"), db, profile="canonical",
               as_of=date(2025, 6, 30), pseudonym_key=TINY_KEY)
    conn = connect(db, read_only=False)
    try:
        for table in ("snapshot_meta", "import_history"):
            conn.execute(f"UPDATE {table} SET imported_at = ?", [request.param])
    finally:
        conn.close()
    monkeypatch.setenv("PEJLEMAERKER_DB", str(db))
    return db


@pytest.mark.usefixtures("clear_streamlit_caches")
@pytest.mark.parametrize(("imported_at", "shown"), [
    (datetime(2026, 11, 20, 15, 16), "20. november 2026 kl. 16.16"),  # winter: UTC+1
    (datetime(2026, 7, 1, 15, 16), "1. juli 2026 kl. 17.16"),  # summer: UTC+2
], indirect=["imported_at"])
def test_sidebar_and_data_page_show_the_import_in_danish_time(imported_at, shown):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.message for e in at.exception]
    assert f"Senest indlæst {shown}" in [c.value for c in at.sidebar.caption]
    at.switch_page("pages/oversigt_data.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert any(f"indlæst {shown} med profilen" in m.value for m in at.markdown)
    history = at.dataframe[-1].value
    local = datetime.strptime(shown.split(" kl. ")[1], "%H.%M").time()
    assert [t.time() for t in history["imported_at"]] == [local]


@pytest.mark.parametrize(("now", "today"), [  # by hand
    (datetime(2026, 11, 20, 22, 59, tzinfo=UTC), date(2026, 11, 20)),  # 23.59 in Denmark
    (datetime(2026, 11, 20, 23, 0, tzinfo=UTC), date(2026, 11, 21)),  # Danish midnight
    (datetime(2026, 7, 1, 22, 0, tzinfo=UTC), date(2026, 7, 2)),  # summer: UTC+2
])
def test_today_is_the_danish_date(now, today):
    """The audit log's "Til og med" starts on today's Danish date: on a UTC server the last
    hour (two in summer) of a Danish day would otherwise fall outside it."""
    assert danish_today(now) == today
