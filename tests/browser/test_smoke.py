"""The app in a real browser: served by `streamlit run`, opened in Debian's chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kpis.data.inventory import snapshot_info
from kpis.present.formatting import format_date_da

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
# PEJLEMAERKER_UPDATE_SCREENSHOTS=1 also copies the screenshot to the README's.
README_SCREENSHOT = ROOT / "docs" / "screenshots" / "overview.png"
WAIT_MS = 60_000


def test_data_page_renders_in_chromium(page, app_url, demo_db, artifacts, outside_requests):
    meta = snapshot_info(demo_db)
    # A deep link, possibly the server's first request: it must still run inside app.py's frame.
    page.goto(f"{app_url}/oversigt_data", wait_until="domcontentloaded")

    page.get_by_role("heading", name="Data", exact=True).wait_for(timeout=WAIT_MS)
    tables = page.locator('[data-testid="stDataFrame"]')
    tables.first.wait_for(timeout=WAIT_MS)
    # All five tables of the page: tables, files, quarantine reasons and rows, history.
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"stDataFrame\"]').length >= 5", timeout=WAIT_MS
    )

    sidebar = page.locator('[data-testid="stSidebar"]')
    as_of = f"Data opgjort pr. {format_date_da(meta.as_of)}"
    sidebar.get_by_text(as_of).wait_for(timeout=WAIT_MS)
    assert sidebar.get_by_text("Senest indlæst").count() == 1
    assert page.get_by_text("Karantæne", exact=True).count() >= 1
    assert page.locator('[data-testid="stException"]').count() == 0
    # Only the pages app.py lists: not the helper modules in pages/ (Streamlit's folder discovery).
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.get_by_text("frame").count() == 0
    assert nav.get_by_text("app", exact=True).count() == 0
    assert page.title() in {"Pejlemærker", "Data", "Data · Pejlemærker"}

    page.wait_for_timeout(500)  # let the data grids paint before the picture is taken
    shot = artifacts / "overview.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    # Streamlit scrolls inside the page, so a tall window shows the whole page for a person to check.
    page.set_viewport_size({"width": 1400, "height": 3200})
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "overview-full.png"))
    if os.environ.get("PEJLEMAERKER_UPDATE_SCREENSHOTS"):
        README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, README_SCREENSHOT)

    # Nothing the page loaded came from outside this machine (fonts, icons, telemetry …).
    assert outside_requests == []
