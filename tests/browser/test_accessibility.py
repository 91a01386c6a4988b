"""WCAG 2.1 AA and nothing cut off, in Chromium, on every page each role has (issue 12).

Every page of every role's menu is visited once (by the menu, as a person does) and checked:
axe-core finds nothing serious or critical (contrast of captions, charts' text alternatives,
decorative chart marks hidden from screen readers …); the served page says lang="da"; nothing
runs past the page's right edge (the monthly chart did). Then the overview at 200 % zoom: no
button, change badge or link label is cut, and a focused button has a ring that shows. And a team
chosen on Fristoversigt does not silently follow a team leader to Sagsbelastning.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from menus import MENUS
from PIL import Image

from kpis.access.roles import Role

pytestmark = pytest.mark.browser

WAIT_MS = 120_000
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
           "resultTypes": ["violations"]}


def _settle(page) -> None:
    """The script run is over and nothing on the page is stale."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"],"
        " [data-testid=\"stStatusWidgetRunningManIcon\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')"
        " && document.querySelector('[data-testid=\"stMain\"] h1')", timeout=WAIT_MS)
    page.wait_for_timeout(1500)  # grids and charts paint after the run


def _tall(page) -> dict:
    """Make the window as tall as the page: Streamlit scrolls inside its own container, and axe
    checks only what is on screen."""
    size = page.viewport_size
    height = page.evaluate(
        "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, 800), 9000)})
    page.wait_for_timeout(700)
    return size


def _serious(page) -> list[str]:
    """Everything on the page, the file uploader included (its button is named "Vælg fil" by
    pages/_widgets.py's aria-label, which axe reads, not only by CSS text, which it does not)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_AA)
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(str(n["target"]) for n in v["nodes"][:4])
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _overflow(page) -> list[str]:
    """Elements of the page wider than the page: the main area scrolls sideways, or a chart
    ends past its right edge."""
    return page.evaluate("""() => {
        const main = document.querySelector('[data-testid="stMain"]');
        const block = document.querySelector('[data-testid="stMainBlockContainer"]') || main;
        const right = block.getBoundingClientRect().right + 1;
        const out = [];
        if (main.scrollWidth > main.clientWidth + 1) out.push('main scrolls sideways');
        document.querySelectorAll('[data-testid="stVegaLiteChart"] svg, '
                                  + '[data-testid="stVegaLiteChart"] canvas').forEach(e => {
            const r = e.getBoundingClientRect();
            if (r.right > right) out.push('chart ends ' + Math.round(r.right - right) + ' px past the page');
        });
        return out;
    }""")


def _menu(page) -> list[str]:
    links = page.locator('[data-testid="stSidebarNav"] a')
    links.first.wait_for(timeout=WAIT_MS)
    return [a.get_attribute("href") for a in links.all()]


@pytest.mark.parametrize("role", [pytest.param(r, marks=pytest.mark.signed_in_as(r), id=r.value)
                                  for r in Role])
def test_every_page_passes_axe_and_fits(page, app_url, role, artifacts: Path):
    page.goto(app_url, wait_until="domcontentloaded")
    _settle(page)
    assert page.evaluate("document.documentElement.lang") == "da"
    hrefs = _menu(page)
    assert len(hrefs) == len(MENUS[role])
    problems: dict[str, list[str]] = {}
    for href in hrefs:
        page.locator(f'[data-testid="stSidebarNav"] a[href="{href}"]').click()
        page.wait_for_function("h => location.pathname === new URL(h).pathname", arg=href,
                               timeout=WAIT_MS)
        _settle(page)
        size = _tall(page)
        found = _serious(page) + _overflow(page)
        if found:
            name = href.rstrip("/").rsplit("/", 1)[-1] or "overblik"
            page.screenshot(path=str(artifacts / f"a11y-{role.value}-{name}.png"))
            problems[href] = found
        page.set_viewport_size(size)
    assert problems == {}, "\n".join(f"{h}: {p}" for h, ps in problems.items() for p in ps)


ZOOMED = {"width": 700, "height": 500}  # a 1400 × 1000 window at 200 % zoom


@pytest.mark.signed_in_as(Role.COMMITTEE)
def test_overview_at_200_percent_zoom_cuts_nothing_and_shows_focus(page, app_url,
                                                                   artifacts: Path):
    page.set_viewport_size(ZOOMED)
    page.goto(app_url, wait_until="domcontentloaded")
    _settle(page)
    page.locator('[data-testid="stPageLink"]').first.wait_for(timeout=WAIT_MS)
    cut = page.evaluate("""() => {
        const sel = '[data-testid="stDownloadButton"] button *, [data-testid="stMetricDelta"] *, '
                  + '[data-testid="stPageLink"] a *, [data-testid="stCaptionContainer"]';
        return [...document.querySelectorAll(sel)]
            .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
            .map(e => e.textContent.trim().slice(0, 60));
    }""")
    _tall(page)
    page.screenshot(path=str(artifacts / "overview-200-percent.png"))
    assert cut == []
    # the meeting papers as PDF, Word and Excel (the sagsmåling report's buttons come beside)
    papers = page.locator('[class*="st-key-bilag_"] [data-testid="stDownloadButton"]')
    assert papers.count() == 3
    assert page.locator('[data-testid="stMetricDelta"]').count() > 5

    # The focus ring: a solid outline of at least 2 px, dark enough to see on white (≥ 3:1).
    button = page.locator('[data-testid="stDownloadButton"] button').first
    button.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    ring = page.evaluate("""() => {
        const s = getComputedStyle(document.activeElement);
        return [document.activeElement.tagName, s.outlineStyle, parseFloat(s.outlineWidth),
                s.outlineColor];
    }""")
    assert ring[0] == "BUTTON" and ring[1] == "solid" and ring[2] >= 2, ring
    assert _contrast_on_white(ring[3]) >= 3, ring


def _contrast_on_white(css_rgb: str) -> float:
    r, g, b = (int(x) for x in css_rgb[css_rgb.index("(") + 1:].rstrip(")").split(",")[:3])

    def lum(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 1.05 / (0.2126 * lum(r) + 0.7152 * lum(g) + 0.0722 * lum(b) + 0.05)


@pytest.mark.signed_in_as(Role.DEPARTMENT_HEAD)
def test_a_pinned_column_is_dark_enough_to_read(page, app_url, artifacts: Path):
    """The grid draws a pinned column (here the worklist's "Hastende", elsewhere the case number
    and the KPI name) at 60 % of the text colour, on a canvas axe cannot read: its darkest
    pixels are the text's colour, and they must reach 4.5:1 on white."""
    page.goto(f"{app_url}/fristoversigt", wait_until="domcontentloaded")
    _settle(page)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for(timeout=WAIT_MS)
    page.wait_for_timeout(1000)  # the canvas paints after the element is there
    shot = artifacts / "pinned-column.png"
    grid.screenshot(path=str(shot))
    cells = Image.open(shot).convert("L").crop((6, 40, 90, 200))  # below the header row
    darkest = cells.getextrema()[0]  # grey text: its lightness is its colour
    assert darkest < 200, "no text found in the pinned column"
    assert _contrast_on_white(f"rgb({darkest}, {darkest}, {darkest})") >= 4.5, darkest


@pytest.mark.signed_in_as(Role.DEPARTMENT_HEAD)
def test_a_team_chosen_on_the_worklist_does_not_follow_to_the_caseload(page, app_url):
    page.goto(f"{app_url}/fristoversigt", wait_until="domcontentloaded")
    _settle(page)
    page.locator(".st-key-team").click()
    page.get_by_role("option").first.click()
    _settle(page)
    assert "team=" in page.url
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_text("Sagsbelastning").click()
    page.get_by_role("heading", name="Sagsbelastning").wait_for(timeout=WAIT_MS)
    _settle(page)
    shown = page.locator('[data-testid="stMain"]').get_by_text(re.compile(r" · åbne sager pr\. "))
    assert shown.inner_text().startswith("Hele afdelingen")
