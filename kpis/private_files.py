"""Files with case data, the audit log or the definitions' history are created readable and writable
by their owner only (0600), like the users file: other local users of the server must not read them.

SQLite gives its ``-wal`` and ``-shm`` files the mode of the database file, so a database created
0600 here stays private. DuckDB creates its file and its write-ahead log itself (0666 less the
umask), so a snapshot is written under ``owner_only`` (an import always writes a new file).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

PRIVATE_MODE = 0o600

_lock = threading.Lock()
_depth = 0
_saved_umask = 0


def create_private(path: Path) -> None:
    """Create ``path`` empty and 0600 (an empty file is a valid SQLite database); one this user
    made earlier readable by others (before this rule) is made 0600 too."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE))
    except FileExistsError:
        st = os.stat(path)
        if st.st_uid == os.getuid() and st.st_mode & 0o077:
            os.chmod(path, PRIVATE_MODE)


@contextlib.contextmanager
def owner_only() -> Iterator[None]:
    """Files created inside are owner-only (umask 077 added to the process's own).

    The umask belongs to the process: a file another thread creates meanwhile is owner-only too,
    which errs the safe way. Nested and concurrent uses restore the umask once, when the last ends.
    """
    global _depth, _saved_umask
    with _lock:
        if _depth == 0:
            _saved_umask = os.umask(0o077)
            os.umask(_saved_umask | 0o077)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                os.umask(_saved_umask)
