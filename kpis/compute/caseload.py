"""Caseload: open cases per caseworker on a day, new cases and notifications per month, and how
the load is spread within each team.

Counted exactly as the context figure ``sager_pr_sagsbehandler`` (docs/kpi-rules.md): a case is
open on a day when it was opened on or before it and not closed on or before it; the average is
all open cases divided by the caseworkers who hold them (cases without a caseworker count in the
cases, not as a caseworker). Cases are seen as of the snapshot's date through the same as-of view
as every KPI, so a closure after the as-of date has not happened yet.

Like the engine: a connection made for the call, values always bound as parameters, and the
user's ``Scope`` limits every query to the teams they may see. Figures per caseworker and per team
and month are operational detail below a committee's aggregates: a scope without case-level
access (``case_level=False``) is refused with ``AccessDenied``, as for the engine's case steps.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from kpis.compute.compile import UNKNOWN
from kpis.compute.engine import ALL, Scope, snapshot_as_of
from kpis.rules.calendar import add_months
from kpis.rules.sources import visible_table_sql

OPEN_SCHEMA = {"team": pl.String, "caseworker": pl.String, "open_cases": pl.Int64}
MONTH_SCHEMA = {"month": pl.Date, "new_cases": pl.Int64, "notifications": pl.Int64}


def _team_filter(column: str, scope: Scope, team: str | None,
                 params: dict[str, object]) -> str:
    """``column IN (...)`` for the scope and the chosen team, as bound parameters."""
    conds = []
    if scope.teams is not None:
        names = []
        for i, t in enumerate(scope.team_list or ()):
            params[f"scope{i}"] = t
            names.append(f"$scope{i}")
        conds.append(f"{column} IN ({', '.join(names)})" if names else "FALSE")
    if team is not None:
        params["team"] = team
        conds.append(f"{column} = $team")
    return " AND ".join(conds) if conds else "TRUE"


def open_cases_sql(scope: Scope = ALL, team: str | None = None) -> tuple[str, dict[str, object]]:
    """The SQL and parameters (without ``as_of`` and ``on``) of ``open_cases_per_caseworker``."""
    params: dict[str, object] = {}
    where = _team_filter("team", scope, team, params)
    sql = f"""WITH cases AS (
  SELECT coalesce(team, '{UNKNOWN}') AS team, coalesce(caseworker, '{UNKNOWN}') AS caseworker,
         opened_on, closed_on
  FROM ({visible_table_sql("cases")})
)
SELECT team, caseworker, count(*) AS open_cases
FROM cases
WHERE opened_on <= $on AND (closed_on IS NULL OR closed_on > $on) AND {where}
GROUP BY team, caseworker
ORDER BY team, caseworker"""
    return sql, params


def open_cases_per_caseworker(
    conn: duckdb.DuckDBPyConnection,
    on: date | None = None,
    *,
    as_of: date | None = None,
    scope: Scope = ALL,
    team: str | None = None,
) -> pl.DataFrame:
    """One row per team and caseworker holding open cases on ``on`` (default: the as-of date)."""
    scope.require_case_level()
    as_of = as_of or snapshot_as_of(conn)
    on = on or as_of
    if on > as_of:
        raise ValueError(f"{on} ligger efter opgørelsesdatoen {as_of}: den dag kendes ikke endnu")
    sql, params = open_cases_sql(scope, team)
    df = conn.sql(sql, params={**params, "as_of": as_of, "on": on}).pl()
    return df.cast(OPEN_SCHEMA) if df.height else pl.DataFrame(schema=OPEN_SCHEMA)


def monthly_sql(scope: Scope = ALL, team: str | None = None) -> tuple[str, dict[str, object]]:
    """New cases and notifications per calendar month, ``$first`` to ``$last`` (month starts)."""
    params: dict[str, object] = {}
    where = _team_filter("c.team", scope, team, params)
    sql = f"""WITH cases AS ({visible_table_sql("cases")}),
notifications AS ({visible_table_sql("notifications")}),
months AS (
  SELECT CAST(m AS DATE) AS month FROM range(CAST($first AS DATE), CAST($last AS DATE) + 1,
                                             INTERVAL 1 MONTH) t(m)
),
new_cases AS (
  SELECT date_trunc('month', c.opened_on) AS month, count(*) AS n
  FROM cases c WHERE {where} GROUP BY 1
),
new_notifications AS (
  SELECT date_trunc('month', CAST(n.received_at AS DATE)) AS month, count(*) AS n
  FROM notifications n JOIN cases c ON c.case_id = n.case_id
  WHERE {where} GROUP BY 1
)
SELECT m.month, coalesce(nc.n, 0) AS new_cases, coalesce(nn.n, 0) AS notifications
FROM months m
LEFT JOIN new_cases nc ON nc.month = m.month
LEFT JOIN new_notifications nn ON nn.month = m.month
ORDER BY m.month"""
    return sql, params


def new_per_month(
    conn: duckdb.DuckDBPyConnection,
    months: int = 24,
    *,
    as_of: date | None = None,
    scope: Scope = ALL,
    team: str | None = None,
) -> pl.DataFrame:
    """The ``months`` calendar months up to and including the as-of month (that one is partial).

    Every month is present, zero when nothing happened: a gap in a chart would read as missing
    data rather than as a quiet month.
    """
    scope.require_case_level()
    if months < 1:
        raise ValueError("months skal være mindst 1")
    as_of = as_of or snapshot_as_of(conn)
    last = as_of.replace(day=1)
    first = add_months(last, -(months - 1))
    sql, params = monthly_sql(scope, team)
    df = conn.sql(sql, params={**params, "as_of": as_of, "first": first, "last": last}).pl()
    return df.cast(MONTH_SCHEMA)


def team_distribution(open_cases: pl.DataFrame, norm: int) -> pl.DataFrame:
    """Per team, and for everyone shown: caseworkers, open cases, the average as the KPI counts
    it, the spread between caseworkers, and how many carry more than the norm.

    The last row is the total over all rows given ("I alt"). Cases without a named caseworker
    count in the cases, not as a caseworker.
    """
    named = pl.col("caseworker") != UNKNOWN
    aggs = [
        named.sum().cast(pl.Int64).alias("caseworkers"),
        pl.col("open_cases").sum().cast(pl.Int64).alias("open_cases"),
        pl.col("open_cases").filter(named).min().cast(pl.Int64).alias("fewest"),
        pl.col("open_cases").filter(named).median().cast(pl.Float64).alias("median"),
        pl.col("open_cases").filter(named).max().cast(pl.Int64).alias("most"),
        (named & (pl.col("open_cases") > norm)).sum().cast(pl.Int64).alias("above_norm"),
    ]
    schema = {"team": pl.String, "caseworkers": pl.Int64, "open_cases": pl.Int64,
              "average": pl.Float64, "fewest": pl.Int64, "median": pl.Float64,
              "most": pl.Int64, "above_norm": pl.Int64}
    if open_cases.height == 0:
        return pl.DataFrame(schema=schema)
    per_team = open_cases.group_by("team").agg(aggs).sort("team")
    total = open_cases.select(aggs).with_columns(pl.lit("I alt").alias("team"))
    out = pl.concat([per_team, total], how="diagonal")
    average = pl.when(pl.col("caseworkers") > 0).then(
        pl.col("open_cases") / pl.col("caseworkers"))
    return out.with_columns(average.alias("average")).select(list(schema)).cast(schema)
