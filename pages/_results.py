"""Streamlit glue around the engine: the current definitions and cached results.

Not a page. The engine runs on the snapshot's unit cache (``kpis.compute.unit_cache``), which
derives each KPI's case steps once per snapshot and is shared by every session of the process.
Results are cached across sessions, keyed on everything that changes the answer: the snapshot,
the definitions' version, the periods, the grouping, the as-of date and the user's scope.
Arguments starting with ``_`` are not hashed; their identity is carried by the key next to them
(``defs_version`` for the definitions, ``scope_key`` for the scope).

An import replaces the snapshot file at any moment. A run opens its snapshot once, at its start
(``pages._frame.resolve_snapshot``), and computes its figures after; the unit cache opens the
path itself, so if the file was replaced in between, the figures could come from the new
snapshot under the old one's dates. So each cached call asks for the unit cache of the run's
snapshot (kept for a while after a swap) and checks that it got it; otherwise the page runs
again on the new one.

Warm-up: the first run of the app (app.py, before the login form) starts one background thread
per process and database (``_warm_up``). It computes the committee's default overview — and the tables behind
the detail and drill-down pages — for the current snapshot, and again whenever an import has
replaced the file, so the first person after a server start or an import does not wait for the
case steps to be derived. Its errors are logged, never raised.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from datetime import date
from pathlib import Path

import polars as pl
import streamlit as st

import kpis
from kpis.compute.engine import Scope, case_steps, compute, open_steps
from kpis.compute.external import external_version
from kpis.compute.unit_cache import SnapshotCache, snapshot_cache
from kpis.rules.definitions import KpiSet
from kpis.rules.store import Loaded, store_for

KPIS_ENV = "PEJLEMAERKER_KPIS"
WARM_POLL_S = 5.0  # how often the warm-up looks for a replaced snapshot file (one stat call)
WARM_IMPORTS = ("kpis.present.meeting_papers", "kpis.present.charts", "kpis.present.drilldown",
                "kpis.present.worklist")

log = logging.getLogger(__name__)


class SnapshotChanged(RuntimeError):
    """The snapshot file was replaced after the page read which snapshot it shows."""


def cache_of(db: str, snapshot_id: str) -> SnapshotCache:
    """The unit cache of ``db``, which must hold the snapshot ``snapshot_id``."""
    cache = snapshot_cache(Path(db), snapshot_id=snapshot_id)
    if cache.snapshot_id != snapshot_id:
        raise SnapshotChanged(f"{db}: {snapshot_id} was replaced by {cache.snapshot_id}")
    return cache


def kpis_path() -> Path:
    """The definitions the app reads: ``$PEJLEMAERKER_KPIS``, else ``config/kpis.yaml`` (tests
    point it at a copy, so they never touch the repository's file)."""
    return Path(os.environ.get(KPIS_ENV) or kpis.DEFAULT_KPIS)


def definitions() -> Loaded:
    """The last valid definitions and the current file's problems (shown by pages that care)."""
    return store_for(kpis_path()).get()


def current_kpis() -> KpiSet:
    loaded = definitions()
    if loaded.kpis is None:
        st.error("Nøgletallene i config/kpis.yaml er ugyldige, og der findes ingen gyldig "
                 "version at vise. Ret filen (python -m kpis validate) og genindlæs siden.")
        for p in loaded.problems:
            st.write(f"- {p}")
        st.stop()
    return loaded.kpis


@st.cache_data(show_spinner=False, max_entries=256, ttl=3600)
def results(db: str, snapshot_id: str, _kpiset: KpiSet, defs_version: str,
            periods: tuple[str, ...], by: tuple[str, ...], kpi_ids: tuple[str, ...] | None,
            _scope: Scope, scope_key: str, as_of: date | None = None) -> pl.DataFrame:
    return compute(cache_of(db, snapshot_id), _kpiset, list(periods), by, as_of=as_of,
                   kpi_ids=list(kpi_ids) if kpi_ids else None, scope=_scope)


@st.cache_data(show_spinner=False, max_entries=128, ttl=3600)
def steps(db: str, snapshot_id: str, _kpiset: KpiSet, defs_version: str, kpi_id: str,
          period: str, group: tuple[tuple[str, str], ...], _scope: Scope, scope_key: str,
          as_of: date | None = None) -> pl.DataFrame:
    return case_steps(cache_of(db, snapshot_id), _kpiset, kpi_id, period, dict(group),
                      as_of=as_of, scope=_scope)


@st.cache_data(show_spinner=False, max_entries=32, ttl=3600)
def worklist(db: str, snapshot_id: str, _kpiset: KpiSet, defs_version: str, _scope: Scope,
             scope_key: str, as_of: date | None = None) -> pl.DataFrame:
    return open_steps(cache_of(db, snapshot_id), _kpiset, as_of=as_of, scope=_scope)


def get_results(db: Path, snapshot_id: str, kpiset: KpiSet, periods, by=(), kpi_ids=None, *,
                scope: Scope, as_of: date | None = None) -> pl.DataFrame:
    """Cached ``kpis.compute.engine.compute`` for the pages. ``scope`` has no default here: a
    page passes the signed-in user's (``pages._auth.current_scope``) or it does not run."""
    _warm_up(str(db))
    try:
        return results(str(db), snapshot_id, kpiset, kpiset.version + external_version(kpiset),
                       tuple(periods), tuple(by),
                       tuple(kpi_ids) if kpi_ids else None, scope, scope.key, as_of)
    except SnapshotChanged:
        st.rerun()  # an import replaced the snapshot meanwhile: show the new one whole
        raise


def get_steps(db: Path, snapshot_id: str, kpiset: KpiSet, kpi_id: str, period: str,
              group: dict[str, str] | None = None, *, scope: Scope,
              as_of: date | None = None) -> pl.DataFrame:
    try:
        return steps(str(db), snapshot_id, kpiset, kpiset.version + external_version(kpiset),
                     kpi_id, period,
                     tuple(sorted((group or {}).items())), scope, scope.key, as_of)
    except SnapshotChanged:
        st.rerun()
        raise


def get_worklist(db: Path, snapshot_id: str, kpiset: KpiSet, *, scope: Scope,
                 as_of: date | None = None) -> pl.DataFrame:
    try:
        return worklist(str(db), snapshot_id, kpiset, kpiset.version, scope, scope.key, as_of)
    except SnapshotChanged:
        st.rerun()
        raise


# --- warm-up -------------------------------------------------------------------------------


def start_warm_up() -> None:
    """app.py calls this on every run, before the login form: the first visitor's figures are
    computed while they sign in. Cheap after the first call (a cached resource)."""
    from pages._frame import db_path

    _warm_up(str(db_path()))


@st.cache_resource(show_spinner=False)
def _warm_up(db: str) -> threading.Thread | None:
    """Start the background warm-up of ``db`` once per process (see the module's docstring).

    Only under a served app: a session without HTTP headers is an AppTest or a script, where a
    thread outliving the run would only compete with the next test."""
    if not st.context.headers.get("Host"):
        return None
    thread = threading.Thread(target=_warm_loop, args=(Path(db), kpis_path()),
                              name=f"pejlemaerker-warm-up:{Path(db).name}", daemon=True)
    thread.start()
    return thread


def _warm_loop(db: Path, kpis_file: Path) -> None:
    from kpis.data.inventory import file_fingerprint

    seen = None
    while True:
        identity = file_fingerprint(db)
        if identity is not None and identity != seen:
            seen = identity
            started = time.perf_counter()
            try:
                warm(db, kpis_file)
                log.info("warmed %s in %.1f s", db, time.perf_counter() - started)
            except SnapshotChanged:  # another import landed meanwhile: the next poll warms it
                log.info("%s was replaced while it was warmed", db)
            except Exception:  # a failed warm-up must never break the app
                log.exception("warming the results of %s failed", db)
        time.sleep(WARM_POLL_S)


def warm(db: Path, kpis_file: Path) -> None:
    """Compute what the first visitors of a snapshot ask for: the committee's default overview
    (into the shared results cache) and the engine's tables behind the detail and drill-down
    pages (by team, by team and caseworker) for the default period."""
    from kpis.access.roles import Role, scope_for
    from kpis.present.period_choice import periods_needed, resolve, resolve_comparison

    for module in WARM_IMPORTS:  # the pages' libraries, imported once per process
        importlib.import_module(module)
    kpiset = store_for(kpis_file).get().kpis
    if kpiset is None:
        return
    cache = snapshot_cache(db)
    snapshot_id = cache.snapshot_id
    period = resolve(None, cache.as_of)  # the overview's default: as pages/_committee.py
    needed = tuple(p.label for p in periods_needed(period, resolve_comparison(None), cache.as_of))
    committee = scope_for(Role.COMMITTEE)
    results(str(db), snapshot_id, kpiset, kpiset.version, needed, (), None, committee,
            committee.key, None)
    for by in (("team",), ("team", "caseworker")):
        compute(cache, kpiset, [period.label], by)
