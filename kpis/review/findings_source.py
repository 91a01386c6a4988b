"""The completed reviews as a source of the definition language (``review_findings``).

The reviews live in their own SQLite file, not in the snapshot, so the engine loads them into a
temporary table on the DuckDB connection it computes on, just before it computes a KPI over this
source (``attach``). ``revision`` changes whenever a finding does, so a cached figure is
recomputed after a review is completed or reopened. No free text is loaded: comments stay in the
review.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import polars as pl

from kpis import sqlite_store
from kpis.review import store
from kpis.review.figures import COUNTED
from kpis.rules.sources import REVIEW_FINDINGS, q

COLUMNS = {"finding_id": pl.String, "programme_id": pl.String, "round": pl.String,
           "case_id": pl.String, "team": pl.String, "caseworker": pl.String,
           "question_id": pl.String, "answer": pl.String, "counted": pl.Boolean,
           "review_date": pl.Date}


def findings_frame(path: Path | None = None) -> pl.DataFrame:
    """Every finding of every team (the engine applies the user's scope)."""
    path = path or store.reviews_path()
    if not path.exists():
        return pl.DataFrame(schema=COLUMNS)
    df = store.findings(path=path)
    return df.with_columns(
        (pl.col("programme_id") + "#" + pl.col("round") + "#" + pl.col("case_id") + "#"
         + pl.col("question_id")).alias("finding_id"),
        pl.col("answer").is_in(list(COUNTED)).alias("counted"),
    ).select(list(COLUMNS)).cast(COLUMNS)


def revision(path: Path | None = None) -> str:
    """Changes whenever the findings can have changed (a review saved, completed, reopened)."""
    path = path or store.reviews_path()
    if not path.exists():
        return "none"
    conn = sqlite_store.connect(path)
    try:
        row = conn.execute("SELECT count(*), max(saved_at) FROM reviews").fetchone()
    except sqlite3.OperationalError:  # the file exists, its tables not yet
        return "empty"
    finally:
        conn.close()
    return f"{row[0]}:{row[1]}"


def attach(conn: duckdb.DuckDBPyConnection, path: Path | None = None) -> None:
    """(Re)load the findings into the temporary table the source reads."""
    frame = findings_frame(path)  # noqa: F841 - read by DuckDB by its name below
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {q(REVIEW_FINDINGS)} AS SELECT * FROM frame")
