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

from kpis.compute.compile import (
    DIMENSIONS,
    compile_aggregate_many,
    compile_steps,
    compile_units,
    is_monthly,
)
from kpis.compute.external import attach_external
from kpis.compute.periods import Period, parse_period
from kpis.compute.unit_cache import SnapshotCache
from kpis.rules.calendar_sql import install_calendar
from kpis.rules.definitions import (
    CountKpi,
    DeadlineKpi,
    Direction,
    DurationKpi,
    KpiSet,
    Status,
)
from kpis.rules.regime import Regime
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

    @classmethod
    def from_key(cls, key: str) -> Scope:
        """The scope whose ``key`` this is (the audit log keeps keys); ValueError otherwise."""
        teams, suppress_below, case_level = key.split("|")
        if case_level not in ("0", "1"):
            raise ValueError(f"not a scope key: {key!r}")
        return cls(teams=None if teams == "*" else frozenset(t for t in teams.split(",") if t),
                   suppress_below=None if suppress_below == "None" else int(suppress_below),
                   case_level=case_level == "1")

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


class AsOfAfterExport(ValueError):
    """An as-of date after the export's: the export date is "today", later days have no data."""


def _checked_as_of(run, as_of: date | None) -> date:
    """The as-of date of a call: the snapshot's, or an earlier one to reproduce an old report.

    A later one would turn steps still pending on the export day into late ones."""
    if as_of is None:
        return run.as_of
    if as_of > run.as_of:
        raise AsOfAfterExport(
            f"opgørelsesdatoen {as_of.isoformat()} ligger efter udtrækkets dato "
            f"{run.as_of.isoformat()}; udtrækkets dato er »i dag«, så vælg den eller en tidligere")
    return as_of


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
        attach_external(self.conn, kpi)

    def monthly_table(self, kpi, as_of: date, by: tuple[str, ...]) -> None:
        attach_external(self.conn, kpi)

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
    as_of = _checked_as_of(run, as_of)
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
    if scope.suppress_below:  # one decision per snapshot for every committee view
        from kpis.access.suppression import committee_view

        result = committee_view(source, kpiset, result, plist, by, as_of, scope.suppress_below,
                                settings)
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
    """Add value, status, target, rule and group labels; make sure each period has its total row.

    Column-wise: a national result by team has tens of thousands of rows, and building them one
    by one in Python cost several times the query itself. What depends on the period alone
    (target, status thresholds) is computed once per period and joined."""
    schema = _result_schema(by)
    level_parts = [pl.when(pl.col(f"g_{d}") == 0).then(pl.lit(d)) for d in by]
    rows = raw.select(
        "period", "period_ord",
        (pl.concat_list(level_parts).list.drop_nulls().list.join(",") if by
         else pl.lit("")).alias("group_level"),
        *[pl.when(pl.col(f"g_{d}") == 0).then(pl.col(d)).cast(pl.String).alias(d) for d in by],
        *[pl.col(c).cast(pl.Int64) for c in ("numerator", "denominator", "per_count",
                                             "pending", "overdue_open")],
        pl.col("median_value").cast(pl.Float64), pl.col("p90").cast(pl.Float64),
    )
    with_total = set(rows.filter(pl.col("group_level") == "")["period"].to_list())
    missing = [(p.label, i) for i, p in enumerate(plist) if p.label not in with_total]
    if missing:
        zeros = pl.DataFrame(
            {"period": [m[0] for m in missing], "period_ord": [m[1] for m in missing]},
            schema={"period": pl.String, "period_ord": rows.schema["period_ord"]},
        ).with_columns(
            pl.lit("").alias("group_level"), *[pl.lit(None, pl.String).alias(d) for d in by],
            *[pl.lit(0, pl.Int64).alias(c) for c in ("numerator", "denominator", "per_count",
                                                     "pending", "overdue_open")],
            pl.lit(None, pl.Float64).alias("median_value"), pl.lit(None, pl.Float64).alias("p90"),
        )
        rows = pl.concat([rows, zeros.select(rows.columns)], how="vertical_relaxed")
    # the row order the pages and exports rely on: period, total first, then the groups by name
    # (an empty dimension sorts as the text "None", as it always has)
    rows = rows.sort(
        ["period_ord", pl.col("group_level") != "",
         *[pl.col(d).fill_null("None") for d in by]],
        maintain_order=True,
    )
    num = pl.col("numerator").fill_null(0)
    den = pl.col("denominator").fill_null(0)
    if isinstance(kpi, DurationKpi):
        value, numerator, denominator = pl.col("median_value"), pl.lit(None, pl.Int64), den
    elif isinstance(kpi, CountKpi) and not kpi.spec.per:
        value, numerator, denominator = num.cast(pl.Float64), num, pl.lit(None, pl.Int64)
    else:
        if isinstance(kpi, CountKpi):
            den = pl.col("per_count").fill_null(0)
        value = pl.when(den != 0).then(num / den)
        numerator, denominator = num, den
    by_period = pl.DataFrame(
        {"period": [p.label for p in plist], "target": [kpi.target_on(p.end) for p in plist]},
        schema={"period": pl.String, "target": pl.Float64},
    )
    out = rows.with_columns(
        value.cast(pl.Float64).alias("value"),
        numerator.cast(pl.Int64).alias("numerator_out"),
        denominator.cast(pl.Int64).alias("denominator_out"),
    ).join(by_period, on="period", how="left", maintain_order="left")
    return out.select(
        pl.lit(kpi.id).alias("kpi"), "period", "group_level", *by,
        pl.col("numerator_out").alias("numerator"), pl.col("denominator_out").alias("denominator"),
        "value",
        (pl.col("p90") if isinstance(kpi, DurationKpi) else pl.lit(None, pl.Float64)).alias("p90"),
        pl.col("pending").fill_null(0), pl.col("overdue_open").fill_null(0),
        _status_expr(kpi).alias("status"), "target",
        pl.lit(False).alias("suppressed"), pl.lit(False).alias("pending_suppressed"),
        pl.lit(False).alias("overdue_suppressed"),
        _rule_expr(kpi, by).alias("rule"),
    ).cast(schema)


def _status_expr(kpi) -> pl.Expr:
    """``kpi.status`` as a column expression over ``value`` and ``target`` (same epsilon)."""
    if kpi.thresholds is None:
        return pl.lit(Status.NONE.value)
    if kpi.direction is Direction.HIGHER_IS_BETTER:
        shortfall = pl.col("target") - pl.col("value")
    else:
        shortfall = pl.col("value") - pl.col("target")
    eps = 1e-9
    return (
        pl.when(pl.col("value").is_null() | pl.col("target").is_null())
        .then(pl.lit(Status.NONE.value))
        .when(shortfall <= kpi.thresholds.green + eps).then(pl.lit(Status.GREEN.value))
        .when(shortfall <= kpi.thresholds.yellow + eps).then(pl.lit(Status.YELLOW.value))
        .otherwise(pl.lit(Status.RED.value))
    )


def _rule_expr(kpi, by: tuple[str, ...]) -> pl.Expr:
    """Each row names the rule it was counted by: a row of one regime (``--by regime``) only
    that regime's, every other row both."""
    both = rule_text(kpi)
    if "regime" not in by:
        return pl.lit(both)
    per_regime = {r.value: rule_text(kpi, (r,)) for r in Regime}
    expr = pl.when(pl.col("regime").is_null()).then(pl.lit(both))
    for value, text in per_regime.items():
        expr = expr.when(pl.col("regime") == value).then(pl.lit(text))
    return expr.otherwise(pl.lit(both))


def rule_text(kpi, regimes: tuple[Regime, ...] = (Regime.BARNETS_LOV, Regime.SEL)) -> str:
    """The rule a figure was counted by, in Danish, for the given regimes: a deadline KPI's due
    rules with their legal basis; any other KPI its legal basis and what it counts."""
    parts = []
    for regime in regimes:
        basis = kpi.legal_basis.for_regime(regime)
        if isinstance(kpi, DeadlineKpi):
            rules = kpi.spec.due.rules(regime)
            parts.append(f"{basis or regime.label_da}: "
                         + "; ".join(r.describe_da() for r in rules))
        elif basis:
            parts.append(basis)
    if not isinstance(kpi, DeadlineKpi):
        what = " ".join(kpi.description.split())
        return f"{' | '.join(parts)}: {what}" if parts else what
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
    as_of = _checked_as_of(run, as_of)
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
    as_of = _checked_as_of(run, as_of)
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


__all__ = ["ALL", "DIMENSIONS", "AsOfAfterExport", "Scope", "case_steps", "compute", "open_steps", "snapshot_as_of"]
