"""Primary and secondary suppression on hand-made result tables.

Each table is written out by hand with the figures a committee would otherwise see; the expected
hidden cells are worked out in the comments.
"""

import polars as pl
import pytest

from kpis import DEFAULT_KPIS
from kpis.access.suppression import apply_suppression
from kpis.rules.definitions import load_kpis

KPIS = load_kpis(DEFAULT_KPIS)
RATE = "bfu_4_mdr"
COUNT = "underretninger_antal"


def table(rows, by=("team",)):
    """rows: (kpi, period, team or None, numerator, denominator, pending, overdue_open)"""
    out = []
    for kpi, period, team, num, den, pend, over in rows:
        out.append({"kpi": kpi, "period": period, "group_level": "" if team is None else "team",
                    "team": team, "numerator": num, "denominator": den,
                    "value": (num / den if den else None) if den is not None else float(num),
                    "p90": None, "pending": pend, "overdue_open": over, "status": "green",
                    "target": 0.9, "suppressed": False, "pending_suppressed": False,
                    "overdue_suppressed": False, "rule": ""})
    return pl.DataFrame(out)


def hidden(df, col="suppressed"):
    return {(r["period"], r["team"]) for r in df.iter_rows(named=True) if r[col]}


def test_primary_only_when_no_sibling_would_reveal_it():
    # Total 30 = A 12 + B 10 + C 8: nothing below 5, nothing hidden.
    df = table([(RATE, "2025-Q1", None, 20, 30, 0, 0), (RATE, "2025-Q1", "A", 8, 12, 0, 0),
                (RATE, "2025-Q1", "B", 7, 10, 0, 0), (RATE, "2025-Q1", "C", 5, 8, 0, 0)])
    out = apply_suppression(df, KPIS, 5, ("team",))
    assert hidden(out) == set()
    assert out["denominator"].to_list() == [30, 12, 10, 8]


def test_secondary_hides_the_smallest_sibling():
    # Total 30 = A 3 + B 19 + C 8. A (3 < 5) is hidden; the total minus B and C would give it
    # back, so the smallest other non-zero team, C (8), is hidden too. B stays visible.
    df = table([(RATE, "2025-Q1", None, 20, 30, 0, 0), (RATE, "2025-Q1", "A", 2, 3, 0, 0),
                (RATE, "2025-Q1", "B", 13, 19, 0, 0), (RATE, "2025-Q1", "C", 5, 8, 0, 0)])
    out = apply_suppression(df, KPIS, 5, ("team",))
    assert hidden(out) == {("2025-Q1", "A"), ("2025-Q1", "C")}
    rows = {r["team"]: r for r in out.iter_rows(named=True)}
    for team in ("A", "C"):
        assert rows[team]["numerator"] is None
        assert rows[team]["denominator"] is None
        assert rows[team]["value"] is None
        assert rows[team]["status"] == "none"
    assert rows["B"]["denominator"] == 19 and rows[None]["denominator"] == 30


def test_two_small_siblings_protect_each_other():
    # Total 30 = A 3 + B 4 + C 23: A and B are both hidden; A + B = 7 is known but not each.
    df = table([(RATE, "2025-Q1", None, 20, 30, 0, 0), (RATE, "2025-Q1", "A", 2, 3, 0, 0),
                (RATE, "2025-Q1", "B", 3, 4, 0, 0), (RATE, "2025-Q1", "C", 15, 23, 0, 0)])
    assert hidden(apply_suppression(df, KPIS, 5, ("team",))) == {("2025-Q1", "A"),
                                                                 ("2025-Q1", "B")}


def test_zero_siblings_cannot_protect_so_the_total_is_hidden():
    # Total 3 = A 3 + B 0: A is hidden by the primary rule, the total is below 5 too.
    df = table([(RATE, "2025-Q1", None, 1, 3, 0, 0), (RATE, "2025-Q1", "A", 1, 3, 0, 0),
                (RATE, "2025-Q1", "B", 0, 0, 0, 0)])
    out = apply_suppression(df, KPIS, 5, ("team",))
    assert hidden(out) == {("2025-Q1", None), ("2025-Q1", "A")}
    assert out.filter(pl.col("team") == "B")["denominator"].to_list() == [0]  # zero may be shown


def test_parent_hidden_when_only_zero_siblings_remain_visible():
    # Total 7 = A 3 + B 4 + C 0 is fine (A, B hidden together). But total 9 = A 3 + B 6 + C 0:
    # A hidden, the only non-zero sibling B is hidden as its partner; C is zero.
    df = table([(RATE, "2025-Q1", None, 5, 9, 0, 0), (RATE, "2025-Q1", "A", 2, 3, 0, 0),
                (RATE, "2025-Q1", "B", 3, 6, 0, 0), (RATE, "2025-Q1", "C", 0, 0, 0, 0)])
    assert hidden(apply_suppression(df, KPIS, 5, ("team",))) == {("2025-Q1", "A"),
                                                                 ("2025-Q1", "B")}


def test_year_and_its_quarters_in_one_export():
    # Year 40 = Q1 12 + Q2 3 + Q3 15 + Q4 10 (totals only). Q2 is hidden; the year minus the
    # other quarters would give it back, so Q4 (the smallest other) is hidden too.
    df = table([(RATE, "2025", None, 30, 40, 0, 0), (RATE, "2025-Q1", None, 9, 12, 0, 0),
                (RATE, "2025-Q2", None, 2, 3, 0, 0), (RATE, "2025-Q3", None, 11, 15, 0, 0),
                (RATE, "2025-Q4", None, 8, 10, 0, 0)], by=())
    out = apply_suppression(df.drop("team"), KPIS, 5, ())
    assert {r["period"] for r in out.iter_rows(named=True) if r["suppressed"]} == {
        "2025-Q2", "2025-Q4"}


def test_counts_use_the_count_and_pending_is_checked_on_its_own():
    # Notifications: A 2 (hidden) B 40 C 30 → C hidden as partner. Pending of a rate KPI: total 6
    # = A 2 + B 4 → both hidden, total visible (2 + 4 = 6 reveals neither).
    df = table([(COUNT, "2025-Q1", None, 72, None, 0, 0), (COUNT, "2025-Q1", "A", 2, None, 0, 0),
                (COUNT, "2025-Q1", "B", 40, None, 0, 0), (COUNT, "2025-Q1", "C", 30, None, 0, 0)])
    assert hidden(apply_suppression(df, KPIS, 5, ("team",))) == {("2025-Q1", "A"),
                                                                 ("2025-Q1", "C")}
    df2 = table([(RATE, "2025-Q4", None, 50, 60, 6, 0), (RATE, "2025-Q4", "A", 20, 25, 2, 0),
                 (RATE, "2025-Q4", "B", 30, 35, 4, 0)])
    out = apply_suppression(df2, KPIS, 5, ("team",))
    assert hidden(out) == set()
    assert hidden(out, "pending_suppressed") == {("2025-Q4", "A"), ("2025-Q4", "B")}
    assert out["pending"].to_list() == [6, None, None]


@pytest.mark.parametrize("threshold", [3, 10])
def test_threshold_is_a_setting(threshold):
    df = table([(RATE, "2025-Q1", None, 20, 30, 0, 0), (RATE, "2025-Q1", "A", 4, 6, 0, 0),
                (RATE, "2025-Q1", "B", 16, 24, 0, 0)])
    expected = set() if threshold == 3 else {("2025-Q1", "A"), ("2025-Q1", "B")}
    assert hidden(apply_suppression(df, KPIS, threshold, ("team",))) == expected


@pytest.fixture(scope="module")
def fixture_conn(tmp_path_factory):
    from datetime import date
    from pathlib import Path

    from kpis.data.importer import run_import
    from kpis.data.snapshot import connect

    db = tmp_path_factory.mktemp("supp") / "s.duckdb"
    run_import(Path(__file__).parent / "fixtures" / "engine", db, profile="canonical",
               as_of=date(2025, 6, 30), pseudonym_key=b"test-key-kpi-fixtures")
    c = connect(db)
    yield c
    c.close()


def test_committee_scope_withholds_through_the_engine(fixture_conn):
    from kpis.compute.engine import AccessDenied, Scope, case_steps, compute, open_steps

    committee = Scope(suppress_below=5, case_level=False)
    plain = compute(fixture_conn, KPIS, ["2025-Q1"], ("team",), kpi_ids=[RATE])
    shown = compute(fixture_conn, KPIS, ["2025-Q1"], ("team",), kpi_ids=[RATE], scope=committee)
    # the fixture is tiny: every non-zero figure is under 5 and must be withheld
    for before, after in zip(plain.iter_rows(named=True), shown.iter_rows(named=True)):
        small = before["denominator"] and before["denominator"] < 5
        assert after["suppressed"] == bool(small)
        if small:
            assert after["numerator"] is None and after["value"] is None
    with pytest.raises(AccessDenied):
        case_steps(fixture_conn, KPIS, RATE, "2025-Q1", scope=committee)
    with pytest.raises(AccessDenied):
        open_steps(fixture_conn, KPIS, scope=committee)
