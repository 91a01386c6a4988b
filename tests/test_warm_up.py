"""The results cache: warmed for the committee's default overview, and never answering with the
figures of a snapshot other than the one the page read its dates from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import kpis
from kpis.access.roles import Role, scope_for
from kpis.data.inventory import snapshot_info
from kpis.present.period_choice import periods_needed, resolve, resolve_comparison
from kpis.rules.store import store_for
from pages import _results


def _default_overview_args(db: Path) -> tuple:
    meta = snapshot_info(db)
    kpiset = store_for(kpis.DEFAULT_KPIS).get().kpis
    period = resolve(None, meta.as_of)
    needed = tuple(p.label for p in periods_needed(period, resolve_comparison(None), meta.as_of))
    scope = scope_for(Role.COMMITTEE)
    return (str(db), meta.snapshot_id, kpiset, kpiset.version, needed, (), None, scope,
            scope.key, None)


def test_warm_fills_the_committee_overview(demo_db, clear_streamlit_caches, monkeypatch):
    _results.warm(demo_db, kpis.DEFAULT_KPIS)
    args = _default_overview_args(demo_db)

    def no_engine(*a, **k):
        raise AssertionError("the warmed overview must come from the cache")

    monkeypatch.setattr(_results, "compute", no_engine)
    result = _results.results(*args)
    assert set(result["kpi"]) == set(args[2].ids)


def test_a_replaced_snapshot_is_not_read_under_the_old_id(demo_db, tmp_path,
                                                         clear_streamlit_caches):
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(demo_db, db)
    args = list(_default_overview_args(db))
    args[1] = "2000-01-01T00.00.00-deadbeef"  # the page read another snapshot's dates
    with pytest.raises(_results.SnapshotChanged):
        _results.results(*args)


def test_no_warm_up_thread_outside_a_served_app(demo_db, clear_streamlit_caches):
    assert _results._warm_up(str(demo_db)) is None


def _next_import(db: Path, new: Path) -> Path:
    """A finished snapshot file like ``db`` but with another id, as the next import makes it."""
    from kpis.data.snapshot import connect

    shutil.copyfile(db, new)
    conn = connect(new, read_only=False)
    try:
        conn.execute("UPDATE snapshot_meta SET snapshot_id = 'the-next-import'")
    finally:
        conn.close()
    return new


def test_an_import_during_the_warm_up_is_no_error(demo_db, tmp_path, clear_streamlit_caches,
                                                   monkeypatch):
    """The import lands after the warm-up took the snapshot's cache and before it computes the
    overview: it finishes on the snapshot it started with (a kept cache), raising nothing."""
    import os

    db = tmp_path / "served.duckdb"
    shutil.copyfile(demo_db, db)
    new = _next_import(db, tmp_path / "next.duckdb")
    first_id = snapshot_info(db).snapshot_id
    take_cache = _results.snapshot_cache
    calls = []

    def cache_then_import(*args, **kwargs):
        cache = take_cache(*args, **kwargs)
        if not calls:
            os.replace(new, db)
        calls.append(cache.snapshot_id)
        return cache

    monkeypatch.setattr(_results, "snapshot_cache", cache_then_import)
    _results.warm(db, kpis.DEFAULT_KPIS)
    assert calls[:2] == [first_id, first_id]  # both reads: the snapshot it started with
    assert snapshot_info(db).snapshot_id == "the-next-import"  # the import did land
