"""A case's own steps from the snapshot, in date order: what a reviewer reads beside the form
(notification, BFU, decisions, plans, follow-ups, interviews, supervision visits)."""

from __future__ import annotations

import duckdb
import polars as pl

TIMELINE_SQL = """
SELECT CAST(received_at AS DATE) AS dato, 'Underretning modtaget' AS trin,
  CASE WHEN assessed_at IS NULL THEN 'ikke vurderet'
       ELSE 'vurderet ' || strftime(assessed_at, '%d-%m-%Y %H:%M') END AS detaljer
FROM notifications WHERE case_id = $case
UNION ALL SELECT aware_on, 'Kommunen opmærksom (BFU)',
  'afsluttet ' || coalesce(strftime(completed_on, '%d-%m-%Y'), 'ikke endnu')
FROM investigations WHERE case_id = $case
UNION ALL SELECT completed_on, 'Børnefaglig undersøgelse afsluttet',
  CASE WHEN parental_competence_assessed THEN 'forældrekompetence vurderet' ELSE '' END
FROM investigations WHERE case_id = $case AND completed_on IS NOT NULL
UNION ALL SELECT decided_on, 'Afgørelse: ' || coalesce(measure_type, 'indsats'),
  'start ' || coalesce(strftime(started_on, '%d-%m-%Y'), '–')
  || coalesce(', ophør ' || strftime(ended_on, '%d-%m-%Y'), '')
FROM measures WHERE case_id = $case
UNION ALL SELECT prepared_on, 'Plan: ' || coalesce(plan_type, 'plan'),
  coalesce(CAST(goals_measurable AS VARCHAR) || ' af ' || CAST(goals_total AS VARCHAR)
           || ' mål målbare', '')
FROM plans WHERE case_id = $case
UNION ALL SELECT f.held_on, 'Opfølgning',
  coalesce('næste senest ' || strftime(f.next_due_on, '%d-%m-%Y'), '')
FROM follow_ups f JOIN measures m ON m.measure_id = f.measure_id WHERE m.case_id = $case
UNION ALL SELECT coalesce(held_on, recorded_on), 'Børnesamtale (' || coalesce(occasion, '') || ')',
  CASE WHEN held_on IS NULL THEN 'undtaget: ' || coalesce(exemption_reason, '') ELSE 'holdt' END
FROM child_interviews WHERE case_id = $case
UNION ALL SELECT v.held_on, 'Tilsynsbesøg',
  CASE WHEN v.child_spoken_to THEN 'talt med barnet' ELSE 'ikke talt med barnet' END
FROM supervision_visits v JOIN measures m ON m.measure_id = v.measure_id WHERE m.case_id = $case
"""


# The data model's enum values in the words a caseworker uses (as the Danish export writes them).
WORDS_DA = {
    "support": "støtte", "placement_without_consent": "anbringelse uden samtykke",
    "placement": "anbringelse", "notification": "underretning", "investigation": "undersøgelse",
    "decision": "afgørelse", "follow_up": "opfølgning", "supervision": "tilsyn",
    "declined": "barnet ønskede ikke samtale", "maturity": "modenhed",
    "case_nature": "sagens karakter", "handleplan": "handleplan", "barnets_plan": "barnets plan",
    "ungeplan": "ungeplan",
}


def _danish(text: str | None) -> str | None:
    if text is None:
        return None
    for word in sorted(WORDS_DA, key=len, reverse=True):  # the longest first: placement_without_…
        text = text.replace(word, WORDS_DA[word])
    return text


def case_timeline(conn: duckdb.DuckDBPyConnection, case_id: str) -> pl.DataFrame:
    """Dato, Trin, Detaljer of every step of the case, oldest first."""
    df = conn.sql(f"SELECT * FROM ({TIMELINE_SQL}) ORDER BY dato, trin",
                  params={"case": case_id}).pl()
    df = df.with_columns(pl.col("trin").map_elements(_danish, return_dtype=pl.String),
                         pl.col("detaljer").map_elements(_danish, return_dtype=pl.String))
    return df.rename({"dato": "Dato", "trin": "Trin", "detaljer": "Detaljer"})


__all__ = ["case_timeline"]
