"""The completed reviews as a source of the definition language (``review_findings``).

The reviews live in their own SQLite file, not in the snapshot, so the engine loads them into a
temporary table on the DuckDB connection it computes on, just before it computes a KPI over this
source (``attach``). ``revision`` changes whenever a finding does, so a cached figure is
recomputed after a review is completed or reopened. No free text is loaded: comments stay in the
review.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

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
    """Changes whenever the findings can have changed (a review completed, reopened, or a
    completed review's answers changed): the store's findings counter, moved on in the very
    transaction that changes them, so every app process reads the same revision for the same
    findings. The file's identity is part of it: a file put back from a backup starts over."""
    path = path or store.reviews_path()
    counter = store.findings_revision(path)
    if counter is None:
        return "none"
    return f"{path.stat().st_ino}:{counter}"


def attach(conn: duckdb.DuckDBPyConnection, path: Path | None = None) -> None:
    """(Re)load the findings into the temporary table the source reads."""
    frame = findings_frame(path)  # noqa: F841 - read by DuckDB by its name below
    conn.execute(f"CREATE OR REPLACE TEMP TABLE {q(REVIEW_FINDINGS)} AS SELECT * FROM frame")
