"""Shared fixtures: one demo database for the whole run, and clean Streamlit caches per AppTest."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DB_ENV = "PEJLEMAERKER_DB"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One chromium for the whole run. Playwright's sync API allows one instance per thread at a
    time, so every browser test (tests/browser/ and the multi-process test) shares this one."""
    from chromium import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; under CI the browser tests must run")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Build and import the demo export once per run, and point the app at it."""
    from kpis.data.demo import ensure_demo_db

    db = tmp_path_factory.mktemp("demo") / "pejlemaerker.duckdb"
    ensure_demo_db(db)  # the full demo municipality: a few seconds
    assert db.exists(), f"ensure_demo_db did not create {db}"
    with _environ(DB_ENV, str(db)):
        yield db


@contextlib.contextmanager
def _environ(name: str, value: str) -> Iterator[None]:
    """Set an environment variable for a session-wide fixture (servers started by tests
    inherit it), and put back what was there."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


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


USERS_ENV = "PEJLEMAERKER_USERS"
AUDIT_ENV = "PEJLEMAERKER_AUDIT"


@pytest.fixture(scope="session", autouse=True)
def audit_log_of_the_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The audit log the run writes (AppTests, CLI calls, the browser tests' servers): a file of
    the run's own, so data/audit.sqlite is never touched."""
    path = tmp_path_factory.mktemp("audit") / "audit.sqlite"
    previous = os.environ.get(AUDIT_ENV)
    os.environ[AUDIT_ENV] = str(path)
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop(AUDIT_ENV, None)
        else:
            os.environ[AUDIT_ENV] = previous


@pytest.fixture(scope="session", autouse=True)
def sessions_of_the_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The signed-in sessions (and their signing key) of the run's AppTests and browser tests'
    servers: a folder of the run's own, so data/sessions.sqlite is never touched."""
    path = tmp_path_factory.mktemp("sessions") / "sessions.sqlite"
    with _environ("PEJLEMAERKER_SESSIONS", str(path)):
        yield path


@pytest.fixture(scope="session", autouse=True)
def demo_users_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo users (one per role, docs/authentication.md) in a users file of the run's own:
    AppTests and the servers of the browser tests sign in with them; data/users.toml is never
    touched."""
    from kpis.access.demo_users import write_demo_users

    path = write_demo_users(tmp_path_factory.mktemp("users") / "users.toml")
    with _environ(USERS_ENV, str(path)):
        yield path


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "signed_in_as(role): the role AppTests sign in as (default analyst); "
        "signed_in_as(None) leaves them signed out")


@pytest.fixture(autouse=True)
def apptest_signed_in(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every AppTest starts signed in as the demo analyst, as if the login form had been used
    (the form itself is tested in tests/test_auth_pages.py). ``@pytest.mark.signed_in_as(role)``
    picks another role, ``signed_in_as(None)`` none."""
    from streamlit.testing.v1 import AppTest

    from kpis.access.demo_users import demo_user
    from kpis.access.roles import Role
    from pages._auth import session_state_for

    marker = request.node.get_closest_marker("signed_in_as")
    role = marker.args[0] if marker else Role.ANALYST
    if role is None:
        return
    user = demo_user(Role(role)).user
    original_init = AppTest.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        for key, value in session_state_for(user).items():
            self.session_state[key] = value

    monkeypatch.setattr(AppTest, "__init__", init)
