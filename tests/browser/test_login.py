"""Signing in, in a real browser: local users per role (menu, name and role, logout), a wrong
password refused without saying which part was wrong, a deep link kept through the login, and
the municipality's login (OIDC) through a real OpenID provider (``oidc-provider-mock``) started on
the loopback by the test, in and out.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from menus import MENUS
from signing_in import sign_in

from kpis.access.demo_users import demo_user
from kpis.access.roles import Role
from kpis.present.worklist import Horizon

pytestmark = [pytest.mark.browser, pytest.mark.signed_in_as(None)]

WAIT_MS = 60_000
# The mock provider's own pages link a stylesheet on a CDN; the guard blocks it. Nothing else may
# leave the machine.
MOCK_STYLESHEET = re.compile(r"^https://cdn\.jsdelivr\.net/npm/@picocss/")


def idle(page) -> None:
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=WAIT_MS)
    page.wait_for_timeout(1500)  # tiles and charts paint after the run


def menu(page) -> list[str]:
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.wait_for(timeout=WAIT_MS)
    links = nav.locator('[data-testid="stSidebarNavLink"]').all_inner_texts()
    return [t.split("\n")[-1].strip() for t in links]  # the title after the icon


def login_form(page):
    return page.get_by_label("Brugernavn")


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_demo_user_signs_in_sees_their_menu_and_signs_out(page, app_url, artifacts, role,
                                                               outside_requests):
    who = demo_user(role)
    page.goto(app_url, wait_until="domcontentloaded")
    login_form(page).wait_for(timeout=WAIT_MS)
    # Nothing but the login: no menu, no figures, no as-of date.
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    assert page.get_by_text("Data opgjort pr.").count() == 0
    if role is Role.COMMITTEE:
        idle(page)
        page.screenshot(path=str(artifacts / "login.png"))

    sign_in(page, who.user.username, who.password)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text(who.user.display_name).wait_for(timeout=WAIT_MS)
    assert sidebar.get_by_text(role.label_da, exact=False).count() >= 1
    assert menu(page) == MENUS[role]
    page.get_by_role("heading", name="Overblik").first.wait_for(timeout=WAIT_MS)
    idle(page)
    page.screenshot(path=str(artifacts / f"signed-in-{role.value}.png"))

    page.get_by_role("button", name="Log ud").click()
    login_form(page).wait_for(timeout=WAIT_MS)
    page.get_by_text("Du er logget ud.").wait_for(timeout=WAIT_MS)
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    assert outside_requests == []


def test_a_wrong_password_or_user_is_refused_without_saying_which(page, app_url,
                                                                  outside_requests):
    who = demo_user(Role.ANALYST)
    page.goto(app_url, wait_until="domcontentloaded")
    answers = []
    for username, password in [(who.user.username, "forkert-kode-123"),
                               ("findes-ikke", who.password)]:
        login_form(page).wait_for(timeout=WAIT_MS)
        page.get_by_label("Brugernavn").fill(username)
        page.get_by_label("Adgangskode").fill(password)
        page.get_by_role("button", name="Log ind", exact=True).click()
        alert = page.get_by_text("Forkert brugernavn eller adgangskode.")
        alert.wait_for(timeout=WAIT_MS)
        idle(page)
        answers.append(page.locator('[data-testid="stMain"]').inner_text())
        assert page.get_by_role("button", name="Log ud").count() == 0
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    # The same words either way (apart from what was typed, which is not shown).
    assert answers[0] == answers[1]
    assert "Forkert brugernavn eller adgangskode." in answers[0]
    assert outside_requests == []


def test_a_deep_link_is_kept_through_the_login(page, app_url, outside_requests):
    who = demo_user(Role.DEPARTMENT_HEAD)
    horizon = quote_plus(Horizon.DUE_14.label_da)
    page.goto(f"{app_url}/fristoversigt?frist={horizon}", wait_until="domcontentloaded")
    login_form(page).wait_for(timeout=WAIT_MS)
    sign_in(page, who.user.username, who.password)
    page.get_by_role("heading", name="Fristoversigt").first.wait_for(timeout=WAIT_MS)
    idle(page)
    assert "/fristoversigt" in page.url and f"frist={horizon}" in page.url
    assert page.get_by_text(Horizon.DUE_14.label_da).count() >= 1
    assert outside_requests == []


def test_a_committee_member_typing_a_case_list_address_gets_no_case_list(page, app_url,
                                                                         outside_requests):
    who = demo_user(Role.COMMITTEE)
    page.goto(f"{app_url}/fristoversigt", wait_until="domcontentloaded")
    login_form(page).wait_for(timeout=WAIT_MS)
    sign_in(page, who.user.username, who.password)
    refused = "Siden »Fristoversigt« er ikke en del af din rolles menu – du er sendt til Overblik."
    page.get_by_text(refused).wait_for(timeout=WAIT_MS)
    idle(page)
    assert page.get_by_text("Page not found").count() == 0  # not Streamlit's own, in English
    assert page.get_by_role("heading", name="Fristoversigt").count() == 0
    assert menu(page) == MENUS[Role.COMMITTEE]
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    # Typed again while signed in: the same line, still no case list.
    page.goto(f"{app_url}/fristoversigt", wait_until="domcontentloaded")
    page.get_by_text(refused).wait_for(timeout=WAIT_MS)
    assert page.get_by_role("heading", name="Fristoversigt").count() == 0
    # An address of no page at all says so too.
    page.goto(f"{app_url}/findes-ikke", wait_until="domcontentloaded")
    page.get_by_text("Der er ingen side med adressen »/findes-ikke« – du er sendt til Overblik.") \
        .wait_for(timeout=WAIT_MS)
    assert outside_requests == []


# --- the municipality's login: a real OpenID provider on the loopback ------------------------


@pytest.fixture(scope="module")
def oidc_provider() -> Iterator[str]:
    from oidc_provider_mock import User, run_server_in_thread

    users = [
        User(sub="anne", claims={
            "name": "Anne Jensen", "preferred_username": "anne.jensen@kommune.dk",
            "roles": ["Pejlemaerker.Afdelingsleder", "Pejlemaerker.Team.Nord"]}),
        User(sub="udvalg1", claims={
            "name": "Ulla Udvalg", "preferred_username": "ulla@kommune.dk",
            "roles": ["Pejlemaerker.Udvalg"]}),
        User(sub="ukendt", claims={"name": "Uden Rolle", "preferred_username": "uden@kommune.dk",
                                   "roles": ["Andet.System"]}),
    ]
    with run_server_in_thread(port=0, user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="module")
def oidc_app(oidc_provider: str, demo_db: Path, artifacts: Path, app_server,
             tmp_path_factory) -> Iterator[str]:
    """The app with an ``[auth]`` section pointing at the provider (as
    .streamlit/secrets.example.toml shows), read from a secrets file of the test's own."""
    folder = tmp_path_factory.mktemp("oidc")
    secrets_file = folder / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        'client_id = "pejlemaerker-test"\n'
        f'client_secret = "{secrets.token_urlsafe(16)}"\n'
        f'server_metadata_url = "{oidc_provider}/.well-known/openid-configuration"\n',
        encoding="utf-8")
    with app_server(demo_db, artifacts, "streamlit-oidc.log",
                    STREAMLIT_SECRETS_FILES=str(secrets_file)) as url:
        yield url


def _sign_in_at_provider(page, app: str, sub: str) -> None:
    page.goto(app, wait_until="domcontentloaded")
    page.get_by_role("button", name="Log ind med kommunens login").click(timeout=WAIT_MS)
    page.get_by_role("heading", name="Authorize Client").wait_for(timeout=WAIT_MS)
    page.get_by_role("button", name=sub, exact=True).click()


def test_oidc_login_maps_roles_and_teams_and_logout_ends_the_session(page, oidc_app,
                                                                     oidc_provider, artifacts,
                                                                     outside_requests):
    page.goto(oidc_app, wait_until="domcontentloaded")
    page.get_by_role("button", name="Log ind med kommunens login").wait_for(timeout=WAIT_MS)
    idle(page)
    page.screenshot(path=str(artifacts / "login-oidc.png"))

    _sign_in_at_provider(page, oidc_app, "anne")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Anne Jensen").wait_for(timeout=WAIT_MS)
    sidebar.get_by_text("Afdelings- eller teamleder · Team Nord").wait_for(timeout=WAIT_MS)
    assert menu(page) == MENUS[Role.DEPARTMENT_HEAD]
    idle(page)
    page.screenshot(path=str(artifacts / "signed-in-oidc.png"))

    # A new tab of the same browser is still signed in (Streamlit's identity cookie) …
    other = page.context.new_page()
    other.goto(f"{oidc_app}/fristoversigt", wait_until="domcontentloaded")
    other.get_by_role("heading", name="Fristoversigt").first.wait_for(timeout=WAIT_MS)
    other.close()

    # … until logging out, which also ends the session at the provider.
    page.get_by_role("button", name="Log ud").click()
    page.get_by_role("heading", name="End Session").wait_for(timeout=WAIT_MS)
    page.get_by_role("button", name="End session").click()
    page.get_by_role("button", name="Log ind med kommunens login").wait_for(timeout=WAIT_MS)
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    page.goto(f"{oidc_app}/fristoversigt", wait_until="domcontentloaded")
    page.get_by_role("button", name="Log ind med kommunens login").wait_for(timeout=WAIT_MS)
    assert page.get_by_role("heading", name="Fristoversigt").count() == 0
    assert all(MOCK_STYLESHEET.match(u) for u in outside_requests), outside_requests


def test_oidc_committee_member_and_person_without_a_role(page, oidc_app, outside_requests):
    _sign_in_at_provider(page, oidc_app, "udvalg1")
    page.locator('[data-testid="stSidebar"]').get_by_text("Ulla Udvalg").wait_for(timeout=WAIT_MS)
    assert menu(page) == MENUS[Role.COMMITTEE]
    page.get_by_role("button", name="Log ud").click()
    page.get_by_role("button", name="End session").click(timeout=WAIT_MS)
    page.get_by_role("button", name="Log ind med kommunens login").wait_for(timeout=WAIT_MS)

    _sign_in_at_provider(page, oidc_app, "ukendt")
    page.get_by_text("har ikke adgang til Pejlemærker").wait_for(timeout=WAIT_MS)
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    assert page.get_by_text("Data opgjort pr.").count() == 0
    assert all(MOCK_STYLESHEET.match(u) for u in outside_requests), outside_requests
