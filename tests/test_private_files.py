"""Snapshot databases, the audit log and the definitions' history are created 0600 (issue 11,
section 7), whatever the umask lets other files be."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_import_support import do_import, write_canonical_csv

from kpis.access import audit
from kpis.access.audit import AuditAction
from kpis.data.snapshot import write_snapshot
from kpis.private_files import owner_only
from kpis.rules.history import history_for, text_hash
from tests.test_validation import GOOD


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The common default: new files readable by every local user unless made private."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_import_writes_the_snapshot_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "snap.duckdb"
    do_import(write_canonical_csv(tmp_path / "export"), db, profile="canonical")
    assert _mode(db) == 0o600
    assert _mode(tmp_path / "export" / "cases.csv") == 0o644  # the umask still rules elsewhere


def test_the_snapshot_and_its_write_ahead_log_are_private_while_written(tmp_path: Path) -> None:
    db = tmp_path / "snap.duckdb"
    seen: dict[str, int] = {}

    def fill(conn) -> None:
        conn.execute("CREATE TABLE t AS SELECT range AS i FROM range(1000)")
        conn.execute("INSERT INTO t SELECT 1")  # the write-ahead log exists now
        seen.update({p.name: _mode(p) for p in tmp_path.iterdir() if p.name != ".snap.duckdb.lock"})

    write_snapshot(db, fill)
    assert any(name.endswith(".tmp.wal") for name in seen), seen
    assert set(seen.values()) == {0o600}
    assert _mode(db) == 0o600


def test_the_audit_log_and_its_wal_and_shm_files_are_private(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "audit" / "audit.sqlite"
    monkeypatch.setenv(audit.AUDIT_ENV, str(log))
    audit.record("anne", "analyst", "*", AuditAction.LOGIN)
    reader = sqlite3.connect(log)  # while a connection is open, SQLite keeps -wal and -shm
    try:
        reader.execute("SELECT count(*) FROM audit_log").fetchall()
        audit.record("bo", "analyst", "*", AuditAction.LOGIN)
        files = {p.name: _mode(p) for p in log.parent.iterdir()}
    finally:
        reader.close()
    assert {"audit.sqlite", "audit.sqlite-wal", "audit.sqlite-shm"} <= set(files), files
    assert set(files.values()) == {0o600}
    assert audit.read()["actor"].to_list() == ["bo", "anne"]  # an empty file made first is a database


def test_an_audit_log_made_readable_by_an_earlier_version_is_made_private(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "audit.sqlite"
    monkeypatch.setenv(audit.AUDIT_ENV, str(log))
    audit.record("anne", "analyst", "*", AuditAction.LOGIN)
    log.chmod(0o644)
    audit.record("bo", "analyst", "*", AuditAction.LOGIN)
    assert _mode(log) == 0o600


def test_the_definitions_history_is_private(tmp_path: Path) -> None:
    path = tmp_path / "config" / "kpis.yaml"
    path.parent.mkdir()
    path.write_text(GOOD, encoding="utf-8")
    hist = history_for(path, tmp_path / "history")
    hist.save(GOOD.replace("target: 0.9", "target: 0.8"), opened_hash=text_hash(GOOD),
              who="Anne", reason="lavere mål")
    written = [hist.log_path, *(tmp_path / "history" / "versions").iterdir()]
    assert len(written) == 3  # the log, the first text and the saved one
    assert {_mode(p) for p in written} == {0o600}


def test_owner_only_restores_the_umask_once_the_last_user_is_done() -> None:
    started, release = threading.Event(), threading.Event()

    def other() -> None:
        with owner_only():
            started.set()
            release.wait(10)

    worker = threading.Thread(target=other)
    worker.start()
    started.wait(10)
    with owner_only():
        assert os.umask(0o077) == 0o077 and os.umask(0o077) == 0o077
    assert os.umask(0o077) == 0o077  # the other thread is still inside
    release.set()
    worker.join(10)
    assert os.umask(0o022) == 0o022
