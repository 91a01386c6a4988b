"""The app in a real browser: served by `streamlit run`, opened in Debian's chromium.

The screenshots land in test-artifacts/; with PEJLEMAERKER_UPDATE_SCREENSHOTS=1 they are also
copied to docs/screenshots/ for the README.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kpis.data.inventory import snapshot_info
from kpis.present.formatting import format_date_da

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
README_SCREENSHOTS = ROOT / "docs" / "screenshots"
WAIT_MS = 60_000


def _screenshots(page, artifacts: Path, name: str) -> None:
    """The window as a person sees it, and the whole page (Streamlit scrolls inside the page, so
    a tall window shows all of it)."""
    # Wait until the script run is over (the "running" status is gone), then let grids and charts
    # paint.
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=WAIT_MS)
    page.wait_for_timeout(1500)
    shot = artifacts / f"{name}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 3200})
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / f"{name}-full.png"))
    page.set_viewport_size(size)
    if os.environ.get("PEJLEMAERKER_UPDATE_SCREENSHOTS"):
        README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_SCREENSHOTS / shot.name)


def _no_exception_and_only_listed_pages(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0
    # Only the pages app.py lists: not the helper modules in pages/ (Streamlit's folder discovery).
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.get_by_text("frame").count() == 0
    assert nav.get_by_text("app", exact=True).count() == 0


def test_data_page_renders_in_chromium(page, app_url, demo_db, artifacts, outside_requests):
    meta = snapshot_info(demo_db)
    # A deep link, possibly the server's first request: it must still run inside app.py's frame.
    page.goto(f"{app_url}/oversigt_data", wait_until="domcontentloaded")

    page.get_by_role("heading", name="Data", exact=True).wait_for(timeout=WAIT_MS)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=WAIT_MS)
    # All five tables of the page: tables, files, quarantine reasons and rows, history.
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"stDataFrame\"]').length >= 5", timeout=WAIT_MS
    )

    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text(f"Data opgjort pr. {format_date_da(meta.as_of)}").wait_for(timeout=WAIT_MS)
    assert sidebar.get_by_text("Senest indlæst").count() == 1
    assert page.get_by_text("Karantæne", exact=True).count() >= 1
    _no_exception_and_only_listed_pages(page)
    assert page.title() in {"Pejlemærker", "Data", "Data · Pejlemærker"}
    _screenshots(page, artifacts, "data")

    # Nothing the page loaded came from outside this machine (fonts, icons, telemetry …).
    assert outside_requests == []


def test_start_page_renders_in_chromium(page, app_url, demo_db, artifacts, outside_requests):
    """The page a person lands on: whatever app.py makes the default, inside the frame."""
    meta = snapshot_info(demo_db)
    page.goto(app_url, wait_until="domcontentloaded")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text(f"Data opgjort pr. {format_date_da(meta.as_of)}").wait_for(timeout=WAIT_MS)
    page.locator("h1").first.wait_for(timeout=WAIT_MS)
    _no_exception_and_only_listed_pages(page)
    _screenshots(page, artifacts, "overview")
    assert outside_requests == []
