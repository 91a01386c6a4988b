"""The importer: an export (folder of CSV/Parquet, or one .xlsx) becomes a new snapshot database.

    locate files (profile) -> read raw cells -> validate table by table in load order
    -> write a new snapshot file -> swap it in

Refusals (missing file or column, unreadable file, no key for CPR numbers) happen before anything
is written. Re-importing an identical export is recognised by its fingerprint and writes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from kpis.data.cpr import masked
from kpis.data.errors import ImportRefused
from kpis.data.profiles import Profile, ProfileError, choose_profile, load_profiles
from kpis.data.pseudonym import MissingKey, key_check, resolve_key
from kpis.data.readers import ExportLayout, export_names, locate, read_table
from kpis.data.result import FileCount, ImportResult
from kpis.data.schema import (
    SNAPSHOT_TABLES,
    TABLE_ORDER,
    TABLES,
    ColType,
    create_snapshot_table_sql,
    create_table_sql,
    has_time_column,
    quote_ident,
)
from kpis.data.snapshot import connect, import_lock, previous_state, snapshot_meta, write_snapshot
from kpis.data.validate import Context, TableResult, validate_table
from kpis.settings import Settings, default_settings

__all__ = ["FileCount", "ImportRefused", "ImportResult", "cli_import", "run_import"]

# Part of the fingerprint: bump it when the import's rules change, so that re-importing an
# unchanged export builds a new snapshot under the new rules.
IMPORT_RULES_VERSION = "2"  # 2: a completion after the as-of date keeps its row

_ARROW_TYPES = {
    ColType.TEXT: pa.string(),
    ColType.ENUM: pa.string(),
    ColType.DATE: pa.date32(),
    ColType.TIMESTAMP: pa.timestamp("us"),
    ColType.BOOL: pa.bool_(),
    ColType.INT: pa.int64(),
}


def run_import(path: Path, db: Path, *, profile: str | None = None, as_of: date | None = None,
               settings: Settings | None = None,
               pseudonym_key: bytes | None = None) -> ImportResult:
    """Import the export at ``path`` into the snapshot database ``db``. See docs/data-model.md."""
    path, db = Path(path), Path(db)
    settings = settings or default_settings()
    as_of = as_of or date.today()
    if not path.exists():
        raise ImportRefused(f"Eksporten findes ikke: {path}")
    _refuse_foreign_target(db)
    try:
        chosen = choose_profile(load_profiles(), profile, export_names(path))
        key = resolve_key(pseudonym_key, settings.privacy)
    except (ProfileError, MissingKey) as exc:
        raise ImportRefused(str(exc)) from None
    layout = locate(path, chosen)
    _refuse_missing_files(layout, chosen, path)
    fingerprint = _fingerprint(layout, chosen, as_of, key)
    # Reading needs no lock (nobody writes into a served file); a refused import must not even
    # create the lock file, so validation runs before the lock is taken.
    if previous_state(db)[0] == fingerprint:
        return _existing_result(db, layout)
    ctx = Context(as_of=as_of, profile=chosen, key=key, privacy=settings.privacy)
    tables = [validate_table(read_table(layout.sources[t]), ctx) if t in layout.sources
              else TableResult(t, None) for t in TABLE_ORDER]
    with import_lock(db):
        previous, history = previous_state(db)  # another import may have finished meanwhile
        if previous == fingerprint:
            return _existing_result(db, layout)
        result = _result(path, db, chosen, as_of, fingerprint, layout, tables)
        write_snapshot(db, lambda conn: _fill(conn, result, tables, fingerprint, history))
    return result


def cli_import(path: Path, db: Path, profile: str | None = None, as_of: date | None = None) -> int:
    """``python -m kpis import``: print the summary; exit 0, or 2 when the import is refused."""
    try:
        result = run_import(Path(path), Path(db), profile=profile, as_of=as_of)
    except ImportRefused as exc:
        print(f"Importen er afvist: {exc.message}", file=sys.stderr)
        print("Databasen er ikke ændret.", file=sys.stderr)
        return 2
    print(result.summary_text())
    return 0


def _result(path: Path, db: Path, profile: Profile, as_of: date, fingerprint: str,
            layout: ExportLayout, tables: list[TableResult]) -> ImportResult:
    # UTC, whatever the server's clock is set to; shown in Danish time (kpis.present.formatting).
    imported_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    return ImportResult(
        db=db, source=masked(str(path.resolve())), profile=profile.name, as_of=as_of,
        # Dots in the time: "…T140738-7140…" would look like a CPR number to any scanner.
        snapshot_id=f"{imported_at:%Y-%m-%dT%H.%M.%S}-{fingerprint[:8]}",
        imported_at=imported_at,
        files=tuple(_file_count(t) for t in tables if t.source is not None),
        ignored_files=layout.ignored,
        absent_tables=tuple(t.table for t in tables if t.source is None),
        reasons=tuple(Counter(p.reason.value for t in tables for p in t.problems).most_common()),
        blank_rows=sum(t.blank_rows for t in tables),
    )


def _refuse_foreign_target(db: Path) -> None:
    """The database path must be free or hold a DuckDB file: an import replaces what is there,
    and a CSV or workbook given as --db by mistake must not be overwritten."""
    if db.is_dir():
        raise ImportRefused(f"Databasen {db} er en mappe; angiv en databasefil "
                            "(fx data/pejlemaerker.duckdb).")
    if db.exists() and db.stat().st_size > 0:
        with db.open("rb") as fh:
            header = fh.read(12)
        if header[8:12] != b"DUCK":  # DuckDB's magic bytes, after an 8-byte checksum
            raise ImportRefused(f"{db} findes og er ikke en DuckDB-database; importen ville "
                                "overskrive den. Angiv en anden databasefil.")


def _refuse_missing_files(layout: ExportLayout, profile: Profile, path: Path) -> None:
    """Every required table the export lacks, named at once: one refusal, not one per try."""
    missing = []
    for name in TABLE_ORDER:
        if name not in layout.sources and not TABLES[name].optional:
            stem = profile.file_stem(name)
            where = (f"arket »{stem}«" if path.is_file()
                     else f"filen {stem}.csv eller {stem}.parquet")
            missing.append(f"{TABLES[name].label_da} ({name}): forventede {where}")
    if len(missing) == 1:
        raise ImportRefused(f"Eksporten mangler den påkrævede tabel {missing[0]} i {path.name}.")
    if missing:
        raise ImportRefused(f"Eksporten mangler {len(missing)} påkrævede tabeller i {path.name}: "
                            + "; ".join(missing) + ".")


def _fingerprint(layout: ExportLayout, profile: Profile, as_of: date, key: bytes | None) -> str:
    """What makes two imports the same: the files' contents, the profile, the as-of date, the key."""
    payload = {
        "rules": IMPORT_RULES_VERSION,
        "profile": dataclasses.asdict(profile),
        "as_of": as_of.isoformat(),
        "key": key_check(key),
        "files": sorted((s.table, s.display, s.sha256) for s in layout.sources.values()),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=dict).encode()).hexdigest()


def _file_count(table: TableResult) -> FileCount:
    assert table.source is not None
    return FileCount(table.source.display, table.table, table.source.sha256, table.rows_read,
                     table.rows_loaded, table.rows_quarantined, table.ignored_columns)


def _existing_result(db: Path, layout: ExportLayout) -> ImportResult:
    """The result of the import that made the current snapshot, marked unchanged."""
    conn = connect(db)
    try:
        meta = snapshot_meta(conn)
        files = conn.execute(
            "SELECT file, table_name, sha256, rows_read, rows_loaded, rows_quarantined, "
            "ignored_columns FROM import_files"
        ).fetchall()
        reasons = conn.execute(
            "SELECT reason, count(*) AS n FROM quarantine GROUP BY reason ORDER BY n DESC, reason"
        ).fetchall()
    finally:
        conn.close()
    order = {t: i for i, t in enumerate(TABLE_ORDER)}
    counts = sorted((FileCount(*row[:6], tuple(row[6].split(" | ")) if row[6] else ())
                     for row in files), key=lambda f: order[f.table])
    return ImportResult(
        db=db, source=meta.source, profile=meta.profile, as_of=meta.as_of,
        snapshot_id=meta.snapshot_id, imported_at=meta.imported_at, files=tuple(counts),
        unchanged=True, ignored_files=layout.ignored,
        absent_tables=tuple(t for t in TABLE_ORDER if t not in layout.sources),
        reasons=tuple(reasons),
    )


def _fill(conn: duckdb.DuckDBPyConnection, result: ImportResult, tables: list[TableResult],
          fingerprint: str, history: list[tuple]) -> None:
    """Write every table of a new snapshot (into the temporary file)."""
    for table in tables:
        conn.execute(create_table_sql(TABLES[table.table]))
        _insert_table(conn, table)
    for name in SNAPSHOT_TABLES:
        conn.execute(create_snapshot_table_sql(name))
    _insert_rows(conn, "snapshot_meta", [(result.snapshot_id, result.as_of, result.imported_at,
                                          result.source, result.profile, fingerprint)])
    _insert_rows(conn, "import_files", [
        (f.file, f.table, f.sha256, f.rows_read, f.rows_loaded, f.rows_quarantined,
         " | ".join(f.ignored_columns)) for f in result.files
    ])
    problems = [p for t in tables for p in t.problems]
    columns = [c for c, _, _ in SNAPSHOT_TABLES["quarantine"]]
    quarantine = pa.table(
        [pa.array([p.file for p in problems], pa.string()),
         pa.array([p.table for p in problems], pa.string()),
         pa.array([p.row_number for p in problems], pa.int64()),
         pa.array([p.column for p in problems], pa.string()),
         pa.array([p.value for p in problems], pa.string()),
         pa.array([p.reason.value for p in problems], pa.string())],
        names=columns,
    )
    _insert_arrow(conn, "quarantine", quarantine)
    files_json = json.dumps(
        [{"file": f.file, "table_name": f.table, "sha256": f.sha256, "rows_read": f.rows_read,
          "rows_loaded": f.rows_loaded, "rows_quarantined": f.rows_quarantined}
         for f in result.files],
        ensure_ascii=False,
    )
    now = (result.snapshot_id, result.imported_at, result.as_of, result.source, result.profile,
           fingerprint, result.rows_read, result.rows_loaded, result.rows_quarantined, files_json)
    _insert_rows(conn, "import_history", [*history, now])


def _insert_table(conn: duckdb.DuckDBPyConnection, table: TableResult) -> None:
    arrays, names = [], []
    for column in TABLES[table.table].stored_columns:
        arrays.append(pa.array(table.data.get(column.name, []), _ARROW_TYPES[column.type]))
        names.append(column.name)
        if column.type is ColType.TIMESTAMP:
            flag = has_time_column(column.name)
            arrays.append(pa.array(table.data.get(flag, []), pa.bool_()))
            names.append(flag)
    _insert_arrow(conn, table.table, pa.table(arrays, names=names))


def _insert_arrow(conn: duckdb.DuckDBPyConnection, name: str, data: pa.Table) -> None:
    conn.register("incoming_rows", data)
    try:
        conn.execute(f"INSERT INTO {quote_ident(name)} BY NAME SELECT * FROM incoming_rows")
    finally:
        conn.unregister("incoming_rows")


def _insert_rows(conn: duckdb.DuckDBPyConnection, name: str, rows: list[tuple]) -> None:
    if rows:
        marks = ", ".join("?" for _ in SNAPSHOT_TABLES[name])
        conn.executemany(f"INSERT INTO {quote_ident(name)} VALUES ({marks})", rows)
