"""Nøgletal: one key figure in depth — what it measures in plain Danish, its legal basis, how it is
counted (generated from config/kpis.yaml), its trend, the teams, and for deadline KPIs when the
steps were done relative to the deadline. Widgets → kpis → render.
"""

from __future__ import annotations

import streamlit as st

from kpis.compute.engine import AccessDenied
from kpis.present.charts import (
    deadline_distribution_chart,
    distribution_alt_text,
    team_chart,
    trend_alt_text,
    trend_chart,
)
from kpis.present.counting import how_counted, legal_basis_lines
from kpis.present.formatting import format_date_da
from kpis.present.period_choice import (
    kinds_for,
    period_label_da,
    periods_needed,
    trend_periods,
)
from kpis.present.tiles import (
    CONTEXT_SECTION_DA,
    SUPPRESSION_THRESHOLD,
    build_tile,
    group_rows,
)
from kpis.rules.definitions import DeadlineKpi
from pages._access import shown_in_text
from pages._auth import current_scope
from pages._committee import QP_KPI, period_controls, render_tile
from pages._frame import current_snapshot
from pages._plan import plan_goals
from pages._results import current_kpis, get_results, get_steps

scope = current_scope()  # every engine call below takes it; a committee member's is suppressed
threshold = scope.suppress_below or SUPPRESSION_THRESHOLD
KEY_KPI = "udvalg_kpi"

db, meta = current_snapshot()
kpiset = current_kpis()
as_of = meta.as_of


def _section(kpi) -> str:
    return CONTEXT_SECTION_DA if kpi.context else kpi.pejlemaerke.label_da


linked = st.query_params.get(QP_KPI)
unknown_kpi = (linked if linked is not None and linked != st.session_state.get("_udvalg_kpi")
               and linked not in kpiset else None)
if linked is not None and linked != st.session_state.get("_udvalg_kpi") and linked in kpiset:
    st.session_state[KEY_KPI] = linked  # a tile's link (or a shared one) names the KPI
elif KEY_KPI in st.session_state:  # keep the choice when the page is opened again
    st.session_state[KEY_KPI] = st.session_state[KEY_KPI]
else:
    remembered = st.session_state.get("_udvalg_kpi")
    st.session_state[KEY_KPI] = remembered if remembered in kpiset else kpiset.ids[0]
st.selectbox("Nøgletal", kpiset.ids, key=KEY_KPI,
             format_func=lambda i: f"{_section(kpiset[i])}: {kpiset[i].name}")
kpi = kpiset[st.session_state[KEY_KPI]]
st.session_state["_udvalg_kpi"] = kpi.id
st.query_params[QP_KPI] = kpi.id

st.title(kpi.name)
if unknown_kpi is not None:
    st.info(f"Nøgletallet »{shown_in_text(unknown_kpi)}« i linket findes ikke – du ser "
            f"{kpi.name}.")
st.caption(f"{_section(kpi)} · data opgjort pr. {format_date_da(as_of)}")
period, comparison = period_controls(as_of, kinds_for(scope.suppress_below is not None))
trend = trend_periods(period)

# The same call as the overview's, so the figure here is the overview's (and comes from cache).
needed = periods_needed(period, comparison, as_of)
with st.spinner("Beregner …"):
    results = get_results(db, meta.snapshot_id, kpiset, [p.label for p in needed], scope=scope)
tile = build_tile(kpi, results, period, comparison, trend, as_of, threshold)

left, right = st.columns([1, 1.6], gap="large")
with left:
    render_tile(tile, period, comparison, link=False)
with right:
    st.subheader("Hvad måles?")
    st.write(kpi.description)
    st.subheader("Lovgrundlag")
    basis = legal_basis_lines(kpi)
    st.markdown("\n".join(f"- **{ln.label}:** {ln.text}" for ln in basis)
                if basis else "Ikke knyttet til en bestemt paragraf.")
    plan_goals(kpi, kpiset)

st.altair_chart(trend_chart(kpi, results, trend, threshold=threshold), width="stretch",
                theme=None,  # the same look as in the meeting papers
                alt=trend_alt_text(kpi, results, trend, threshold))

st.subheader("Sådan tælles det")
st.markdown("\n".join(f"- **{ln.label}:** {ln.text}" for ln in how_counted(kpi, plain=True)))
st.caption("Teksten er dannet af den samme definition, som beregningen bruger; Katalog viser "
           "alle nøgletal og deres historik.")

st.subheader(f"Teams, {period_label_da(period)}")
by_team = get_results(db, meta.snapshot_id, kpiset, [period.label], by=("team",),
                      kpi_ids=(kpi.id,), scope=scope)
rows = group_rows(kpi, by_team, period, "team", threshold)
if rows:
    st.altair_chart(team_chart(kpi, by_team, period, threshold=threshold), width="stretch",
                    theme=None, alt="Søjlediagram pr. team; tallene står i tabellen herunder.")
    st.dataframe(rows, hide_index=True, column_config={
        "gruppe": "Team", "værdi": "Værdi", "n": "n", "heraf": "Heraf", "status": "Status"})
else:
    st.info("Ingen sager i perioden.")

if isinstance(kpi, DeadlineKpi):
    st.subheader("Fristerne i perioden")
    if tile.suppressed:
        st.caption(f"Fordelingen vises ikke: tallet bygger på {tile.withheld_text} sager.")
    else:
        try:
            steps = get_steps(db, meta.snapshot_id, kpiset, kpi.id, period.label, scope=scope)
        except AccessDenied:
            steps = None
            st.caption("Fordelingen bygger på oplysninger på sagsniveau og vises ikke for din "
                       "rolle.")
        if steps is not None:
            st.altair_chart(deadline_distribution_chart(kpi, steps, period, as_of),
                            width="stretch", theme=None,
                            alt=distribution_alt_text(kpi, steps, period, as_of))
