"""Per-snapshot cache of each KPI's units, so pages aggregate small tables instead of re-deriving
every case step on every click.

A unit's start, due date, completion, status and outcome date depend on the snapshot, the
definitions and the as-of date only — not on the period, the grouping or the user. They are
computed once per (KPI definition, as-of date) into an in-memory DuckDB table; every figure,
drill-down and worklist is then an aggregation over it. The snapshot file is attached read-only:
an import that replaces it (a new file under the same name) gets a new cache, while the old one
keeps reading the old file until it is dropped.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from kpis.compute.compile import SqlQuery, compile_monthly, compile_units, monthly_dims
from kpis.compute.external import attach_external, external_revision
from kpis.rules.calendar_sql import install_calendar
from kpis.settings import Settings, default_settings

MAX_TABLES = 96  # units tables kept per snapshot (KPIs × as-of dates × definition versions)
MAX_SNAPSHOTS = 2  # the current file and the one it just replaced


def _file_identity(db: Path) -> tuple:
    st = os.stat(db)
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def spill_directory() -> Path:
    """Where this process's caches spill: the system's temporary folder, one folder per process
    (DuckDB removes its files when the cache is dropped)."""
    return Path(tempfile.gettempdir()) / f"pejlemaerker-cache-{os.getpid()}"


@dataclass(frozen=True)
class _Key:
    kpi: str
    definition: str  # hash of the KPI's definition
    as_of: date


class SnapshotCache:
    """An in-memory DuckDB with the snapshot attached and the units of the KPIs asked for."""

    def __init__(self, db: Path, settings: Settings | None = None):
        self.db = Path(db)
        self.identity = _file_identity(self.db)
        settings = settings or default_settings()
        self._conn = duckdb.connect(":memory:", config={
            "autoinstall_known_extensions": "false", "autoload_known_extensions": "false",
            # Past this, DuckDB moves cached tables to temporary files instead of growing.
            "memory_limit": f"{settings.performance.cache_memory_mb}MB",
            "temp_directory": str(spill_directory()),
        })
        path = str(self.db.resolve()).replace("'", "''")
        self._conn.execute(f"ATTACH '{path}' AS snap (READ_ONLY)")
        self._conn.execute("USE snap")
        install_calendar(self._conn, settings)
        self._lock = threading.Lock()
        self._tables: OrderedDict[_Key, str] = OrderedDict()
        self._counter = 0
        # The attached file is the one opened now: an import that replaces it makes a new file,
        # so these hold for the cache's whole life.
        rows = self._conn.execute(
            "SELECT as_of, snapshot_id FROM snap.snapshot_meta LIMIT 1").fetchall()
        self.as_of: date = rows[0][0]
        self.snapshot_id: str = rows[0][1]

    def units_table(self, kpi, as_of: date) -> str:
        """Every unit of the KPI: for drill-down, the worklist, medians and stocks."""
        return self._table("units", kpi, as_of, compile_units)

    def monthly_table(self, kpi, as_of: date, by: tuple[str, ...]) -> str:
        """The KPI's counts by month and the grouping asked for: what figures are summed from.
        Kept per grouping: counts by every dimension would be almost as large as the units."""
        dims = monthly_dims(by)
        return self._table(f"monthly_{'_'.join(dims)}", kpi, as_of,
                           lambda k, a: compile_monthly(k, a, dims))

    def _table(self, what: str, kpi, as_of: date, compiler) -> str:
        external = external_revision(kpi)  # reviews completed since change the figure
        definition = hashlib.sha256((kpi.model_dump_json() + external).encode()).hexdigest()[:16]
        key = _Key(f"{what}:{kpi.id}", definition, as_of)
        with self._lock:
            if key in self._tables:
                self._tables.move_to_end(key)
                return self._tables[key]
            self._counter += 1
            name = f"memory.main.t{self._counter}_{what.split('_')[0]}"
            q = compiler(kpi, as_of)
            attach_external(self._conn, kpi)
            self._conn.execute(f"CREATE TABLE {name} AS {q.sql}", q.params)
            self._tables[key] = name
            while len(self._tables) > MAX_TABLES:
                _, old = self._tables.popitem(last=False)
                self._conn.execute(f"DROP TABLE IF EXISTS {old}")
            return name

    def query(self, q: SqlQuery) -> pl.DataFrame:
        cur = self._conn.cursor()  # one connection per call: DuckDB refuses concurrent calls
        try:
            return cur.sql(q.sql, params=q.params).pl()
        finally:
            cur.close()

    def close(self) -> None:
        self._conn.close()


_caches: OrderedDict[tuple, SnapshotCache] = OrderedDict()
_caches_lock = threading.Lock()


def snapshot_cache(db: Path, settings: Settings | None = None,
                   snapshot_id: str | None = None) -> SnapshotCache:
    """The cache of the snapshot file as it is now (a replaced file gets a new cache).

    Given ``snapshot_id``, a kept cache of that snapshot comes first: a page run (or the warm-up)
    that opened the snapshot just before an import replaced the file goes on reading the one it
    opened, as long as its cache is kept."""
    db = Path(db).resolve()
    settings_key = settings.model_dump_json() if settings else ""
    key = (str(db), _file_identity(db), settings_key)
    with _caches_lock:
        if snapshot_id is not None:
            for (path, _, kept_settings), kept in _caches.items():
                if (path, kept_settings) == (str(db), settings_key) \
                        and kept.snapshot_id == snapshot_id:
                    return kept  # not made the newest: the current file's cache stays so
        cache = _caches.get(key)
        if cache is None:
            cache = SnapshotCache(db, settings)
            _caches[key] = cache
            while len(_caches) > MAX_SNAPSHOTS:
                _, old = _caches.popitem(last=False)
                old.close()
        else:
            _caches.move_to_end(key)
        return cache
