"""Sagsbelastning: open cases per caseworker against the department's norm, new cases and
notifications per month, and how evenly the load is spread within each team.

Thin page: widgets → kpis.compute.caseload (SQL, scope) → kpis.present.caseload_charts →
render.
The norm is the municipality's setting (config/settings.yaml, department.caseload_norm).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from kpis.compute import caseload
from kpis.compute.engine import Scope
from kpis.data.snapshot import HeldSnapshot
from kpis.present import caseload_charts as charts
from kpis.present.drilldown import danish_sort_key
from kpis.present.formatting import format_date_da, format_int_da, format_number_da
from kpis.settings import default_settings
from pages._access import case_level_scope
from pages._frame import run_snapshot
from pages._widgets import DATE_FORMAT

MONTHS_SHOWN = 24


@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)
def _open_cases(_snapshot: HeldSnapshot, snapshot_id: str, on, _scope: Scope,
                scope_key: str) -> pl.DataFrame:
    conn = _snapshot.connect()
    try:
        return caseload.open_cases_per_caseworker(conn, on, scope=_scope)
    finally:
        conn.close()


@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)
def _monthly(_snapshot: HeldSnapshot, snapshot_id: str, team: str | None, _scope: Scope,
             scope_key: str) -> pl.DataFrame:
    conn = _snapshot.connect()
    try:
        return caseload.new_per_month(conn, MONTHS_SHOWN, scope=_scope, team=team)
    finally:
        conn.close()


snapshot = run_snapshot()
meta = snapshot.meta
# The user's Scope: every query below takes it. Without case-level access the run stops.
scope = case_level_scope()
as_of = meta.as_of
norm = default_settings().department.caseload_norm

st.title("Sagsbelastning")
st.caption(
    f"Åbne sager pr. sagsbehandler målt mod afdelingens norm på {norm} sager, nye sager og "
    "underretninger pr. måned, og hvor jævnt sagerne er fordelt i hvert team. En sag er åben "
    "fra oprettelsen til lukningen."
)

everyone = _open_cases(snapshot, meta.snapshot_id, as_of, scope, scope.key)
teams = sorted((t for t in everyone["team"].unique().to_list()), key=danish_sort_key)
c_team, c_day = st.columns([1, 1])
# A key of its own: the team chosen on Fristoversigt (key "team") must not carry over unseen.
team = c_team.selectbox("Team", teams, index=None, placeholder="Hele afdelingen",
                        key="belastning_team", bind="query-params")
on = c_day.date_input("Opgjort pr.", value=as_of, max_value=as_of, format=DATE_FORMAT,
                      key="dato", help="Åbne sager på denne dag. Senest: opgørelsesdatoen.")

shown = _open_cases(snapshot, meta.snapshot_id, on, scope, scope.key)
if team:
    shown = shown.filter(pl.col("team") == team)
spread = caseload.team_distribution(shown, norm)
total = spread.filter(pl.col("team") == "I alt").row(0, named=True) if spread.height else None

st.markdown(f"**{team or 'Hele afdelingen'}** · åbne sager pr. {format_date_da(on)}")
m1, m2, m3, m4 = st.columns(4)
if total is None:
    st.info("Ingen åbne sager den dag.")
    st.stop()
m1.metric("Åbne sager", format_int_da(total["open_cases"]))
m2.metric("Sagsbehandlere", format_int_da(total["caseworkers"]))
m3.metric("Sager pr. sagsbehandler", format_number_da(total["average"], 1),
          help="Alle åbne sager delt med de sagsbehandlere, der har dem (som nøgletallet "
               "»Åbne sager pr. sagsbehandler«).")
m4.metric(f"Over normen på {norm}", format_int_da(total["above_norm"]),
          help="Sagsbehandlere med flere åbne sager end normen.")

CHART = {"theme": None, "width": "content"}  # our own Danish config, at the size we drew it
left, right = st.columns([1.1, 1])
with left:
    st.altair_chart(charts.open_cases_chart(shown, norm, width=420), key="pr_sagsbehandler",
                    alt="Søjler med antal åbne sager pr. sagsbehandler, team for team, og "
                        f"afdelingens norm på {norm} som stiplet linje.", **CHART)
with right:
    st.altair_chart(charts.spread_chart(shown, norm, width=380), key="spredning",
                    alt="Hver sagsbehandler som et punkt på sit teams linje efter antal åbne "
                        "sager; trekanter er over normen.", **CHART)

st.subheader("Fordeling i teamene")
st.dataframe(
    spread.with_columns(  # one decimal with a Danish comma, as in the figures above
        pl.col("average", "median").map_elements(lambda v: format_number_da(v, 1),
                                                 return_dtype=pl.String)).rename(
        {"team": "Team", "caseworkers": "Sagsbehandlere", "open_cases": "Åbne sager",
         "average": "Gns. pr. sagsbehandler", "fewest": "Færrest", "median": "Median",
         "most": "Flest", "above_norm": f"Over normen på {norm}"}),
    hide_index=True,
    key="fordeling",
    column_config={c: st.column_config.TextColumn(c, alignment="right")
                   for c in ("Gns. pr. sagsbehandler", "Median")},
)
st.caption("Færrest, median og flest er åbne sager hos den enkelte sagsbehandler i teamet. "
           "Sager uden sagsbehandler tæller med i sagerne, men ikke som en sagsbehandler.")

monthly = _monthly(snapshot, meta.snapshot_id, team, scope, scope.key)
st.altair_chart(charts.monthly_chart(monthly, height=300), key="pr_maaned",
                alt="Linjer med nye sager og underretninger pr. måned de seneste "
                    f"{MONTHS_SHOWN} måneder.", theme=None, width="stretch")  # the page's width
st.caption(f"De seneste {MONTHS_SHOWN} måneder; den sidste måned går kun til "
           f"{format_date_da(as_of)}. Underretninger tælles på sagens team.")
