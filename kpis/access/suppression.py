"""Small-number suppression for committee views and exports: primary and secondary.

Primary: a figure whose base count (the denominator of a rate, the count of a count, the number
of completed steps of a duration) is above zero and below the threshold is withheld: numerator,
denominator and value alike. Zero may be shown. The pending and overdue-open counts are checked
the same way, each on its own.

Secondary: a hidden figure must not be recoverable from the figures shown beside it. Rows that
add up are linked by constraints — a parent (the department total, a team, a year) and the rows
that partition it (its teams, its caseworkers, its quarters). While a visible parent has exactly
one hidden child, the smallest other non-zero child is hidden too; when no such child exists, the
parent is hidden instead (and its own constraints are checked again).

Known limit: overlapping periods (rolling twelve months side by side) are not linked; the pages
show them one at a time.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

import polars as pl

from kpis.compute.periods import Period, parse_period
from kpis.rules.definitions import CountKpi, DurationKpi

HIDDEN_TEXT = "færre end {threshold}"


@dataclass(frozen=True)
class Constraint:
    parent: int  # row index
    children: tuple[int, ...]


def base_count_column(kpi) -> str:
    """Which count decides whether a KPI's figure is too small to show."""
    if isinstance(kpi, CountKpi):
        return "numerator"
    if isinstance(kpi, DurationKpi):
        return "denominator"
    return "denominator"


def _group_constraints(df: pl.DataFrame, by: tuple[str, ...]) -> list[Constraint]:
    """Parent → children over the grouping levels (total → team → team,caseworker)."""
    index: dict[tuple, int] = {}
    rows = df.select(["kpi", "period", "group_level", *by]).iter_rows()
    keyed = []
    for i, r in enumerate(rows):
        kpi, period, level, *values = r
        depth = 0 if level == "" else len(level.split(","))
        key = (kpi, period, depth, tuple(values[:depth]))
        index[key] = i
        keyed.append(key)
    children: dict[int, list[int]] = defaultdict(list)
    for i, (kpi, period, depth, values) in enumerate(keyed):
        if depth == 0:
            continue
        parent = index.get((kpi, period, depth - 1, values[: depth - 1]))
        if parent is not None:
            children[parent].append(i)
    return [Constraint(p, tuple(c)) for p, c in children.items()]


def _period_constraints(df: pl.DataFrame, by: tuple[str, ...]) -> list[Constraint]:
    """A period shown beside periods that exactly partition it (a year and its quarters)."""
    labels = df["period"].unique().to_list()
    periods: dict[str, Period] = {}
    for label in labels:
        try:
            periods[label] = parse_period(label)
        except ValueError:
            continue
    partitions: dict[str, list[str]] = {}
    for big in periods.values():
        inside = [p for p in periods.values()
                  if p.label != big.label and big.start <= p.start and p.end <= big.end]
        # the finest complete tiling of one kind
        for kind in {p.kind for p in inside}:
            parts = sorted((p for p in inside if p.kind is kind), key=lambda p: p.start)
            if parts and parts[0].start == big.start and parts[-1].end == big.end and all(
                (a.end.toordinal() + 1) == b.start.toordinal() for a, b in pairwise(parts)
            ):
                partitions[big.label] = [p.label for p in parts]
    if not partitions:
        return []
    index: dict[tuple, int] = {}
    for i, r in enumerate(df.select(["kpi", "period", "group_level", *by]).iter_rows()):
        kpi, period, level, *values = r
        index[(kpi, period, level, tuple(values))] = i
    out = []
    for (kpi, period, level, values), i in index.items():
        if period in partitions:
            kids = [index.get((kpi, p, level, values)) for p in partitions[period]]
            # a missing child row holds no units: it is a zero, known to the reader
            out.append(Constraint(i, tuple(k for k in kids if k is not None)))
    return out


def _suppress(counts: list[int | None], threshold: int,
              constraints: list[Constraint]) -> set[int]:
    hidden = {i for i, n in enumerate(counts) if n is not None and 0 < n < threshold}
    changed = True
    while changed:
        changed = False
        for c in constraints:
            if c.parent in hidden:
                continue
            hidden_kids = [k for k in c.children if k in hidden]
            if len(hidden_kids) != 1:
                continue
            candidates = [k for k in c.children if k not in hidden and (counts[k] or 0) > 0]
            if candidates:
                hidden.add(min(candidates, key=lambda k: (counts[k], k)))
            else:
                hidden.add(c.parent)
            changed = True
    return hidden


def apply_suppression(df: pl.DataFrame, kpiset, threshold: int, by: tuple[str, ...] = ()
                      ) -> pl.DataFrame:
    """Withhold small figures in a tidy result (all rows of one view or export at once)."""
    if df.is_empty():
        return df
    constraints = _group_constraints(df, by) + _period_constraints(df, by)
    kpi_of = df["kpi"].to_list()
    base = [r[base_count_column(kpiset[k])] for k, r in zip(kpi_of, df.iter_rows(named=True))]
    hidden = _suppress(base, threshold, constraints)
    hidden_pending = _suppress(df["pending"].to_list(), threshold, constraints)
    hidden_overdue = _suppress(df["overdue_open"].to_list(), threshold, constraints)
    n = len(df)
    mask = pl.Series([i in hidden for i in range(n)])
    pmask = pl.Series([i in hidden_pending for i in range(n)])
    omask = pl.Series([i in hidden_overdue for i in range(n)])
    out = df.with_columns(
        suppressed=mask,
        pending_suppressed=pmask,
        overdue_suppressed=omask,
    )
    withheld = ["numerator", "denominator", "value", "p90"]
    out = out.with_columns(
        [pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c)
         for c in withheld]
        + [pl.when(pl.col("suppressed")).then(pl.lit("none")).otherwise(pl.col("status"))
           .alias("status"),
           pl.when(pl.col("pending_suppressed")).then(None).otherwise(pl.col("pending"))
           .alias("pending"),
           pl.when(pl.col("overdue_suppressed")).then(None).otherwise(pl.col("overdue_open"))
           .alias("overdue_open")]
    )
    return out
