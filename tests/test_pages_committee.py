"""AppTest of the committee's pages: Overblik and Nøgletal on the demo database.

The figures on the page are checked against tiles built straight from the engine, so a page that
rounds, groups or compares differently from ``kpis.present`` fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import kpis
from kpis.compute.engine import compute
from kpis.compute.periods import PeriodKind, parse_period
from kpis.data.inventory import snapshot_info
from kpis.data.snapshot import connect
from kpis.present.counting import how_counted
from kpis.present.period_choice import (
    Comparison,
    latest_complete,
    periods_needed,
    trend_periods,
)
from kpis.present.tiles import build_tiles, sections
from kpis.rules.definitions import DeadlineKpi, load_kpis

pytestmark = pytest.mark.usefixtures("clear_streamlit_caches")

TIMEOUT = 120
APP = str(Path(__file__).resolve().parent.parent / "app.py")
KPIS = load_kpis(kpis.DEFAULT_KPIS)


def expected_tiles(db: Path, period_label: str, comparison: Comparison):
    as_of = snapshot_info(db).as_of
    period = parse_period(period_label)
    conn = connect(db)
    try:
        df = compute(conn, KPIS, periods_needed(period, comparison, as_of))
    finally:
        conn.close()
    return build_tiles(KPIS, df, period, comparison, trend_periods(period), as_of)


def open_app(page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def shown(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def deltas(at: AppTest) -> dict[str, str | None]:
    # A metric without a change (no figure to compare with) reads '' in AppTest.
    return {m.label: m.delta or None for m in at.metric}


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def test_overview_is_the_default_page_with_the_latest_complete_quarter(demo_db: Path):
    at = open_app()
    meta = snapshot_info(demo_db)
    default = latest_complete(PeriodKind.QUARTER, meta.as_of).label
    assert [t.value for t in at.title] == ["Overblik"]
    assert at.query_params["periode"] == [default] or at.query_params["periode"] == default
    assert at.selectbox(key="udvalg_periode").value == default
    tiles = expected_tiles(demo_db, default, Comparison.PREVIOUS)
    assert [h.value for h in at.subheader] == [title for title, _ in sections(tiles)]
    assert [h.value for h in at.subheader][:4] == [
        "Faglig udredning", "Valg af indsats", "Opfølgning", "Inddragelse"]
    assert shown(at) == {t.name: t.value_text for t in tiles}
    assert deltas(at) == {t.name: t.change.summary if t.change else None for t in tiles}
    assert f"Data opgjort pr. **{meta.as_of.day}." in texts(at)
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Hent bilag til udvalgsmøde (PDF)", "Hent bilag til udvalgsmøde (Word)",
                      "Hent tallene i Excel",
                      "Hent rapport om sagsmålingen (PDF)", "Hent sagsmålingen i Excel"]
    badges = texts(at)
    for t in tiles:
        assert t.n_text in badges


def test_changing_the_period_changes_figures_and_link(demo_db: Path):
    at = open_app()
    at.selectbox(key="udvalg_periode").select("2025-Q2").run()
    assert not at.exception
    assert at.query_params["periode"] in ("2025-Q2", ["2025-Q2"])
    tiles = expected_tiles(demo_db, "2025-Q2", Comparison.PREVIOUS)
    assert shown(at) == {t.name: t.value_text for t in tiles}
    assert "**2. kvartal 2025** (1. april 2025 – 30. juni 2025) sammenlignet med " \
           "**1. kvartal 2025**." in texts(at)


def test_changing_the_period_type_picks_its_latest_complete_period(demo_db: Path):
    at = open_app()
    at.selectbox(key="udvalg_periodetype").select(PeriodKind.YEAR.value).run()
    assert not at.exception
    as_of = snapshot_info(demo_db).as_of
    year = latest_complete(PeriodKind.YEAR, as_of).label
    assert at.selectbox(key="udvalg_periode").value == year
    assert shown(at) == {t.name: t.value_text
                         for t in expected_tiles(demo_db, year, Comparison.PREVIOUS)}
    at.selectbox(key="udvalg_periodetype").select(PeriodKind.ROLLING_12.value).run()
    r12 = latest_complete(PeriodKind.ROLLING_12, as_of).label
    assert at.selectbox(key="udvalg_periode").value == r12 and not at.exception


def test_comparing_with_the_same_period_last_year(demo_db: Path):
    at = open_app()
    period = at.selectbox(key="udvalg_periode").value
    at.radio(key="udvalg_sammenlign").set_value(Comparison.LAST_YEAR.value).run()
    assert not at.exception
    assert at.query_params["sammenlign"] in ("sidste_aar", ["sidste_aar"])
    tiles = expected_tiles(demo_db, period, Comparison.LAST_YEAR)
    assert deltas(at) == {t.name: t.change.summary if t.change else None for t in tiles}
    last_year = parse_period(period).same_last_year()
    assert f"sammenlignet med **{tiles[0].comparison_da}**" in texts(at)
    assert tiles[0].comparison_da.endswith(str(last_year.start.year))


def test_a_link_opens_its_period_and_comparison(demo_db: Path):
    at = open_app(periode="2025-03", sammenlign="sidste_aar")
    assert at.selectbox(key="udvalg_periodetype").value == PeriodKind.MONTH.value
    assert at.selectbox(key="udvalg_periode").value == "2025-03"
    assert at.radio(key="udvalg_sammenlign").value == "sidste_aar"
    tiles = expected_tiles(demo_db, "2025-03", Comparison.LAST_YEAR)
    assert shown(at) == {t.name: t.value_text for t in tiles}


def test_a_broken_link_falls_back_to_the_default(demo_db: Path):
    at = open_app(periode="kvartal-3", sammenlign="hvadsomhelst")
    as_of = snapshot_info(demo_db).as_of
    assert at.selectbox(key="udvalg_periode").value == \
        latest_complete(PeriodKind.QUARTER, as_of).label
    assert at.radio(key="udvalg_sammenlign").value == "forrige"


@pytest.mark.parametrize("kpi_id, charts", [("bfu_4_mdr", 3), ("plan_maalbare_maal", 2)])
def test_kpi_detail_page(demo_db: Path, kpi_id: str, charts: int):
    at = open_app("pages/noegletal.py", kpi=kpi_id, periode="2025-Q4")
    kpi = KPIS[kpi_id]
    assert [t.value for t in at.title] == [kpi.name]
    assert at.selectbox(key="udvalg_kpi").value == kpi_id
    assert at.selectbox(key="udvalg_periode").value == "2025-Q4"
    headers = [h.value for h in at.subheader]
    # both KPIs serve a goal of the demo's udviklingsplan (config/plan.yaml)
    assert headers[:5] == ["Hvad måles?", "Lovgrundlag", "Mål i udviklingsplanen",
                           "Sådan tælles det", "Teams, 4. kvartal 2025"]
    assert ("Fristerne i perioden" in headers) == (charts == 3)
    body = texts(at)
    assert kpi.description in body
    for line in how_counted(kpi, plain=True):
        assert f"**{line.label}:** {line.text}" in body
    # the committee reads the rule in words, never the expression or a column name
    assert [w for w in ("coalesce", "goals_total", "aware_on", "completed_on", "`")
            if w in body] == []
    assert kpi.legal_basis.barnets_lov in body
    assert len(at.get("vega_lite_chart")) == charts
    tile = next(t for t in expected_tiles(demo_db, "2025-Q4", Comparison.PREVIOUS)
                if t.kpi_id == kpi_id)
    assert shown(at) == {kpi.name: tile.value_text}
    assert at.dataframe[0].value["gruppe"].str.startswith("Team").all()


def test_detail_page_follows_period_and_kpi_changes(demo_db: Path):
    at = open_app("pages/noegletal.py", kpi="bfu_4_mdr")
    at.selectbox(key="udvalg_periode").select("2025-Q1").run()
    at.radio(key="udvalg_sammenlign").set_value("sidste_aar").run()
    assert not at.exception
    tiles = {t.kpi_id: t for t in expected_tiles(demo_db, "2025-Q1", Comparison.LAST_YEAR)}
    assert shown(at) == {KPIS["bfu_4_mdr"].name: tiles["bfu_4_mdr"].value_text}
    at.selectbox(key="udvalg_kpi").select("tilsyn_2_aarligt").run()
    assert not at.exception
    assert [t.value for t in at.title] == [KPIS["tilsyn_2_aarligt"].name]
    assert at.query_params["kpi"] in ("tilsyn_2_aarligt", ["tilsyn_2_aarligt"])
    assert at.selectbox(key="udvalg_periode").value == "2025-Q1"
    assert shown(at) == {KPIS["tilsyn_2_aarligt"].name: tiles["tilsyn_2_aarligt"].value_text}


def test_the_choice_survives_a_visit_to_another_page(demo_db: Path):
    at = open_app()
    at.selectbox(key="udvalg_periode").select("2025-Q3").run()
    at.switch_page("pages/oversigt_data.py").run()
    at.switch_page("pages/overblik.py").run()
    assert not at.exception
    assert at.selectbox(key="udvalg_periode").value == "2025-Q3"


@pytest.mark.signed_in_as("committee")
def test_a_committee_member_sees_suppressed_figures_and_no_case_level_distribution(demo_db):
    from kpis.access.roles import Role, scope_for
    scope = scope_for(Role.COMMITTEE)
    as_of = snapshot_info(demo_db).as_of
    conn = connect(demo_db)
    try:
        # a KPI and a quarter whose teams the committee partly may not see (no months since
        # issue 11; in the demo's choosable quarters the small teams are of the context figures
        # and supervision visits)
        from tests.withheld import withheld_teams

        kpi_id, period, full = withheld_teams(conn, KPIS, as_of)
        hidden = full["team"]
        df = compute(conn, KPIS, periods_needed(period, Comparison.PREVIOUS, as_of), scope=scope)
    finally:
        conn.close()
    assert hidden.len() >= 1  # a quarter by team has teams under 5 in the demo
    at = open_app("pages/noegletal.py", kpi=kpi_id, periode=period.label)
    tile = next(t for t in build_tiles(KPIS, df, period, Comparison.PREVIOUS,
                                       trend_periods(period), as_of) if t.kpi_id == kpi_id)
    assert shown(at) == {KPIS[kpi_id].name: tile.value_text}
    if isinstance(KPIS[kpi_id], DeadlineKpi):
        body = texts(at)
        assert "vises ikke for din rolle" in body or "skjult" in body
    assert len(at.get("vega_lite_chart")) == 2  # trend and teams; no case-level distribution
    table = at.dataframe[0].value
    for team in hidden.to_list():
        assert table.loc[table["gruppe"] == team, "værdi"].item() == "skjult"
    assert not any(str(v).startswith("0,") for v in table["værdi"])


@pytest.mark.signed_in_as("committee")
def test_the_committee_picks_no_months(demo_db):
    # Issue 11: a month (or twelve months a month apart) lets a small count be recovered from
    # its quarter by subtraction. A link to a month opens the default quarter instead; the
    # period types offered are quarter, year and twelve months ending at a quarter's end.
    at = open_app(periode="2025-03")
    as_of = snapshot_info(demo_db).as_of
    assert at.selectbox(key="udvalg_periode").value == \
        latest_complete(PeriodKind.QUARTER, as_of).label
    assert at.selectbox(key="udvalg_periodetype").options == ["Kvartal", "År",
                                                              "Løbende 12 måneder"]
    at.selectbox(key="udvalg_periodetype").select(PeriodKind.ROLLING_12_QUARTERS.value).run()
    assert not at.exception
    r12 = latest_complete(PeriodKind.ROLLING_12_QUARTERS, as_of)
    assert at.selectbox(key="udvalg_periode").value == r12.label
    assert r12.end.month % 3 == 0
    # an analyst's link to twelve months ending at a quarter's end opens the same days
    at = open_app(periode="R12-2025-06")
    assert at.selectbox(key="udvalg_periode").value == "R12-2025-Q2"


@pytest.mark.signed_in_as("analyst")
def test_an_analysts_month_gets_no_meeting_papers(demo_db):
    # The papers are the committee's; the committee has no months.
    at = open_app(periode="2025-03")
    assert at.selectbox(key="udvalg_periode").value == "2025-03"
    # The sagsmåling report is about review rounds, not the chosen period, so it stays offered.
    papers = [b for b in at.get("download_button") if "udvalgsmøde" in b.proto.label]
    assert papers == []
    assert "dannes kun for de perioder, udvalget kan vælge" in texts(at)
