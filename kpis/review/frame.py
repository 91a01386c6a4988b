"""The review case frame: one row per case of the snapshot, with what a review window needs.

``applies_when`` of a question and ``criteria`` of a sampling rule are expressions in the KPI
filter language (kpis/rules/expressions.py) over these columns, checked against them the way a
KPI filter is checked against its source, and rendered to SQL with every literal bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from kpis.data.schema import ColType
from kpis.rules import expressions as ex
from kpis.rules.regime import regime_sql
from kpis.rules.sources import PLACEMENT_TYPES, interview_between_sql, q


@dataclass(frozen=True)
class Window:
    """The days a review looks at, both included (a month, a quarter or the months before the
    snapshot date), and its label (``2026-Q3``, ``2026-03`` or ``12 mdr. til 2026-06-30``)."""

    label: str
    start: date
    end: date


# Column → type and its meaning (docs/case-review.md lists them for analysts).
FRAME_COLUMNS: dict[str, tuple[ColType, str]] = {
    "case_id": (ColType.TEXT, "sagsnummer"),
    "team": (ColType.TEXT, "sagens team"),
    "caseworker": (ColType.TEXT, "sagsbehandler"),
    "birth_date": (ColType.DATE, "barnets fødselsdato"),
    "opened_on": (ColType.DATE, "sagen oprettet"),
    "closed_on": (ColType.DATE, "sagen lukket"),
    "window_start": (ColType.DATE, "vinduets første dag"),
    "window_end": (ColType.DATE, "vinduets sidste dag"),
    "active_in_window": (ColType.BOOL, "sagen var åben i en del af vinduet"),
    "notification_in_window": (ColType.BOOL, "en underretning modtaget i vinduet"),
    "bfu_in_window": (ColType.BOOL, "en børnefaglig undersøgelse i gang i en del af vinduet"),
    "bfu_completed_in_window": (ColType.BOOL, "en børnefaglig undersøgelse afsluttet i vinduet"),
    "bfu_completed_on": (ColType.DATE, ("seneste afslutning af en børnefaglig undersøgelse "
                                        "senest vinduets sidste dag")),
    "decision_in_window": (ColType.BOOL, "en afgørelse om en indsats truffet i vinduet"),
    "decision_on": (ColType.DATE, "seneste afgørelse om en indsats senest vinduets sidste dag"),
    "measure_in_window": (ColType.BOOL, "en indsats i gang i en del af vinduet"),
    "placed_in_window": (ColType.BOOL, "en anbringelse i gang i en del af vinduet"),
    "has_plan": (ColType.BOOL, "en plan udarbejdet senest vinduets sidste dag"),
    "follow_up_in_window": (ColType.BOOL, "en opfølgning afholdt i vinduet"),
    "regime": (ColType.TEXT, "lovgrundlaget på vinduets sidste dag: 'sel' eller 'barnets_lov'"),
}
COLUMN_NAMES = frozenset(FRAME_COLUMNS)

_PLACEMENTS = ", ".join(f"'{t}'" for t in PLACEMENT_TYPES)  # constants of the data model
_FRAME_SQL = f"""SELECT c.case_id, c.team, c.caseworker, c.birth_date, c.opened_on, c.closed_on,
  CAST($ws AS DATE) AS window_start, CAST($we AS DATE) AS window_end,
  (c.opened_on <= $we AND (c.closed_on IS NULL OR c.closed_on >= $ws)) AS active_in_window,
  EXISTS (SELECT 1 FROM notifications n WHERE n.case_id = c.case_id
          AND CAST(n.received_at AS DATE) BETWEEN $ws AND $we) AS notification_in_window,
  EXISTS (SELECT 1 FROM investigations i WHERE i.case_id = c.case_id AND i.aware_on <= $we
          AND (i.completed_on IS NULL OR i.completed_on >= $ws)) AS bfu_in_window,
  EXISTS (SELECT 1 FROM investigations i WHERE i.case_id = c.case_id
          AND i.completed_on BETWEEN $ws AND $we) AS bfu_completed_in_window,
  (SELECT max(i.completed_on) FROM investigations i WHERE i.case_id = c.case_id
          AND i.completed_on <= $we) AS bfu_completed_on,
  EXISTS (SELECT 1 FROM measures m WHERE m.case_id = c.case_id
          AND m.decided_on BETWEEN $ws AND $we) AS decision_in_window,
  (SELECT max(m.decided_on) FROM measures m WHERE m.case_id = c.case_id
          AND m.decided_on <= $we) AS decision_on,
  EXISTS (SELECT 1 FROM measures m WHERE m.case_id = c.case_id AND m.started_on <= $we
          AND (m.ended_on IS NULL OR m.ended_on >= $ws)) AS measure_in_window,
  EXISTS (SELECT 1 FROM measures m WHERE m.case_id = c.case_id AND m.started_on <= $we
          AND (m.ended_on IS NULL OR m.ended_on >= $ws)
          AND m.measure_type IN ({_PLACEMENTS})) AS placed_in_window,
  EXISTS (SELECT 1 FROM plans p WHERE p.case_id = c.case_id AND p.prepared_on <= $we)
    AS has_plan,
  EXISTS (SELECT 1 FROM follow_ups f JOIN measures m ON m.measure_id = f.measure_id
          WHERE m.case_id = c.case_id AND f.held_on BETWEEN $ws AND $we) AS follow_up_in_window,
  {regime_sql('CAST($we AS DATE)')} AS regime
FROM cases c"""


def check_expression(text: str) -> list[str]:
    """Every problem of an expression over the frame's columns, in Danish (empty when fine)."""
    try:
        node = ex.parse(text)
    except ex.ExpressionError as exc:
        where = f" (ved tegn {exc.position})" if exc.position is not None else ""
        return [f"kan ikke læse udtrykket: {exc}{where}"]
    return ex.check(node, COLUMN_NAMES)


def _render(text: str, params: dict[str, object], prefix: str) -> str:
    node = ex.parse(text)
    problems = ex.check(node, COLUMN_NAMES)
    if problems:
        raise ValueError("; ".join(problems))
    domain = {"interview_between": lambda a: interview_between_sql("f.case_id", a[0], a[1])}
    return ex.Renderer(lambda name: f"f.{q(name)}", params, prefix, domain).render(node)


def case_frame(conn: duckdb.DuckDBPyConnection, window: Window, *, criteria: str | None = None,
               expressions: dict[str, str] | None = None,
               teams: frozenset[str] | None = None) -> pl.DataFrame:
    """The frame's rows for ``window``, only cases meeting ``criteria``; each of
    ``expressions`` (name → expression) adds a boolean column of that name. ``teams`` limits the
    rows to a department head's teams (None: all)."""
    from kpis.rules.calendar_sql import install_calendar
    from kpis.settings import default_settings

    install_calendar(conn, default_settings())
    params: dict[str, object] = {"ws": window.start, "we": window.end}
    extra = ""
    for i, (name, text) in enumerate((expressions or {}).items()):
        extra += f", coalesce({_render(text, params, f'x{i}_')}, FALSE) AS {q(name)}"
    where = ["TRUE"]
    if criteria:
        where.append(f"coalesce({_render(criteria, params, 'c_')}, FALSE)")
    if teams is not None:
        names = sorted(teams)
        for i, team in enumerate(names):
            params[f"t{i}"] = team
        where.append(f"f.team IN ({', '.join(f'$t{i}' for i in range(len(names)))})"
                     if names else "FALSE")
    sql = (f"WITH v_child_interviews AS (SELECT * FROM child_interviews), "
           f"f AS ({_FRAME_SQL})\nSELECT f.*{extra} FROM f WHERE {' AND '.join(where)} "
           "ORDER BY f.case_id")
    return conn.sql(sql, params=params).pl()
