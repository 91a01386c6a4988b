"""The snapshot store: refusals leave the database alone, re-imports are idempotent, a failed import
changes nothing, readers keep their snapshot until they reconnect, and imports are recorded."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest
from test_import_support import (
    AS_OF,
    DUBU,
    DUBU_CSV,
    all_tables,
    copy_fixture,
    do_import,
    settings_without_key,
    table_rows,
)

from kpis.data import importer
from kpis.data.importer import ImportRefused, cli_import
from kpis.data.pseudonym import DEMO_KEY
from kpis.data.readers import sha256_file
from kpis.data.snapshot import connect, snapshot_meta


def _state(db: Path) -> tuple[bytes, int]:
    return db.read_bytes(), db.stat().st_mtime_ns


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database holding the clean fixture, imported once."""
    path = tmp_path / "data" / "db.duckdb"
    do_import(DUBU_CSV, path)
    return path


@pytest.fixture
def demo_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """cli_import finds its key the way a real installation does: in the environment."""
    monkeypatch.setenv("PEJLEMAERKER_PSEUDONYM_KEY", DEMO_KEY.decode())


def test_reimporting_an_identical_export_changes_nothing(db: Path) -> None:
    before = _state(db)
    first = snapshot_meta(connect(db))
    again = do_import(DUBU_CSV, db)
    assert again.unchanged
    assert again.snapshot_id == first.snapshot_id
    assert _state(db) == before
    assert "uændret" in again.summary_text()
    assert again.file("cases").rows_loaded == 4


def test_a_new_as_of_date_or_changed_file_makes_a_new_snapshot(db: Path, tmp_path: Path) -> None:
    first = snapshot_meta(connect(db))
    later = do_import(DUBU_CSV, db, as_of=date(2025, 7, 31))
    assert not later.unchanged and later.snapshot_id != first.snapshot_id
    assert snapshot_meta(connect(db)).as_of == date(2025, 7, 31)
    folder = copy_fixture(tmp_path)
    with (folder / "sager.csv").open("a", encoding="cp1252") as fh:
        fh.write("S-104;;Team Syd;Bo Ærø;01-02-2025;;\r\n")
    changed = do_import(folder, db, as_of=date(2025, 7, 31))
    assert not changed.unchanged
    assert len(table_rows(db, "cases")) == 5


def test_every_import_is_recorded_in_the_history(db: Path) -> None:
    do_import(DUBU_CSV, db)  # unchanged: not a new import
    do_import(DUBU_CSV, db, as_of=date(2025, 7, 1))
    conn = connect(db)
    history = conn.execute(
        "SELECT as_of, profile, rows_read, rows_loaded, rows_quarantined, files "
        "FROM import_history ORDER BY imported_at, as_of").fetchall()
    files = conn.execute("SELECT file, table_name, sha256, rows_read FROM import_files "
                         "ORDER BY file").fetchall()
    conn.close()
    assert [(h[0], h[1], h[2], h[3], h[4]) for h in history] == [
        (AS_OF, "dubu_dk", 23, 23, 0), (date(2025, 7, 1), "dubu_dk", 23, 23, 0)]
    assert '"file": "sager.csv"' in history[0][5]
    assert ("sager.csv", "cases", sha256_file(DUBU_CSV / "sager.csv"), 4) in files


def test_an_import_that_fails_halfway_leaves_the_previous_snapshot(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, tables_before = _state(db), all_tables(db)
    real_insert = importer._insert_table
    calls = []

    def failing_insert(conn, table):
        calls.append(table.table)
        if len(calls) == 3:
            raise RuntimeError("disken er fuld")
        real_insert(conn, table)

    monkeypatch.setattr(importer, "_insert_table", failing_insert)
    with pytest.raises(RuntimeError, match="disken er fuld"):
        do_import(DUBU_CSV, db, as_of=date(2025, 7, 1))
    assert _state(db) == before
    assert all_tables(db) == tables_before
    assert snapshot_meta(connect(db)).as_of == AS_OF
    assert sorted(p.name for p in db.parent.iterdir()) == [".db.duckdb.lock", "db.duckdb"]


def test_a_reader_keeps_its_snapshot_until_it_reconnects(db: Path) -> None:
    reader = connect(db)
    assert snapshot_meta(reader).as_of == AS_OF
    do_import(DUBU_CSV, db, as_of=date(2025, 8, 1))
    assert snapshot_meta(reader).as_of == AS_OF  # still the old file
    assert reader.execute("SELECT count(*) FROM cases").fetchall() == [(4,)]
    assert snapshot_meta(connect(db)).as_of == date(2025, 8, 1)
    reader.close()


def test_a_reader_in_another_process_is_not_disturbed_by_an_import(db: Path) -> None:
    script = textwrap.dedent("""
        import sys
        from pathlib import Path
        from kpis.data.snapshot import connect, snapshot_meta
        db = Path(sys.argv[1])
        conn = connect(db)
        print(snapshot_meta(conn).as_of, flush=True)
        sys.stdin.readline()  # the parent imports meanwhile
        print(snapshot_meta(conn).as_of, conn.execute("SELECT count(*) FROM cases").fetchall(),
              flush=True)
        print(snapshot_meta(connect(db)).as_of, flush=True)
    """)
    env = dict(os.environ, PYTHONPATH=str(Path(importer.__file__).parents[2]))
    proc = subprocess.Popen([sys.executable, "-c", script, str(db)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline().strip() == str(AS_OF)
    do_import(DUBU_CSV, db, as_of=date(2025, 9, 1))
    out, err = proc.communicate("go\n", timeout=60)
    assert proc.returncode == 0, err
    assert out.splitlines() == [f"{AS_OF} [(4,)]", "2025-09-01"]


def _import_killed_while_writing(db: Path) -> None:
    """An import in another process, killed (SIGKILL) after it has written its temporary file."""
    script = textwrap.dedent("""
        import sys
        from datetime import date
        from pathlib import Path
        from kpis.data import importer
        from test_import_support import DUBU_CSV, do_import
        real_fill = importer._fill
        def fill_then_wait(conn, *args):
            real_fill(conn, *args)
            print("written", flush=True)
            sys.stdin.readline()  # killed here
        importer._fill = fill_then_wait
        do_import(DUBU_CSV, Path(sys.argv[1]), as_of=date(2025, 10, 1))
    """)
    root = Path(importer.__file__).parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root), str(root / "tests")]))
    proc = subprocess.Popen([sys.executable, "-c", script, str(db)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "written", proc.communicate(timeout=60)[1]
    proc.kill()
    proc.communicate(timeout=60)


def _finished_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_next_import_removes_what_a_killed_import_left(db: Path) -> None:
    _import_killed_while_writing(db)
    left = sorted(p.name for p in db.parent.iterdir() if p.name.endswith((".tmp", ".tmp.wal")))
    assert left and all(name.startswith(".db.duckdb.") for name in left), left
    assert snapshot_meta(connect(db)).as_of == AS_OF  # the killed import changed nothing
    do_import(DUBU_CSV, db, as_of=date(2025, 11, 1))
    assert sorted(p.name for p in db.parent.iterdir()) == [".db.duckdb.lock", "db.duckdb"]


def test_only_temporaries_of_dead_imports_into_this_database_are_removed(db: Path) -> None:
    dead = _finished_pid()
    alive = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    try:
        names = {
            f".db.duckdb.{dead}.0123abcd.tmp": False,  # False: removed
            f".db.duckdb.{dead}.0123abcd.tmp.wal": False,
            f".db.duckdb.{alive.pid}.4567cdef.tmp": True,  # an import still at work: kept
            f".db.duckdb.{alive.pid}.4567cdef.tmp.wal": True,
            f".other.duckdb.{dead}.89abcdef.tmp": True,  # another database's: not ours
            f".db.duckdb.{dead}.notes.tmp": True,  # not a name an import makes
            "db.duckdb.tmp": True,
        }
        for name in names:
            (db.parent / name).write_bytes(b"x")
        do_import(DUBU_CSV, db, as_of=date(2025, 11, 1))
        assert snapshot_meta(connect(db)).as_of == date(2025, 11, 1)
        kept = {p.name for p in db.parent.iterdir()}
        assert {n for n, keep in names.items() if keep} <= kept
        assert not {n for n, keep in names.items() if not keep} & kept
    finally:
        alive.stdin.close()
        alive.wait(timeout=60)


def test_a_missing_required_file_is_refused_with_exit_2(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], demo_key_env: None
) -> None:
    before = _state(db)
    folder = copy_fixture(tmp_path)
    (folder / "indsatser.csv").unlink()
    assert cli_import(folder, db, as_of=date(2025, 7, 1)) == 2
    err = capsys.readouterr().err
    assert "indsatser.csv" in err and "measures" in err
    assert _state(db) == before


def test_a_missing_required_column_is_refused_with_exit_2(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], demo_key_env: None
) -> None:
    before = _state(db)
    folder = copy_fixture(tmp_path)
    path = folder / "sager.csv"
    text = path.read_text(encoding="cp1252").replace("Sag oprettet", "Oprettelse")
    path.write_text(text, encoding="cp1252")
    assert cli_import(folder, db, as_of=date(2025, 7, 1)) == 2
    err = capsys.readouterr().err
    assert "sager.csv" in err and "»Sag oprettet«" in err and "opened_on" in err
    assert _state(db) == before


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: p.mkdir(), "er en mappe; angiv en databasefil"),
    (lambda p: p.write_text("sag_id;team\nS-1;Nord\n"), "findes og er ikke en DuckDB-database"),
])
def test_an_import_never_overwrites_what_is_not_a_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], demo_key_env: None, make, message
) -> None:
    target = tmp_path / "target" / "sager.csv"  # e.g. --db pointed at a file of the export
    target.parent.mkdir()
    make(target)
    before = sorted((p.name, p.read_bytes() if p.is_file() else None)
                    for p in target.parent.iterdir())
    assert cli_import(DUBU_CSV, target, as_of=date(2025, 7, 1)) == 2
    err = capsys.readouterr().err
    assert message in err and str(target) in err and "Databasen er ikke ændret" in err
    assert sorted((p.name, p.read_bytes() if p.is_file() else None)
                  for p in target.parent.iterdir()) == before  # not even a lock file


def test_a_refused_first_import_creates_no_database(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    (folder / "sager.csv").unlink()
    db = tmp_path / "new.duckdb"
    with pytest.raises(ImportRefused, match="sager.csv"):
        do_import(folder, db)
    assert not db.exists()


def test_cli_import_prints_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], demo_key_env: None
) -> None:
    assert cli_import(DUBU_CSV, tmp_path / "db.duckdb", as_of=AS_OF) == 0
    out = capsys.readouterr().out
    assert "Opgørelsesdato: 30-06-2025" in out and "I alt" in out and "dubu_dk" in out


def test_cpr_numbers_without_a_key_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportRefused, match="pseudonymnøgle") as caught:
        importer.run_import(DUBU_CSV, tmp_path / "db.duckdb", as_of=AS_OF,
                            settings=settings_without_key(tmp_path))
    assert "PEJLEMAERKER_TEST_NO_SUCH_VAR" in caught.value.message
    assert not (tmp_path / "db.duckdb").exists()


def test_the_key_comes_from_argument_environment_or_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_without_key(tmp_path)
    env = settings.privacy.pseudonym_key_env
    keyfile = Path(settings.privacy.pseudonym_key_file)
    child_ids = {}
    for how in ("argument", "environment", "file"):
        key = f"nøgle til {how} 0123456789".encode()
        monkeypatch.delenv(env, raising=False)
        keyfile.unlink(missing_ok=True)
        if how == "environment":
            monkeypatch.setenv(env, key.decode())
        elif how == "file":
            keyfile.write_bytes(key + b"\n")
        db = tmp_path / f"{how}.duckdb"
        importer.run_import(DUBU_CSV, db, as_of=AS_OF, settings=settings,
                            pseudonym_key=key if how == "argument" else None)
        child_ids[how] = [r[1] for r in table_rows(db, "cases")]
    assert len({tuple(v) for v in child_ids.values()}) == 3  # each key its own pseudonyms


def test_a_too_short_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportRefused, match="for kort"):
        do_import(DUBU_CSV, tmp_path / "db.duckdb", pseudonym_key=b"kort")


def test_an_export_without_cpr_needs_no_key(tmp_path: Path) -> None:
    folder = copy_fixture(tmp_path)
    path = folder / "sager.csv"
    lines = [";".join(line.split(";")[:1] + line.split(";")[2:])
             for line in path.read_text(encoding="cp1252").splitlines()]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="cp1252")
    db = tmp_path / "db.duckdb"
    result = importer.run_import(folder, db, as_of=AS_OF, settings=settings_without_key(tmp_path))
    assert result.rows_quarantined == 0
    assert all(r[1] is None for r in table_rows(db, "cases"))
    assert DUBU.header("cases", "cpr") not in result.summary_text()


def _undecodable(folder: Path) -> None:
    (folder / "sager.csv").write_bytes((folder / "sager.csv").read_bytes() + b"\x81\x8d\r\n")


def _damaged_parquet(folder: Path) -> None:
    (folder / "tilsynsbesoeg.csv").unlink()
    (folder / "tilsynsbesoeg.parquet").write_bytes(b"not parquet")


def _twice(folder: Path) -> None:
    (folder / "planer.parquet").write_bytes(b"")


def _header_twice(folder: Path) -> None:
    path = folder / "opfoelgninger.csv"
    path.write_text(path.read_text(encoding="cp1252").replace("Afholdt", "afholdt;AFHOLDT", 1),
                    encoding="cp1252")


def _no_held_on(folder: Path) -> None:
    # Without held_on the file must have recorded_on and exemption_reason; here it lacks both.
    path = folder / "boernesamtaler.csv"
    text = path.read_text(encoding="cp1252")
    path.write_text(text.replace("Afholdt", "Holdt", 1).replace("Registreret", "Noteret", 1),
                    encoding="cp1252")


@pytest.mark.parametrize(
    ("damage", "words"),
    [(_undecodable, ["sager.csv", "Windows-1252"]),
     (_damaged_parquet, ["tilsynsbesoeg.parquet", "kunne ikke læses"]),
     (_twice, ["planer.csv", "planer.parquet"]),
     (_header_twice, ["opfoelgninger.csv", "»Afholdt«", "mere end én gang"]),
     (_no_held_on, ["boernesamtaler.csv", "»Afholdt«", "held_on"])],
)
def test_unreadable_exports_are_refused_and_create_nothing(tmp_path: Path, damage,
                                                           words: list[str]) -> None:
    folder = copy_fixture(tmp_path)
    damage(folder)
    db = tmp_path / "data" / "db.duckdb"
    with pytest.raises(ImportRefused) as caught:
        do_import(folder, db)
    for word in words:
        assert word in caught.value.message
    assert not db.parent.exists()  # not even the folder or the lock file


def test_a_path_that_is_neither_folder_nor_workbook_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportRefused, match="hverken en mappe"):
        do_import(DUBU_CSV / "sager.csv", tmp_path / "db.duckdb")
    with pytest.raises(ImportRefused, match="findes ikke"):
        do_import(tmp_path / "nowhere", tmp_path / "db.duckdb")


def test_the_as_of_date_defaults_to_today(tmp_path: Path) -> None:
    db = tmp_path / "db.duckdb"
    result = importer.run_import(DUBU_CSV, db, pseudonym_key=DEMO_KEY,
                                 settings=settings_without_key(tmp_path))
    assert result.as_of == date.today() == snapshot_meta(connect(db)).as_of


def test_connections_from_many_threads_at_once(db: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def count(_: int) -> int:
        conn = connect(db)
        try:
            return conn.execute("SELECT count(*) FROM notifications").fetchall()[0][0]
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(count, range(40))) == {4}


def test_a_read_only_connection_cannot_change_the_snapshot(db: Path) -> None:
    import duckdb

    conn = connect(db)
    with pytest.raises(duckdb.Error):
        conn.execute("DELETE FROM cases")
    conn.execute("CREATE TEMP TABLE scratch AS SELECT 1 AS x")  # temporary work is fine
    assert conn.execute("SELECT count(*) FROM cases").fetchall() == [(4,)]
