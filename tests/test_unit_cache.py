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
    assert second.snapshot_id != first.snapshot_id
    with connect(copy) as conn:  # each cache names the snapshot it holds
        assert conn.execute("SELECT snapshot_id FROM snapshot_meta").fetchone()[0] \
            == second.snapshot_id


def test_stock_case_list_matches_its_figure_also_after_the_as_of_date(db):
    cache = snapshot_cache(db)
    for period in ("2025-Q2", "2025-Q3"):  # the as-of date is 2025-06-30: Q3 lies after it
        fig = compute(cache, KPIS, [period], kpi_ids=["sager_pr_sagsbehandler"]).row(0, named=True)
        rows = case_steps(cache, KPIS, "sager_pr_sagsbehandler", period)
        assert len(rows) == fig["numerator"]
    assert len(case_steps(cache, KPIS, "sager_pr_sagsbehandler", "2025-Q3")) == 0


def test_the_cache_is_bounded_and_spills_to_temporary_files(db):
    from kpis.compute.unit_cache import SnapshotCache, spill_directory
    from kpis.settings import PerformanceSettings, Settings

    cache = SnapshotCache(db, Settings(performance=PerformanceSettings(cache_memory_mb=256)))
    try:
        limit, temp = cache._conn.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
        assert limit == "244.1 MiB"  # 256 MB, as DuckDB prints it
        assert temp == str(spill_directory())
    finally:
        cache.close()


def test_a_cache_over_its_limit_gives_the_same_figures(tmp_path):
    """A demo three times the municipality, every KPI by caseworker, with the cache squeezed
    into 48 MB (its tables take about 65): what does not fit is read back from the temporary
    files, and the figures are the direct path's."""
    from kpis.compute.unit_cache import SnapshotCache
    from kpis.data.demo import DEMO_AS_OF, DEMO_PROFILE, generate
    from kpis.data.pseudonym import DEMO_KEY

    generate(tmp_path / "export", scale=3.0)
    big = tmp_path / "big.duckdb"
    run_import(tmp_path / "export", big, profile=DEMO_PROFILE, as_of=DEMO_AS_OF,
               pseudonym_key=DEMO_KEY)
    periods = ["2025-Q1", "2025-Q2", "2025"]
    conn = connect(big)
    try:
        direct = compute(conn, KPIS, periods, ("team", "caseworker"))
    finally:
        conn.close()
    cache = SnapshotCache(big)
    try:
        cache._conn.execute("SET memory_limit = '48MB'")
        # One thread: squeezed this hard, what is left beside the pinned tables is working memory
        # of operators that cannot spill (median, quantile), one share per thread; with two the
        # peak depended on how the threads were scheduled and a busy machine ran out of memory.
        cache._conn.execute("SET threads = 1")
        for kpi in KPIS.ids:  # every KPI's units first, so the cache holds more than its limit
            cache.units_table(KPIS[kpi], cache.as_of)
        spilled = cache._conn.execute(
            "SELECT sum(temporary_storage_bytes) FROM duckdb_memory()").fetchone()[0]
        assert compute(cache, KPIS, periods, ("team", "caseworker")).equals(direct)
    finally:
        cache.close()
    assert spilled > 0, "nothing was spilled: the test proves nothing"
