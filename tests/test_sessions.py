"""The shared sessions of local users (kpis.access.sessions) and the route that sets their cookie
(kpis.access.session_http): one-time tokens, signatures, the idle timeout and longest life,
logout for every holder, and the cookie's flags. Times are given explicitly (no sleeping)."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from kpis.access import sessions
from kpis.access.session_http import routes
from kpis.access.sessions import Status

IDLE, LONGEST = 30 * 60.0, 10 * 3600.0
T0 = 1_800_000_000.0
BROWSER = "browser-of-anne"  # the id serve.py's middleware gives a browser (a cookie)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "sessions.sqlite"
    monkeypatch.setenv(sessions.SESSIONS_ENV, str(path))
    monkeypatch.delenv(sessions.SECRET_ENV, raising=False)
    # mounting the route marks this process as serve.py's: undone after the test, so the
    # AppTests of the same run keep signing in without a cookie
    monkeypatch.setattr(sessions, "_mounted", [])
    return path


def test_a_token_is_exchanged_once_and_only_while_fresh(store):
    session_id, token = sessions.start("anne", browser=BROWSER, now=T0)
    assert sessions.redeem(token, BROWSER, now=T0 + 5).session_id == session_id
    assert sessions.redeem(token, BROWSER, now=T0 + 6) == sessions.Redemption()  # used up
    _, late = sessions.start("anne", browser=BROWSER, now=T0)
    assert sessions.redeem(late, BROWSER,
                           now=T0 + sessions.TOKEN_LIFETIME_S + 1) == sessions.Redemption()
    assert sessions.redeem("made-up", BROWSER, now=T0) == sessions.Redemption()
    assert sessions.redeem(None, BROWSER) == sessions.Redemption()


def test_the_store_holds_no_usable_id_or_token(store):
    session_id, token = sessions.start("anne", browser=BROWSER, now=T0)
    sessions.redeem(token, BROWSER, now=T0)
    # the token table held the id for those seconds; deleted rows are overwritten
    raw = b"".join(p.read_bytes() for p in store.parent.glob(f"{store.name}*"))
    assert session_id.encode() not in raw and token.encode() not in raw


def test_use_within_the_idle_timeout_keeps_the_session(store):
    session_id, _ = sessions.start("anne", browser=BROWSER, now=T0)
    status, session = sessions.check(session_id, IDLE, LONGEST, now=T0 + IDLE - 1)
    assert status is Status.ACTIVE and session.username == "anne"
    # that check was use: another 29 minutes later it is still active
    assert sessions.check(session_id, IDLE, LONGEST, now=T0 + 2 * IDLE - 2)[0] is Status.ACTIVE


def test_an_automatic_check_is_not_use(store):
    session_id, _ = sessions.start("anne", browser=BROWSER, now=T0)
    assert sessions.check(session_id, IDLE, LONGEST, touch=False,
                          now=T0 + IDLE - 1)[0] is Status.ACTIVE
    assert sessions.check(session_id, IDLE, LONGEST, now=T0 + IDLE + 1)[0] is Status.IDLE


def test_the_idle_timeout_ends_the_session_for_everyone_and_is_reported_once(store):
    session_id, _ = sessions.start("anne", browser=BROWSER, now=T0)
    assert sessions.check(session_id, IDLE, LONGEST, now=T0 + IDLE + 1)[0] is Status.IDLE
    assert sessions.has_ended(session_id)
    # another tab, even one that comes back quickly, finds it over
    assert sessions.check(session_id, IDLE, LONGEST, now=T0 + IDLE + 2)[0] is Status.ENDED


def test_a_busy_session_ends_after_its_longest_life(store):
    session_id, _ = sessions.start("anne", browser=BROWSER, now=T0)
    t = T0
    while t < T0 + LONGEST - IDLE:
        t += IDLE - 60
        assert sessions.check(session_id, IDLE, LONGEST, now=t)[0] is Status.ACTIVE
    t += IDLE - 60
    assert sessions.check(session_id, IDLE, LONGEST, now=t)[0] is Status.EXPIRED


def test_logout_ends_the_session_in_every_holder(store):
    session_id, _ = sessions.start("anne", browser=BROWSER, now=T0)
    other_id, _ = sessions.start("anne", browser=BROWSER, now=T0)
    sessions.end(session_id, "brugeren loggede ud", now=T0 + 10)
    assert sessions.check(session_id, IDLE, LONGEST, now=T0 + 11)[0] is Status.ENDED
    assert sessions.check(other_id, IDLE, LONGEST, now=T0 + 11)[0] is Status.ACTIVE
    assert sessions.end_all_of("anne", "fjernet", now=T0 + 12) == 1
    assert sessions.has_ended(other_id)


def test_the_cookie_is_signed_and_ages(store):
    session_id, _ = sessions.start("anne", browser=BROWSER)
    value = sessions.cookie_value(session_id)
    assert value != session_id
    assert sessions.session_id_from_cookie(value, LONGEST) == session_id
    tampered = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    assert sessions.session_id_from_cookie(tampered, LONGEST) is None
    assert sessions.session_id_from_cookie(session_id, LONGEST) is None  # unsigned
    assert sessions.session_id_from_cookie(value, -1) is None  # older than allowed
    assert sessions.session_id_from_cookie(None, LONGEST) is None


def test_every_process_signs_with_one_generated_key_readable_by_its_owner_only(store):
    key = sessions.secret()
    key_file = store.with_name(sessions.KEY_FILE_NAME)
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    sessions.start("anne", browser=BROWSER)
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600  # the store too
    assert sessions.secret() == key and len(key) >= sessions.MIN_SECRET_LENGTH


def test_a_configured_secret_wins_and_must_be_long(store, monkeypatch):
    session_id, _ = sessions.start("anne", browser=BROWSER)
    generated = sessions.cookie_value(session_id)
    monkeypatch.setenv(sessions.SECRET_ENV, "x" * 40)
    assert sessions.session_id_from_cookie(generated, LONGEST) is None  # another key
    monkeypatch.setenv(sessions.SECRET_ENV, "kort")
    with pytest.raises(sessions.SessionSecretError, match="mindst 32 tegn"):
        sessions.secret()


@pytest.mark.parametrize(("target", "expected"), [
    ("/fristoversigt?frist=14+dage", "/fristoversigt?frist=14+dage"),
    ("/", "/"),
    ("https://evil.example/", "/"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("/x\r\nSet-Cookie: a=b", "/"),
    (None, "/"),
])
def test_the_browser_is_sent_on_only_within_this_site(target, expected):
    assert sessions.safe_next(target) == expected


def _client(prefix: str = "") -> TestClient:
    return TestClient(Starlette(routes=routes(prefix)), base_url="http://testserver",
                      cookies={sessions.BROWSER_COOKIE: BROWSER})


def test_the_route_sets_an_httponly_samesite_cookie_and_keeps_the_deep_link(store):
    session_id, token = sessions.start("anne", browser=BROWSER)
    resp = _client().get(sessions.OPEN_ROUTE, params={"t": token, "next": "/noegletal?kpi=a"},
                         follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/noegletal?kpi=a"
    assert resp.headers["cache-control"] == "no-store"
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.COOKIE_NAME}=")
    flags = [f.strip().lower() for f in cookie.split(";")[1:]]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # plain http
    assert f"max-age={int(sessions.max_session_seconds())}" in flags
    value = cookie.split(";")[0].split("=", 1)[1]
    assert sessions.session_id_from_cookie(value, LONGEST) == session_id
    # the same token again sets nothing
    again = _client().get(sessions.OPEN_ROUTE, params={"t": token, "next": "/"},
                          follow_redirects=False)
    assert again.status_code == 303 and "set-cookie" not in again.headers


@pytest.mark.parametrize("headers", [{"x-forwarded-proto": "https"}, {}])
def test_the_cookie_is_secure_behind_tls(store, headers):
    _, token = sessions.start("anne", browser=BROWSER)
    base = "http://testserver" if headers else "https://testserver"
    resp = TestClient(Starlette(routes=routes()), base_url=base,
                      cookies={sessions.BROWSER_COOKIE: BROWSER}).get(
        sessions.OPEN_ROUTE, params={"t": token}, headers=headers, follow_redirects=False)
    flags = [f.strip().lower() for f in resp.headers["set-cookie"].split(";")[1:]]
    assert "secure" in flags


def test_the_route_follows_the_base_url_path(store):
    _, token = sessions.start("anne", browser=BROWSER)
    resp = _client("/pejlemaerker/").get("/pejlemaerker" + sessions.OPEN_ROUTE,
                                         params={"t": token, "next": "/pejlemaerker/"},
                                         follow_redirects=False)
    assert "path=/pejlemaerker/" in resp.headers["set-cookie"].lower()
    assert sessions.open_route() == "/pejlemaerker" + sessions.OPEN_ROUTE


def test_sessions_older_than_any_may_live_are_dropped_from_the_store(store):
    old_id, _ = sessions.start("anne", browser=BROWSER, now=T0)
    sessions.start("bo", browser=BROWSER, now=T0 + sessions.max_session_seconds() + 1)
    conn = sqlite3.connect(store)
    try:
        assert [r[0] for r in conn.execute("SELECT username FROM sessions")] == ["bo"]
    finally:
        conn.close()
    assert sessions.has_ended(old_id)


def test_removing_or_changing_a_user_signs_them_out_everywhere(store, tmp_path, monkeypatch,
                                                                 capsys):
    import io

    from kpis.access.users import add_user, make_user
    from kpis.cli import main

    users = tmp_path / "users.toml"
    add_user(make_user("anne", "analytiker"), "annes-kode-123", users)
    first, _ = sessions.start("anne", browser=BROWSER)
    second, _ = sessions.start("anne", browser=BROWSER)
    other, _ = sessions.start("bo", browser=BROWSER)
    monkeypatch.setattr("sys.stdin", io.StringIO("annes-nye-kode\n"))
    assert main(["users", "--file", str(users), "add", "anne", "--role", "admin",
                 "--replace"]) == 0
    assert "2 sessioner afsluttet" in capsys.readouterr().out
    assert sessions.has_ended(first) and sessions.has_ended(second)
    assert not sessions.has_ended(other)
    third, _ = sessions.start("anne", browser=BROWSER)
    assert main(["users", "--file", str(users), "remove", "anne"]) == 0
    assert "1 session afsluttet" in capsys.readouterr().out
    assert sessions.has_ended(third)


def test_an_ended_session_says_why_to_every_later_holder(store):
    idle_id, _ = sessions.start("anne", browser=BROWSER, now=T0)
    sessions.check(idle_id, IDLE, LONGEST, now=T0 + IDLE + 1)
    status, session = sessions.check(idle_id, IDLE, LONGEST, now=T0 + IDLE + 2)
    assert status is Status.ENDED and session.end_reason == "idle"
    out_id, _ = sessions.start("anne", browser=BROWSER, now=T0)
    sessions.end(out_id, "brugeren loggede ud", now=T0 + 1)
    assert sessions.check(out_id, IDLE, LONGEST, now=T0 + 2)[1].end_reason == \
        "brugeren loggede ud"


# --- the token is bound to the browser that signed in (login CSRF) ----------------------------


def test_a_token_is_redeemed_only_by_the_browser_that_signed_in(store):
    session_id, token = sessions.start("anne", browser=BROWSER, now=T0)
    refused = sessions.redeem(token, "someone-elses-browser", now=T0 + 1)
    assert refused == sessions.Redemption(other_browser=True, username="anne")
    # the token is used up, and the sign-in it came from is ended: someone passed it on
    assert sessions.redeem(token, BROWSER, now=T0 + 2) == sessions.Redemption()
    status, session = sessions.check(session_id, IDLE, LONGEST, now=T0 + 3)
    assert status is Status.ENDED and session.end_reason == sessions.OTHER_BROWSER_REASON
    _, token = sessions.start("anne", browser=BROWSER, now=T0)
    assert sessions.redeem(token, None, now=T0 + 1).other_browser  # a browser with no id
    with pytest.raises(ValueError):
        sessions.start("anne", browser="")


def test_the_store_keeps_only_a_hash_of_the_browser_id(store):
    sessions.start("anne", browser=BROWSER, now=T0)
    raw = b"".join(p.read_bytes() for p in store.parent.glob(f"{store.name}*"))
    assert BROWSER.encode() not in raw


def test_a_store_from_before_the_binding_is_upgraded_and_its_old_tokens_refused(store):
    conn = sqlite3.connect(store)
    conn.execute("CREATE TABLE tokens (token_hash TEXT PRIMARY KEY, session_id TEXT NOT NULL, "
                 "expires REAL NOT NULL)")
    conn.execute("INSERT INTO tokens VALUES (?, 'old-session', ?)",
                 [sessions._hash("old-token"), T0 + 60])
    conn.commit()
    conn.close()
    assert sessions.redeem("old-token", BROWSER, now=T0).other_browser
    session_id, token = sessions.start("anne", browser=BROWSER, now=T0)
    assert sessions.redeem(token, BROWSER, now=T0).session_id == session_id


def test_the_browser_id_behind_tls_wins_over_a_plain_one_planted_beside_it():
    assert sessions.browser_id({sessions.BROWSER_COOKIE_TLS: "real",
                                sessions.BROWSER_COOKIE: "planted"}) == "real"
    assert sessions.browser_id({sessions.BROWSER_COOKIE: "plain"}) == "plain"
    assert sessions.browser_id({}) is None


def _audit_entries(path: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT actor, action, detail FROM audit_log ORDER BY id").fetchall()
    finally:
        conn.close()


def test_the_route_refuses_a_token_of_another_browser_in_danish_and_logs_it(store, tmp_path,
                                                                           monkeypatch):
    from kpis.access.session_http import OTHER_BROWSER_DA

    audit_file = tmp_path / "audit.sqlite"
    monkeypatch.setenv("PEJLEMAERKER_AUDIT", str(audit_file))
    monkeypatch.setenv("PEJLEMAERKER_USERS", str(tmp_path / "no-users.toml"))
    session_id, token = sessions.start("anne", browser=BROWSER)
    other = TestClient(Starlette(routes=routes()), base_url="http://testserver",
                       cookies={sessions.BROWSER_COOKIE: "the-victims-browser"})
    resp = other.get(sessions.OPEN_ROUTE, params={"t": token, "next": "/noegletal"},
                     follow_redirects=False)
    assert resp.status_code == 403 and "set-cookie" not in resp.headers
    assert OTHER_BROWSER_DA in resp.text and 'lang="da"' in resp.text
    assert 'href="/noegletal"' in resp.text
    assert _audit_entries(audit_file) == [("anne", "login_failed",
                                           sessions.OTHER_BROWSER_REASON)]
    assert sessions.has_ended(session_id)
    # no browser id at all (cookies refused): refused the same way
    _, token = sessions.start("anne", browser=BROWSER)
    bare = TestClient(Starlette(routes=routes()), base_url="http://testserver")
    assert bare.get(sessions.OPEN_ROUTE, params={"t": token},
                    follow_redirects=False).status_code == 403


# --- every browser gets its id on its first page load -----------------------------------------


def _page_app(tls: bool = False) -> TestClient:
    from starlette.middleware import Middleware
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.routing import Route

    from kpis.access.session_http import BrowserCookie

    app = Starlette(routes=[Route("/", lambda r: HTMLResponse(
                                "<html></html>", headers={"Cache-Control": "no-cache"})),
                            Route("/data", lambda r: JSONResponse({}))],
                    middleware=[Middleware(BrowserCookie)])
    return TestClient(app, base_url="https://testserver" if tls else "http://testserver")


def _set_cookies(resp) -> list[str]:
    return resp.headers.get_list("set-cookie")


def test_a_first_page_load_gets_an_httponly_browser_id_once():
    client = _page_app()
    first = client.get("/", headers={"accept": "text/html"})
    (cookie,) = _set_cookies(first)
    name, value = cookie.split(";")[0].split("=", 1)
    assert name == sessions.BROWSER_COOKIE and len(value) >= 40
    flags = [f.strip().lower() for f in cookie.split(";")[1:]]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags and not any(f.startswith("max-age") for f in flags)
    assert first.headers["cache-control"] == "no-store"  # no cache hands it to someone else
    # the browser now has it: nothing new; nor for what is not a page load
    assert _set_cookies(client.get("/", headers={"accept": "text/html"})) == []
    assert _set_cookies(_page_app().get("/data", headers={"accept": "application/json"})) == []
    # two browsers, two ids
    assert _set_cookies(_page_app().get("/", headers={"accept": "text/html"}))[0] != cookie


@pytest.mark.parametrize("tls", ["https", "x-forwarded-proto"])
def test_behind_tls_the_browser_id_is_a_secure_host_cookie(tls):
    client = _page_app(tls=tls == "https")
    headers = {"accept": "text/html"}
    if tls == "x-forwarded-proto":
        headers["x-forwarded-proto"] = "https"
    (cookie,) = _set_cookies(client.get("/", headers=headers))
    assert cookie.startswith(sessions.BROWSER_COOKIE_TLS + "=")
    assert "secure" in [f.strip().lower() for f in cookie.split(";")[1:]]


# --- logout: the route ends the cookie's session and clears the cookie -------------------------


def test_the_logout_route_ends_the_session_and_clears_the_cookie(store, tmp_path, monkeypatch):
    audit_file = tmp_path / "audit.sqlite"
    monkeypatch.setenv("PEJLEMAERKER_AUDIT", str(audit_file))
    monkeypatch.setenv("PEJLEMAERKER_USERS", str(tmp_path / "no-users.toml"))
    session_id, _ = sessions.start("anne", browser=BROWSER)
    client = _client()
    client.cookies.set(sessions.COOKIE_NAME, sessions.cookie_value(session_id))
    assert client.get(sessions.END_ROUTE).status_code == 405  # a link cannot log anyone out
    # a form on another site: nothing happens
    foreign = client.post(sessions.END_ROUTE, headers={"origin": "https://evil.example",
                                                      "sec-fetch-site": "cross-site"},
                          follow_redirects=False)
    assert foreign.status_code == 303 and "set-cookie" not in foreign.headers
    assert not sessions.has_ended(session_id)
    resp = client.post(sessions.END_ROUTE, params={"next": "/"},
                       headers={"origin": "http://testserver", "sec-fetch-site": "same-origin"},
                       follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/"
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith((f'{sessions.COOKIE_NAME}=""', f"{sessions.COOKIE_NAME}=;"))
    assert "max-age=0" in cookie.lower() and "path=/" in cookie.lower()
    assert sessions.has_ended(session_id)
    assert _audit_entries(audit_file) == [("anne", "logout", "brugeren loggede ud")]
    # the script run ended it first (and logged it): the route clears the cookie, logs nothing
    second, _ = sessions.start("anne", browser=BROWSER)
    sessions.end(second, "brugeren loggede ud")
    client.cookies.set(sessions.COOKIE_NAME, sessions.cookie_value(second))
    again = client.post(sessions.END_ROUTE, follow_redirects=False)
    assert "max-age=0" in again.headers["set-cookie"].lower()
    assert len(_audit_entries(audit_file)) == 1
