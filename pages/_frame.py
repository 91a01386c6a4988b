"""The shared frame of every page: which database, the first-start demo, the snapshot's dates.

Not a page itself (app.py lists the pages explicitly). Streamlit glue only: the data work is in
``kpis.data``.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

import kpis
from kpis.data import inventory
from kpis.data.snapshot import SnapshotMeta
from kpis.present.formatting import format_date_da, format_datetime_da

DB_ENV = "PEJLEMAERKER_DB"


def db_path() -> Path:
    """The database the app reads: ``$PEJLEMAERKER_DB``, else ``data/pejlemaerker.duckdb``."""
    return Path(os.environ.get(DB_ENV) or kpis.DEFAULT_DB)


@st.cache_resource(show_spinner=False)
def _ensure_db(db: str) -> str:
    """Build and import the demo export when the database does not exist (one build at a time)."""
    from kpis.data.demo import ensure_demo_db

    ensure_demo_db(Path(db))
    return db


@st.cache_data(show_spinner=False, max_entries=8, ttl=3600)
def _snapshot_info(db: str, fingerprint: tuple | None) -> SnapshotMeta:
    return inventory.snapshot_info(Path(db))


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


def current_snapshot() -> tuple[Path, SnapshotMeta]:
    """The database and its current snapshot, re-read only when an import replaced the file.

    Every page calls this first. Builds the demo on the very first start; stops the page with a
    message when there is no readable snapshot.
    """
    _run_through_app_py()
    from pages._auth import require_login

    require_login()  # a page that ran without app.py is still behind the login
    db = ensure_database()
    try:
        return db, _snapshot_info(str(db), inventory.file_fingerprint(db))
    except inventory.SnapshotUnavailable as exc:
        st.error(
            f"Databasen `{db}` kan ikke læses ({exc}). Indlæs et udtræk med "
            "`python -m kpis import STI --db FIL`, eller slet filen og genindlæs siden, så bygges "
            "demodata igen."
        )
        st.stop()
        raise  # st.stop() does not return; this keeps type checkers honest


def render_sidebar(meta: SnapshotMeta) -> None:
    with st.sidebar:
        st.markdown(f"Data opgjort pr. **{format_date_da(meta.as_of)}**")
        st.caption(f"Senest indlæst {format_datetime_da(meta.imported_at)}")
