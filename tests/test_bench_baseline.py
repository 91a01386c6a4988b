"""The benchmark's polars baseline (bench/baseline_polars.py): correct by hand, and equal to the engine.

First the baseline alone on tiny hand-made snapshots, with expected counts worked out by hand
from docs/kpi-rules.md (daylight-saving changes, the date-only degrade, 31 October + 4 months,
the parallel BFU, the ended-measure exclusion, pending and overdue-open). Then the baseline and
the engine on a small demo municipality: every quarter × team must give the same numerator,
denominator, pending and overdue-open counts. Correctness only: timings belong to
bench/bench_engine.py.
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from kpis.compute.periods import parse_period

ROOT = Path(__file__).resolve().parent.parent


def _load_baseline():
    spec = importlib.util.spec_from_file_location("baseline_polars",
                                                  ROOT / "bench" / "baseline_polars.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("baseline_polars", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return sys.modules["baseline_polars"]


bp = _load_baseline()

SCHEMAS = {
    "cases": {"case_id": pl.String, "team": pl.String, "opened_on": pl.Date},
    "notifications": {"case_id": pl.String, "received_at": pl.Datetime("us"),
                      "received_at_has_time": pl.Boolean, "assessed_at": pl.Datetime("us"),
                      "assessed_at_has_time": pl.Boolean},
    "investigations": {"case_id": pl.String, "aware_on": pl.Date, "completed_on": pl.Date},
    "measures": {"measure_id": pl.String, "case_id": pl.String, "decided_on": pl.Date,
                 "started_on": pl.Date, "ended_on": pl.Date},
    "follow_ups": {"measure_id": pl.String, "held_on": pl.Date},
}


def snapshot(as_of: date, **rows: list[tuple]) -> object:
    cases = rows.pop("cases", [("c1", "Team A", date(2020, 1, 1)),
                               ("c2", None, date(2020, 1, 1))])
    tables = {name: pl.DataFrame(rows.get(name, []), schema=schema, orient="row")
              for name, schema in SCHEMAS.items() if name != "cases"}
    tables["cases"] = pl.DataFrame(cases, schema=SCHEMAS["cases"], orient="row")
    return bp.Snapshot(as_of, tables)


def counts(snap, kpi: str, *labels: str) -> dict[tuple[str, str | None], tuple[int, ...]]:
    """{(period, team): (numerator, denominator, pending, overdue_open)}; team None = total."""
    df = bp.compute_baseline(snap, [parse_period(p) for p in labels], kpis=[kpi])
    return {(r["period"], r["team"]): tuple(r[c] for c in bp.COUNTS)
            for r in df.iter_rows(named=True)}


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --------------------------------------------------------------------------- hand-computed


def test_24_hours_in_danish_local_time_with_the_date_only_degrade():
    snap = snapshot(
        date(2025, 12, 31),
        notifications=[
            # summer time starts 30 March 02:00: 10:00 CET + 24 h = 11:00 CEST -> 10:30 on time
            ("c1", ts("2025-03-29T10:00"), True, ts("2025-03-30T10:30"), True),
            # summer time ends 26 October 03:00: 10:00 CEST + 24 h = 09:00 CET -> 09:30 late,
            # outcome date = the due date 26 October (Q4)
            ("c1", ts("2025-10-25T10:00"), True, ts("2025-10-26T09:30"), True),
            # receipt without a time: assessed no later than the next calendar day -> on time
            ("c1", ts("2025-06-02T00:00"), False, ts("2025-06-03T23:00"), True),
            # assessment without a time, two days later -> late, outcome = 3 June (Q2)
            ("c1", ts("2025-06-02T08:00"), True, ts("2025-06-04T00:00"), False),
            # open, due 31 December 12:00, the as-of day -> pending
            ("c1", ts("2025-12-30T12:00"), True, None, None),
            # open, due 21 December -> late and overdue open, outcome 21 December (Q4)
            ("c2", ts("2025-12-20T12:00"), True, None, None),
            # received after the as-of date: does not exist yet
            ("c1", ts("2026-01-02T12:00"), True, None, None),
        ],
    )
    got = counts(snap, "underretning_24t", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4")
    assert got == {
        ("2025-Q1", "Team A"): (1, 1, 0, 0), ("2025-Q1", None): (1, 1, 0, 0),
        ("2025-Q2", "Team A"): (1, 2, 0, 0), ("2025-Q2", None): (1, 2, 0, 0),
        ("2025-Q4", "Team A"): (0, 1, 1, 0), ("2025-Q4", "(ukendt)"): (0, 1, 0, 1),
        ("2025-Q4", None): (0, 2, 1, 1),
    }


def test_bfu_four_calendar_months_clamped_and_completion_after_as_of_not_yet_happened():
    snap = snapshot(
        date(2025, 6, 30),
        investigations=[
            ("c1", date(2023, 10, 31), date(2024, 2, 29)),  # due 29 Feb 2024 (leap): on time
            ("c1", date(2024, 10, 31), date(2025, 3, 1)),   # due 28 Feb 2025: late, in Q1
            ("c1", date(2025, 5, 1), None),                 # due 1 Sep 2025: pending
            ("c1", date(2025, 1, 15), date(2025, 7, 1)),    # done after as-of: open, late
        ],
    )
    got = counts(snap, "bfu_4_mdr", "2024-Q1", "2025-Q1", "2025-Q2")
    assert got == {
        ("2024-Q1", "Team A"): (1, 1, 0, 0), ("2024-Q1", None): (1, 1, 0, 0),
        ("2025-Q1", "Team A"): (0, 1, 0, 0), ("2025-Q1", None): (0, 1, 0, 0),
        ("2025-Q2", "Team A"): (0, 1, 1, 1), ("2025-Q2", None): (0, 1, 1, 1),
    }


def test_first_follow_up_parallel_bfu_and_ended_measures():
    snap = snapshot(
        date(2025, 6, 30),
        investigations=[
            ("c1", date(2024, 1, 10), date(2024, 3, 15)),  # parallel to m1
            ("c2", date(2024, 5, 1), date(2024, 6, 1)),    # completed on m5's start: not parallel
        ],
        measures=[
            # BL: due = min(1 May, BFU done 15 March) = 15 March; held 1 April -> late (Q1)
            ("m1", "c1", date(2024, 2, 1), date(2024, 2, 1), None),
            # SEL: the BFU rule does not apply; due 1 Aug 2023, held then -> on time (Q3)
            ("m2", "c1", date(2023, 5, 1), date(2023, 5, 1), None),
            # ended before its due date without a follow-up: not counted
            ("m3", "c1", date(2025, 1, 10), date(2025, 1, 10), date(2025, 2, 1)),
            # not yet due: pending
            ("m4", "c1", date(2025, 5, 1), date(2025, 5, 1), None),
            # a follow-up before the start does not count; the one on 15 Aug does (due 1 Sep)
            ("m5", "c2", date(2024, 6, 1), date(2024, 6, 1), None),
            # decided but not started by the as-of date: no clock
            ("m6", "c1", date(2025, 6, 1), date(2025, 7, 1), None),
            # BL, due 2 April 2025 (c1's BFU completed before the start: not parallel), ended
            # 15 May without a follow-up: late (Q2), but not overdue open
            ("m7", "c1", date(2025, 1, 2), date(2025, 1, 2), date(2025, 5, 15)),
        ],
        follow_ups=[("m1", date(2024, 4, 1)), ("m2", date(2023, 8, 1)),
                    ("m5", date(2024, 5, 20)), ("m5", date(2024, 8, 15))],
    )
    got = counts(snap, "opfoelgning_foerste_rettidig",
                 "2023-Q3", "2024-Q1", "2024-Q3", "2025-Q1", "2025-Q2")
    assert got == {
        ("2023-Q3", "Team A"): (1, 1, 0, 0), ("2023-Q3", None): (1, 1, 0, 0),
        ("2024-Q1", "Team A"): (0, 1, 0, 0), ("2024-Q1", None): (0, 1, 0, 0),
        ("2024-Q3", "(ukendt)"): (1, 1, 0, 0), ("2024-Q3", None): (1, 1, 0, 0),
        ("2025-Q2", "Team A"): (0, 1, 1, 0), ("2025-Q2", None): (0, 1, 1, 0),
    }


def test_differences_reports_missing_rows_as_zeros():
    a = pl.DataFrame({"kpi": ["k", "k"], "period": ["p", "p"], "team": ["A", None],
                      "numerator": [1, 1], "denominator": [2, 2], "pending": [0, 0],
                      "overdue_open": [0, 0]})
    b = a.filter(pl.col("team").is_null())
    diff = bp.differences(a, b)
    assert diff.height == 1
    assert diff.row(0, named=True)["team"] == "A"
    assert diff.row(0, named=True)["numerator_engine"] == 0


# --------------------------------------------------------------------------- baseline ≡ engine


@pytest.fixture(scope="module")
def demo_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from kpis.data.demo import DEMO_AS_OF, generate
    from kpis.data.importer import run_import
    from kpis.data.pseudonym import DEMO_KEY

    root = tmp_path_factory.mktemp("bench-baseline")
    generate(root / "export", scale=0.3, as_of=DEMO_AS_OF)
    db = root / "snapshot.duckdb"
    run_import(root / "export", db, profile="dubu_dk", as_of=DEMO_AS_OF, pseudonym_key=DEMO_KEY)
    return db


def test_demo_data_exercises_the_rules(demo_snapshot: Path):
    """The comparison below means something only if the data has the edge cases in it."""
    conn = duckdb.connect(str(demo_snapshot), read_only=True)
    try:
        snap = bp.read_snapshot(conn)
        quarters = bp.quarters_of(conn)
        one = conn.execute
        date_only = one("SELECT count(*) FROM notifications WHERE NOT received_at_has_time "
                        "OR NOT assessed_at_has_time").fetchall()[0][0]
        brought_forward = one("""
            SELECT count(DISTINCT m.measure_id) FROM measures m JOIN investigations i
              ON i.case_id = m.case_id AND i.aware_on <= m.started_on
             AND i.completed_on > m.started_on
             AND i.completed_on < m.started_on + INTERVAL 3 MONTH
            WHERE m.decided_on >= DATE '2024-01-01'""").fetchall()[0][0]
        ended_early = one("""
            SELECT count(*) FROM measures m
            WHERE m.ended_on < m.started_on + INTERVAL 3 MONTH
              AND NOT EXISTS (SELECT 1 FROM follow_ups f WHERE f.measure_id = m.measure_id
                                AND f.held_on >= m.started_on)""").fetchall()[0][0]
    finally:
        conn.close()
    assert date_only > 0 and brought_forward > 0 and ended_early > 0
    totals = (bp.compute_baseline(snap, quarters).filter(pl.col("team").is_null())
              .group_by("kpi").agg(pl.col(c).sum() for c in bp.COUNTS))
    by_kpi = {row["kpi"]: row for row in totals.iter_rows(named=True)}
    assert set(by_kpi) == set(bp.HEADLINE)
    for row in by_kpi.values():
        assert 0 < row["numerator"] < row["denominator"], row  # on time and late ones
    for kpi in ("bfu_4_mdr", "opfoelgning_foerste_rettidig"):
        assert by_kpi[kpi]["pending"] > 0 and by_kpi[kpi]["overdue_open"] > 0, by_kpi[kpi]


def _engine_sources(db: Path):
    yield "direct", duckdb.connect(str(db), read_only=True)
    try:
        from kpis.compute.unit_cache import SnapshotCache
    except ImportError:  # an engine without the units cache
        return
    yield "cached", SnapshotCache(db)


def test_baseline_and_engine_agree_for_every_quarter_and_team(demo_snapshot: Path):
    from kpis import DEFAULT_KPIS
    from kpis.compute.engine import compute
    from kpis.rules.validate import load_and_validate

    kpiset = load_and_validate(DEFAULT_KPIS)
    conn = duckdb.connect(str(demo_snapshot), read_only=True)
    snap = bp.read_snapshot(conn)
    quarters = bp.quarters_of(conn)
    conn.close()
    baseline = bp.compute_baseline(snap, quarters)
    assert baseline.height > 100
    for name, source in _engine_sources(demo_snapshot):
        try:
            result = compute(source, kpiset, quarters, by=("team",), kpi_ids=list(bp.HEADLINE))
        finally:
            source.close()
        engine = bp.engine_counts(result)
        diff = bp.differences(baseline, engine)
        assert diff.is_empty(), f"{name} engine differs from the baseline:\n{diff}"
        assert engine.height == baseline.height
