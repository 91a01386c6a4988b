"""AppTest of the department heads' pages on the demo database: Teams og sagsbehandlere,
Fristoversigt and Sagsbelastning.

Every figure a page shows is checked against the engine (or the caseload module) called directly
with the same arguments: the pages may only render what ``kpis`` computed. The selection comes
from the URL's query parameters, as a shared link gives it, and from the widgets.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

import kpis
from kpis.compute import caseload
from kpis.compute.engine import case_steps, compute, open_steps
from kpis.data.snapshot import connect
from kpis.present import drilldown as dd
from kpis.present import worklist as wl
from kpis.present.formatting import format_int_da, format_number_da
from kpis.present.tiles import is_estimate
from kpis.rules.definitions import load_kpis
from kpis.settings import default_settings

pytestmark = pytest.mark.usefixtures("clear_streamlit_caches")

TIMEOUT = 120
APP = str(Path(__file__).resolve().parent.parent / "app.py")
DRILL, WORKLIST, CASELOAD = "pages/afdeling.py", "pages/fristoversigt.py", "pages/sagsbelastning.py"
BFU = "bfu_4_mdr"


@pytest.fixture(scope="module")
def kpiset():
    return load_kpis(kpis.DEFAULT_KPIS)


@pytest.fixture(scope="module")
def conn(demo_db):
    c = connect(demo_db)
    yield c
    c.close()


@pytest.fixture(scope="module")
def as_of(conn):
    from kpis.compute.engine import snapshot_as_of

    return snapshot_as_of(conn)


def _open(page: str, params: dict[str, str | list[str]] | None = None) -> AppTest:
    """The page as a link opens it: exactly these query parameters (the default page's own,
    such as the overview's period, are dropped)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.query_params.clear()
    at.query_params.update(params or {})
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [i.value for i in at.info]
    return "\n".join(parts)


def _figure(conn, kpiset, period, level, team=None, caseworker=None, kpi=BFU) -> dict:
    res = compute(conn, kpiset, [period], by=("team", "caseworker"))
    rows = res.filter((pl.col("kpi") == kpi) & (pl.col("group_level") == level))
    if team:
        rows = rows.filter(pl.col("team") == team)
    if caseworker:
        rows = rows.filter(pl.col("caseworker") == caseworker)
    assert rows.height == 1
    return rows.row(0, named=True)


def _busiest(conn, kpiset, period):
    """The team and caseworker with the most BFU steps in the period: a figure worth opening."""
    res = compute(conn, kpiset, [period], by=("team", "caseworker"), kpi_ids=[BFU])
    row = res.filter(pl.col("group_level") == "team,caseworker").sort(
        "denominator", descending=True).row(0, named=True)
    return row["team"], row["caseworker"]


# --- Teams og sagsbehandlere ------------------------------------------------------------------


def test_department_view_has_every_kpi_by_team_with_the_engines_total(conn, kpiset, as_of):
    at = _open(DRILL)
    period = f"R12-{as_of.year}-{as_of.month:02d}"
    assert at.selectbox(key="afdeling_periode").value == period
    assert [t.value for t in at.title] == ["Teams og sagsbehandlere"]
    pivot = at.dataframe[0].value
    res = compute(conn, kpiset, [period], by=("team",))
    teams = sorted(set(res.filter(pl.col("group_level") == "team")["team"].to_list()))
    assert list(pivot.columns) == ["Nøgletal", "Hele afdelingen", *teams]
    # the case reviews' estimates have a table of their own (wider cells with the interval)
    targets = [k for k in kpiset if not k.context and not is_estimate(k)]
    estimates = [k for k in kpiset if not k.context and is_estimate(k)]
    assert list(pivot["Nøgletal"]) == [k.name for k in targets]
    review = at.dataframe[1].value
    assert estimates and list(review["Nøgletal"]) == [k.name for k in estimates]
    assert "Sagsgennemgang pr. team" in [s.value for s in at.subheader]
    for i, kpi in enumerate(targets):
        total = res.filter((pl.col("kpi") == kpi.id) & (pl.col("group_level") == "")).row(
            0, named=True)
        # A figure with no case in the period (a review programme not yet used) has none.
        assert pivot["Hele afdelingen"][i] == pytest.approx(
            dd.NO_FIGURE if total["value"] is None else total["value"])
        for team in teams:
            rows = res.filter((pl.col("kpi") == kpi.id) & (pl.col("team") == team)
                              & (pl.col("group_level") == "team"))
            # The engine has a team's row only where the team has cases in the figure: a case
            # review's sample need not reach every team, and such a cell has no figure.
            value = rows["value"][0] if rows.height else None
            shown = dd.NO_FIGURE if value is None else value
            assert pivot[team][i] == pytest.approx(shown)
    context = at.dataframe[2].value
    assert list(context["Nøgletal"]) == [k.name for k in kpiset if k.context]
    assert "● målet er nået · ▲ tæt på målet · ■ langt fra målet" in _texts(at)
    assert "Klik på et tal i tabellen" in _texts(at)


def test_a_link_reopens_team_caseworker_and_the_cases_behind_the_figure(conn, kpiset):
    period = "2025-Q2"
    team, caseworker = _busiest(conn, kpiset, period)
    at = _open(DRILL, {"periode": period, "team": team, "sagsbehandler": caseworker,
                       "noegletal": kpiset[BFU].name})
    assert at.selectbox(key="afdeling_periode").value == period
    assert at.selectbox(key="team").value == team
    assert at.selectbox(key="sagsbehandler").value == caseworker
    assert at.selectbox(key="noegletal").value == BFU
    assert f"Hele afdelingen › {team} › {caseworker}" in _texts(at)

    figure = _figure(conn, kpiset, period, "team,caseworker", team, caseworker)
    steps = case_steps(conn, kpiset, BFU, period, {"team": team, "caseworker": caseworker})
    headline = (f"**{format_int_da(figure['numerator'])} af "
                f"{format_int_da(figure['denominator'])} til tiden")
    assert headline in _texts(at)
    assert "giver ikke tallet" not in _texts(at)
    rows = at.dataframe[-1].value
    assert len(rows) == steps.height
    counted = rows["Tæller med i tallet"]
    assert counted.str.startswith("Ja").sum() == figure["denominator"]
    assert (counted == "Ja, i tæller og nævner").sum() == figure["numerator"]
    assert (rows["Status"] == "Afventer").sum() == figure["pending"]
    assert set(rows["Sagsbehandler"]) == {caseworker}
    assert "Trin" not in rows.columns  # one KPI: its name is the heading
    assert not {"cpr", "CPR", "child_id", "Barn", "Navn", "birth_date"} & set(rows.columns)


def test_team_then_caseworker_by_widgets(conn, kpiset):
    period = "2025-Q2"
    team, caseworker = _busiest(conn, kpiset, period)
    at = _open(DRILL, {"periode": period})
    assert at.selectbox(key="sagsbehandler").disabled
    at.selectbox(key="team").select(team).run()
    assert not at.exception
    pivot = at.dataframe[0].value
    assert list(pivot.columns)[:2] == ["Nøgletal", "Hele teamet"]
    team_row = _figure(conn, kpiset, period, "team", team)
    assert pivot["Hele teamet"][list(pivot["Nøgletal"]).index(kpiset[BFU].name)] == (
        pytest.approx(team_row["value"]))
    assert caseworker in at.selectbox(key="sagsbehandler").options

    at.selectbox(key="sagsbehandler").select(caseworker).run()
    assert not at.exception
    # A caseworker without a chosen KPI: every case step behind every one of their figures,
    # with a check per KPI that the rows give the figure.
    checks = at.dataframe[3].value
    assert set(checks["Giver tallet i tabellen"]) == {"Ja"}
    rows = at.dataframe[-1].value
    assert "Trin" in rows.columns and set(rows["Sagsbehandler"]) == {caseworker}

    at.selectbox(key="noegletal").select(BFU).run()
    figure = _figure(conn, kpiset, period, "team,caseworker", team, caseworker)
    assert (at.dataframe[-1].value["Tæller med i tallet"].str.startswith("Ja").sum()
            == figure["denominator"])

    # Clearing the team goes back to the department and forgets the caseworker.
    at.selectbox(key="team").set_value(None).run()
    assert at.selectbox(key="sagsbehandler").value is None
    assert list(at.dataframe[0].value.columns)[1] == "Hele afdelingen"


def test_department_level_case_list_adds_up_to_the_total(conn, kpiset, as_of):
    period = f"{as_of.year}-Q{(as_of.month - 1) // 3 + 1}"  # holds the as-of date
    at = _open(DRILL, {"periode": period, "noegletal": kpiset[BFU].name})
    figure = _figure(conn, kpiset, period, "")
    rows = at.dataframe[-1].value
    assert (rows["Tæller med i tallet"] == "Ja, i tæller og nævner").sum() == figure["numerator"]
    assert (rows["Status"] == "Afventer").sum() == figure["pending"]
    assert (rows["Status"] == "Overskredet – stadig åben").sum() == figure["overdue_open"]
    assert "giver ikke tallet" not in _texts(at)


def test_the_cases_behind_a_figure_have_a_download_of_their_own(kpiset, as_of):
    # the table's own CSV download is off (.streamlit/config.toml): this button replaces it
    period = f"{as_of.year}-Q{(as_of.month - 1) // 3 + 1}"
    at = _open(DRILL, {"periode": period, "noegletal": kpiset[BFU].name})
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Hent sagerne som CSV"]
    assert not _open(DRILL, {"periode": period}).get("download_button")  # no KPI, no rows


def test_nonsense_in_the_link_falls_back_to_the_defaults(as_of):
    at = _open(DRILL, {"periode": "2099-Q1", "team": "Team Atlantis",
                       "sagsbehandler": "Ingen", "noegletal": "<script>"})
    assert at.selectbox(key="afdeling_periode").value == f"R12-{as_of.year}-{as_of.month:02d}"
    assert at.selectbox(key="team").value is None
    assert at.selectbox(key="noegletal").value is None


def test_every_kpi_opens_without_breaking_the_page(kpiset):
    for kpi in kpiset:
        at = _open(DRILL, {"team": "Team Nord", "noegletal": kpi.name})
        # A figure whose case list the engine cannot produce says so and keeps the page.
        assert not at.exception, kpi.id
        for err in at.error:
            assert "kan ikke vises lige nu" in err.value, (kpi.id, err.value)


# --- Fristoversigt ------------------------------------------------------------------------------


def _worklist(conn, kpiset, as_of) -> pl.DataFrame:
    return wl.prepare(open_steps(conn, kpiset), as_of)


def test_worklist_shows_every_open_step_most_urgent_first(conn, kpiset, as_of):
    at = _open(WORKLIST)
    steps = _worklist(conn, kpiset, as_of)
    shown = at.dataframe[0].value
    assert len(shown) == steps.height
    assert list(shown["Sagsnummer"]) == steps["case_id"].to_list()
    assert list(shown.columns) == [label for _, label in wl.COLUMNS_DA]
    metrics = {m.label: m.value for m in at.metric}
    counts = wl.horizon_counts(steps)
    assert metrics == {h.label_da: format_int_da(counts[h]) for h in (
        wl.Horizon.OVERDUE, wl.Horizon.DUE_7, wl.Horizon.DUE_14, wl.Horizon.DUE_30)}
    assert len(at.get("download_button")) == 2


def test_worklist_filters_from_the_link_answer_who_misses_what_in_14_days(conn, kpiset, as_of):
    steps = _worklist(conn, kpiset, as_of)
    team = steps.filter(pl.col("bucket") == "within_7")["team"][0]
    at = _open(WORKLIST, {"frist": wl.Horizon.DUE_14.label_da, "team": team})
    expected = wl.apply_filter(steps, wl.WorklistFilter(horizon=wl.Horizon.DUE_14,
                                                        teams=(team,)))
    shown = at.dataframe[0].value
    assert list(shown["Sagsnummer"]) == expected["case_id"].to_list()
    assert set(shown["Team"]) == {team}
    assert shown["Dage til fristen"].between(0, 14).all()
    assert (shown["Frist"].dt.date <= as_of + timedelta(days=14)).all()
    who = at.dataframe[1].value
    assert who["Sagstrin"].sum() == len(shown)
    assert set(who["Sagsbehandler"]) == set(shown["Sagsbehandler"])
    assert f"{wl.Horizon.DUE_14.label_da}: {format_int_da(len(shown))} sagstrin" in [
        s.value for s in at.subheader]


def test_worklist_filters_by_widgets(conn, kpiset, as_of):
    steps = _worklist(conn, kpiset, as_of)
    at = _open(WORKLIST)
    team = min(steps["team"].unique().to_list())
    at.selectbox(key="team").select(team).run()
    caseworker = at.selectbox(key="sagsbehandler").options[0]
    at.selectbox(key="sagsbehandler").select(caseworker).run()
    at.multiselect(key="trin").select(BFU).run()
    at.multiselect(key="lov").select("barnets_lov").run()
    at.selectbox(key="frist").select(wl.Horizon.OVERDUE).run()
    assert not at.exception
    expected = wl.apply_filter(steps, wl.WorklistFilter(
        horizon=wl.Horizon.OVERDUE, teams=(team,), caseworkers=(caseworker,), kpis=(BFU,),
        regimes=("barnets_lov",)))
    if expected.height:
        shown = at.dataframe[0].value
        assert list(shown["Sagsnummer"]) == expected["case_id"].to_list()
        assert set(shown["Hastende"]) == {"Overskredet"}
    else:
        assert at.success[0].value == "Ingen åbne frister med de valgte filtre."


# --- Sagsbelastning ------------------------------------------------------------------------------


def test_caseload_page_shows_the_engines_counts_and_the_norm(conn, as_of):
    at = _open(CASELOAD)
    norm = default_settings().department.caseload_norm
    spread = caseload.team_distribution(caseload.open_cases_per_caseworker(conn), norm)
    total = spread.filter(pl.col("team") == "I alt").row(0, named=True)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Åbne sager"] == format_int_da(total["open_cases"])
    assert metrics["Sagsbehandlere"] == format_int_da(total["caseworkers"])
    assert metrics["Sager pr. sagsbehandler"] == format_number_da(total["average"], 1)
    assert metrics[f"Over normen på {norm}"] == format_int_da(total["above_norm"])
    table = at.dataframe[0].value
    assert list(table["Team"]) == spread["team"].to_list()
    assert list(table["Åbne sager"]) == spread["open_cases"].to_list()
    charts = at.get("vega_lite_chart")
    assert len(charts) == 3
    spec = json.loads(charts[0].proto.spec)
    assert f"normen på {norm}" in spec["title"]["text"]
    assert f'"datum": {norm}' in charts[0].proto.spec  # the norm line


def test_caseload_for_one_team_on_an_earlier_day(conn, as_of):
    team = min(caseload.open_cases_per_caseworker(conn)["team"].unique().to_list())
    at = _open(CASELOAD, {"belastning_team": team})
    day = as_of - timedelta(days=90)
    at.date_input(key="dato").set_value(day).run()
    assert not at.exception
    open_cases = caseload.open_cases_per_caseworker(conn, day, team=team)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Åbne sager"] == format_int_da(open_cases["open_cases"].sum())
    table = at.dataframe[0].value
    assert list(table["Team"]) == [team, "I alt"]
