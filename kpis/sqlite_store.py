"""The SQLite files several processes write (audit log, reviews, plan status, sessions).

Each write is one ``BEGIN IMMEDIATE`` transaction on a connection of its own: the write lock is
taken at the start, so two processes never both read and then both write, and a busy file is
waited for (``busy_timeout``) rather than failed. WAL lets readers run beside the one writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kpis.private_files import create_private

BUSY_TIMEOUT_S = 15.0


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) that waits for a busy file."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    return conn


@contextmanager
def immediate(path: Path, schema: Iterable[str] = (), *, foreign_keys: bool = False,
              migrate: Callable[[sqlite3.Connection], None] | None = None,
              ) -> Iterator[sqlite3.Connection]:
    """One IMMEDIATE transaction on a connection of its own; the file is created 0600 and the
    ``schema`` statements (then ``migrate``) run inside the transaction, so the first writers
    of a new file cannot race each other."""
    path.parent.mkdir(parents=True, exist_ok=True)
    create_private(path)  # its -wal and -shm files take its mode
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        if foreign_keys:
            conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in schema:
                conn.execute(statement)
            if migrate is not None:
                migrate(conn)
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()
