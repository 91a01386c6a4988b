"""Plain Danish in Chromium: no English left by Streamlit's widgets, no query text, and menu icons
that draw from Streamlit's own icon font without any request beyond this server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kpis.access.roles import Role
from tests.menus import MENUS

pytestmark = pytest.mark.browser

WAIT_MS = 120_000
ENGLISH = ("Select all", "Upload", "per file", "Drag and drop", "Browse files", "Skip to")
QUERY_TEXT = ("coalesce", "notifier_type", "interview_between", "add_months", "aware_on")


def idle(page) -> None:
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=WAIT_MS)
    page.wait_for_timeout(800)


def visible_text(page) -> str:
    """The page's text as read, with the text CSS puts in its place (Streamlit's own English is
    replaced that way)."""
    # Streamlit's keyboard-only skip link is in: hidden until focused, but read aloud.
    return page.evaluate("""(() => {
        const skip = document.querySelector('[data-testid="stSkipToContent"]');
        const extra = [...document.querySelectorAll('*')].map(
            e => getComputedStyle(e, '::after').content).filter(c => c && c !== 'none');
        return document.body.innerText + '\\n' + (skip ? skip.textContent : '') + '\\n'
            + extra.join('\\n');
    })()""")


def test_data_page_uploader_speaks_danish(page, app_url, artifacts: Path, outside_requests):
    page.goto(f"{app_url}/oversigt_data")
    uploader = page.locator('[data-testid="stFileUploader"]')
    uploader.wait_for(timeout=WAIT_MS)
    idle(page)
    button = page.locator('[data-testid="stFileUploaderDropzone"] button')
    assert button.aria_snapshot() == '- button "Vælg fil"'
    limits = page.evaluate("""getComputedStyle(document.querySelector(
        '[data-testid="stFileUploaderDropzoneInstructions"] div'), '::after').content""")
    assert limits == '"Højst 200 MB pr. fil · ZIP eller XLSX"'
    assert [w for w in ENGLISH if w in visible_text(page)] == []
    uploader.screenshot(path=str(artifacts / "danish-uploader.png"))
    assert outside_requests == []


def test_menu_icons_come_from_streamlits_own_font(page, app_url, outside_requests):
    page.goto(f"{app_url}/oversigt_data")
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.wait_for(timeout=WAIT_MS)
    idle(page)
    icons = nav.locator('[data-testid="stIconMaterial"]')
    assert icons.count() == len(MENUS[Role.ANALYST])  # one icon per page of the analyst's menu
    assert page.evaluate("document.fonts.check('24px \"Material Symbols Rounded\"')")
    # Drawn as one glyph; without the font "admin_panel_settings" would be spelled out as text.
    widths = [icons.nth(i).bounding_box()["width"] for i in range(icons.count())]
    assert max(widths) < 32, widths
    assert outside_requests == []


def test_multiselect_offers_no_english_select_all(page, app_url, artifacts: Path):
    page.goto(f"{app_url}/fristoversigt")
    box = page.locator(".st-key-trin")
    box.wait_for(timeout=WAIT_MS)
    idle(page)
    box.locator('input').click()
    options = page.get_by_role("option")
    options.first.wait_for(timeout=WAIT_MS)
    labels = options.all_inner_texts()
    assert labels and not any("Select" in t for t in labels), labels
    page.screenshot(path=str(artifacts / "danish-multiselect.png"))


@pytest.mark.parametrize("address", ["", "noegletal?kpi=bfu_foraeldrekompetence", "katalog"])
@pytest.mark.signed_in_as("committee")
def test_committee_pages_show_no_query_text_and_no_english(page, app_url, artifacts: Path,
                                                           address: str):
    page.goto(f"{app_url}/{address}")
    page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for(timeout=WAIT_MS)
    idle(page)
    for expander in page.locator('[data-testid="stExpander"] summary').all():
        expander.click()
    page.wait_for_timeout(500)
    text = visible_text(page)
    assert [w for w in QUERY_TEXT + ENGLISH if w in text] == []
    name = address.split("?")[0] or "overblik"
    page.set_viewport_size({"width": 1400, "height": 2400})
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifacts / f"danish-{name}.png"))


def _tooltips(page, chart) -> set[str]:
    """The tooltips the mouse finds on a grid over ``chart`` (Vega draws on a canvas)."""
    box, found = chart.bounding_box(), set()
    tip = page.locator("#vg-tooltip-element")
    for fy in [i / 20 for i in range(2, 19)]:
        for fx in [i / 20 for i in range(2, 20, 2)]:
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            page.wait_for_timeout(40)
            if tip.count() and tip.is_visible() and tip.inner_text().strip():
                parts = re.split(r"\s*[\n\t]\s*", tip.inner_text().strip())
                found.add(" | ".join(p for p in parts if p))
    return found


@pytest.mark.signed_in_as("committee")
def test_chart_tooltips_are_danish_words_and_formatted_values(page, app_url):
    page.goto(f"{app_url}/noegletal?kpi=underretning_24t")
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.wait_for(timeout=WAIT_MS)
    idle(page)
    tips = _tooltips(page, chart)
    assert any(t.startswith("Trafiklys | Gul: tæt på målet | Fra | 85,0") for t in tips), tips
    raw = {"fra", "til", "zone", "vaerdi", "tekst", "pos", "serie", "periode_lang"}
    assert not [t for t in tips if raw & set(t.split(" | "))], tips


@pytest.mark.signed_in_as(None)
def test_the_keyboards_first_stop_is_a_danish_skip_link_to_the_page(page, app_url,
                                                                   outside_requests):
    """Streamlit's "Skip to main content" in Danish, on the login page and signed in, and it
    takes the keyboard to the page's main area."""
    from signing_in import sign_in

    from kpis.access.demo_users import demo_user

    page.goto(app_url)
    page.get_by_label("Brugernavn").wait_for(timeout=WAIT_MS)
    idle(page)
    skip = page.locator('[data-testid="stSkipToContent"]')
    assert skip.text_content() == "Gå til hovedindhold"
    who = demo_user(Role.COMMITTEE)
    sign_in(page, who.user.username, who.password)
    idle(page)
    page.locator("body").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.testid") == "stSkipToContent"
    assert page.evaluate("document.activeElement.textContent") == "Gå til hovedindhold"
    assert skip.is_visible()  # shown while it has the focus
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "stMain"
    assert page.locator("#stMain").get_by_role("heading", name="Overblik").count() >= 1
    assert outside_requests == []
