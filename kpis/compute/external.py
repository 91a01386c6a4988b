"""Data a KPI may read that is not in the snapshot: the completed case reviews, kept in their
own file (kpis/review). The engine loads them onto the connection it computes on just before a
KPI over ``review_findings`` is computed, and a cached figure is keyed by their revision."""

from __future__ import annotations

import duckdb

from kpis.rules.sources import REVIEW_FINDINGS


def external_revision(kpi) -> str:
    """What identifies the current state of the KPI's outside data; empty for every other KPI."""
    if kpi.spec.source != REVIEW_FINDINGS:
        return ""
    # Imported here: the review package builds on the engine (its Scope and case steps).
    from kpis.review import findings_source

    return findings_source.revision()


def attach_external(conn: duckdb.DuckDBPyConnection, kpi) -> None:
    """Load the outside data the KPI's source reads (the review findings) onto ``conn``."""
    if kpi.spec.source == REVIEW_FINDINGS:
        from kpis.review import findings_source

        findings_source.attach(conn)


def external_version(kpis) -> str:
    """The revision of the outside data any of ``kpis`` reads ("" when none does): part of a
    cached result's key, so a completed review shows on the next page run."""
    for kpi in kpis:
        if kpi.spec.source == REVIEW_FINDINGS:
            return external_revision(kpi)
    return ""


def create_sample_findings(conn: duckdb.DuckDBPyConnection) -> None:
    """An outside-data table with one sample row, for the definitions' dry run (which must not
    read the municipality's own reviews)."""
    conn.execute(f"""CREATE TABLE {REVIEW_FINDINGS} (finding_id VARCHAR, programme_id VARCHAR,
  round VARCHAR, case_id VARCHAR, team VARCHAR, caseworker VARCHAR, question_id VARCHAR,
  answer VARCHAR, counted BOOLEAN, review_date DATE)""")
    conn.execute(f"INSERT INTO {REVIEW_FINDINGS} VALUES ('f1', 'p', 'r', 'prøve2', 'prøve2', "
                 "'prøve2', 'q', 'ja', TRUE, DATE '2024-03-15')")
