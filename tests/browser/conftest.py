"""Real-browser harness: the app served by `streamlit run` in the background, opened in Debian's
chromium through Playwright (Playwright cannot download its own browsers here).

Browser tests are skipped only when /usr/bin/chromium is missing and we are not under CI; under CI
(`CI` set) a missing browser is a failure.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from chromium import CHROMIUM
from servers import free_port, healthy
from signing_in import signs_in_on_every_load

from kpis.access.demo_users import demo_user
from kpis.access.roles import Role

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
STARTUP_TIMEOUT_S = 180
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists() or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (run scripts/test to install it)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@contextlib.contextmanager
def serve_app(db: Path, artifacts: Path, log_name: str = "streamlit-server.log",
              **env_extra: str) -> Iterator[str]:
    """`streamlit run serve.py` on a free loopback port over ``db`` (plus any environment given,
    e.g. a copy of the definitions); stopped when the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PEJLEMAERKER_DB": str(db), **env_extra}
    log_path = artifacts / log_name
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", "serve.py",
                "--server.port", str(port),
                "--server.address", "127.0.0.1",
                "--server.headless", "true",
                # The tests read a table's rows through its own "Download as CSV", which the app
                # turns off for people (.streamlit/config.toml).
                "--client.disableDataExport", "false",
            ],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so everything it starts goes too
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not healthy(url):
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit not healthy after {STARTUP_TIMEOUT_S}s:\n"
                            f"{log_path.read_text()}")
            time.sleep(0.25)
        yield url
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def app_server():
    """``serve_app`` for tests that need a server of their own (own database or definitions)."""
    return serve_app


@pytest.fixture(scope="session")
def app_url(demo_db: Path, artifacts: Path) -> Iterator[str]:
    """`streamlit run serve.py` on a free loopback port over the test database; killed at the end."""
    with serve_app(demo_db, artifacts) as url:
        yield url


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


@pytest.fixture
def outside_requests() -> list[str]:
    """URLs the page tried to fetch from anywhere but this machine (they are blocked)."""
    return []


@pytest.fixture
def page(browser, app_url: str, outside_requests: list[str],
         request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh Danish browser page; any request leaving the loopback is aborted and recorded.

    Signed in as the demo analyst on every load (``@pytest.mark.signed_in_as(role)`` for another
    role, ``signed_in_as(None)`` for none)."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000},
        locale="da-DK",
        timezone_id="Europe/Copenhagen",
    )
    def guard(route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            outside_requests.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    pg = context.new_page()
    marker = request.node.get_closest_marker("signed_in_as")
    role = marker.args[0] if marker else Role.ANALYST
    if role is not None:
        signs_in_on_every_load(pg, demo_user(Role(role)))
    try:
        yield pg
    finally:
        context.close()
