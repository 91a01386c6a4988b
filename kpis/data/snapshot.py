"""The snapshot store: one DuckDB file per database path, replaced whole by each import.

Writing: an import builds the new snapshot in a temporary file in the same directory, checkpoints
and closes it, and moves it onto the database path with ``os.replace`` (atomic on one file system).
Nobody ever writes into the file that readers have open, so DuckDB's one-writer rule never blocks
the app, and a failed import leaves the old file untouched. Imports into one path are serialised
by a lock file; an import killed while writing leaves its temporary file behind, and the next
import into that path removes it (``remove_stale_temporaries``).

Reading: ``connect`` gives a fresh connection per call. DuckDB caches one database instance per
path inside a process, and that instance would keep serving the replaced file; so the file is
attached to an in-memory instance kept per file identity (device, inode, size, mtime), and each
call gets its own cursor on it. A connection opened before an import keeps reading the old file;
the next ``connect`` after the swap sees the new one.

One page run must read one snapshot: ``hold_snapshot`` holds the file it opened (and the meta read
from that very file), and its ``connect`` keeps giving cursors on that file after an import has
replaced the path — the sidebar, the page's dates and its queries then cannot disagree.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from kpis.data.schema import SNAPSHOT_TABLES, quote_ident
from kpis.private_files import owner_only

# No extension may be downloaded or loaded behind our back (the machine is offline by design).
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
_ATTACHED_AS = quote_ident("snapshot")

_lock = threading.Lock()
_readers: dict[str, tuple[tuple[int, int, int, int], duckdb.DuckDBPyConnection]] = {}


@dataclass(frozen=True)
class SnapshotMeta:
    snapshot_id: str
    as_of: date
    imported_at: datetime
    source: str
    profile: str
    fingerprint: str


def _identity(path: Path) -> tuple[int, int, int, int]:
    st = path.stat()
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def connect(db: Path | HeldSnapshot, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A new connection to the snapshot at ``db``; safe to call from any thread.

    Read-only connections see the file as it is now and keep seeing that version until closed;
    given a ``HeldSnapshot``, the file it holds. ``read_only=False`` opens the file itself for
    writing (tools and tests; imports never do).
    """
    if isinstance(db, HeldSnapshot):
        return db.connect()
    db = Path(db)
    if not read_only:
        return duckdb.connect(str(db), config=DUCKDB_CONFIG)
    return _cursor(_reader(db))


def _reader(db: Path) -> duckdb.DuckDBPyConnection:
    """The in-memory instance with the file now at ``db`` attached (shared per file identity)."""
    if not db.is_file():
        raise FileNotFoundError(f"Databasen findes ikke: {db}")
    key = str(db.resolve())
    with _lock:
        identity = _identity(db)
        cached = _readers.get(key)
        if cached is None or cached[0] != identity:
            base = duckdb.connect(":memory:", config=DUCKDB_CONFIG)
            try:
                base.execute(f"ATTACH ? AS {_ATTACHED_AS} (READ_ONLY)", [str(db)])
            except duckdb.Error:
                base.close()
                raise
            cached = (identity, base)
            _readers[key] = cached  # the previous instance lives on while it is referenced
        return cached[1]


def _cursor(base: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    with _lock:  # the base is shared by every thread: cursors are made one at a time
        cursor = base.cursor()
    cursor.execute(f"USE {_ATTACHED_AS}")
    return cursor


class HeldSnapshot:
    """One snapshot file, held open: its meta, read from that file, and cursors on that file for
    as long as this object lives — also after an import has moved a new file onto the path."""

    def __init__(self, db: Path, meta: SnapshotMeta, base: duckdb.DuckDBPyConnection):
        self.db = Path(db)
        self.meta = meta
        self._base = base

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A new cursor on this snapshot (close it after use); safe to call from any thread."""
        return _cursor(self._base)

    def __repr__(self) -> str:
        return f"HeldSnapshot({str(self.db)!r}, {self.meta.snapshot_id!r})"


def hold_snapshot(db: Path) -> HeldSnapshot:
    """The snapshot at ``db`` as it is now, held open (see ``HeldSnapshot``). Raises
    FileNotFoundError, LookupError (no snapshot in the file) or duckdb.Error."""
    base = _reader(Path(db))
    conn = _cursor(base)
    try:
        meta = snapshot_meta(conn)
    finally:
        conn.close()
    return HeldSnapshot(Path(db), meta, base)


def snapshot_meta(conn: duckdb.DuckDBPyConnection) -> SnapshotMeta:
    rows = conn.execute(
        "SELECT snapshot_id, as_of, imported_at, source, profile, fingerprint FROM snapshot_meta"
    ).fetchall()  # fetchall, not fetchone: DuckDB 2 keeps a half-read result open on the connection
    if not rows:
        raise LookupError("Databasen har ingen snapshot (snapshot_meta er tom).")
    return SnapshotMeta(*rows[0])


class SnapshotUnavailable(ValueError):
    """The path holds no snapshot that can be read; the message (Danish) says why."""


def open_snapshot(db: Path) -> tuple[duckdb.DuckDBPyConnection, SnapshotMeta]:
    """A read-only connection and the snapshot's meta data, or ``SnapshotUnavailable``.

    For callers that take a database path from a person (the command line): a folder, a CSV
    file, a file that is not DuckDB or a DuckDB file without an import each get their own message.
    """
    db = Path(db)
    if db.is_dir():
        raise SnapshotUnavailable(f"{db} er en mappe, ikke en database; angiv databasefilen "
                                  "(fx data/pejlemaerker.duckdb)")
    if not db.is_file():
        raise SnapshotUnavailable(f"databasen {db} findes ikke; importér først "
                                  "(python -m kpis import)")
    try:
        conn = connect(db)
    except duckdb.Error:
        raise SnapshotUnavailable(f"{db} er ikke en DuckDB-database; angiv den database, "
                                  "python -m kpis import har skrevet") from None
    try:
        return conn, snapshot_meta(conn)
    except (duckdb.Error, LookupError):
        conn.close()
        raise SnapshotUnavailable(f"{db} er en DuckDB-database, men uden et indlæst udtræk "
                                  "(ingen snapshot_meta); importér først (python -m kpis import)"
                                  ) from None


def previous_state(db: Path) -> tuple[str | None, list[tuple]]:
    """The fingerprint and import history of the snapshot at ``db`` (None, [] when there is none)."""
    if not db.is_file():
        return None, []
    try:
        conn = connect(db)
        try:
            fingerprint = snapshot_meta(conn).fingerprint
            columns = ", ".join(quote_ident(c) for c, _, _ in SNAPSHOT_TABLES["import_history"])
            history = conn.execute(
                f"SELECT {columns} FROM import_history ORDER BY imported_at"
            ).fetchall()
        finally:
            conn.close()
    except (duckdb.Error, LookupError):
        return None, []  # not a snapshot we made: it will simply be replaced
    return fingerprint, history


@contextlib.contextmanager
def import_lock(db: Path) -> Iterator[None]:
    """Serialise imports into one database path (across processes, where the OS supports it)."""
    db.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: imports are not serialised
        yield
        return
    with open(db.with_name(f".{db.name}.lock"), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            remove_stale_temporaries(db)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _temporary_name(db: Path) -> str:
    """The name of a new snapshot while it is being written: the writer's pid tells whether it
    is still at work."""
    return f".{db.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale_temporaries(db: Path) -> list[Path]:
    """Remove the temporary files (and their write-ahead logs) of imports into ``db`` whose
    process has died, e.g. one killed mid-import; the removed paths are returned.

    Called while the import lock is held, so no live import into ``db`` can be started or
    finished meanwhile; a file whose process still runs is kept all the same (a pid is only
    reused after its process ended)."""
    pattern = re.compile(rf"^\.{re.escape(db.name)}\.(\d+)\.[0-9a-f]{{8}}\.tmp(\.wal)?$")
    removed = []
    for path in db.parent.iterdir() if db.parent.is_dir() else ():
        m = pattern.match(path.name)
        if m and not _pid_alive(int(m[1])):
            _remove(path)
            removed.append(path)
    return removed


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


@owner_only()  # the snapshot and its write-ahead log hold case data: 0600
def write_snapshot(db: Path, fill: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
    """Build a new snapshot with ``fill`` in a temporary file, then move it onto ``db``.

    If ``fill`` raises, the temporary file is removed and ``db`` is exactly as before.
    """
    tmp = db.with_name(_temporary_name(db))
    try:
        conn = duckdb.connect(str(tmp), config=DUCKDB_CONFIG)
        try:
            fill(conn)
            conn.execute("CHECKPOINT")
        finally:
            conn.close()
        # A write-ahead log left by some other writer of the old file must not be replayed
        # onto the new one.
        _remove(db.with_name(db.name + ".wal"))
        os.replace(tmp, db)
    finally:
        _remove(tmp)
        _remove(tmp.with_name(tmp.name + ".wal"))
