"""The audit log: append-only (UPDATE and DELETE refused by the database itself), never a CPR
number in any field, a closed list of actions, filters as bound parameters, and writers in several
processes at once losing nothing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from kpis.access import audit
from kpis.access.audit import AuditAction, AuditFilter, filter_sql, read, record, scrub
from kpis.data.cpr import contains_cpr

CET = audit.DANISH_TZ


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "audit" / "audit.sqlite"
    monkeypatch.setenv(audit.AUDIT_ENV, str(path))
    return path


def test_record_and_read_back_newest_first(log: Path):
    record("anne", "analyst", "*|None|1", AuditAction.EXPORT, page="fristoversigt",
           detail="fristoversigt-2025-06-30.csv")
    record("bo", "department_head", "Team Nord|None|1", "view_case_rows", page="afdeling",
           kpi="bfu_4_mdr", period="2025-Q2", detail="team=Team Nord")
    df = read()
    assert df["actor"].to_list() == ["bo", "anne"]
    row = df.row(0, named=True)
    assert row == {**row, "role": "department_head", "scope": "Team Nord|None|1",
                   "action": "view_case_rows", "page": "afdeling", "kpi": "bfu_4_mdr",
                   "period": "2025-Q2", "detail": "team=Team Nord"}
    assert datetime.fromisoformat(row["at"]).utcoffset() is not None  # when, with its offset
    assert log.exists()


def test_the_path_comes_from_the_environment(log: Path):
    assert audit.audit_path() == log
    record("anne", "analyst", "*", "login")
    assert read(path=log).height == 1


def test_reading_a_log_that_does_not_exist_yet_is_empty(tmp_path: Path):
    df = read(path=tmp_path / "none.sqlite")
    assert df.height == 0 and df.columns == list(audit.COLUMNS)
    assert not (tmp_path / "none.sqlite").exists()


@pytest.mark.parametrize("sql", [
    "UPDATE audit_log SET actor = 'someone else'",
    "UPDATE audit_log SET detail = NULL WHERE id = 1",
    "DELETE FROM audit_log",
    "DELETE FROM audit_log WHERE id = 1",
])
def test_update_and_delete_are_refused_by_the_database(log: Path, sql: str):
    record("anne", "analyst", "*", "export", detail="x.csv")
    conn = sqlite3.connect(log)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
        conn.rollback()
    finally:
        conn.close()
    assert read()["actor"].to_list() == ["anne"]
    assert read()["detail"].to_list() == ["x.csv"]


def test_an_action_outside_the_closed_list_is_refused(log: Path):
    with pytest.raises(ValueError):
        record("anne", "analyst", "*", "peek")
    record("anne", "analyst", "*", "login")
    conn = sqlite3.connect(log)  # and the table's CHECK refuses it too, past this module
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO audit_log (at, actor, role, scope, action) "
                     "VALUES ('2025-01-01', 'x', 'y', 'z', 'peek')")
    conn.close()
    assert read()["action"].to_list() == ["login"]


CPRS = ["0102031234", "010203-1234", "010203 1234", "010203–1234", "010203.1234",
        "3112994321", "x0102031234y", "120102031234"]


@pytest.mark.parametrize("cpr", CPRS)
def test_scrub_removes_anything_shaped_like_a_cpr_number(cpr: str):
    out = scrub(f"sag for {cpr} åbnet")
    assert audit.CPR_REDACTED in out and out.startswith("sag for ")
    assert not contains_cpr(out)


@pytest.mark.parametrize("text", ["2025-Q2", "Team Nord|5|0", "bfu_4_mdr", "R12-2025-03",
                                  "2025-06-30T14.07.38-1a2b3c4d", "fristoversigt-2025-06-30.csv",
                                  "123456789", "12345-67890"])
def test_scrub_leaves_ordinary_text_alone(text: str):
    assert scrub(text) == text


def test_no_field_ever_holds_a_cpr_number(log: Path):
    cpr = "0102031234"
    record(f"bruger {cpr}", f"analyst {cpr}", "010203-1234|None|1", "export",
           page=f"side {cpr}", kpi=f"kpi {cpr}", period="010203 1234",
           detail=f"fil sag-{cpr}.csv (CPR 010203-1234)")
    row = read().row(0, named=True)
    for column, value in row.items():
        if isinstance(value, str):
            assert not contains_cpr(value), (column, value)
            assert "010203" not in value, (column, value)
    # and nothing in the file itself, not even in a page the WAL has not checkpointed yet
    raw = b"".join(p.read_bytes() for p in log.parent.iterdir() if p.is_file())
    assert cpr.encode() not in raw and b"010203-1234" not in raw and b"010203 1234" not in raw


def test_filters_are_bound_parameters_and_hostile_text_stays_text(log: Path):
    hostile = "'; DELETE FROM audit_log; --"
    record("anne", "analyst", "*", "export", detail=hostile)
    record("bo", "analyst", "*", "import", detail="100% indlæst_ok")
    sql, params = filter_sql(AuditFilter(actor=hostile, text=hostile))
    assert "DELETE" not in sql and hostile in params
    assert read(filters=AuditFilter(text=hostile))["actor"].to_list() == ["anne"]
    # % and _ are literal in the search, not wildcards
    assert read(filters=AuditFilter(text="1%"))["actor"].to_list() == []
    assert read(filters=AuditFilter(text="t%k"))["actor"].to_list() == []
    assert read(filters=AuditFilter(text="l_st"))["actor"].to_list() == []
    assert read(filters=AuditFilter(text="100% indlæst_ok"))["actor"].to_list() == ["bo"]
    assert read().height == 2


def test_filters_by_actor_action_and_day(log: Path):
    record("anne", "analyst", "*", "export", at=datetime(2025, 3, 1, 23, 30, tzinfo=CET))
    record("Bo", "analyst", "*", "import", at=datetime(2025, 3, 2, 0, 30, tzinfo=CET))
    record("anne", "analyst", "*", "login", at=datetime(2025, 3, 3, 12, 0, tzinfo=CET))
    assert read(filters=AuditFilter(actor="bo"))["actor"].to_list() == ["Bo"]
    got = read(filters=AuditFilter(actions=(AuditAction.EXPORT, AuditAction.LOGIN)))
    assert got["action"].to_list() == ["login", "export"]
    day = read(filters=AuditFilter(since=date(2025, 3, 2), until=date(2025, 3, 2)))
    assert day["action"].to_list() == ["import"]
    assert read(filters=AuditFilter(until=date(2025, 3, 2))).height == 2
    assert read(limit=1)["action"].to_list() == ["login"]
    assert audit.actors() == ["Bo", "anne"]


def test_csv_for_danish_excel(log: Path):
    record("anne", "analyst", "*", "export", detail="a;b")
    data = audit.to_csv_bytes(read())
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].split(";") == list(audit.COLUMNS)
    assert '"a;b"' in text


_WRITER = """
import sys, time
from pathlib import Path
from kpis.access.audit import record
path, actor, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
while not go.exists():
    time.sleep(0.01)
for i in range(n):
    record(actor, "analyst", "*", "export", detail=f"{actor}-{i}", path=Path(path))
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path):
    # Separate interpreters (not multiprocessing): a spawned child would re-run whatever script
    # an earlier AppTest left as __main__.
    path = tmp_path / "audit.sqlite"
    go = tmp_path / "go"
    n = 150
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), actor, str(n), str(go)])
             for actor in ("proces-a", "proces-b")]
    go.touch()  # both start writing at once
    for p in procs:
        assert p.wait(timeout=120) == 0
    df = read(None, path=path)
    assert df.height == 2 * n
    assert sorted(df["id"].to_list()) == list(range(1, 2 * n + 1))
    for actor in ("proces-a", "proces-b"):
        mine = df.filter(df["actor"] == actor).sort("id")["detail"].to_list()
        assert mine == [f"{actor}-{i}" for i in range(n)]  # each writer's order is kept
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_an_import_from_the_command_line_is_logged_under_the_os_user(log: Path, tmp_path: Path,
                                                                    capsys):
    import getpass

    from kpis.cli import main
    from tests.tiny_export import write_tiny_export

    export = write_tiny_export(tmp_path / "udtraek-0102031234")  # a CPR number in a file name
    db = tmp_path / "s.duckdb"
    assert main(["import", str(export), "--db", str(db), "--profile", "canonical",
                 "--as-of", "2025-06-30"]) == 0
    assert main(["import", str(tmp_path / "findes-ikke"), "--db", str(db)]) == 2
    capsys.readouterr()
    entries = read(filters=AuditFilter(actions=(AuditAction.IMPORT,)))
    assert entries["actor"].to_list() == [getpass.getuser()] * 2
    assert set(entries["role"]) == {"kommandolinje"}
    refused, done = entries["detail"].to_list()
    assert done.endswith(": indlæst") and str(db) in done
    assert "afvist" in refused
    assert "0102031234" not in done and audit.CPR_REDACTED in done


@pytest.mark.parametrize(("key", "shown"), [  # written by hand
    ("*|5|0", "Hele afdelingen; tal under 5 skjult; kun nøgletal, ingen sager"),
    ("*|None|1", "Hele afdelingen"),
    ("Team Nord|None|1", "Team Nord"),
    ("Team Nord,Team Syd|None|1", "Team Nord, Team Syd"),
    ("*", "Hele afdelingen"),  # the command line
    ("", ""),  # a refused login: nobody was let in
    ("noget andet", "noget andet"),
])
def test_the_access_column_says_in_danish_what_the_user_could_see(key, shown):
    assert audit.scope_da(key) == shown


def test_the_administrators_table_has_danish_access_and_no_none(log: Path):
    record("komm", "committee", "*|5|0", AuditAction.LOGIN, page="Log ind")
    record("", "", "", AuditAction.LOGIN_FAILED)
    table = audit.table_da(read(), {"committee": "Udvalgsmedlem"})
    committee = "Hele afdelingen; tal under 5 skjult; kun nøgletal, ingen sager"
    assert table["Adgang"].to_list() == ["", committee]
    assert table.row(1, named=True) == {**table.row(1, named=True), "Rolle": "Udvalgsmedlem",
                                        "Side": "Log ind", "Nøgletal": "", "Periode": "",
                                        "Detaljer": ""}
    assert table.row(0, named=True)["Side"] == ""
    cells = [v for row in table.rows() for v in row]
    assert None not in cells and "None" not in cells


def test_pages_are_shown_and_found_by_their_menu_titles(log: Path):
    record("bo", "analyst", "*|None|1", AuditAction.VIEW_CASE_ROWS, page="afdeling")
    record("bo", "analyst", "*|None|1", AuditAction.EXPORT, page="fristoversigt",
           detail="fristoversigt-2026-11-20.csv")
    record("bo", "analyst", "", AuditAction.LOGIN, page="Log ind")
    titles = {"afdeling": "Teams og sagsbehandlere", "fristoversigt": "Fristoversigt"}
    table = audit.table_da(read(), page_titles=titles)
    assert table["Side"].to_list() == ["Log ind", "Fristoversigt", "Teams og sagsbehandlere"]
    # the title is not in the stored row: the caller names the pages whose title it matched
    assert read(filters=AuditFilter(text="sagsbehandlere")).is_empty()
    found = read(filters=AuditFilter(text="sagsbehandlere", text_pages=("afdeling",)))
    assert found["page"].to_list() == ["afdeling"]
    both = read(filters=AuditFilter(text="fristoversigt", text_pages=("fristoversigt",)))
    assert both["page"].to_list() == ["fristoversigt"]  # found twice, listed once


def test_a_log_begun_before_an_action_existed_takes_it_and_keeps_its_entries(log: Path):
    """A log written by an earlier version (its CHECK lists fewer actions) accepts the newer
    action, keeps every entry with its id, and stays append-only."""
    log.parent.mkdir(parents=True)
    old_actions = "'view_case_rows', 'export', 'definition_change', 'import', 'login', " \
                  "'logout', 'login_failed'"
    conn = sqlite3.connect(log)
    conn.executescript(
        audit.SCHEMA_SQL[0].replace(audit._ACTIONS_SQL, old_actions) + ";\n"
        + ";\n".join(audit.SCHEMA_SQL[1:]) + ";\n"
        "INSERT INTO audit_log (at, actor, role, scope, action) VALUES "
        "('2026-01-05T09:00:00+01:00', 'anne', 'analyst', '*', 'login'), "
        "('2026-01-05T09:05:00+01:00', 'anne', 'analyst', '*', 'export');")
    conn.close()
    with pytest.raises(sqlite3.IntegrityError):  # what the old table does by itself
        c = sqlite3.connect(log)
        try:
            c.execute("INSERT INTO audit_log (at, actor, role, scope, action) VALUES "
                      "('x', 'u', 'r', 's', 'page_refused')")
        finally:
            c.close()

    new_id = record("ulla", "committee", "*", AuditAction.PAGE_REFUSED, page="fristoversigt")
    df = read().sort("id")
    assert df["id"].to_list() == [1, 2, 3] and new_id == 3
    assert df["action"].to_list() == ["login", "export", "page_refused"]
    conn = sqlite3.connect(log)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit_log WHERE id = 1")
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert names >= {"audit_log", "audit_log_at"}
        assert not any(n.startswith("audit_log_") and n != "audit_log_at"
                       and "no_" not in n for n in names)  # no copy left behind
    finally:
        conn.close()
