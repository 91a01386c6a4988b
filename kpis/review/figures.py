"""Findings as figures: shares of 'ja' with their 95 % Wilson interval, and rounds compared.

The share of a question (or a pejlemærke) is ja / (ja + delvist + nej): 'delvist' is not yes
(the step was not done as the law or the standard requires), and 'ikke relevant' is left out of
both numerator and denominator (the question did not apply to the case). A share from a sample
of a few dozen cases is an estimate: every figure carries its interval and the number of answers
it rests on (docs/case-review.md).
"""

from __future__ import annotations

import math

import polars as pl

from kpis.review.model import Answer, Programme
from kpis.rules.sources import REVIEW_FINDINGS

Z95 = 1.959963984540054  # the 97.5 % quantile of the standard normal distribution
COUNTED = (Answer.JA.value, Answer.DELVIST.value, Answer.NEJ.value)


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``successes`` out of ``n`` (0–1); (nan, nan) for n = 0."""
    if n <= 0:
        return math.nan, math.nan
    if not 0 <= successes <= n:
        raise ValueError(f"{successes} af {n} er ikke en andel")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _with_pejlemaerke(findings: pl.DataFrame, programme: Programme) -> pl.DataFrame:
    mark = {q.id: q.pejlemaerke.value for q in programme.questions}
    return (findings.filter(pl.col("programme_id") == programme.id)
            .filter(pl.col("question_id").is_in(list(mark)))
            .with_columns(pl.col("question_id").replace_strict(mark, return_dtype=pl.String)
                          .alias("pejlemaerke")))


def shares(findings: pl.DataFrame, programme: Programme, by: tuple[str, ...] = ("question_id",)
           ) -> pl.DataFrame:
    """Per group of ``by`` (columns of the findings, or ``pejlemaerke``): ja, delvist, nej,
    ikke_relevant counts, ``n`` (the denominator), ``share`` and its Wilson ``low``/``high``."""
    df = _with_pejlemaerke(findings, programme)
    counts = df.group_by(list(by)).agg(
        *[(pl.col("answer") == a.value).sum().cast(pl.Int64).alias(a.value) for a in Answer])
    rows = []
    for row in counts.sort(list(by)).iter_rows(named=True):
        n = row["ja"] + row["delvist"] + row["nej"]
        low, high = wilson(row["ja"], n)
        rows.append({**row, "n": n, "share": row["ja"] / n if n else None,
                     "low": None if n == 0 else low, "high": None if n == 0 else high})
    schema = {**{c: pl.String for c in by}, **{a.value: pl.Int64 for a in Answer},
              "n": pl.Int64, "share": pl.Float64, "low": pl.Float64, "high": pl.Float64}
    return pl.DataFrame(rows, schema=schema, orient="row")


def compare_rounds(findings: pl.DataFrame, programme: Programme, before: str, after: str,
                   level: str = "question_id") -> pl.DataFrame:
    """Round ``after`` against round ``before`` per question (or ``level="pejlemaerke"``): both
    shares with intervals, the change in percentage points (0–1) and whether the two intervals
    overlap (overlapping intervals: the change may be chance)."""
    per = shares(findings.filter(pl.col("round").is_in([before, after])), programme,
                 ("round", level))
    a = per.filter(pl.col("round") == before).drop("round")
    b = per.filter(pl.col("round") == after).drop("round")
    keep = [level, "n", "share", "low", "high"]
    joined = a.select(keep).join(b.select(keep), on=level, how="full", coalesce=True,
                                 suffix="_after")
    joined = joined.rename({"n": "n_before", "share": "share_before", "low": "low_before",
                            "high": "high_before"})
    return joined.with_columns(
        (pl.col("share_after") - pl.col("share_before")).alias("change"),
        ((pl.col("low_before") <= pl.col("high_after"))
         & (pl.col("low_after") <= pl.col("high_before"))).alias("overlap"),
    ).sort(level)


def sample_based(kpi) -> bool:
    """A figure computed from case reviews rests on a sample: it is an estimate, reported with
    its interval. Every other figure counts all the export's cases."""
    return getattr(kpi.spec, "source", None) == REVIEW_FINDINGS
