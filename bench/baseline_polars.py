"""A plain lazy-polars implementation of the three headline KPIs: the benchmark's baseline.

Written as a polars user would: each KPI's steps one lazy query over the snapshot's columns,
the three collected together (in parallel, projections pushed down), then one group_by each by
period and team.

    underretning_24t             assessed within 24 clock hours of receipt (Danish local time;
                                 "no later than the next calendar day" when either side lacks a
                                 time of day)
    bfu_4_mdr                    BFU completed within 4 calendar months of the aware date (clamped
                                 to the month's end)
    opfoelgning_foerste_rettidig first follow-up within 3 months of the start; under Barnets Lov
                                 earlier when a parallel BFU completes first; a measure that ended
                                 before its due date without a follow-up is not counted, one that
                                 ended after it is late but not overdue-open

Written from docs/kpi-rules.md and ../shared/domain.md, not from the engine's SQL, so that the
benchmark's comparison is also a second opinion on the engine's numbers. Every step gets a status
(on time, late or pending) and an outcome date; a step counts in the period that contains its
outcome date, and pending and overdue-open steps count in the period that contains the as-of date.

    quarters_of(conn)                   -> every quarter of the export window
    read_snapshot(conn)                 -> Snapshot (the columns these KPIs read, as polars frames)
    compute_baseline(snapshot, periods) -> one row per KPI × period × team (team null = total)
    engine_counts(engine_result)        -> the engine's result in the same shape
    differences(a, b)                   -> rows where the two disagree
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import polars as pl

HEADLINE = ("underretning_24t", "bfu_4_mdr", "opfoelgning_foerste_rettidig")
BARNETS_LOV_START = date(2024, 1, 1)  # the regime of a step is chosen by its triggering date
UNKNOWN_TEAM = "(ukendt)"
CPH = "Europe/Copenhagen"
COUNTS = ("numerator", "denominator", "pending", "overdue_open")
KEY = ("kpi", "period", "team")

# The columns each table contributes to the three KPIs: what the floor measurement scans too.
COLUMNS: dict[str, tuple[str, ...]] = {
    "cases": ("case_id", "team", "opened_on"),
    "notifications": ("case_id", "received_at", "received_at_has_time", "assessed_at",
                      "assessed_at_has_time"),
    "investigations": ("case_id", "aware_on", "completed_on"),
    "measures": ("measure_id", "case_id", "decided_on", "started_on", "ended_on"),
    "follow_ups": ("measure_id", "held_on"),
}
# Which tables each KPI reads (cases for the team of every unit).
TABLES_READ: dict[str, tuple[str, ...]] = {
    "underretning_24t": ("cases", "notifications"),
    "bfu_4_mdr": ("cases", "investigations"),
    "opfoelgning_foerste_rettidig": ("cases", "measures", "follow_ups", "investigations"),
}


@dataclass(frozen=True)
class Snapshot:
    as_of: date
    tables: dict[str, pl.DataFrame]

    def lazy(self, name: str) -> pl.LazyFrame:
        return self.tables[name].lazy()


@dataclass(frozen=True)
class PeriodSpan:
    label: str
    start: date
    end: date


def quarters_of(conn: duckdb.DuckDBPyConnection) -> list:
    """Every quarter of the export window, as engine Periods: from the quarter of the first
    underretning to the quarter of the as-of date."""
    from kpis.compute.periods import parse_period

    first, as_of = conn.execute(
        "SELECT (SELECT min(CAST(received_at AS DATE)) FROM notifications), "
        "(SELECT as_of FROM snapshot_meta)").fetchall()[0]
    out, y, q = [], first.year, (first.month - 1) // 3 + 1
    while (y, q) <= (as_of.year, (as_of.month - 1) // 3 + 1):
        out.append(parse_period(f"{y}-Q{q}"))
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def read_snapshot(conn: duckdb.DuckDBPyConnection) -> Snapshot:
    """The snapshot's as-of date and the columns of ``COLUMNS``, read into polars."""
    as_of = conn.execute("SELECT as_of FROM snapshot_meta").fetchall()[0][0]
    tables = {
        name: conn.sql(f'SELECT {", ".join(cols)} FROM "{name}"').pl()
        for name, cols in COLUMNS.items()
    }
    return Snapshot(as_of, tables)


# --------------------------------------------------------------------------- as-of visibility


def _known(col: str, as_of: date) -> pl.Expr:
    """A non-planned date after the as-of date has not happened yet: null."""
    return pl.when(pl.col(col).cast(pl.Date) <= as_of).then(pl.col(col)).alias(col)


def _teams(snap: Snapshot) -> pl.LazyFrame:
    """Each case's team; a case opened after the as-of date does not exist yet."""
    return (snap.lazy("cases")
            .filter(pl.col("opened_on") <= snap.as_of)
            .select("case_id", pl.col("team").fill_null(UNKNOWN_TEAM)))


# --------------------------------------------------------------------------- the three KPIs


def _local_to_utc(col: str) -> pl.Expr:
    """A naive Danish wall-clock time as an instant. The repeated autumn hour is read as its
    second occurrence; the skipped spring hour with the offset before the change (+01:00)."""
    naive = pl.col(col)
    regular = naive.dt.replace_time_zone(CPH, ambiguous="latest", non_existent="null")
    skipped = (naive - pl.duration(hours=1)).dt.replace_time_zone("UTC").dt.convert_time_zone(CPH)
    return pl.coalesce(regular, skipped).dt.convert_time_zone("UTC")


def underretning_24t(snap: Snapshot) -> pl.LazyFrame:
    as_of = snap.as_of
    n = (snap.lazy("notifications")
         .filter(pl.col("received_at").is_not_null()
                 & (pl.col("received_at").cast(pl.Date) <= as_of))
         .with_columns(_known("assessed_at", as_of)))
    start_time = pl.col("received_at_has_time").fill_null(False)
    done_time = pl.col("assessed_at_has_time").fill_null(False)
    start_day = pl.col("received_at").cast(pl.Date)
    next_day = start_day + timedelta(days=1)
    due_moment = _local_to_utc("received_at") + pl.duration(hours=24)
    steps = n.select(
        "case_id",
        start=start_day,
        due=pl.when(start_time).then(due_moment.dt.convert_time_zone(CPH).dt.date())
        .otherwise(next_day),
        done=pl.col("assessed_at").cast(pl.Date),
        on_time=pl.when(start_time & done_time)
        .then(_local_to_utc("assessed_at") <= due_moment)
        .otherwise(pl.col("assessed_at").cast(pl.Date) <= next_day),
    )
    return _with_team(steps, snap)


def bfu_4_mdr(snap: Snapshot) -> pl.LazyFrame:
    as_of = snap.as_of
    inv = (snap.lazy("investigations")
           .filter(pl.col("aware_on").is_not_null() & (pl.col("aware_on") <= as_of))
           .with_columns(_known("completed_on", as_of)))
    due = pl.col("aware_on").dt.offset_by("4mo")  # polars clamps to the month's last day
    steps = inv.select("case_id", start=pl.col("aware_on"), due=due,
                       done=pl.col("completed_on"), on_time=pl.col("completed_on") <= due)
    return _with_team(steps, snap)


def opfoelgning_foerste_rettidig(snap: Snapshot) -> pl.LazyFrame:
    as_of = snap.as_of
    m = (snap.lazy("measures")
         .filter(pl.col("decided_on") <= as_of)
         .with_columns(_known("started_on", as_of))
         .filter(pl.col("started_on").is_not_null()))
    fu = snap.lazy("follow_ups").filter(pl.col("held_on") <= as_of)
    first = (m.select("measure_id", "started_on")
             .join(fu, on="measure_id")
             .filter(pl.col("held_on") >= pl.col("started_on"))
             .group_by("measure_id").agg(first_follow_up=pl.col("held_on").min()))
    inv = (snap.lazy("investigations")
           .filter(pl.col("aware_on") <= as_of)
           .with_columns(_known("completed_on", as_of)))
    # Barnets Lov § 95: a BFU open when the measure started (aware on or before the start day and
    # completed after it) brings the first follow-up forward to its completion; not-yet-completed
    # ones do not.
    parallel = (m.select("measure_id", "case_id", "started_on")
                .join(inv, on="case_id")
                .filter((pl.col("aware_on") <= pl.col("started_on"))
                        & (pl.col("completed_on") > pl.col("started_on")))
                .group_by("measure_id").agg(parallel_bfu=pl.col("completed_on").min()))
    three = pl.col("started_on").dt.offset_by("3mo")
    barnets_lov = pl.col("decided_on") >= BARNETS_LOV_START
    due = (pl.when(barnets_lov & pl.col("parallel_bfu").is_not_null())
           .then(pl.min_horizontal(three, pl.col("parallel_bfu"))).otherwise(three))
    steps = (m.join(first, on="measure_id", how="left")
             .join(parallel, on="measure_id", how="left")
             .with_columns(due=due)
             # ended before the first follow-up fell due, without one: not counted
             .filter(~(pl.col("first_follow_up").is_null() & pl.col("ended_on").is_not_null()
                       & (pl.col("ended_on") <= as_of) & (pl.col("ended_on") < pl.col("due"))))
             .select("case_id", start=pl.col("started_on"), due=pl.col("due"),
                     done=pl.col("first_follow_up"),
                     on_time=pl.col("first_follow_up") <= pl.col("due"),
                     # ended (after its due date) without one: late, but nobody can still do it
                     ended=(pl.col("ended_on") <= as_of).fill_null(False)))
    return _with_team(steps, snap)


KPIS = {
    "underretning_24t": underretning_24t,
    "bfu_4_mdr": bfu_4_mdr,
    "opfoelgning_foerste_rettidig": opfoelgning_foerste_rettidig,
}


def _with_team(steps: pl.LazyFrame, snap: Snapshot) -> pl.LazyFrame:
    """Status and outcome date of each step, with its case's team."""
    as_of = snap.as_of
    done = pl.col("done").is_not_null()
    status = (pl.when(done & pl.col("on_time")).then(pl.lit("on_time"))
              .when(done).then(pl.lit("late"))
              .when(pl.col("due") >= as_of).then(pl.lit("pending"))
              .otherwise(pl.lit("late")))
    outcome = (pl.when(pl.col("status") == "on_time").then(pl.max_horizontal("done", "start"))
               .when(pl.col("status") == "late").then(pl.col("due"))
               .otherwise(pl.lit(as_of)))
    ended = pl.col("ended") if "ended" in steps.collect_schema() else pl.lit(False)
    return (steps.join(_teams(snap), on="case_id")
            .with_columns(status=status)
            .select("team", "status", outcome=outcome, overdue_open=(pl.col("status") == "late")
                    & ~done & ~ended))


# --------------------------------------------------------------------------- periods and groups


def _spans(periods: Sequence) -> list[PeriodSpan]:
    spans = sorted((PeriodSpan(p.label, p.start, p.end) for p in periods), key=lambda s: s.start)
    for a, b in itertools.pairwise(spans):
        if b.start <= a.end:
            raise ValueError(f"the baseline needs periods that do not overlap: {a} and {b}")
    return spans


def _period_of(col: str, spans: list[PeriodSpan]) -> pl.Expr:
    """The label of the period that contains the date ``col``, null in none: a binary search in
    the (sorted, non-overlapping) period starts, so the units need no sorting."""
    starts = pl.Series([s.start for s in spans], dtype=pl.Date)
    ends = pl.Series([s.end for s in spans], dtype=pl.Date)
    labels = pl.Series([s.label for s in spans], dtype=pl.String)
    i = (pl.lit(starts).search_sorted(pl.col(col), side="right").cast(pl.Int64) - 1)
    inside = (i >= 0) & (pl.col(col) <= pl.lit(ends).gather(i.clip(0)))
    return pl.when(inside).then(pl.lit(labels).gather(i.clip(0)))


def aggregate(kpi: str, units: pl.LazyFrame, spans: list[PeriodSpan], as_of: date) -> pl.LazyFrame:
    """Numerator, denominator, pending and overdue-open per period, by team and in total.

    One group_by over the units by the period of their outcome date: a pending unit's outcome
    date is the as-of date, so it falls in the as-of period by itself. Only an overdue-open unit
    counts in two periods (late in its due date's, open in the as-of one): those few are added
    as a second, small group_by by team."""
    status = pl.col("status")
    by_team = (units.with_columns(period=_period_of("outcome", spans))
               .filter(pl.col("period").is_not_null())
               .group_by("period", "team")
               .agg(numerator=(status == "on_time").sum().cast(pl.Int64),
                    denominator=(status != "pending").sum().cast(pl.Int64),
                    pending=(status == "pending").sum().cast(pl.Int64),
                    overdue_open=pl.lit(0, pl.Int64)))
    now = [s.label for s in spans if s.start <= as_of <= s.end]
    if now:
        overdue = (units.filter(pl.col("overdue_open"))
                   .group_by("team").agg(overdue_open=pl.len().cast(pl.Int64))
                   .select(period=pl.lit(now[0], pl.String), team="team",
                           numerator=pl.lit(0, pl.Int64), denominator=pl.lit(0, pl.Int64),
                           pending=pl.lit(0, pl.Int64), overdue_open="overdue_open"))
        sums = [pl.col(c).sum() for c in COUNTS]
        by_team = pl.concat([by_team, overdue]).group_by("period", "team").agg(sums)
    sums = [pl.col(c).sum() for c in COUNTS]
    # the totals from the (few) team sums, not from every unit again
    total = by_team.group_by("period").agg(sums).with_columns(team=pl.lit(None, pl.String))
    return (pl.concat([by_team.select("period", "team", *COUNTS),
                       total.select("period", "team", *COUNTS)])
            .with_columns(kpi=pl.lit(kpi))
            .select(*KEY, *COUNTS))


def compute_baseline(snap: Snapshot, periods: Sequence,
                     kpis: Sequence[str] = HEADLINE) -> pl.DataFrame:
    """The three KPIs for every period (Period objects or anything with label/start/end).

    As a polars user would write it: each KPI's steps are one lazy query, the three collected
    together (``collect_all`` runs them in parallel and reads only the columns each needs); each
    is then one group_by. Collecting the steps first matters: the aggregation reads them twice
    (every unit, and the few overdue-open ones), and the optimiser pushes the two filters into
    the two reads, so a single lazy query would derive every step twice."""
    spans = _spans(periods)
    steps = pl.collect_all([KPIS[k](snap) for k in kpis])
    frames = [aggregate(k, s.lazy(), spans, snap.as_of) for k, s in zip(kpis, steps, strict=True)]
    return _tidy(pl.concat(frames).collect())


def engine_counts(result: pl.DataFrame, kpis: Sequence[str] = HEADLINE) -> pl.DataFrame:
    """The engine's ``compute(..., by=("team",))`` result in the baseline's shape."""
    return _tidy(result.filter(pl.col("kpi").is_in(list(kpis))
                               & pl.col("group_level").is_in(["", "team"]))
                 .select(*KEY, *[pl.col(c).fill_null(0).cast(pl.Int64) for c in COUNTS]))


def _tidy(frame: pl.DataFrame) -> pl.DataFrame:
    # A figure with nothing in it is not a difference: the engine always emits the total row.
    return (frame.filter(pl.sum_horizontal(*COUNTS) > 0)
            .sort(*KEY, nulls_last=True))


def differences(baseline: pl.DataFrame, engine: pl.DataFrame) -> pl.DataFrame:
    """Rows whose counts differ (a missing row counts as zeros), with both sides' counts."""
    joined = baseline.join(engine, on=list(KEY), how="full", coalesce=True, nulls_equal=True,
                           suffix="_engine")
    joined = joined.with_columns([pl.col(c).fill_null(0) for c in joined.columns
                                  if c not in KEY])
    differs = pl.any_horizontal([pl.col(c) != pl.col(f"{c}_engine") for c in COUNTS])
    return joined.filter(differs).sort(*KEY, nulls_last=True)
