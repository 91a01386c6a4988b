"""The shared frame of every page: which database, the first-start demo, the snapshot's dates.

Not a page itself (app.py lists the pages explicitly). Streamlit glue only: the data work is in
``kpis.data``.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import streamlit as st

import kpis
from kpis.data.snapshot import HeldSnapshot, SnapshotMeta, hold_snapshot
from kpis.present.formatting import format_date_da, format_datetime_da

DB_ENV = "PEJLEMAERKER_DB"
_RUN_SNAPSHOT = "_frame_run_snapshot"  # session state: the snapshot of the latest run


def db_path() -> Path:
    """The database the app reads: ``$PEJLEMAERKER_DB``, else ``data/pejlemaerker.duckdb``."""
    return Path(os.environ.get(DB_ENV) or kpis.DEFAULT_DB)


@st.cache_resource(show_spinner=False)
def _ensure_db(db: str) -> str:
    """Build and import the demo export when the database does not exist (one build at a time)."""
    from kpis.data.demo import ensure_demo_db

    ensure_demo_db(Path(db))
    return db


def _run_through_app_py() -> None:
    """Rerun through app.py when Streamlit ran a page file by itself.

    With a ``pages/`` folder, a server whose very first request is a deep link (``/fristoversigt``)
    uses Streamlit's old folder discovery: it runs that page file alone — without app.py's frame
    and navigation — and lists every file in pages/ as a page, until some run calls st.navigation.
    Switching discovery off and rerunning sends this and every later run through app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def ensure_database() -> Path:
    """The database path; on the very first start the demo is built and imported first. app.py
    calls this before the login form: the demo users may sign in only beside the demo's data,
    so that data must be there when they do."""
    db = db_path()
    if not db.exists():
        _ensure_db.clear()  # a database deleted while the app runs is built again
        with st.spinner("Første start: bygger og indlæser demodata for en mellemstor kommune …"):
            _ensure_db(str(db))
    return db


def resolve_snapshot() -> HeldSnapshot:
    """Open the snapshot this run shows: app.py calls this once, at the start of every run, and
    the sidebar and the page read only what it returns (``run_snapshot``).

    An import may replace the database file at any moment. Whoever opened "the current file"
    again later in the run — the page after the sidebar, a query after the page's dates — could
    get the next snapshot, under the dates of this one. The snapshot opened here stays readable
    after the swap, so the whole run reads this one. Builds the demo on the very first start;
    stops the run with a message when there is no readable snapshot.
    """
    db = ensure_database()
    try:
        snapshot = hold_snapshot(db)
    except (FileNotFoundError, LookupError, duckdb.Error) as exc:
        st.error(
            f"Databasen `{db}` kan ikke læses ({exc}). Indlæs et udtræk med "
            "`python -m kpis import STI --db FIL`, eller slet filen og genindlæs siden, så bygges "
            "demodata igen."
        )
        st.stop()
        raise  # st.stop() does not return; this keeps type checkers honest
    # Session state outlives the run, so a fragment that reruns alone reads the snapshot the page
    # around it shows; every full run replaces it here.
    st.session_state[_RUN_SNAPSHOT] = snapshot
    return snapshot


def run_snapshot() -> HeldSnapshot:
    """The snapshot of this run, as app.py opened it; pages read (and query) only this one.

    Every page calls this (or ``current_snapshot``) first. A page file that ran without app.py
    opens the snapshot itself.
    """
    _run_through_app_py()
    from pages._auth import require_login

    require_login()  # a page that ran without app.py is still behind the login
    snapshot = st.session_state.get(_RUN_SNAPSHOT)
    return snapshot if snapshot is not None else resolve_snapshot()


def current_snapshot() -> tuple[Path, SnapshotMeta]:
    """The database path and the meta of this run's snapshot (``run_snapshot``)."""
    snapshot = run_snapshot()
    return snapshot.db, snapshot.meta


def render_sidebar(meta: SnapshotMeta) -> None:
    with st.sidebar:
        st.markdown(f"Data opgjort pr. **{format_date_da(meta.as_of)}**")
        st.caption(f"Senest indlæst {format_datetime_da(meta.imported_at)}")
