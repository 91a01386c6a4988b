"""What a snapshot holds: row counts per table, the files of the import, the quarantine, the history.

Read-only queries over the bookkeeping tables the importer writes (``docs/data-model.md``). Each
function takes an open connection from ``kpis.data.snapshot.connect``; ``load_inventory`` opens one
for a whole overview. Table and column names come from ``kpis.data.schema`` only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from kpis.data.quarantine import Reason
from kpis.data.schema import TABLE_ORDER, TABLES, quote_ident
from kpis.data.snapshot import HeldSnapshot, SnapshotMeta, connect, snapshot_meta
from kpis.safe_cells import excel_csv_bytes

QUARANTINE_LIMIT = 1000
EMPTY_VALUE = "(tom)"  # how a quarantined missing value reads
# What became of the row of a record: most records hold it back; a finding keeps it.
ROW_QUARANTINED = "i karantæne"
ROW_LOADED = "indlæst"


def file_fingerprint(db: Path) -> tuple[int, int, int, int] | None:
    """Changes whenever an import replaces the database file (None when there is no file).

    Cheap enough to compute on every page view, so callers can cache everything else on it.
    """
    try:
        st = os.stat(db)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class SnapshotUnavailable(Exception):
    """The database file is missing, unreadable, or holds no snapshot."""


def snapshot_info(db: Path) -> SnapshotMeta:
    """The as-of date, import time and id of the snapshot at ``db``."""
    try:
        conn = connect(db, read_only=True)
        try:
            return snapshot_meta(conn)
        finally:
            conn.close()
    except (FileNotFoundError, LookupError, duckdb.Error) as exc:
        raise SnapshotUnavailable(str(exc)) from exc


def _table_labels() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "table": list(TABLE_ORDER),
            "label_da": [TABLES[t].label_da for t in TABLE_ORDER],
            "order": list(range(len(TABLE_ORDER))),
        },
        schema={"table": pl.String, "label_da": pl.String, "order": pl.Int64},
    )


def _column_labels() -> pl.DataFrame:
    rows = [(t, c.name, c.label_da) for t in TABLE_ORDER for c in TABLES[t].columns]
    return pl.DataFrame(
        rows, schema={"table": pl.String, "column": pl.String, "column_label": pl.String},
        orient="row",
    )


def table_counts(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per canonical table, in load order: ``table``, ``label_da``, ``rows``."""
    counts = [
        conn.execute(f"SELECT count(*) FROM {quote_ident(t)}").fetchall()[0][0]
        for t in TABLE_ORDER
    ]
    return _table_labels().drop("order").with_columns(pl.Series("rows", counts, pl.Int64))


def import_files(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The files of the import that made this snapshot, in load order, with
    ``read = loaded + quarantined``: ``file``, ``table``, ``label_da``, ``read``, ``loaded``,
    ``quarantined``, ``ignored_columns``."""
    files = conn.sql(
        "SELECT file, table_name AS \"table\", rows_read AS \"read\", rows_loaded AS loaded, "
        "rows_quarantined AS quarantined, ignored_columns FROM import_files"
    ).pl()
    return (
        files.join(_table_labels(), on="table", how="left")
        .sort("order", "file", nulls_last=True)
        .select("file", "table", "label_da", "read", "loaded", "quarantined", "ignored_columns")
    )


def quarantine_count(conn: duckdb.DuckDBPyConnection) -> int:
    """Number of quarantine records (a row with several problems has one record per problem)."""
    return conn.execute("SELECT count(*) FROM quarantine").fetchall()[0][0]


def _row_state(reason: pl.Expr) -> pl.Expr:
    kept = [r.value for r in Reason if r.keeps_row]
    return (pl.when(reason.is_in(kept)).then(pl.lit(ROW_LOADED))
            .otherwise(pl.lit(ROW_QUARANTINED)).alias("row_state"))


def quarantine_by_reason(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """``reason``, ``records``, ``row_state`` (``ROW_LOADED`` for a finding that keeps its row):
    most frequent first."""
    return conn.sql(
        "SELECT reason, count(*) AS records FROM quarantine "
        "GROUP BY reason ORDER BY records DESC, reason"
    ).pl().with_columns(_row_state(pl.col("reason")))


def quarantine_rows(
    conn: duckdb.DuckDBPyConnection, limit: int = QUARANTINE_LIMIT
) -> pl.DataFrame:
    """The first ``limit`` quarantine records, by table in load order, then file and row:
    ``file``, ``table``, ``row``, ``column``, ``column_label``, ``value``, ``reason``,
    ``row_state`` (whether the row was loaded all the same). A missing value reads
    ``EMPTY_VALUE``."""
    rows = conn.sql(
        "SELECT file, table_name AS \"table\", row_number AS \"row\", column_name AS \"column\", "
        "coalesce(value, $empty) AS value, reason FROM quarantine",
        params={"empty": EMPTY_VALUE},
    ).pl()
    return (
        rows.join(_table_labels().select("table", "order"), on="table", how="left")
        .sort("order", "file", "row", "column", nulls_last=True)
        .head(limit)
        .join(_column_labels(), on=["table", "column"], how="left", maintain_order="left")
        .select("file", "table", "row", "column", "column_label", "value", "reason",
                _row_state(pl.col("reason")))
    )


def import_history(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every import that led to this snapshot, newest first: ``snapshot_id``, ``imported_at``,
    ``as_of``, ``source``, ``profile``, ``files``, ``read``, ``loaded``, ``quarantined``."""
    return conn.sql(
        "SELECT snapshot_id, imported_at, as_of, source, profile, "
        "CAST(json_array_length(files) AS BIGINT) AS files, rows_read AS \"read\", "
        "rows_loaded AS loaded, rows_quarantined AS quarantined "
        "FROM import_history ORDER BY imported_at DESC"
    ).pl()


@dataclass(frozen=True)
class Inventory:
    """Everything the Data page shows about one snapshot."""

    meta: SnapshotMeta
    tables: pl.DataFrame
    files: pl.DataFrame
    quarantine_by_reason: pl.DataFrame
    quarantine_rows: pl.DataFrame  # at most the limit given to load_inventory
    quarantine_records: int
    history: pl.DataFrame

    @property
    def rows_loaded(self) -> int:
        return int(self.tables["rows"].sum())

    @property
    def rows_quarantined(self) -> int:
        return int(self.files["quarantined"].sum())

    @property
    def findings_kept(self) -> int:
        """Records whose row was loaded all the same (a date after the as-of date)."""
        by_reason = self.quarantine_by_reason
        return int(by_reason.filter(pl.col("row_state") == ROW_LOADED)["records"].sum())


def load_inventory(db: Path | HeldSnapshot,
                   quarantine_limit: int = QUARANTINE_LIMIT) -> Inventory:
    """The whole overview of the snapshot at ``db``, read through one read-only connection."""
    conn = connect(db, read_only=True)
    try:
        return Inventory(
            meta=snapshot_meta(conn),
            tables=table_counts(conn),
            files=import_files(conn),
            quarantine_by_reason=quarantine_by_reason(conn),
            quarantine_rows=quarantine_rows(conn, quarantine_limit),
            quarantine_records=quarantine_count(conn),
            history=import_history(conn),
        )
    finally:
        conn.close()


QUARANTINE_CSV_HEADERS = {"file": "Fil", "table": "Tabel", "row": "Række", "column": "Kolonne",
                          "column_label": "Kolonnenavn", "value": "Værdi", "reason": "Årsag",
                          "row_state": "Rækken"}


def quarantine_csv(db: Path | HeldSnapshot) -> bytes:
    """Every quarantine record as CSV for Danish Excel (';', UTF-8 with BOM), in the page's order.
    Values are masked at import, so no CPR number can be in it."""
    conn = connect(db, read_only=True)
    try:
        rows = quarantine_rows(conn, limit=quarantine_count(conn))
    finally:
        conn.close()
    return excel_csv_bytes(rows.rename(QUARANTINE_CSV_HEADERS))
