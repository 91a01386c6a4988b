"""Fristoversigt: every open case step on the as-of date, most urgent first, with filters and an
export that is exactly the table on the screen.

The filters are bound to the URL, so a team leader can keep a link to "my team, due within 14
days". Thin page: widgets → kpis.present.worklist → render.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from kpis.compute.engine import AccessDenied
from kpis.present import worklist as wl
from kpis.present.drilldown import danish_sort_key
from kpis.present.formatting import format_date_da, format_int_da
from kpis.review import store as review_store
from kpis.review.present import mangler_table
from pages._access import NO_CASE_LEVEL_DA, audited_export, case_level_scope, record_view
from pages._frame import current_snapshot
from pages._results import current_kpis, get_worklist
from pages._widgets import DATE_FORMAT

DATE = st.column_config.DateColumn
NUMBER = st.column_config.NumberColumn
TEXT = st.column_config.TextColumn

db, meta = current_snapshot()
# The user's Scope: every engine call below takes it. Without case-level access the run stops.
scope = case_level_scope()
kpiset = current_kpis()
as_of = meta.as_of

st.title("Fristoversigt")
st.caption(
    f"Alle åbne sagstrin med en lovbestemt frist pr. {format_date_da(as_of)}, de mest "
    "presserende først. Overskredne frister står øverst, derefter dem der udløber snart. "
    "Eksporten indeholder præcis de rækker, der vises."
)

try:
    steps = wl.prepare(get_worklist(db, meta.snapshot_id, kpiset, scope=scope), as_of)
except AccessDenied:
    st.info(NO_CASE_LEVEL_DA)
    st.stop()
opts = wl.options(steps, kpiset.ids)

c_horizon, c_team, c_worker = st.columns([1.3, 1, 1])
horizon = c_horizon.selectbox(
    "Frister", list(wl.Horizon), format_func=lambda h: h.label_da, key="frist",
    bind="query-params")
team = c_team.selectbox("Team", sorted(opts.teams, key=danish_sort_key), index=None,
                        placeholder="Alle teams", key="team", bind="query-params")
caseworker = c_worker.selectbox(
    "Sagsbehandler", sorted(opts.caseworkers_of(team), key=danish_sort_key), index=None,
    placeholder="Alle sagsbehandlere", key="sagsbehandler", bind="query-params")
c_kpi, c_regime = st.columns([2.3, 1])
kpi_ids = c_kpi.multiselect("Sagstrin", list(opts.kpis), format_func=opts.kpis.__getitem__,
                            placeholder="Alle sagstrin", key="trin", bind="query-params",
                            select_all=False)
regimes = c_regime.multiselect("Lovgrundlag", list(opts.regimes),
                               format_func=wl.REGIME_LABELS_DA.__getitem__,
                               placeholder="Begge", key="lov", bind="query-params",
                               select_all=False)

chosen = wl.WorklistFilter(
    horizon=horizon,
    teams=(team,) if team else (),
    caseworkers=(caseworker,) if caseworker else (),
    kpis=tuple(kpi_ids),
    regimes=tuple(regimes),
)
# The counts at the top ignore the deadline filter: they are the choices it offers.
around = wl.apply_filter(steps, replace(chosen, horizon=wl.Horizon.ALL))
counts = wl.horizon_counts(around)
cols = st.columns(4)
for col, h in zip(cols, (wl.Horizon.OVERDUE, wl.Horizon.DUE_7, wl.Horizon.DUE_14,
                         wl.Horizon.DUE_30), strict=True):
    col.metric(h.label_da, format_int_da(counts[h]))

rows = wl.apply_filter(steps, chosen)
shown = wl.table(rows)
filters = wl.filter_text_da(chosen)  # for the audit log

st.subheader(f"{horizon.label_da}: {format_int_da(shown.height)} sagstrin")
if shown.height == 0:
    st.success("Ingen åbne frister med de valgte filtre.")
else:
    record_view("fristoversigt", detail=f"{filters}; {shown.height} rækker")
    d1, d2, _ = st.columns([1, 1, 3])
    stem = f"fristoversigt-{as_of.isoformat()}"
    # Made when clicked, and logged then, with the filters that chose the rows.
    d1.download_button("Hent som CSV",
                       audited_export(lambda: wl.to_csv_bytes(shown), "fristoversigt",
                                      f"{stem}.csv ({filters}; {shown.height} rækker)"),
                       file_name=f"{stem}.csv", mime="text/csv", key="csv", on_click="ignore")
    d2.download_button("Hent som Excel",
                       audited_export(lambda: wl.to_excel_bytes(shown), "fristoversigt",
                                      f"{stem}.xlsx ({filters}; {shown.height} rækker)"),
                       file_name=f"{stem}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="xlsx", on_click="ignore")
    st.dataframe(
        wl.for_grid(shown),
        hide_index=True,
        key="frister",
        placeholder="",
        column_config={
            "Frist": DATE("Frist", format=DATE_FORMAT),
            "Startdato": DATE("Startdato", format=DATE_FORMAT),
            "Dage over fristen": NUMBER("Dage over fristen", format="localized"),
            "Dage til fristen": NUMBER("Dage til fristen", format="localized"),
            # wide enough for the longest step name (no "…"); the grid scrolls sideways
            "Trin": TEXT("Trin", width=400),
            # The urgency stays in view when the rest scrolls sideways.
            shown.columns[0]: TEXT(shown.columns[0], pinned=True),
        },
    )
    st.caption("Frist: den dag, trinnet senest skal være gjort. For underretninger gælder 24 "
               "timer fra modtagelsen; her vises dagen.")
    st.subheader("Hvem har dem?")
    st.caption("De viste sagstrin pr. sagsbehandler, flest først.")
    st.dataframe(wl.per_caseworker(rows), hide_index=True, key="hvem",
                 column_config={"Tidligste frist": DATE("Tidligste frist", format=DATE_FORMAT)})

# What a case review found and the caseworker must correct: on the worklist until it is closed.
open_mangler = review_store.mangler(scope)
if not open_mangler.is_empty():
    st.subheader(f"Åbne mangler fra sagsgennemgang: {format_int_da(open_mangler.height)}")
    st.caption("Det, en sagsgennemgang har fundet, og som sagsbehandleren skal rette inden "
               "fristen. Mangler lukkes under Sagsgennemgang.")
    st.dataframe(mangler_table(open_mangler), hide_index=True, key="aabne_mangler",
                 column_config={"Frist": DATE("Frist", format=DATE_FORMAT)})
