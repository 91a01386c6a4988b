"""The login page: the municipality's login (OIDC) when configured, and the local users' form.

Rendered by ``pages/_auth.py`` under every page's address while nobody is signed in.
"""

from __future__ import annotations

import logging

import streamlit as st

from kpis.access import users as local_users
from kpis.access.audit import AuditAction
from pages import _auth

_LOG = logging.getLogger(__name__)
TOO_MANY = ("For mange forkerte forsøg med dette brugernavn. Vent et kvarter, eller bed en "
            "administrator om hjælp.")


def _demo_hint(db) -> None:
    from kpis.access.demo_users import DEMO_USERS

    rows = "\n".join(f"| `{d.user.username}` | `{d.password}` | {d.user.role.label_da}"
                     + (f" ({', '.join(sorted(d.user.teams))})" if d.user.teams else "") + " |"
                     for d in DEMO_USERS)
    with st.expander("Demobrugere (kun på demodata)"):
        st.markdown("| Brugernavn | Adgangskode | Rolle |\n|---|---|---|\n" + rows)


@st.cache_resource(show_spinner=False)
def _throttle() -> local_users.LoginThrottle:
    """One per server process: wrong logins counted across all browser sessions."""
    return local_users.LoginThrottle()


def _try_local_login(username: str, password: str, db) -> None:
    throttle = _throttle()
    refused = AuditAction.LOGIN_FAILED
    if throttle.blocked(username):
        _auth.audit_sign_in(refused, username, detail="spærret efter for mange forkerte forsøg")
        st.error(TOO_MANY)
        return
    entry = local_users.verify(username, password)
    if entry is None:
        throttle.failed(username)
        _auth.audit_sign_in(refused, username, detail="forkert brugernavn eller adgangskode")
        st.error(_auth.WRONG_LOGIN)
        return
    if entry.demo:
        from kpis.access.demo_users import is_demo_database

        if not is_demo_database(db):
            _auth.audit_sign_in(refused, username, entry.user, _auth.DEMO_REASON)
            st.error("Demobrugerne virker kun på demodata. Opret rigtige brugere med "
                     "`python -m kpis users add` (se docs/authentication.md).")
            return
    throttle.succeeded(username)
    st.session_state.update(_auth.session_state_for(entry.user, via="local"))
    st.session_state[_auth.DEMO_KEY] = entry.demo  # each run checks its snapshot is the demo
    _auth.remember_sign_in(entry.user)  # stays signed in across reloads and tabs (cookie)
    _auth.audit_sign_in(AuditAction.LOGIN, entry.user.username, entry.user, "lokal bruger")
    st.rerun()


def render_login() -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        _render_login()


def _render_login() -> None:
    from pages._frame import db_path

    db = db_path()
    st.title("Pejlemærker")
    notice = st.session_state.pop(_auth.NOTICE_KEY, None)
    if notice:
        st.info(notice)

    provider = _auth.oidc_provider()
    if provider is not None:
        if _auth._oidc_logged_in():  # signed in at the provider, but no role here
            if st.button("Log ud", key="auth_oidc_logout"):
                st.logout()
            return
        st.subheader("Log ind")
        if st.button("Log ind med kommunens login", key="auth_oidc_login", type="primary"):
            st.login(provider)

    try:
        known = local_users.load_users()
    except local_users.UsersFileError as exc:
        _LOG.error("%s", exc)  # the details to whoever runs the server, not to visitors
        st.error("Brugerfilen kan ikke læses. En administrator kan se fejlen i serverens log "
                 "(eller med `python -m kpis users list`).")
        return
    if provider is None and not known:
        from kpis.access.demo_users import ensure_demo_users

        if not ensure_demo_users(db):
            st.warning("Der er endnu ingen brugere. En administrator opretter den første med "
                       "`python -m kpis users add NAVN --role admin` (se docs/authentication.md).")
            return
        known = local_users.load_users()

    if not known:
        return
    if provider is not None:
        st.caption("Eller log ind med en lokal bruger:")
    else:
        st.subheader("Log ind")
    with st.form("auth_login", enter_to_submit=True):
        username = st.text_input("Brugernavn", key="auth_username", autocomplete="username")
        password = st.text_input("Adgangskode", key="auth_password", type="password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button("Log ind", type="primary")
    if submitted:
        _try_local_login(username, password, db)
    if any(e.demo for e in known.values()):
        from kpis.access.demo_users import is_demo_database

        if not db.exists() or is_demo_database(db):
            _demo_hint(db)
