"""Teams og sagsbehandlere: every KPI per team, per caseworker, and the case steps behind a figure.

The selection — period, team, caseworker, KPI — is bound to the URL's query parameters, so a
link reopens the same view and the browser's back button steps back through the drill-down.
A click on a cell of the table sets the same selection. Thin page: widgets → kpis → render.
"""

from __future__ import annotations

from functools import partial

import duckdb
import polars as pl
import streamlit as st

from kpis.compute.engine import AccessDenied
from kpis.compute.periods import parse_period
from kpis.present import drilldown as dd
from kpis.present.formatting import format_date_da
from kpis.present.period_choice import period_label_da
from kpis.present.tiles import is_estimate
from pages._access import NO_CASE_LEVEL_DA, audited_export, case_level_scope, record_view
from pages._committee import unknown_period_in_link
from pages._frame import current_snapshot
from pages._results import current_kpis, get_results, get_steps
from pages._widgets import DATE_FORMAT, DATETIME_FORMAT

TEXT = st.column_config.TextColumn
DATE = st.column_config.DateColumn
NUMBER = st.column_config.NumberColumn
PERIOD_PARAM = "periode"
PERIOD_KEY = "afdeling_periode"

db, meta = current_snapshot()
# The user's Scope: every engine call below takes it. Without case-level access the run stops.
scope = case_level_scope()
kpiset = current_kpis()
as_of = meta.as_of
names = {k.id: k.name for k in kpiset}

st.title("Teams og sagsbehandlere")
st.caption(
    "Nøgletallene pr. team og pr. sagsbehandler, og sagerne bag hvert tal. Klik på et tal i "
    "tabellen for at gå et niveau ned og se sagerne bag det. Linket i adresselinjen viser "
    "altid det samme udsnit."
)

# The period travels in the URL as the engine's label (?periode=2025-Q2), as on the committee
# pages, so a link from there opens the same period here. Streamlit's widget binding would write
# the Danish text instead, so this one is synced by hand: the URL wins when it changed from
# outside (a link, the Back button), the widget wins when the user picks.
asked_period = st.query_params.get(PERIOD_PARAM)
url_period = dd.period_from_url(asked_period, as_of)
periods = dd.period_choices(as_of, extra=url_period)
if asked_period != st.session_state.get("_periode_url"):
    st.session_state["_periode_url"] = asked_period
    st.session_state[PERIOD_KEY] = url_period or periods[0]
    if asked_period and url_period is None:
        unknown_period_in_link(asked_period, period_label_da(parse_period(periods[0])))
period_labels = {p: period_label_da(parse_period(p)) for p in periods}
# wide enough for "12 måneder til og med september 2026"
c_period, c_team, c_worker, c_kpi = st.columns([2.3, 1, 1.1, 1.7])
period = c_period.selectbox("Periode", periods, format_func=period_labels.__getitem__,
                            key=PERIOD_KEY)
if period == periods[0]:
    st.query_params.pop(PERIOD_PARAM, None)  # the default stays out of the link, as for the rest
else:
    st.query_params[PERIOD_PARAM] = period
st.session_state["_periode_url"] = st.query_params.get(PERIOD_PARAM)

results = get_results(db, meta.snapshot_id, kpiset, [period], by=("team", "caseworker"),
                      scope=scope)
teams = sorted({t for t in results.filter(pl.col("group_level") == "team")["team"].to_list()},
               key=dd.danish_sort_key)
team = c_team.selectbox("Team", teams, index=None, placeholder="Hele afdelingen", key="team",
                        bind="query-params")
workers = sorted(
    {c for c in results.filter((pl.col("group_level") == "team,caseworker")
                               & (pl.col("team") == team))["caseworker"].to_list()},
    key=dd.danish_sort_key) if team else []
caseworker = c_worker.selectbox(
    "Sagsbehandler", workers, index=None, key="sagsbehandler", bind="query-params",
    placeholder="Hele teamet" if team else "Vælg først et team", disabled=not team)
kpi_id = c_kpi.selectbox("Nøgletal", kpiset.ids, index=None, format_func=names.__getitem__,
                         key="noegletal", bind="query-params",
                         placeholder="Alle – eller klik på et tal")

where = " › ".join(["Hele afdelingen", *(x for x in (team, caseworker) if x)])
holds_as_of = dd.contains_as_of(period, as_of)
st.markdown(
    f"**{where}** · {period_labels[period]}"
    + (f" (data til og med {format_date_da(as_of)})" if holds_as_of else "")
)


def _select_cell(table_key: str, kpi_ids: tuple[str, ...],
                 columns: tuple[dd.PivotColumn, ...]) -> None:
    """A click on a figure selects its KPI and its team or caseworker (or the total)."""
    cells = st.session_state[table_key].selection.cells
    column = next((c for c in columns if cells and c.label == cells[0][1]), None)
    if column is None:
        # The KPI names' column: the grid also reports a cell there when a heading is clicked
        # to sort, and acting on it would throw the sorting away. The names are not figures.
        return
    st.session_state["noegletal"] = kpi_ids[cells[0][0]]
    st.session_state["team"] = column.team
    st.session_state["sagsbehandler"] = column.caseworker


def _table(kpi_ids: list[str], heading: str, key: str) -> None:
    if not kpi_ids:
        return
    p = dd.pivot(results, kpiset, kpi_ids, team=team)
    st.subheader(heading)
    table_key = f"{key}-{period}-{team}-{caseworker}-{kpi_id}"
    st.dataframe(
        dd.styled(p),
        hide_index=True,
        key=table_key,
        on_select=partial(_select_cell, table_key, p.kpis, p.columns),
        selection_mode="single-cell",
        row_height=dd.NAME_ROW_PX,
        height=dd.ROW_PX + dd.NAME_ROW_PX * len(p.kpis) + 3,  # every KPI without scrolling
        column_config={"Nøgletal": TEXT("Nøgletal", width=dd.NAME_PX, pinned=True),
                       **{c.label: NUMBER(c.label, width=p.group_px) for c in p.columns}},
    )
    if dd.scrolls_sideways(len(p.columns), p.group_px):
        st.caption(f"Tabellen har {len(p.columns)} kolonner med tal: rul vandret i den for at "
                   "se dem alle. Nøgletallets navn bliver stående.")


level = f"pr. sagsbehandler i {team}" if team else "pr. team"
_table([k.id for k in kpiset if not k.context and not is_estimate(k)], f"Nøgletal {level}",
       "pivot")
st.caption(dd.legend_da() + ". Tallet i parentes er antallet af sager, andelen er regnet af.")
# Figures from case reviews are estimates from a sample: a table of their own, whose wider
# cells also carry the 95 % interval.
estimates = [k.id for k in kpiset if not k.context and is_estimate(k)]
_table(estimates, f"Sagsgennemgang {level}", "review")
if estimates:
    st.caption(dd.legend_da(estimates=True) + ". Tallet i parentes er antallet af gennemgåede "
               "sager, andelen er regnet af.")
_table([k.id for k in kpiset if k.context], f"Kontekst {level}", "context")


def _figure(kpi: str) -> dict | None:
    """The figure's row in the tidy frame for the current selection."""
    if caseworker:
        rows = results.filter((pl.col("group_level") == "team,caseworker")
                              & (pl.col("team") == team) & (pl.col("caseworker") == caseworker))
    elif team:
        rows = results.filter((pl.col("group_level") == "team") & (pl.col("team") == team))
    else:
        rows = results.filter(pl.col("group_level") == "")
    rows = rows.filter(pl.col("kpi") == kpi)
    return rows.row(0, named=True) if rows.height else None


def _steps(kpi: str) -> pl.DataFrame | None:
    try:
        return get_steps(db, meta.snapshot_id, kpiset, kpi, period,
                         dd.group_of(team, caseworker), scope=scope)
    except AccessDenied:
        st.info(NO_CASE_LEVEL_DA)
    except duckdb.Error:
        # An engine fault must not take the page down; the figures above are still right.
        st.error(f"Sagerne bag »{names[kpi]}« kan ikke vises lige nu (fejl i beregningen).")
    return None


def _show_rows(rows: pl.DataFrame) -> None:
    rows = dd.without_empty(rows)
    timed = isinstance(rows.schema.get("Start"), pl.Datetime)
    moment = st.column_config.DatetimeColumn if timed else DATE
    fmt = DATETIME_FORMAT if timed else DATE_FORMAT
    width = {**dd.STEP_WIDTHS_PX, **({c: dd.TIMED_DATE_PX for c in ("Start", "Frist", "Afsluttet")}
                                     if timed else {})}
    config = {c: TEXT(c, width=width.get(c)) for c in rows.columns}
    config["Sagsnummer"] = TEXT("Sagsnummer", width=width["Sagsnummer"], pinned=True)
    config |= {c: moment(c, format=fmt, width=width[c])
               for c in ("Start", "Frist", "Afsluttet") if c in rows}
    config |= {c: NUMBER(c, format="localized", width=width[c])
               for c in ("Dage for sent", "Dage til fristen") if c in rows}
    st.dataframe(rows, hide_index=True, key="steps", placeholder="", column_config=config)
    if dd.rows_scroll_sideways(rows.columns, timed):
        st.caption("Rul vandret i tabellen for at se alle kolonner; sagsnummeret bliver stående.")
    # The table's own download is off (.streamlit/config.toml): this one is logged and safe to open.
    name = f"sager-{kpi_id}-{period}.csv"
    st.download_button("Hent sagerne som CSV",
                       audited_export(lambda: dd.rows_csv(rows), "afdeling", name, kpi=kpi_id,
                                      period=period),
                       file_name=name, mime="text/csv", key="steps_csv", on_click="ignore")


st.subheader("Sagerne bag tallet")
if kpi_id:
    kpi = kpiset[kpi_id]
    figure = _figure(kpi_id)
    steps = _steps(kpi_id)
    if steps is not None and figure is not None:
        record_view("afdeling", kpi=kpi_id, period=period, detail=where)
        totals = dd.reconcile(steps, holds_as_of)
        status = dd.Status(figure["status"])
        shown = dd.cell_text(kpi, figure["value"], figure["numerator"], figure["denominator"],
                             dd.Status.NONE, bool(figure["suppressed"]), full=True)
        if not figure["suppressed"] and status is not dd.Status.NONE:
            shown += f", {dd.LIGHTS[status].word}"
        st.markdown(f"**{kpi.name}** · {where}")
        # Keyed, so a check (and a screen reader's landmark) finds the sum next to the rows.
        st.container(key="steps-summary").markdown(
            f"**{dd.summary_da(kpi, totals)}** — det er tallet i tabellen: {shown}.")
        if not dd.matches(kpi, totals, figure):
            st.error("Sagerne nedenfor giver ikke tallet i tabellen. Det er en fejl; meld den "
                     "til analyseenheden med et link til denne side.")
        if extra := dd.extras_da(kpi, totals):
            st.caption(extra)
        st.caption(f"{len(steps)} rækker. Opgjort efter: {figure['rule']}" if figure["rule"]
                   else f"{len(steps)} rækker.")
        _show_rows(dd.step_rows(steps, names, kpi_id).drop("Trin"))
elif caseworker:
    frames, checks = [], []
    for k in dd.step_kpis(kpiset):
        steps = _steps(k)
        figure = _figure(k)
        if steps is None or figure is None:
            continue
        totals = dd.reconcile(steps, holds_as_of)
        checks.append({"Nøgletal": names[k], "Opgørelse": dd.summary_da(kpiset[k], totals),
                       "Afventer": totals.pending, "Overskredet, stadig åben": totals.overdue_open,
                       "Giver tallet i tabellen": "Ja" if dd.matches(kpiset[k], totals, figure)
                       else "NEJ – fejl"})
        frames.append(steps.with_columns(pl.lit(k).alias("kpi")))
    record_view("afdeling", period=period, detail=where)
    st.markdown(f"Alle sager bag **{caseworker}**s tal i perioden, nøgletal for nøgletal.")
    st.dataframe(pl.DataFrame(checks), hide_index=True, key="checks")
    if frames:
        _show_rows(dd.step_rows(pl.concat(frames, how="diagonal_relaxed"), names))
else:
    st.info("Klik på et tal i tabellen ovenfor, eller vælg et nøgletal eller en sagsbehandler, "
            "for at se sagerne bag tallet.")
