"""The app's cached path gives exactly what the direct path gives, and follows a new snapshot."""

import shutil
from datetime import date
from pathlib import Path

import pytest

from kpis import DEFAULT_KPIS
from kpis.compute.engine import case_steps, compute, open_steps
from kpis.compute.unit_cache import snapshot_cache
from kpis.data.importer import run_import
from kpis.data.snapshot import connect
from kpis.rules.definitions import load_kpis

FIXTURE = Path(__file__).parent / "fixtures" / "engine"
KPIS = load_kpis(DEFAULT_KPIS)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cache") / "s.duckdb"
    run_import(FIXTURE, path, profile="canonical", as_of=date(2025, 6, 30),
               pseudonym_key=b"test-key-kpi-fixtures")
    return path


@pytest.mark.parametrize(("periods", "by", "as_of"), [
    (["2025-Q1", "2025-Q2", "2024"], ("team",), None),
    (["R12-2025-03", "2025-03"], ("team", "caseworker"), None),
    (["2025-Q1"], ("regime",), date(2025, 3, 31)),
])
def test_cached_equals_direct(db, periods, by, as_of):
    conn = connect(db)
    try:
        direct = compute(conn, KPIS, periods, by, as_of=as_of)
    finally:
        conn.close()
    cached = compute(snapshot_cache(db), KPIS, periods, by, as_of=as_of)
    assert cached.equals(direct)


def test_steps_and_worklist_equal(db):
    conn = connect(db)
    try:
        d_steps = case_steps(conn, KPIS, "bfu_4_mdr", "2025-Q2", {"team": "Team A"})
        d_open = open_steps(conn, KPIS)
    finally:
        conn.close()
    cache = snapshot_cache(db)
    assert case_steps(cache, KPIS, "bfu_4_mdr", "2025-Q2", {"team": "Team A"}).equals(d_steps)
    assert open_steps(cache, KPIS).equals(d_open)


def test_a_replaced_snapshot_gets_a_new_cache(db, tmp_path):
    copy = tmp_path / "s.duckdb"
    shutil.copy(db, copy)
    first = snapshot_cache(copy)
    assert snapshot_cache(copy) is first
    run_import(FIXTURE, copy, profile="canonical", as_of=date(2025, 5, 31),
               pseudonym_key=b"test-key-kpi-fixtures")
    second = snapshot_cache(copy)
    assert second is not first and second.as_of == date(2025, 5, 31)


def test_stock_case_list_matches_its_figure_also_after_the_as_of_date(db):
    cache = snapshot_cache(db)
    for period in ("2025-Q2", "2025-Q3"):  # the as-of date is 2025-06-30: Q3 lies after it
        fig = compute(cache, KPIS, [period], kpi_ids=["sager_pr_sagsbehandler"]).row(0, named=True)
        rows = case_steps(cache, KPIS, "sager_pr_sagsbehandler", period)
        assert len(rows) == fig["numerator"]
    assert len(case_steps(cache, KPIS, "sager_pr_sagsbehandler", "2025-Q3")) == 0
