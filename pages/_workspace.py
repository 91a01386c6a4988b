"""Shared by the analysts' pages (Nøgletalsdefinitioner, Katalog, Redigér udviklingsplan,
Gennemgangsprogrammer): the histories of the files they edit and the analyst's name. Streamlit
glue only; the work is in ``kpis.rules.history``.

Not a page (app.py lists the pages explicitly).
"""

from __future__ import annotations

import streamlit as st

from kpis.plan.validate import kpis_the_plan_needs, plan_path
from kpis.plan.versions import PlanHistory, default_plan_history_dir, plan_history_for
from kpis.review.model import reviews_config_path
from kpis.review.validate import kpis_the_programmes_need
from kpis.review.versions import default_reviews_history_dir, reviews_history_for
from kpis.rules.definitions import KpiSet
from kpis.rules.history import ConfigHistory, default_history_dir, history_for
from kpis.rules.templates import placeholder_problems
from pages._auth import USER_KEY
from pages._frame import db_path
from pages._results import kpis_path

# What a definitions save must pass besides the language: a template's id changed, and no KPI
# removed that the udviklingsplan's goals or the review programmes' pre-fills are tied to.
EXTRA_CHECKS = (placeholder_problems, kpis_the_plan_needs, kpis_the_programmes_need)
WHO_KEY, WHO_KEPT = "analytiker_navn", "_analytiker_navn"


def history() -> ConfigHistory:
    """The history of the definitions the app reads, kept beside the database (or in
    ``$PEJLEMAERKER_HISTORY``)."""
    return history_for(kpis_path(), default_history_dir(db_path()), EXTRA_CHECKS)


def plan_history(kpiset: KpiSet) -> PlanHistory:
    """The history of the udviklingsplan the app reads; a save is checked against ``kpiset``
    (the definitions in force)."""
    return plan_history_for(plan_path(), default_plan_history_dir(db_path()), kpiset)


def reviews_history() -> ConfigHistory:
    """The history of the case-review programmes the app reads."""
    return reviews_history_for(reviews_config_path(), default_reviews_history_dir(db_path()),
                               kpis_path())


def who() -> str:
    """The name the history records: the signed-in user's, else what was typed (an installation
    without sign-in)."""
    user = st.session_state.get(USER_KEY)
    if user is not None:
        return user.display_name
    return st.session_state.get(WHO_KEY, "")


def who_input() -> str:
    """Who is changing the definitions: the signed-in user, shown; without sign-in a name field
    kept for the session across pages."""
    state = st.session_state
    user = state.get(USER_KEY)
    if user is not None:
        st.markdown(f"Ændringer gemmes i dit navn: **{user.display_name}**")
        return user.display_name
    if WHO_KEY not in state:
        state[WHO_KEY] = state.get(WHO_KEPT, "")
    name = st.text_input("Dit navn", key=WHO_KEY, placeholder="fx Anne Jensen",
                         help="Står i historikken ved hver ændring.")
    state[WHO_KEPT] = name
    return name
