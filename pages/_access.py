"""Shared by the pages that show case-level rows or offer an export: the case-level guard and the
audit log's entries; and app.py's note on an address outside a person's menu. Streamlit glue only; the log itself is ``kpis.access.audit``.

Not a page (app.py lists the pages explicitly).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable, Collection

import streamlit as st

from kpis.access import audit
from kpis.access.audit import AuditAction
from kpis.compute.engine import AccessDenied, Scope
from pages._auth import current_scope, current_user

NO_CASE_LEVEL_DA = ("Din rolle giver ikke adgang til oplysninger på sagsniveau. Se nøgletallene "
                    "under Overblik og Nøgletal.")
NOT_LOGGED_DA = ("Sagerne kan ikke vises, fordi adgangsloggen ikke kan skrives lige nu. Kontakt "
                 "administratoren.")
_LOG = logging.getLogger(__name__)
SEEN_KEY = "_audit_seen"  # page -> the last view of case rows logged in this session


def case_level_scope() -> Scope:
    """The user's scope on a page of case-level rows; anyone else gets a Danish message and the
    run stops (the menu hides these pages from them, and a typed address ends here)."""
    scope = current_scope()
    try:
        scope.require_case_level()
    except AccessDenied:
        st.info(NO_CASE_LEVEL_DA)
        st.stop()
    return scope


def _who() -> tuple[str, str, str]:
    user = current_user()
    return user.username, user.role.value, current_scope().key


def record_view(page: str, kpi: str | None = None, period: str | None = None,
                detail: str | None = None) -> None:
    """Log a view of case-level rows, once per distinct selection in this session: a rerun that
    shows the same rows again is not a new view. When the log cannot be written the rows are not
    shown: the run stops with a message."""
    key = (kpi, period, detail)
    seen = st.session_state.setdefault(SEEN_KEY, {})
    if seen.get(page) == key:
        return
    try:
        audit.record(*_who(), AuditAction.VIEW_CASE_ROWS, page=page, kpi=kpi, period=period,
                     detail=detail)
    except (sqlite3.Error, OSError):
        st.error(NOT_LOGGED_DA)
        st.stop()
    seen[page] = key


def record(action: AuditAction, page: str | None = None, kpi: str | None = None,
           period: str | None = None, detail: str | None = None) -> None:
    """Log one event of the signed-in user (a definition change, an import)."""
    audit.record(*_who(), action, page=page, kpi=kpi, period=period, detail=detail)


def audited_export(build: Callable[[], bytes], page: str, file_name: str,
                   kpi: str | None = None, period: str | None = None) -> Callable[[], bytes]:
    """``data`` for a download button: builds the file when it is clicked and logs the export.

    Who and what are taken now, during the page's run: the callable runs later, outside it. The
    file is handed over only when the entry is written."""
    actor, role, scope_key = _who()

    def make() -> bytes:
        data = build()
        audit.record(actor, role, scope_key, AuditAction.EXPORT, page=page, kpi=kpi,
                     period=period, detail=file_name)
        return data

    return make


# --- addresses outside the menu ------------------------------------------------------------


def shown_in_text(value: str, limit: int = 40) -> str:
    """Text from an address or a link, safe to quote in a message: letters, digits and ``-_.``
    only (no Markdown, no links, no images), at most ``limit`` characters."""
    kept = re.sub(r"[^\w\-.]", "", value)
    return kept[:limit] + ("…" if len(kept) > limit else "")


def refused_address(titles: Collection[str], menu: Collection[str]) -> str | None:
    """The page address this run was asked for when it is not in the person's menu: typed or
    pasted (a page name), or a page of an earlier run (its hash, e.g. the login form's under
    that address). The request is then turned into one for the start page, before app.py's
    ``st.navigation`` (which would otherwise show Streamlit's own "Page not found" in English).
    ``titles`` holds every page's address, ``menu`` the person's."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    from streamlit.util import calc_hash

    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    manager = ctx.pages_manager
    if manager.intended_page_script_hash:
        wanted = manager.intended_page_script_hash
        asked = next((a for a in titles if calc_hash(a) == wanted), None)
    else:
        asked = manager.intended_page_name or None
    if asked is None or asked in menu:
        return None
    manager.set_script_intent("", "")
    return asked


def note_refused_address(asked: str | None, titles: dict[str, str], landed: str) -> None:
    """Say in one line that the address opened (``refused_address``) is not the page shown: a
    page outside the person's menu (logged in the audit log as a refused page) or no page at
    all. ``titles`` maps every page's address to its title, ``landed`` is the title shown."""
    if asked is None:
        return
    if asked in titles:
        try:
            record(AuditAction.PAGE_REFUSED, page=asked, detail=f"sendt til {landed}")
        except (sqlite3.Error, OSError) as exc:
            _LOG.error("audit log not written (page_refused %s): %s", asked, exc)
        st.info(f"Siden »{titles[asked]}« er ikke en del af din rolles menu – du er sendt til "
                f"{landed}.")
    else:
        st.info(f"Der er ingen side med adressen »/{shown_in_text(asked)}« – du er sendt til "
                f"{landed}.")
