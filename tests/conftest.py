"""Shared fixtures: one demo database for the whole run, and clean Streamlit caches per AppTest."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DB_ENV = "PEJLEMAERKER_DB"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Build and import the demo export once per run, and point the app at it."""
    from kpis.data.demo import ensure_demo_db

    db = tmp_path_factory.mktemp("demo") / "pejlemaerker.duckdb"
    ensure_demo_db(db)  # the full demo municipality: a few seconds
    assert db.exists(), f"ensure_demo_db did not create {db}"
    previous = os.environ.get(DB_ENV)
    os.environ[DB_ENV] = str(db)
    try:
        yield db
    finally:
        if previous is None:
            os.environ.pop(DB_ENV, None)
        else:
            os.environ[DB_ENV] = previous


@pytest.fixture
def clear_streamlit_caches() -> Iterator[None]:
    """Cached results survive between AppTests in one process: start and end each test clean."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def apptest_runs_app_py_like_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every AppTest run go through app.py, as a running server does.

    AppTest forgets before each run that app.py called st.navigation; with a pages/ folder it
    then falls back to Streamlit's old folder discovery and, after the first run (and after
    ``switch_page``), runs the page file alone — without app.py's frame and navigation. A server
    does that only on its very first run (the browser test covers that one).
    """
    from streamlit.runtime.pages_manager import PagesManager

    original_init = PagesManager.__init__

    def init(self, *args, **kwargs):
        PagesManager.uses_pages_directory = False
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(PagesManager, "__init__", init)
