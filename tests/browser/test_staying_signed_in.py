"""A local user stays signed in across reloads, new tabs and pasted links (the signed, HttpOnly
session cookie of ``serve.py``), until logout in any tab or the idle timeout ends the session
everywhere. Real Chromium against ``streamlit run serve.py``."""

from __future__ import annotations

import re
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
HANDOVER = re.compile(r"/auth/session\?")  # the one-time link to the cookie route
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
    # the logout route cleared the HttpOnly cookie (a script run cannot); a reload stays out
    _wait_for_no_cookie(page)
    page.reload(wait_until="domcontentloaded")
    login_form(page).wait_for(timeout=WAIT_MS)
    assert page.get_by_role("button", name="Log ud").count() == 0

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


def _wait_for_no_cookie(page, tries: int = 100) -> None:
    for _ in range(tries):
        if not [c for c in page.context.cookies() if c["name"] == COOKIE_NAME]:
            return
        page.wait_for_timeout(100)
    raise AssertionError("the session cookie was not cleared")


def _sign_in_keeping_the_link(page, app_url: str, who) -> str:
    """Sign in with the form, but stop the browser on its way to the cookie route: the one-time
    link it was handed, not yet used (the page keeps being stopped there)."""
    links: list[str] = []

    def keep(route) -> None:
        links.append(route.request.url)
        route.abort()

    page.route(HANDOVER, keep)
    page.goto(app_url, wait_until="domcontentloaded")
    page.get_by_label("Brugernavn").fill(who.user.username)
    page.get_by_label("Adgangskode").fill(who.password)
    page.get_by_role("button", name="Log ind", exact=True).click()
    for _ in range(WAIT_MS // 100):
        if links:
            break
        page.wait_for_timeout(100)
    assert links, "the sign-in handed the browser no link"
    return links[0]


def test_a_sign_in_link_works_only_in_the_browser_that_signed_in(page, app_url, browser,
                                                                  outside_requests):
    who = demo_user(Role.ANALYST)
    # Someone signs in and sends their one-time link to another person's browser: refused, in
    # Danish, and that person is not signed in as them.
    link = _sign_in_keeping_the_link(page, app_url, who)
    victim = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="da-DK")
    try:
        tab = victim.new_page()
        tab.goto(app_url, wait_until="domcontentloaded")  # the victim has used the app before
        login_form(tab).wait_for(timeout=WAIT_MS)
        response = tab.goto(link, wait_until="domcontentloaded")
        assert response.status == 403, (link, response.url)
        tab.get_by_text("blev lavet i en anden browser").wait_for(timeout=WAIT_MS)
        assert not [c for c in victim.cookies() if c["name"] == COOKIE_NAME]
        tab.get_by_role("link", name="Gå til login").click()
        login_form(tab).wait_for(timeout=WAIT_MS)
        assert tab.get_by_role("button", name="Log ud").count() == 0
    finally:
        victim.close()

    # The browser that signed in uses its own link: signed in, and it stays so on a reload.
    fresh = page.context.new_page()
    link = _sign_in_keeping_the_link(fresh, app_url, who)
    fresh.wait_for_timeout(1000)
    fresh.unroute(HANDOVER)
    fresh.goto(link, wait_until="domcontentloaded")
    signed_in(fresh)
    assert [c for c in page.context.cookies() if c["name"] == COOKIE_NAME]
    fresh.reload(wait_until="domcontentloaded")
    signed_in(fresh)
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
