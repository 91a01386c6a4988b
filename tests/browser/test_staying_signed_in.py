"""A local user stays signed in across reloads, new tabs and pasted links (the signed, HttpOnly
session cookie of ``serve.py``), until logout in any tab or the idle timeout ends the session
everywhere. Real Chromium against ``streamlit run serve.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from signing_in import sign_in

from kpis.access.demo_users import demo_user
from kpis.access.roles import Role
from kpis.access.sessions import COOKIE_NAME
from kpis.present.worklist import Horizon

pytestmark = [pytest.mark.browser, pytest.mark.signed_in_as(None)]

WAIT_MS = 60_000
IDLE_TIMEOUT_S = 15  # long enough for a loaded machine to finish the sign-in's own runs


def signed_in(page) -> None:
    page.get_by_role("button", name="Log ud").wait_for(timeout=WAIT_MS)


def login_form(page):
    return page.get_by_label("Brugernavn")


def test_a_reload_a_new_tab_and_a_pasted_link_stay_signed_in(page, app_url, outside_requests):
    who = demo_user(Role.DEPARTMENT_HEAD)
    horizon = quote_plus(Horizon.DUE_14.label_da)
    deep_link = f"{app_url}/fristoversigt?frist={horizon}"
    page.goto(deep_link, wait_until="domcontentloaded")
    sign_in(page, who.user.username, who.password)
    page.get_by_role("heading", name="Fristoversigt").first.wait_for(timeout=WAIT_MS)
    assert page.url == deep_link

    cookie = next(c for c in page.context.cookies() if c["name"] == COOKIE_NAME)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert not cookie["secure"]  # plain http on the loopback; Secure behind TLS (unit test)
    assert COOKIE_NAME not in page.evaluate("document.cookie")  # no script can read it

    page.reload(wait_until="domcontentloaded")
    signed_in(page)
    page.get_by_role("heading", name="Fristoversigt").first.wait_for(timeout=WAIT_MS)
    assert login_form(page).count() == 0

    tab = page.context.new_page()
    tab.goto(app_url, wait_until="domcontentloaded")
    signed_in(tab)
    tab.get_by_role("heading", name="Overblik").first.wait_for(timeout=WAIT_MS)

    pasted = page.context.new_page()  # a link pasted into the address bar of another tab
    pasted.goto(deep_link, wait_until="domcontentloaded")
    signed_in(pasted)
    pasted.get_by_role("heading", name="Fristoversigt").first.wait_for(timeout=WAIT_MS)
    assert pasted.get_by_text(Horizon.DUE_14.label_da).count() >= 1
    assert login_form(pasted).count() == 0
    assert outside_requests == []


def test_logout_in_one_tab_ends_the_session_in_the_other(page, app_url, outside_requests):
    who = demo_user(Role.ANALYST)
    page.goto(app_url, wait_until="domcontentloaded")
    sign_in(page, who.user.username, who.password)
    other = page.context.new_page()
    other.goto(f"{app_url}/noegletal", wait_until="domcontentloaded")
    signed_in(other)

    page.get_by_role("button", name="Log ud").click()
    login_form(page).wait_for(timeout=WAIT_MS)

    # The other tab's next click finds the session ended: the login form, not the page.
    other.locator('[data-testid="stSidebarNav"]').get_by_text("Katalog").click()
    login_form(other).wait_for(timeout=WAIT_MS)
    other.get_by_text("Du er logget ud.").wait_for(timeout=WAIT_MS)
    assert other.get_by_role("heading", name="Katalog").count() == 0
    # A reload or a new tab does not bring it back: the cookie names an ended session.
    other.reload(wait_until="domcontentloaded")
    login_form(other).wait_for(timeout=WAIT_MS)
    fresh = page.context.new_page()
    fresh.goto(app_url, wait_until="domcontentloaded")
    login_form(fresh).wait_for(timeout=WAIT_MS)
    assert fresh.get_by_role("button", name="Log ud").count() == 0
    assert outside_requests == []


@pytest.fixture(scope="module")
def short_timeout_app(demo_db: Path, artifacts: Path, app_server) -> Iterator[str]:
    """The app with an idle timeout of a few seconds instead of 30 minutes."""
    with app_server(demo_db, artifacts, "streamlit-idle.log",
                    PEJLEMAERKER_IDLE_TIMEOUT_SECONDS=str(IDLE_TIMEOUT_S)) as url:
        yield url


def test_the_idle_timeout_signs_out_every_tab_and_the_cookie(page, short_timeout_app,
                                                             outside_requests):
    who = demo_user(Role.COMMITTEE)
    page.goto(short_timeout_app, wait_until="domcontentloaded")
    sign_in(page, who.user.username, who.password)
    other = page.context.new_page()
    other.goto(short_timeout_app, wait_until="domcontentloaded")
    signed_in(other)

    # Nobody touches either tab: both screens replace themselves with the login form (the idle
    # watch's own checks are not use), and both say why, whichever noticed it first.
    notice = f"du ikke har brugt Pejlemærker i {IDLE_TIMEOUT_S} sekunder"
    wait = WAIT_MS + IDLE_TIMEOUT_S * 1000
    for tab in (page, other):
        tab.get_by_text(notice, exact=False).wait_for(timeout=wait)
        login_form(tab).wait_for(timeout=WAIT_MS)
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0

    page.reload(wait_until="domcontentloaded")
    login_form(page).wait_for(timeout=WAIT_MS)
    assert page.get_by_role("button", name="Log ud").count() == 0
    assert outside_requests == []
