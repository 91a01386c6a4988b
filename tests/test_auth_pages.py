"""AppTest: the login form, what each role's menu holds, logout, the idle timeout, the demo users'
bootstrap, and a page file run by itself (Streamlit's pages/ folder quirk) staying behind the
login."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from menus import MENUS
from streamlit.testing.v1 import AppTest
from tiny_export import TINY_KEY, write_tiny_export

from kpis.access.demo_users import DEMO_USERS, demo_user, write_demo_users
from kpis.access.roles import Role
from pages import _auth
from pages._login import TOO_MANY

pytestmark = pytest.mark.usefixtures("clear_streamlit_caches", "demo_db")

TIMEOUT = 60
ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
WRONG = "Forkert brugernavn eller adgangskode."


def menu(at: AppTest) -> list[str]:
    return [info["page_name"] for info in at._registered_pages.values()]


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [i.value for i in at.info]
    parts += [w.value for w in at.warning] + [t.value for t in at.title]
    return "\n".join(str(p) for p in parts)


def is_login_page(at: AppTest) -> bool:
    """Only the login: a form, no figures, no as-of date, no menu but the login itself."""
    labels = [t.label for t in at.text_input]
    return (labels == ["Brugernavn", "Adgangskode"] and not at.metric and not at.dataframe
            and "Data opgjort" not in texts(at) + "".join(m.value for m in at.sidebar.markdown)
            and set(menu(at)) <= {"Log ind"})


def submit(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input(key="auth_username").input(username)
    at.text_input(key="auth_password").input(password)
    next(b for b in at.button if b.label == "Log ind").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def start() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.signed_in_as(None)
def test_not_signed_in_shows_only_the_login_form():
    at = start()
    assert is_login_page(at)
    assert [t.value for t in at.title] == ["Pejlemærker"]
    assert at.text_input(key="auth_password").proto.type == at.text_input(key="auth_password").proto.PASSWORD
    # The demo's users are listed on the demo only (this run's database is the demo).
    assert "`analytiker`" in texts(at)


@pytest.mark.signed_in_as(None)
@pytest.mark.parametrize(("username", "password"), [
    ("analytiker", "forkert-kode-123"),                  # wrong password
    ("findes-ikke", demo_user(Role.ANALYST).password),   # unknown user, a real password
    ("", ""),
])
def test_a_wrong_login_says_only_that_it_was_wrong(username: str, password: str):
    at = submit(start(), username, password)
    assert [e.value for e in at.error] == [WRONG]
    assert is_login_page(at)
    assert _auth.USER_KEY not in at.session_state


@pytest.mark.signed_in_as(None)
def test_five_wrong_logins_stop_further_tries_at_that_username():
    who = demo_user(Role.ANALYST)
    at = start()
    for _ in range(5):
        at = submit(at, who.user.username, "forkert-kode-123")
        assert [e.value for e in at.error] == [WRONG]
    # Now even the right password is not tried; the same words for a username that does not exist.
    at = submit(at, who.user.username, who.password)
    assert [e.value for e in at.error] == [TOO_MANY]
    assert is_login_page(at)
    for _ in range(5):
        at = submit(at, "findes-ikke", "forkert-kode-123")
    assert [e.value for e in submit(at, "findes-ikke", "x").error] == [TOO_MANY]
    # Another user is not locked out.
    other = demo_user(Role.COMMITTEE)
    at = submit(at, other.user.username, other.password)
    assert menu(at) == MENUS[Role.COMMITTEE]


@pytest.mark.signed_in_as(None)
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_each_role_signs_in_through_the_form_and_gets_exactly_its_menu(role: Role):
    who = demo_user(role)
    at = submit(start(), who.user.username, who.password)
    assert menu(at) == MENUS[role]
    assert [t.value for t in at.title] == ["Overblik"]
    sidebar = [m.value for m in at.sidebar.markdown] + [c.value for c in at.sidebar.caption]
    assert f"**{who.user.display_name}**" in sidebar
    assert any(c.startswith(role.label_da) for c in sidebar)
    if role is Role.DEPARTMENT_HEAD:
        assert "Afdelings- eller teamleder · Team Nord, Team Syd" in sidebar


@pytest.mark.signed_in_as(Role.COMMITTEE)
def test_a_committee_member_cannot_switch_to_a_case_list():
    at = start()
    assert menu(at) == MENUS[Role.COMMITTEE]
    for page in ("pages/fristoversigt.py", "pages/afdeling.py", "pages/oversigt_data.py",
                 "pages/definitioner.py", "pages/admin.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)


@pytest.mark.signed_in_as(Role.DEPARTMENT_HEAD)
def test_current_scope_is_the_users_scope():
    at = start()
    user = at.session_state[_auth.USER_KEY]
    assert user.teams == {"Team Nord", "Team Syd"}
    assert menu(at) == MENUS[Role.DEPARTMENT_HEAD]


def test_log_out_returns_to_the_login_form():
    at = start()
    assert menu(at) == MENUS[Role.ANALYST]
    next(b for b in at.sidebar.button if b.label == "Log ud").click().run()
    assert is_login_page(at)
    assert "Du er logget ud." in texts(at)


def test_an_idle_session_times_out():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[_auth.SEEN_KEY] = time.time() - _auth.timeout_seconds() - 5
    at.run()
    assert is_login_page(at)
    assert "Du er logget ud, fordi du ikke har brugt Pejlemærker i 30 minutter" in texts(at)
    # Within the timeout, each run counts as use and keeps the session.
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[_auth.SEEN_KEY] = time.time() - _auth.timeout_seconds() + 60
    at.run()
    assert menu(at) == MENUS[Role.ANALYST]
    assert at.session_state[_auth.SEEN_KEY] > time.time() - 60


def test_a_session_ends_after_its_longest_life_however_busy():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[_auth.SINCE_KEY] = time.time() - _auth.max_session_seconds() - 5
    at.run()
    assert is_login_page(at)
    assert "det er mere end 10 timer siden, du loggede ind" in texts(at)


@pytest.mark.signed_in_as(None)
@pytest.mark.parametrize("page", ["pages/fristoversigt.py", "pages/afdeling.py",
                                  "pages/oversigt_data.py", "pages/overblik.py"])
def test_a_page_file_run_by_itself_is_behind_the_login(page: str):
    """Streamlit runs a page file alone when a deep link is a server's first request: the frame
    the page calls first shows the login instead of the page."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.label for t in at.text_input] == ["Brugernavn", "Adgangskode"]
    assert not at.metric and not at.dataframe
    assert all(t.value == "Pejlemærker" for t in at.title)


# --- demo users and a municipality's own data ----------------------------------------------


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A municipality's own import (not the demo)."""
    from kpis.data.importer import run_import

    root = tmp_path_factory.mktemp("tiny")
    db = root / "kommune.duckdb"
    run_import(write_tiny_export(root / "export"), db, profile="canonical",
               as_of=date(2025, 6, 30), pseudonym_key=TINY_KEY)
    return db


@pytest.mark.signed_in_as(None)
def test_first_start_of_the_demo_creates_the_demo_users(tmp_path: Path, monkeypatch):
    users = tmp_path / "users.toml"
    monkeypatch.setenv("PEJLEMAERKER_USERS", str(users))
    at = start()
    assert users.exists()
    assert is_login_page(at)
    who = demo_user(Role.ANALYST)
    at = submit(at, who.user.username, who.password)
    assert menu(at) == MENUS[Role.ANALYST]


@pytest.mark.signed_in_as(None)
def test_no_users_beside_real_data_and_no_demo_users_either(tmp_path: Path, monkeypatch,
                                                            tiny_db: Path):
    users = tmp_path / "users.toml"
    monkeypatch.setenv("PEJLEMAERKER_USERS", str(users))
    monkeypatch.setenv("PEJLEMAERKER_DB", str(tiny_db))
    at = start()
    assert not users.exists()
    assert "Der er endnu ingen brugere" in texts(at)
    assert not at.text_input

    # A demo users file left beside real data opens nothing, and is not advertised.
    write_demo_users(users)
    at = start()
    assert "`analytiker`" not in texts(at)
    for d in DEMO_USERS:
        at = submit(at, d.user.username, d.password)
        assert "Demobrugerne virker kun på demodata" in texts(at)
        assert is_login_page(at)


@pytest.mark.signed_in_as(None)
def test_a_demo_user_signed_in_when_real_data_arrive_is_signed_out_before_seeing_it(
        monkeypatch, tiny_db: Path):
    who = demo_user(Role.ANALYST)
    at = submit(start(), who.user.username, who.password)
    assert menu(at) == MENUS[Role.ANALYST]
    before = _last_id()
    # an import puts a municipality's own data where the demo was; the run's snapshot decides
    monkeypatch.setenv("PEJLEMAERKER_DB", str(tiny_db))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert is_login_page(at)
    assert "demobrugerne virker kun på demodata" in texts(at)
    assert _newest_sign_in_events(before) == [(who.user.username, "analyst", "logout",
                                               _auth.DEMO_REASON)]


@pytest.mark.signed_in_as(None)
def test_a_broken_users_file_is_not_shown_to_visitors(tmp_path: Path, monkeypatch):
    users = tmp_path / "users.toml"
    users.write_text('[users.anne]\nrole = "chef"\npassword_hash = "hemmelig"\n')
    monkeypatch.setenv("PEJLEMAERKER_USERS", str(users))
    at = start()
    assert "Brugerfilen kan ikke læses" in texts(at)
    assert "chef" not in texts(at) and "hemmelig" not in texts(at)
    assert not at.text_input


def _newest_sign_in_events(after_id: int) -> list[tuple[str, str, str, str]]:
    from kpis.access import audit

    log = audit.read(limit=None).filter(pl.col("id") > after_id).sort("id")
    return [(r["actor"], r["role"], r["action"], r["detail"])
            for r in log.iter_rows(named=True) if r["page"] == _auth.LOGIN_PAGE_DA]


def _last_id() -> int:
    from kpis.access import audit

    log = audit.read(limit=1)
    return int(log["id"][0]) if log.height else 0


@pytest.mark.signed_in_as(None)
def test_logins_refusals_and_logouts_are_in_the_audit_log():
    who = demo_user(Role.DEPARTMENT_HEAD)
    before = _last_id()
    at = submit(start(), who.user.username, "forkert-kode-123")
    # a CPR number typed as a username is never written down
    at = submit(at, "010203-1234", "x")
    at = submit(at, who.user.username, who.password)
    next(b for b in at.sidebar.button if b.label == "Log ud").click().run()
    assert is_login_page(at)
    assert _newest_sign_in_events(before) == [
        (who.user.username, "", "login_failed", "forkert brugernavn eller adgangskode"),
        ("[CPR fjernet]", "", "login_failed", "forkert brugernavn eller adgangskode"),
        (who.user.username, "department_head", "login", "lokal bruger"),
        (who.user.username, "department_head", "logout", "brugeren loggede ud"),
    ]


def test_an_idle_timeout_is_logged_as_a_logout():
    before = _last_id()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state[_auth.SEEN_KEY] = time.time() - _auth.timeout_seconds() - 5
    at.run()
    assert is_login_page(at)
    user = demo_user(Role.ANALYST).user.username
    assert _newest_sign_in_events(before) == [(user, "analyst", "logout", "inaktiv for længe")]


@pytest.mark.signed_in_as(None)
def test_the_very_first_start_builds_the_demo_before_the_demo_users_sign_in(tmp_path: Path,
                                                                              monkeypatch):
    # A fresh clone: no database and no users file. `bash scripts/start`, then a demo user signs in.
    db, users = tmp_path / "pejlemaerker.duckdb", tmp_path / "users.toml"
    monkeypatch.setenv("PEJLEMAERKER_DB", str(db))
    monkeypatch.setenv("PEJLEMAERKER_USERS", str(users))
    at = AppTest.from_file(APP, default_timeout=300).run()
    assert not at.exception, [e.message for e in at.exception]
    assert db.exists() and users.exists()
    assert is_login_page(at) and "`analytiker`" in texts(at)
    who = demo_user(Role.COMMITTEE)
    at = submit(at, who.user.username, who.password)
    assert not at.error, [e.value for e in at.error]
    assert menu(at) == MENUS[Role.COMMITTEE]
    assert [t.value for t in at.title] == ["Overblik"]


# --- staying signed in: the shared session behind the cookie (browser: test_staying_signed_in) --

BROWSER = "browser-id-from-the-middleware"


def _as_under_serve_py(monkeypatch, browser: str | None = BROWSER) -> None:
    """As under serve.py: its routes are mounted in this process, and the browser has the id
    its middleware gives (None: a browser that refuses cookies)."""
    from kpis.access import sessions

    monkeypatch.setattr(sessions, "_mounted", [])
    sessions.mark_routes_mounted("")
    monkeypatch.setattr(_auth, "_browser", lambda: browser)


def _in_a_shared_session(monkeypatch, role: Role) -> tuple[AppTest, str]:
    """Signed in with the form under serve.py, past the hand-over: the app and the session id."""
    _as_under_serve_py(monkeypatch)
    who = demo_user(role)
    at = submit(start(), who.user.username, who.password)
    at.run()
    assert menu(at) == MENUS[role]
    return at, at.session_state[_auth.SESSION_KEY]


@pytest.mark.signed_in_as(None)
def test_a_form_sign_in_hands_the_browser_a_token_for_its_cookie_and_logout_elsewhere_ends_it(
        monkeypatch):
    from urllib.parse import parse_qs, urlsplit

    from kpis.access import sessions

    _as_under_serve_py(monkeypatch)
    who = demo_user(Role.ANALYST)
    at = submit(start(), who.user.username, who.password)
    # the run after the sign-in sends the browser to the cookie route, keeping the address
    scripts = [h.proto.body for h in at.get("html") if "window.location.replace" in h.proto.body]
    assert len(scripts) == 1
    target = scripts[0].split('"')[1]
    assert urlsplit(target).path == sessions.OPEN_ROUTE
    query = parse_qs(urlsplit(target).query)
    assert query["next"] == ["/"]
    session_id = sessions.redeem(query["t"][0], BROWSER).session_id
    assert session_id is not None and session_id == at.session_state[_auth.SESSION_KEY]
    assert "Logger ind" in texts(at)

    at.run()  # signed in, in the shared session
    assert menu(at) == MENUS[Role.ANALYST]
    sessions.end(session_id, "brugeren loggede ud")  # logout in another tab
    at.run()
    assert is_login_page(at)
    assert "Du er logget ud." in texts(at)


@pytest.mark.signed_in_as(None)
def test_an_idle_shared_session_is_logged_out_once(monkeypatch):
    from kpis.access import sessions

    at, session_id = _in_a_shared_session(monkeypatch, Role.COMMITTEE)
    who = demo_user(Role.COMMITTEE)
    before = _last_id()
    monkeypatch.setenv(sessions.IDLE_TIMEOUT_ENV, "0")  # any time since the last run is too long
    at.run()
    assert is_login_page(at)
    assert "Du er logget ud, fordi du ikke har brugt Pejlemærker" in texts(at)
    assert _newest_sign_in_events(before) == [(who.user.username, "committee", "logout",
                                               "inaktiv for længe")]
    assert sessions.has_ended(session_id)


@pytest.mark.signed_in_as(None)
def test_a_browser_without_its_id_cookie_is_signed_in_for_this_session_only(monkeypatch):
    _as_under_serve_py(monkeypatch, browser=None)  # cookies refused: nothing to bind to
    who = demo_user(Role.ANALYST)
    at = submit(start(), who.user.username, who.password)
    assert not [h for h in at.get("html") if "window.location.replace" in h.proto.body]
    assert _auth.SESSION_KEY not in at.session_state
    assert menu(at) == MENUS[Role.ANALYST]


@pytest.mark.signed_in_as(None)
def test_logout_ends_the_shared_session_and_has_the_browser_clear_its_cookie(monkeypatch):
    from kpis.access import sessions

    at, session_id = _in_a_shared_session(monkeypatch, Role.ANALYST)
    at.button(key="auth_logout").click().run()
    assert is_login_page(at) and "Du er logget ud." in texts(at)
    assert sessions.has_ended(session_id)
    clear = [h.proto.body for h in at.get("html") if sessions.END_ROUTE in h.proto.body]
    assert len(clear) == 1 and '"POST"' in clear[0] and "same-origin" in clear[0]
    at.run()  # once: the next run asks nothing of the browser
    assert not [h for h in at.get("html") if sessions.END_ROUTE in h.proto.body]
