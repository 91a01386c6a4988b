"""Coverage of a snapshot: rows per month of each table, and the share of missing values per column.

A gap in an export (a month with no underretninger, a column the system stopped filling) distorts
a KPI silently; these two views make it visible before anybody reads the figure. Months are taken
from each table's defining date — the date that makes a row exist — and months without a single
row are listed with 0, since a missing month is exactly what must be seen.

Table and column names come from ``kpis.data.schema`` only, through ``quote_ident``; values reach
the database as bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from kpis.data.schema import TABLE_ORDER, TABLES, ColType, quote_ident
from kpis.data.snapshot import HeldSnapshot, connect

MONTHS_SCHEMA = {"table": pl.String, "label_da": pl.String, "month": pl.Date, "rows": pl.Int64}
MISSING_SCHEMA = {"table": pl.String, "label_da": pl.String, "column": pl.String,
                  "column_label": pl.String, "required": pl.Boolean, "rows": pl.Int64,
                  "missing": pl.Int64, "share_missing": pl.Float64}
_DATED = (ColType.DATE, ColType.TIMESTAMP)


def defining_dates(table: str) -> tuple[str, ...]:
    """The date that makes a row of ``table`` exist: its required date; for a table without one
    (child interviews: held, or an exemption recorded) the first of its unplanned dates that is
    filled. The same rule as the import's "date that defines the row"."""
    t = TABLES[table]
    required = [c.name for c in t.stored_columns if c.required and c.type in _DATED]
    if required:
        return (required[0],)
    return tuple(c.name for c in t.stored_columns if c.type in _DATED and not c.planned)


def _month_sql(table: str) -> str:
    cols = [quote_ident(c) for c in defining_dates(table)]
    day = f"CAST(coalesce({', '.join(cols)}) AS DATE)" if len(cols) > 1 else f"CAST({cols[0]} AS DATE)"
    return (f"SELECT $table AS \"table\", date_trunc('month', {day}) AS month, count(*) AS rows "
            f"FROM {quote_ident(table)} WHERE {day} IS NOT NULL "
            f"AND ($until IS NULL OR {day} <= $until) GROUP BY ALL")


def rows_per_month(conn: duckdb.DuckDBPyConnection, until: date | None = None) -> pl.DataFrame:
    """``table``, ``label_da``, ``month`` (its first day), ``rows``: every month from a table's
    first to its last, the empty ones with 0. ``until`` leaves out rows dated after it."""
    frames = []
    for table in TABLE_ORDER:
        found = conn.sql(_month_sql(table), params={"table": table, "until": until}).pl()
        if found.is_empty():
            continue
        found = found.with_columns(pl.col("month").cast(pl.Date), pl.col("rows").cast(pl.Int64))
        months = pl.date_range(found["month"].min(), found["month"].max(), "1mo", eager=True)
        frames.append(
            pl.DataFrame({"month": months})
            .join(found.select("month", "rows"), on="month", how="left")
            .with_columns(pl.col("rows").fill_null(0), pl.lit(table).alias("table"),
                          pl.lit(TABLES[table].label_da).alias("label_da"))
            .select(list(MONTHS_SCHEMA))
        )
    if not frames:
        return pl.DataFrame(schema=MONTHS_SCHEMA)
    return pl.concat(frames).cast(MONTHS_SCHEMA)


def missing_values(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One row per stored column, in the data model's order: how many of the table's rows leave
    it empty (``missing``) and the share (``share_missing``, None for an empty table)."""
    out = []
    for table in TABLE_ORDER:
        columns = TABLES[table].stored_columns
        counts = ", ".join(f"count({quote_ident(c.name)})" for c in columns)
        total, *filled = conn.execute(
            f"SELECT count(*), {counts} FROM {quote_ident(table)}").fetchone()
        for column, n in zip(columns, filled):
            out.append({
                "table": table, "label_da": TABLES[table].label_da, "column": column.name,
                "column_label": column.label_da, "required": column.required, "rows": total,
                "missing": total - n, "share_missing": (total - n) / total if total else None,
            })
    return pl.DataFrame(out, schema=MISSING_SCHEMA)


@dataclass(frozen=True)
class Coverage:
    months: pl.DataFrame
    missing: pl.DataFrame

    def gaps(self) -> pl.DataFrame:
        """The months inside a table's span without a single row."""
        return self.months.filter(pl.col("rows") == 0)


def load_coverage(db: Path | HeldSnapshot, until: date | None = None) -> Coverage:
    """Both views of the snapshot at ``db``, through one read-only connection."""
    conn = connect(db, read_only=True)
    try:
        return Coverage(rows_per_month(conn, until), missing_values(conn))
    finally:
        conn.close()
