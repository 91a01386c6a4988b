"""Run compiled KPI queries: tidy results for pages and exports, and the case steps behind a figure.

Each call takes a connection made for that call (DuckDB refuses concurrent calls on one
connection) and installs the legal calendar on it. ``scope`` limits every query to the teams a
user may see; it is an argument of every call so that a page cannot forget it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from kpis.access.suppression import apply_suppression
from kpis.compute.compile import (
    DIMENSIONS,
    compile_aggregate_many,
    compile_steps,
    compile_units,
    is_monthly,
)
from kpis.compute.periods import Period, parse_period
from kpis.compute.unit_cache import SnapshotCache
from kpis.rules.calendar_sql import install_calendar
from kpis.rules.definitions import CountKpi, DurationKpi, KpiSet
from kpis.settings import Settings, default_settings


class AccessDenied(PermissionError):
    """The scope does not allow this call (e.g. case-level rows for a committee member)."""


@dataclass(frozen=True)
class Scope:
    """What a user may see. Every engine call takes one, so a page cannot forget it.

    ``teams=None`` means all teams; ``suppress_below`` withholds figures under that count
    (committee views); ``case_level=False`` refuses the case steps behind a figure.
    """

    teams: frozenset[str] | None = None
    suppress_below: int | None = None
    case_level: bool = True

    @property
    def key(self) -> str:
        teams = "*" if self.teams is None else ",".join(sorted(self.teams))
        return f"{teams}|{self.suppress_below}|{int(self.case_level)}"

    def require_case_level(self) -> None:
        if not self.case_level:
            raise AccessDenied("denne rolle må ikke se oplysninger på sagsniveau")

    def require_grouping(self, by: Iterable[str]) -> None:
        """A figure per caseworker is about named employees: only for roles with case access."""
        if not self.case_level and PERSONAL_DIMENSIONS.intersection(by):
            raise AccessDenied("denne rolle må ikke se nøgletal pr. sagsbehandler")

    @property
    def team_list(self) -> tuple[str, ...] | None:
        return None if self.teams is None else tuple(sorted(self.teams))


ALL = Scope()
PERSONAL_DIMENSIONS = frozenset({"caseworker"})

RESULT_SCHEMA_BASE = {
    "kpi": pl.String, "period": pl.String, "group_level": pl.String,
}


def snapshot_as_of(conn: duckdb.DuckDBPyConnection) -> date:
    rows = conn.execute("SELECT as_of FROM snapshot_meta LIMIT 1").fetchall()
    row = rows[0] if rows else None
    if row is None:
        raise ValueError("databasen har ingen opgørelsesdato (snapshot_meta er tom)")
    return row[0]


class _Direct:
    """Runs compiled SQL straight against a snapshot connection (tests, CLI, validation)."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, settings: Settings | None):
        self.conn = conn
        install_calendar(conn, settings or default_settings())
        self.as_of = snapshot_as_of(conn)

    def units_table(self, kpi, as_of: date) -> None:
        return None

    def monthly_table(self, kpi, as_of: date, by: tuple[str, ...]) -> None:
        return None

    def query(self, q) -> pl.DataFrame:
        return self.conn.sql(q.sql, params=q.params).pl()


Source = duckdb.DuckDBPyConnection | SnapshotCache


def _runner(source: Source, settings: Settings | None):
    return source if isinstance(source, SnapshotCache) else _Direct(source, settings)


def _as_periods(periods: Iterable[str | Period]) -> list[Period]:
    return [p if isinstance(p, Period) else parse_period(p) for p in periods]


def compute(
    source: Source,
    kpiset: KpiSet,
    periods: Sequence[str | Period],
    by: Sequence[str] = (),
    *,
    as_of: date | None = None,
    kpi_ids: Sequence[str] | None = None,
    scope: Scope = ALL,
    settings: Settings | None = None,
) -> pl.DataFrame:
    """The tidy result: one row per KPI × period × group (the total row has group_level "").

    ``source`` is a snapshot connection, or a ``SnapshotCache`` (the app's fast path)."""
    by = tuple(by)
    scope.require_grouping(by)
    run = _runner(source, settings)
    as_of = as_of or run.as_of
    plist = _as_periods(periods)
    kpis = [kpiset[k] for k in (kpi_ids or kpiset.ids)]
    if not kpis:
        return _empty(by)
    tables = {k.id: run.monthly_table(k, as_of, by) if is_monthly(k)
              else run.units_table(k, as_of) for k in kpis}
    q = compile_aggregate_many(kpis, plist, by, as_of, scope.team_list,
                               None if None in tables.values() else tables)
    raw = run.query(q)
    frames = [_finish(k, raw.filter(pl.col("kpi_ord") == i), plist, by)
              for i, k in enumerate(kpis)]
    result = pl.concat(frames, how="vertical_relaxed")
    if scope.suppress_below:
        result = apply_suppression(result, kpiset, scope.suppress_below, by)
    return result


def _result_schema(by: tuple[str, ...]) -> dict:
    return {**RESULT_SCHEMA_BASE, **{d: pl.String for d in by},
            "numerator": pl.Int64, "denominator": pl.Int64, "value": pl.Float64,
            "p90": pl.Float64, "pending": pl.Int64, "overdue_open": pl.Int64,
            "status": pl.String, "target": pl.Float64, "suppressed": pl.Boolean,
            "pending_suppressed": pl.Boolean, "overdue_suppressed": pl.Boolean,
            "rule": pl.String}


def _empty(by: tuple[str, ...]) -> pl.DataFrame:
    return pl.DataFrame(schema=_result_schema(by))


def _finish(kpi, raw: pl.DataFrame, plist: list[Period], by: tuple[str, ...]) -> pl.DataFrame:
    """Add value, status, target and group labels; make sure each period has its total row."""
    rows = []
    seen_totals = set()
    for r in raw.iter_rows(named=True):
        level = [d for d in by if r.get(f"g_{d}") == 0]
        if not level:
            seen_totals.add(r["period"])
        rows.append({**r, "group_level": ",".join(level),
                     **{d: (r[d] if d in level else None) for d in by}})
    for p in plist:
        if p.label not in seen_totals:
            rows.append({"period": p.label, "period_ord": plist.index(p), "group_level": "",
                         **{d: None for d in by}, "numerator": 0, "denominator": 0,
                         "pending": 0, "overdue_open": 0, "median_value": None, "p90": None})
    by_label = {p.label: p for p in plist}
    rule = _rule_text(kpi)
    out = []
    for r in sorted(rows, key=lambda r: (r["period_ord"], r["group_level"] != "",
                                         tuple(str(r[d]) for d in by))):
        p = by_label[r["period"]]
        num = int(r["numerator"] or 0)
        per = isinstance(kpi, CountKpi) and kpi.spec.per
        den = int((r.get("per_count") if per else r["denominator"]) or 0)
        value, numerator, denominator = _value(kpi, num, den, r.get("median_value"))
        status = kpi.status(value, p.end)
        out.append({
            "kpi": kpi.id, "period": p.label, "group_level": r["group_level"],
            **{d: r[d] for d in by},
            "numerator": numerator, "denominator": denominator, "value": value,
            "p90": r.get("p90") if isinstance(kpi, DurationKpi) else None,
            "pending": int(r["pending"] or 0), "overdue_open": int(r["overdue_open"] or 0),
            "status": status.value, "target": kpi.target_on(p.end),
            "suppressed": False, "pending_suppressed": False, "overdue_suppressed": False,
            "rule": rule,
        })
    return pl.DataFrame(out, schema=_result_schema(by))


def _value(kpi, num: int, den: int, median) -> tuple[float | None, int | None, int | None]:
    if isinstance(kpi, DurationKpi):
        return (float(median) if median is not None else None), None, den
    if isinstance(kpi, CountKpi):
        if kpi.spec.per:
            return (num / den if den else None), num, den
        return float(num), num, None
    return (num / den if den else None), num, den


def _rule_text(kpi) -> str:
    from kpis.rules.definitions import DeadlineKpi
    from kpis.rules.regime import Regime

    if not isinstance(kpi, DeadlineKpi):
        return ""
    parts = []
    for regime in (Regime.BARNETS_LOV, Regime.SEL):
        rules = kpi.spec.due.rules(regime)
        basis = kpi.legal_basis.for_regime(regime) or regime.label_da
        parts.append(f"{basis}: " + "; ".join(r.describe_da() for r in rules))
    return " | ".join(parts)


STEP_SCHEMA = {
    "unit_id": pl.String, "case_id": pl.String, "team": pl.String, "caseworker": pl.String,
    "age_band": pl.String, "measure_type": pl.String, "notifier_type": pl.String,
    "regime": pl.String, "start": pl.Date, "due": pl.Date, "completed": pl.Date,
    "start_at": pl.Datetime("us"), "due_at": pl.Datetime("us"), "completed_at": pl.Datetime("us"),
    "status": pl.String, "in_numerator": pl.Boolean, "in_denominator": pl.Boolean,
    "days": pl.Int64, "rule": pl.String, "metric": pl.Float64,
}


def case_steps(
    source: Source,
    kpiset: KpiSet,
    kpi_id: str,
    period: str | Period,
    group: dict[str, str] | None = None,
    *,
    as_of: date | None = None,
    scope: Scope = ALL,
    settings: Settings | None = None,
) -> pl.DataFrame:
    """The units behind one figure; in_numerator/in_denominator add up to that figure."""
    scope.require_case_level()
    run = _runner(source, settings)
    as_of = as_of or run.as_of
    p = period if isinstance(period, Period) else parse_period(period)
    kpi = kpiset[kpi_id]
    q = compile_steps(kpi, p, dict(group or {}), as_of, scope.team_list,
                      run.units_table(kpi, as_of))
    df = run.query(q)
    return df.cast({k: v for k, v in STEP_SCHEMA.items() if k in df.columns})


def open_steps(
    source: Source,
    kpiset: KpiSet,
    *,
    as_of: date | None = None,
    kpi_ids: Sequence[str] | None = None,
    scope: Scope = ALL,
    settings: Settings | None = None,
) -> pl.DataFrame:
    """Every deadline step still open on the as-of date (pending or overdue): the worklist."""
    from kpis.rules.definitions import DeadlineKpi

    scope.require_case_level()
    run = _runner(source, settings)
    as_of = as_of or run.as_of
    frames = []
    for kpi_id in kpi_ids or kpiset.ids:
        kpi = kpiset[kpi_id]
        if not isinstance(kpi, DeadlineKpi):
            continue
        q = compile_units(kpi, as_of, scope.team_list, only_open=True,
                          units_table=run.units_table(kpi, as_of))
        df = run.query(q)
        frames.append(df.with_columns(pl.lit(kpi.id).alias("kpi"),
                                      pl.lit(kpi.name).alias("kpi_name")))
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames, how="vertical_relaxed").sort("due_date")


__all__ = ["ALL", "DIMENSIONS", "Scope", "case_steps", "compute", "open_steps", "snapshot_as_of"]
