"""Streamlit glue around the engine: the current definitions and cached results.

Not a page. The engine runs on the snapshot's unit cache (``kpis.compute.unit_cache``), which
derives each KPI's case steps once per snapshot. Results are cached across sessions, keyed on everything that changes the answer:
the snapshot, the definitions' version, the periods, the grouping, the as-of date and the user's
scope. Arguments starting with ``_`` are not hashed; their identity is carried by the key next to
them (``defs_version`` for the definitions, ``scope_key`` for the scope).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl
import streamlit as st

import kpis
from kpis.compute.engine import Scope, case_steps, compute, open_steps
from kpis.compute.unit_cache import snapshot_cache
from kpis.rules.definitions import KpiSet
from kpis.rules.store import Loaded, store_for

KPIS_ENV = "PEJLEMAERKER_KPIS"


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
    return compute(snapshot_cache(Path(db)), _kpiset, list(periods), by, as_of=as_of,
                   kpi_ids=list(kpi_ids) if kpi_ids else None, scope=_scope)


@st.cache_data(show_spinner=False, max_entries=128, ttl=3600)
def steps(db: str, snapshot_id: str, _kpiset: KpiSet, defs_version: str, kpi_id: str,
          period: str, group: tuple[tuple[str, str], ...], _scope: Scope, scope_key: str,
          as_of: date | None = None) -> pl.DataFrame:
    return case_steps(snapshot_cache(Path(db)), _kpiset, kpi_id, period, dict(group),
                      as_of=as_of, scope=_scope)


@st.cache_data(show_spinner=False, max_entries=32, ttl=3600)
def worklist(db: str, snapshot_id: str, _kpiset: KpiSet, defs_version: str, _scope: Scope,
             scope_key: str, as_of: date | None = None) -> pl.DataFrame:
    return open_steps(snapshot_cache(Path(db)), _kpiset, as_of=as_of, scope=_scope)


def get_results(db: Path, snapshot_id: str, kpiset: KpiSet, periods, by=(), kpi_ids=None, *,
                scope: Scope, as_of: date | None = None) -> pl.DataFrame:
    """Cached ``kpis.compute.engine.compute`` for the pages. ``scope`` has no default here: a
    page passes the signed-in user's (``pages._auth.current_scope``) or it does not run."""
    return results(str(db), snapshot_id, kpiset, kpiset.version, tuple(periods), tuple(by),
                   tuple(kpi_ids) if kpi_ids else None, scope, scope.key, as_of)


def get_steps(db: Path, snapshot_id: str, kpiset: KpiSet, kpi_id: str, period: str,
              group: dict[str, str] | None = None, *, scope: Scope,
              as_of: date | None = None) -> pl.DataFrame:
    return steps(str(db), snapshot_id, kpiset, kpiset.version, kpi_id, period,
                 tuple(sorted((group or {}).items())), scope, scope.key, as_of)


def get_worklist(db: Path, snapshot_id: str, kpiset: KpiSet, *, scope: Scope,
                 as_of: date | None = None) -> pl.DataFrame:
    return worklist(str(db), snapshot_id, kpiset, kpiset.version, scope, scope.key, as_of)
