"""Who is signed in: the login form, the municipality's login (OIDC), roles and the idle timeout.

Streamlit glue only; users, hashes and the claims mapping are in ``kpis.access``. Pages call
``current_user()`` / ``current_scope()``; app.py calls ``require_login()`` before it builds the
menu, and the shared frame (``pages/_frame.py``) calls it too, so a page file that Streamlit runs by
itself (a deep link as a server's first request) is still behind the login.

A local user's sign-in is a shared session (``kpis.access.sessions``): the form starts it, the
browser is sent once through ``serve.py``'s route that sets the signed, HttpOnly cookie, and every
run — in any tab, after a reload, from a pasted link, in any app process — reads the cookie and
asks the shared store whether the session is still active (logout in one tab and the idle
timeout end it everywhere). Without ``serve.py`` (``streamlit run app.py``) the sign-in lives in
this browser session's ``st.session_state`` only. OIDC users are carried by Streamlit's own
signed, HttpOnly identity cookie.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlencode, urlsplit

import streamlit as st

from kpis.access import sessions
from kpis.access.audit import AuditAction
from kpis.access.users import User
from kpis.compute.engine import Scope

USER_KEY = "_auth_user"
SEEN_KEY = "_auth_last_seen"
SINCE_KEY = "_auth_signed_in_at"
VIA_KEY = "_auth_via"
NOTICE_KEY = "_auth_notice"
SESSION_KEY = "_auth_session"    # the shared session's id (a local user signed in with a cookie)
HANDOVER_KEY = "_auth_handover"  # the one-time token the next run hands to the browser
QUIET_KEY = "_auth_quiet"        # the next run is the idle watch's own, not use
CLEAR_KEY = "_auth_clear_cookie"  # the next run has the browser clear its session cookie
DEMO_KEY = "_auth_demo"          # the signed-in user is one of the demo's (demo data only)
DEMO_REASON = "demobruger på rigtige data"
DEMO_GONE = ("Du er logget ud: demobrugerne virker kun på demodata, og der er nu indlæst en "
             "kommunes egne data. Log ind med en rigtig bruger.")
DEMO_GONE_AFTER_IMPORT = (
    "Udtrækket er indlæst, og alle sider viser nu de nye data. Du er logget ud, fordi "
    "demobrugerne kun virker på demodata. Log ind med en rigtig bruger: siden Data viser "
    "importen og karantænen.")
WRONG_LOGIN = "Forkert brugernavn eller adgangskode."
LOGIN_PAGE_DA = "Log ind"
_LOG = logging.getLogger(__name__)


# --- the API pages use ---------------------------------------------------------------------


def current_user() -> User:
    """The signed-in user; a visitor who is not signed in gets the login form and the run stops."""
    return require_login()


def current_scope() -> Scope:
    """What the signed-in user may see: pass it to every engine call (and every cache key)."""
    from kpis.access.roles import scope_for

    user = current_user()
    return scope_for(user.role, user.teams)


def session_state_for(user: User, via: str = "local",
                      since: float | None = None) -> dict[str, object]:
    """The session-state entries of a signed-in user (the login form sets them; tests may too).
    ``since`` is when they signed in (for OIDC the ID token's ``iat``), default now."""
    now = time.time()
    return {USER_KEY: user, SEEN_KEY: now, SINCE_KEY: now if since is None else since,
            VIA_KEY: via}


# --- signing in and out --------------------------------------------------------------------


def audit_sign_in(action: AuditAction, username: str, user: User | None = None,
                  detail: str | None = None) -> None:
    """A login, logout or refused login in the audit log. Unlike a view of case rows, a log that
    cannot be written does not stop anyone signing in or out: the server's log says so."""
    from kpis.access import audit
    from kpis.access.roles import scope_for

    role = user.role.value if user else ""
    scope = scope_for(user.role, user.teams).key if user else ""
    try:
        audit.record(username[:100], role, scope, action, page=LOGIN_PAGE_DA, detail=detail)
    except (sqlite3.Error, OSError) as exc:
        _LOG.error("audit log not written (%s): %s", action.value, exc)


timeout_seconds = sessions.idle_timeout_seconds
max_session_seconds = sessions.max_session_seconds
IDLE_REASON = "inaktiv for længe"
EXPIRED_REASON = "sessionens længste levetid nået"


def _idle_notice() -> str:
    seconds = timeout_seconds()
    minutes = round(seconds / 60)
    idle = (f"{minutes} {'minut' if minutes == 1 else 'minutter'}" if seconds >= 60
            else f"{round(seconds)} sekunder")
    return f"Du er logget ud, fordi du ikke har brugt Pejlemærker i {idle}. Log ind igen."


def _expired_notice() -> str:
    hours = round(max_session_seconds() / 3600)
    return (f"Du er logget ud, fordi det er mere end {hours} {'time' if hours == 1 else 'timer'} "
            "siden, du loggede ind. Log ind igen.")


def _signed_in_user() -> User | None:
    """The session's user while within the idle timeout and the session's longest life (this
    run counts as use, unless the idle watch started it)."""
    user = st.session_state.get(USER_KEY)
    use = not st.session_state.pop(QUIET_KEY, False)
    if not isinstance(user, User):
        return _start_oidc_session() or _start_shared_session()
    session_id = st.session_state.get(SESSION_KEY)
    if isinstance(session_id, str):
        return _still_in_shared_session(user, session_id, use)
    now = time.time()
    seen, since = st.session_state.get(SEEN_KEY), st.session_state.get(SINCE_KEY)
    if not isinstance(seen, (int, float)) or now - seen > timeout_seconds():
        _sign_out(notice=_idle_notice(), reason=IDLE_REASON)
        return None
    if not isinstance(since, (int, float)) or now - since > max_session_seconds():
        _sign_out(notice=_expired_notice(), reason=EXPIRED_REASON)
        return None
    if use:
        st.session_state[SEEN_KEY] = now
    return user


# --- the shared session of a local user (cookie) -------------------------------------------


def _check(session_id: str, use: bool) -> tuple[sessions.Status, sessions.Session | None]:
    """The shared store's answer; a store that cannot be read ends the sign-in (fail closed)
    and the server's log says why."""
    try:
        return sessions.check(session_id, timeout_seconds(), max_session_seconds(), touch=use)
    except (sqlite3.Error, OSError, sessions.SessionSecretError) as exc:
        _LOG.error("session store not readable: %s", exc)
        return sessions.Status.ENDED, None


def _still_in_shared_session(user: User, session_id: str, use: bool) -> User | None:
    status, session = _check(session_id, use)
    if status is sessions.Status.ACTIVE and session is not None:
        st.session_state[SEEN_KEY] = session.last_seen
        return user
    if status is sessions.Status.IDLE:
        _sign_out(notice=_idle_notice(), reason=IDLE_REASON)
    elif status is sessions.Status.EXPIRED:
        _sign_out(notice=_expired_notice(), reason=EXPIRED_REASON)
    else:  # logged out or timed out in another tab (which logged it): say which
        reason = session.end_reason if session else None
        _forget(notice=_idle_notice() if reason == sessions.Status.IDLE.value
                else _expired_notice() if reason == sessions.Status.EXPIRED.value
                else "Du er logget ud.")
    return None


def _start_shared_session() -> User | None:
    """A new browser session (reload, new tab, pasted link) of someone whose cookie names an
    active session: their user, re-read from the users file (a removed user gets nothing)."""
    from kpis.access import users as local_users

    try:
        session_id = sessions.session_id_from_cookie(
            st.context.cookies.get(sessions.COOKIE_NAME), max_session_seconds())
    except (OSError, sessions.SessionSecretError) as exc:
        _LOG.error("session cookie not checked: %s", exc)
        return None
    if session_id is None:
        return None
    status, session = _check(session_id, use=True)
    if session is None or status is sessions.Status.ENDED:
        return None
    try:
        entry = local_users.load_users().get(session.username)
    except local_users.UsersFileError:
        entry = None
    if status is not sessions.Status.ACTIVE:
        idle = status is sessions.Status.IDLE
        audit_sign_in(AuditAction.LOGOUT, session.username, entry.user if entry else None,
                      IDLE_REASON if idle else EXPIRED_REASON)
        st.session_state[NOTICE_KEY] = _idle_notice() if idle else _expired_notice()
        return None
    if entry is None or (entry.demo and not _demo_data()):
        sessions.end(session_id, "brugeren findes ikke længere" if entry is None
                     else DEMO_REASON)
        return None
    st.session_state.update(session_state_for(entry.user, via="local", since=session.started))
    st.session_state[DEMO_KEY] = entry.demo
    st.session_state[SEEN_KEY] = session.last_seen
    st.session_state[SESSION_KEY] = session_id
    return entry.user


def _demo_data() -> bool:
    from kpis.access.demo_users import is_demo_database
    from pages._frame import db_path

    return is_demo_database(db_path())


def _browser() -> str | None:
    """This browser's id (``serve.py``'s middleware gives every browser one on its first page
    load), which the sign-in's one-time token is bound to."""
    return sessions.browser_id(st.context.cookies)


def sign_out_demo_user_beside_real_data(snapshot_source: str, *,
                                        after_own_import: bool = False) -> None:
    """A demo user works only beside the demo's data, and the run's own snapshot decides: the
    sign-in checked the database file as it was then, and an import may have put a
    municipality's data there since (also while they stay signed in). Then they are signed out
    here, in every tab, before the page shows anything of it. ``after_own_import``: they made
    that import themselves just now, and the login form tells them it went through."""
    from kpis.access.demo_users import is_demo_snapshot

    if st.session_state.get(DEMO_KEY) and not is_demo_snapshot(snapshot_source):
        _sign_out(notice=DEMO_GONE_AFTER_IMPORT if after_own_import else DEMO_GONE,
                  reason=DEMO_REASON)
        st.rerun()


def remember_sign_in(user: User) -> None:
    """After the form's sign-in: start the shared session, and have the next run send the
    browser through the route that sets its cookie (for this browser only). Without the route,
    without the browser's id (cookies refused), or with a store that cannot be written (logged)
    the sign-in lasts this browser session."""
    if sessions.open_route() is None:
        return
    browser = _browser()
    if browser is None:
        _LOG.warning("no browser id cookie: the sign-in lasts this browser session")
        return
    try:
        session_id, token = sessions.start(user.username, browser=browser)
    except (sqlite3.Error, OSError, sessions.SessionSecretError) as exc:
        _LOG.error("session not stored, sign-in lasts this browser session: %s", exc)
        return
    st.session_state[SESSION_KEY] = session_id
    st.session_state[HANDOVER_KEY] = token


def _here() -> str:
    """The address the browser shows: path and query parameters (a deep link kept)."""
    path = urlsplit(st.context.url or "/").path or "/"
    params = [(k, v) for k in st.query_params for v in st.query_params.get_all(k)]
    return path + (f"?{urlencode(params)}" if params else "")


def _hand_over(token: str) -> Callable[[], None]:
    def hand_over() -> None:
        """Send the browser to the route that swaps the token for the cookie and comes back."""
        target = f"{sessions.open_route()}?{urlencode({'t': token, 'next': _here()})}"
        st.html(f"<script>window.location.replace({json.dumps(target)});</script>",
                unsafe_allow_javascript=True)
        st.markdown(f"Logger ind … [Fortsæt]({target})")

    return hand_over


def _clear_cookie() -> None:
    """After *Log ud*: the browser asks ``serve.py``'s route to end the session its cookie names
    and to clear the cookie (a script run cannot clear an HttpOnly cookie). The session is ended
    in the store already; this also ends one started meanwhile in another tab of this browser."""
    st.html(f"""<script>fetch({json.dumps(sessions.end_route() + "?next=/")},
  {{method: "POST", credentials: "same-origin", redirect: "manual", cache: "no-store"}});
</script>""", unsafe_allow_javascript=True)


def _start_oidc_session() -> User | None:
    """A new browser session of someone signed in with the municipality's login (Streamlit's
    identity cookie): their user from the claims, if the mapping gives them a role."""
    signed_in = _user_from_oidc()
    if signed_in is None:
        return None
    user, issued_at = signed_in
    st.session_state.update(session_state_for(user, via="oidc", since=issued_at))
    audit_sign_in(AuditAction.LOGIN, user.username, user, "kommunens login (OIDC)")
    return _signed_in_user()  # the cookie may be older than a session may live


def _forget(notice: str | None = None) -> None:
    for key in (USER_KEY, SEEN_KEY, SINCE_KEY, VIA_KEY, SESSION_KEY, HANDOVER_KEY, DEMO_KEY):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[NOTICE_KEY] = notice


def _sign_out(notice: str | None = None, reason: str = "brugeren loggede ud") -> bool:
    """Forget the session's user and end their shared session in every tab; True when the
    browser is being sent to the provider's logout."""
    via = st.session_state.get(VIA_KEY)
    user = st.session_state.get(USER_KEY)
    if isinstance(user, User):
        audit_sign_in(AuditAction.LOGOUT, user.username, user, reason)
    session_id = st.session_state.get(SESSION_KEY)
    if isinstance(session_id, str):
        try:
            sessions.end(session_id, reason)
        except (sqlite3.Error, OSError) as exc:
            _LOG.error("session not ended in the store: %s", exc)
    _forget(notice)
    if via == "oidc" and _oidc_logged_in():
        st.logout()  # clears Streamlit's identity cookie and ends the provider's session
        return True
    return False


def require_login(addresses: Sequence[str] = ()) -> User:
    """The signed-in user, or the login form and a stopped run.

    app.py passes the address of every page, so the login form answers under each of them: the
    address (and its query parameters) a person opened is still there after they sign in."""
    _run_through_app_py()
    user = _signed_in_user()
    view = _login_view
    if user is None and st.session_state.pop(CLEAR_KEY, False):
        _clear_cookie()
    if user is not None:
        token = st.session_state.pop(HANDOVER_KEY, None)
        if not isinstance(token, str):
            return user
        view = _hand_over(token)
    if addresses:
        st.navigation(
            [st.Page(view, title="Log ind", url_path=a, default=i == 0)
             for i, a in enumerate(addresses)],
            position="hidden",
        ).run()
    else:
        view()
    st.stop()
    raise AssertionError("unreachable")  # st.stop() does not return


def _run_through_app_py() -> None:
    from pages._frame import _run_through_app_py as rerun_if_page_ran_alone

    rerun_if_page_ran_alone()


def render_user_sidebar(user: User) -> None:
    """Who is signed in, as what, and the button to log out (bottom of the sidebar)."""
    with st.sidebar:
        st.divider()
        st.markdown(f"**{user.display_name}**")
        teams = f" · {', '.join(sorted(user.teams))}" if user.teams else ""
        st.caption(f"{user.role.label_da}{teams}")
        if st.button("Log ud", key="auth_logout"):
            local = st.session_state.get(VIA_KEY) == "local"
            if not _sign_out(notice="Du er logget ud."):
                if local and sessions.end_route() is not None:
                    st.session_state[CLEAR_KEY] = True
                st.rerun()
        # Once a minute (sooner for a shorter timeout).
        st.fragment(_idle_watch, run_every=min(60.0, max(1.0, timeout_seconds() / 4)))()


def _idle_watch() -> None:
    """Past the idle timeout, or once the session was ended in another tab, the whole page is
    replaced by the login form (a screen left open does not keep showing case data). Its own
    runs are not activity."""
    seen = st.session_state.get(SEEN_KEY)
    session_id = st.session_state.get(SESSION_KEY)
    stale = isinstance(seen, (int, float)) and time.time() - seen > timeout_seconds()
    if stale or (isinstance(session_id, str) and _ended_elsewhere(session_id)):
        st.session_state[QUIET_KEY] = True
        st.rerun(scope="app")


def _ended_elsewhere(session_id: str) -> bool:
    try:
        return sessions.has_ended(session_id)
    except (sqlite3.Error, OSError) as exc:
        _LOG.error("session store not readable: %s", exc)
        return True


# --- OIDC ----------------------------------------------------------------------------------


def _auth_section() -> dict:
    try:
        return dict(st.secrets.get("auth", {}))
    except FileNotFoundError:  # no secrets file: no OIDC
        return {}


def oidc_provider() -> str | None:
    """The provider name for ``st.login`` when secrets configure one ("default" if unnamed)."""
    auth = _auth_section()
    if not auth:
        return None
    if "client_id" in auth:
        return "default"
    named = [k for k, v in auth.items() if isinstance(v, dict) and "client_id" in v]
    return named[0] if named else None


def _oidc_logged_in() -> bool:
    return bool(st.user.to_dict().get("is_logged_in", False))


def _user_from_oidc() -> tuple[User, float | None] | None:
    """The user the provider vouches for and when they signed in there (``iat``), or None."""
    if oidc_provider() is None or not _oidc_logged_in():
        return None
    from kpis.access.identity import IdentityError, load_mapping, user_from_claims

    claims = st.user.to_dict()
    try:
        user = user_from_claims(claims, load_mapping())
    except IdentityError as exc:
        st.session_state[NOTICE_KEY] = str(exc)
        return None
    issued_at = claims.get("iat")
    return user, float(issued_at) if isinstance(issued_at, (int, float)) else None


# --- the login page ------------------------------------------------------------------------


def _login_view() -> None:
    from pages._login import render_login

    render_login()
