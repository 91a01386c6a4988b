"""Who is signed in: the login form, the municipality's login (OIDC), roles and the idle timeout.

Streamlit glue only; users, hashes and the claims mapping are in ``kpis.access``. Pages call
``current_user()`` / ``current_scope()``; app.py calls ``require_login()`` before it builds the
menu, and the shared frame (``pages/_frame.py``) calls it too, so a page file that Streamlit runs by
itself (a deep link as a server's first request) is still behind the login.

The signed-in user lives in this browser session's ``st.session_state`` only: nothing about it is
in a cookie a script can read. Local users sign in again after a reload; OIDC users are carried
by Streamlit's own signed, HttpOnly identity cookie.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Sequence

import streamlit as st

from kpis.access.audit import AuditAction
from kpis.access.users import User
from kpis.compute.engine import Scope

USER_KEY = "_auth_user"
SEEN_KEY = "_auth_last_seen"
SINCE_KEY = "_auth_signed_in_at"
VIA_KEY = "_auth_via"
NOTICE_KEY = "_auth_notice"
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


def timeout_seconds() -> float:
    """Idle time after which a session ends (``access.session_timeout_minutes``)."""
    from kpis.settings import default_settings

    return default_settings().access.session_timeout_minutes * 60.0


def max_session_seconds() -> float:
    """Time after signing in at which every session ends (``access.session_max_hours``)."""
    from kpis.settings import default_settings

    return default_settings().access.session_max_hours * 3600.0


def _signed_in_user() -> User | None:
    """The session's user while within the idle timeout and the session's longest life (this
    run counts as use)."""
    user = st.session_state.get(USER_KEY)
    if not isinstance(user, User):
        return _start_oidc_session()
    now = time.time()
    seen, since = st.session_state.get(SEEN_KEY), st.session_state.get(SINCE_KEY)
    if not isinstance(seen, (int, float)) or now - seen > timeout_seconds():
        minutes = round(timeout_seconds() / 60)
        _sign_out(notice=f"Du er logget ud, fordi du ikke har brugt Pejlemærker i {minutes} "
                         f"{'minut' if minutes == 1 else 'minutter'}. Log ind igen.",
                  reason="inaktiv for længe")
        return None
    if not isinstance(since, (int, float)) or now - since > max_session_seconds():
        hours = round(max_session_seconds() / 3600)
        _sign_out(notice=f"Du er logget ud, fordi det er mere end {hours} "
                         f"{'time' if hours == 1 else 'timer'} siden, du loggede ind. "
                         "Log ind igen.", reason="sessionens længste levetid nået")
        return None
    st.session_state[SEEN_KEY] = now
    return user


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


def _sign_out(notice: str | None = None, reason: str = "brugeren loggede ud") -> bool:
    """Forget the session's user; True when the browser is being sent to the provider's logout."""
    via = st.session_state.get(VIA_KEY)
    user = st.session_state.get(USER_KEY)
    if isinstance(user, User):
        audit_sign_in(AuditAction.LOGOUT, user.username, user, reason)
    for key in (USER_KEY, SEEN_KEY, SINCE_KEY, VIA_KEY):
        st.session_state.pop(key, None)
    if notice:
        st.session_state[NOTICE_KEY] = notice
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
    if user is not None:
        return user
    if addresses:
        st.navigation(
            [st.Page(_login_view, title="Log ind", url_path=a, default=i == 0)
             for i, a in enumerate(addresses)],
            position="hidden",
        ).run()
    else:
        _login_view()
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
        if st.button("Log ud", key="auth_logout") and not _sign_out(notice="Du er logget ud."):
            st.rerun()
        _idle_watch()


@st.fragment(run_every=60)
def _idle_watch() -> None:
    """Once a minute: past the idle timeout, the whole page is replaced by the login form (a
    screen left open does not keep showing case data). Its own runs are not activity."""
    seen = st.session_state.get(SEEN_KEY)
    if isinstance(seen, (int, float)) and time.time() - seen > timeout_seconds():
        st.rerun(scope="app")


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
