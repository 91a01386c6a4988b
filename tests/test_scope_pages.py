"""Each role sees exactly its part, through the pages (AppTest on the demo database).

- A committee member sees "skjult" where a figure is too small — its numbers are in no text,
  table or chart data of the page — and reaches no case list: not through the menu, and a case
  page run by itself stops with a message; the engine and the caseload queries refuse the scope.
- A department head sees their own teams only: the team choices, the drill-down's columns and
  case rows, the department total (computed over their teams), the worklist and what its exports
  are made of, and the caseload.
- Case rows viewed go in the audit log, once per view; the Administration page shows the log.

Expected figures come from the engine called directly with the role's scope (and, for what must
stay hidden, with an analyst's).
"""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import kpis
from kpis.access import audit
from kpis.access.audit import AuditAction, AuditFilter
from kpis.access.demo_users import demo_user
from kpis.access.roles import Role, scope_for
from kpis.compute import caseload
from kpis.compute.engine import AccessDenied, case_steps, compute, open_steps, snapshot_as_of
from kpis.compute.periods import PeriodKind
from kpis.data.snapshot import connect
from kpis.present import worklist as wl
from kpis.present.formatting import format_int_da
from kpis.present.period_choice import (
    Comparison,
    latest_complete,
    period_short_da,
    periods_needed,
    trend_periods,
)
from kpis.present.tiles import build_tiles, format_value
from kpis.rules.definitions import DeadlineKpi, load_kpis
from pages._access import NO_CASE_LEVEL_DA
from tests.withheld import withheld_teams, withheld_total

pytestmark = pytest.mark.usefixtures("clear_streamlit_caches")

TIMEOUT = 120
ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
OVERVIEW, DETAIL = "pages/overblik.py", "pages/noegletal.py"
DRILL, WORKLIST, CASELOAD = "pages/afdeling.py", "pages/fristoversigt.py", "pages/sagsbelastning.py"
ADMIN = "pages/admin.py"
BFU = "bfu_4_mdr"
HIDDEN = "skjult"
COMMITTEE = scope_for(Role.COMMITTEE)
HEAD = demo_user(Role.DEPARTMENT_HEAD).user
HEAD_SCOPE = scope_for(Role.DEPARTMENT_HEAD, HEAD.teams)
# Texts that can only come from a figure under 5: "n = 3", "2 af 4 …".
SMALL_COUNT = re.compile(r"\bn = [1-4]\b|\b\d+ af [1-4]\b")

committee = pytest.mark.signed_in_as(Role.COMMITTEE)
department_head = pytest.mark.signed_in_as(Role.DEPARTMENT_HEAD)
administrator = pytest.mark.signed_in_as(Role.ADMINISTRATOR)


@pytest.fixture(scope="module")
def kpiset():
    return load_kpis(kpis.DEFAULT_KPIS)


@pytest.fixture(scope="module")
def conn(demo_db):
    c = connect(demo_db)
    yield c
    c.close()


@pytest.fixture(scope="module")
def as_of(conn) -> date:
    return snapshot_as_of(conn)


def _open(page: str, params: dict[str, str] | None = None) -> AppTest:
    """The page as a link opens it, through app.py and its menu for the signed-in role."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.query_params.clear()
    at.query_params.update(params or {})
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _alone(page: str) -> AppTest:
    """The page file run by itself, as Streamlit would run a typed address without the menu."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.value for e in at.error] + [i.value for i in at.info]
    parts += [m.value for m in at.metric] + [s.value for s in at.subheader]
    parts += [df.value.to_csv() for df in at.dataframe]
    return "\n".join(parts)


def _chart_data(at: AppTest) -> list[tuple[str, list[dict]]]:
    """Every Vega-Lite chart's data: the inline values in its spec and its named datasets."""
    out = []
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        out.append(("spec", [spec]))
        for d in chart.proto.datasets:
            out.append((d.name, pa.ipc.open_stream(d.data.data).read_all().to_pylist()))
    return out


# --- committee ---------------------------------------------------------------------------------


@committee
def test_committee_overview_shows_the_withheld_tile_and_none_of_its_numbers(conn, kpiset, as_of):
    # Since issue 11 the committee chooses no months; in the demo a department figure it may not
    # see lies in a quarter's trend (the choosable quarters' own figures rest on 5 or more).
    kpi_id, quarter, period, full = withheld_total(conn, kpiset, as_of)  # full: an analyst's
    kpi = kpiset[kpi_id]
    assert 0 < full[("numerator" if full["denominator"] is None else "denominator")] < 5

    at = _open(OVERVIEW, {"periode": quarter.label})
    tiles = {m.label: m.value for m in at.metric}
    text = _texts(at)
    if period.label == quarter.label:
        assert tiles[kpi.name] == HIDDEN
    else:
        assert f"Ikke vist i kurven ({HIDDEN}): " in text and period_short_da(period) in text
    assert not SMALL_COUNT.search(text), SMALL_COUNT.search(text)
    if full["denominator"] is not None:
        for secret in (f"{full['numerator']} af {full['denominator']}",
                       f"n = {full['denominator']}"):
            assert not re.search(rf"(?<!\d){secret}(?!\d)", text), secret
    # The page's tiles are the engine's under the committee's scope, tile for tile.
    comparison = Comparison.PREVIOUS
    expected = build_tiles(kpiset, compute(conn, kpiset,
                                           periods_needed(quarter, comparison, as_of),
                                           scope=COMMITTEE),
                           quarter, comparison, trend_periods(quarter), as_of)
    assert tiles == {t.name: t.value_text for t in expected}
    # The meeting papers and the sagsmåling report (the demo's two rounds) are offered, made on
    # click, not the figures behind them.
    assert [b.label for b in at.get("download_button")] == [
        "Hent bilag til udvalgsmøde (PDF)", "Hent bilag til udvalgsmøde (Word)",
        "Hent tallene i Excel",
        "Hent rapport om sagsmålingen (PDF)", "Hent sagsmålingen i Excel"]


@committee
def test_committee_detail_page_withholds_small_teams_in_table_and_chart(conn, kpiset, as_of):
    kpi_id, quarter, full = withheld_teams(conn, kpiset, as_of)
    kpi = kpiset[kpi_id]
    hidden = full["team"].to_list()
    at = _open(DETAIL, {"periode": quarter.label, "kpi": kpi_id})
    assert at.selectbox(key="udvalg_kpi").value == kpi_id

    table = pl.from_pandas(at.dataframe[0].value)
    for team in hidden:
        row = table.filter(pl.col("gruppe") == team).row(0, named=True)
        assert HIDDEN in row["værdi"] and HIDDEN in str(row["n"]), row
        secret = full.filter(pl.col("team") == team).row(0, named=True)
        assert format_value(secret["value"], kpi.unit) not in row.values()

    text = _texts(at)
    assert not SMALL_COUNT.search(text), SMALL_COUNT.search(text)
    charts = _chart_data(at)
    assert charts, "the page draws its charts"
    for name, rows in charts:
        for r in rows:
            if isinstance(r, dict) and r.get("team") in hidden:
                assert r.get("vaerdi") is None and r.get("skjult") is True, (name, r)
    dumped = json.dumps([rows for _, rows in charts], ensure_ascii=False, default=str)
    assert not SMALL_COUNT.search(dumped)
    # No deadline distribution from case rows for this role.
    if isinstance(kpi, DeadlineKpi):
        assert "vises ikke" in text


@committee
@pytest.mark.parametrize("page", [DRILL, WORKLIST, CASELOAD, ADMIN])
def test_committee_reaches_no_case_list(page):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)  # not in the committee's menu, so not reachable by its address


@committee
@pytest.mark.parametrize("page", [DRILL, WORKLIST, CASELOAD])
def test_a_case_page_run_by_itself_stops_for_the_committee(demo_db, page):
    at = _alone(page)
    assert [i.value for i in at.info] == [NO_CASE_LEVEL_DA]
    assert len(at.dataframe) == 0 and len(at.get("vega_lite_chart")) == 0
    assert len(at.get("download_button")) == 0


def test_the_engine_and_the_caseload_refuse_the_committees_scope(conn, kpiset):
    with pytest.raises(AccessDenied):
        case_steps(conn, kpiset, BFU, "2025-Q2", scope=COMMITTEE)
    with pytest.raises(AccessDenied):
        open_steps(conn, kpiset, scope=COMMITTEE)
    with pytest.raises(AccessDenied):
        caseload.open_cases_per_caseworker(conn, scope=COMMITTEE)
    with pytest.raises(AccessDenied):
        caseload.new_per_month(conn, scope=COMMITTEE)
    with pytest.raises(AccessDenied, match="pr. sagsbehandler"):
        compute(conn, kpiset, ["2025-Q2"], by=("team", "caseworker"), scope=COMMITTEE)
    assert compute(conn, kpiset, ["2025-Q2"], by=("team",), scope=COMMITTEE).height > 0


# --- department head ---------------------------------------------------------------------------


def _audit_views(page: str) -> pl.DataFrame:
    return audit.read(None, AuditFilter(actor=HEAD.username,
                                        actions=(AuditAction.VIEW_CASE_ROWS,))).filter(
        pl.col("page") == page)


@department_head
def test_department_head_drill_down_has_only_their_teams_and_their_total(conn, kpiset):
    period = "2025-Q2"
    at = _open(DRILL, {"periode": period})
    mine = sorted(HEAD.teams)
    assert at.selectbox(key="team").options == mine
    pivot = at.dataframe[0].value
    assert list(pivot.columns) == ["Nøgletal", "Hele afdelingen", *mine]

    scoped = compute(conn, kpiset, [period], scope=HEAD_SCOPE)
    everyone = compute(conn, kpiset, [period])
    bfu_row = list(pivot["Nøgletal"]).index(kpiset[BFU].name)
    total = scoped.filter(pl.col("kpi") == BFU).row(0, named=True)
    assert pivot["Hele afdelingen"][bfu_row] == pytest.approx(total["value"])
    assert total["denominator"] < everyone.filter(pl.col("kpi") == BFU)["denominator"][0]

    before = _audit_views("afdeling").height
    at.selectbox(key="noegletal").select(BFU).run()
    assert not at.exception
    rows = at.dataframe[-1].value
    expected = case_steps(conn, kpiset, BFU, period, scope=HEAD_SCOPE)
    assert len(rows) == expected.height > 0
    assert set(rows["Sagsnummer"]) == set(expected["case_id"])
    assert set(expected["team"]) <= HEAD.teams
    views = _audit_views("afdeling")
    assert views.height == before + 1
    entry = views.row(0, named=True)
    assert (entry["role"], entry["scope"], entry["kpi"], entry["period"]) == (
        "department_head", HEAD_SCOPE.key, BFU, period)
    at.run()  # the same rows again (a rerun) are not a new view
    assert _audit_views("afdeling").height == before + 1


@department_head
def test_a_link_to_another_team_shows_nothing_of_it(conn, kpiset):
    other = min(set(compute(conn, kpiset, ["2025-Q2"], by=("team",)).filter(
        pl.col("group_level") == "team")["team"].to_list()) - HEAD.teams)
    at = _open(DRILL, {"periode": "2025-Q2", "team": other, "noegletal": kpiset[BFU].name})
    assert at.selectbox(key="team").value is None
    assert other not in _texts(at)


@department_head
def test_department_head_worklist_and_its_exports_have_only_their_teams(conn, kpiset, as_of):
    at = _open(WORKLIST)
    expected = wl.prepare(open_steps(conn, kpiset, scope=HEAD_SCOPE), as_of)
    assert set(at.selectbox(key="team").options) == set(expected["team"].unique()) <= HEAD.teams
    shown = at.dataframe[0].value
    assert len(shown) == expected.height > 0
    assert set(shown["Team"]) <= HEAD.teams
    metrics = {m.label: m.value for m in at.metric}
    counts = wl.horizon_counts(expected)
    assert metrics[wl.Horizon.OVERDUE.label_da] == format_int_da(counts[wl.Horizon.OVERDUE])

    # The exports are made from the very table on the screen (wl.table of the shown rows).
    table = wl.table(wl.apply_filter(expected, wl.WorklistFilter()))
    others = set(open_steps(conn, kpiset)["team"].unique()) - HEAD.teams
    csv_text = wl.to_csv_bytes(table).decode("utf-8-sig")
    assert not any(t in csv_text for t in others)
    book = openpyxl.load_workbook(io.BytesIO(wl.to_excel_bytes(table)), read_only=True)
    cells = {str(c) for row in book.active.iter_rows(values_only=True) for c in row}
    assert not cells & others and set(table["Team"].unique()) <= cells
    assert [b.label for b in at.get("download_button")] == ["Hent som CSV", "Hent som Excel"]
    views = _audit_views("fristoversigt")
    assert views.height >= 1
    assert f"{expected.height} rækker" in views["detail"][0]


@department_head
def test_department_head_caseload_has_only_their_teams(conn):
    at = _open(CASELOAD)
    mine = caseload.open_cases_per_caseworker(conn, scope=HEAD_SCOPE)
    assert set(at.selectbox(key="belastning_team").options) == set(mine["team"].unique()) <= HEAD.teams
    table = at.dataframe[0].value
    assert set(table["Team"]) <= HEAD.teams | {"I alt"}
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Åbne sager"] == format_int_da(mine["open_cases"].sum())
    for name, rows in _chart_data(at):
        for r in rows:
            if isinstance(r, dict) and "team" in r:
                assert r["team"] in HEAD.teams, (name, r)


@department_head
def test_department_head_overview_is_their_teams(conn, kpiset, as_of, demo_db):
    at = _open(OVERVIEW)
    period = latest_complete(PeriodKind.QUARTER, as_of)
    comparison = Comparison.PREVIOUS
    expected = build_tiles(kpiset, compute(conn, kpiset, periods_needed(period, comparison, as_of),
                                           scope=HEAD_SCOPE),
                           period, comparison, trend_periods(period), as_of)
    assert {m.label: m.value for m in at.metric} == {t.name: t.value_text for t in expected}


# --- the audit log on the Administration page --------------------------------------------------


@administrator
def test_administration_shows_the_log_the_users_and_the_settings(demo_db):
    audit.record("testperson", "analyst", "*|None|1", AuditAction.EXPORT, page="fristoversigt",
                 detail="fristoversigt-test.csv")
    at = _open(ADMIN)
    assert [t.value for t in at.title] == ["Administration"]
    log = at.dataframe[0].value
    assert "fristoversigt-test.csv" in set(log["Detaljer"])
    assert {"Tidspunkt", "Bruger", "Rolle", "Adgang", "Handling"} <= set(log.columns)
    users = at.dataframe[1].value
    assert {"udvalg", "afdeling", "analytiker", "admin"} <= set(users["Brugernavn"])
    assert "suppression_threshold" in at.code[0].value
    assert [b.label for b in at.get("download_button")] == ["Hent som CSV"]

    at.selectbox(key="admin_bruger").select("testperson").run()
    log = at.dataframe[0].value
    assert set(log["Bruger"]) == {"testperson"} and set(log["Handling"]) == {"Eksport"}
    assert log["Side"].to_list() == ["Fristoversigt"]  # the page's title, not its address
    assert "**1** hændelse" in [m.value for m in at.markdown]  # one, not "1 hændelser"
    audit.record("testperson", "analyst", "*|None|1", AuditAction.VIEW_CASE_ROWS,
                 page="afdeling")
    at.text_input(key="admin_soeg").input("sagsbehandlere").run()  # searched by its title
    log = at.dataframe[0].value
    assert log["Side"].to_list() == ["Teams og sagsbehandlere"]


@pytest.mark.parametrize("page", [ADMIN])
def test_administration_is_for_administrators_only(demo_db, page):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()  # signed in as the analyst
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)
    at = _alone(page)
    assert [i.value for i in at.info] == ["Siden er kun for administratorer."]
    assert len(at.dataframe) == 0


@department_head
def test_department_heads_overview_says_whose_figures_they_are():
    text = _texts(_open(OVERVIEW))
    assert "Nøgletal for Team Nord og Team Syd – kun dine teams, ikke hele kommunen." in text
    assert "Børne- og Familieudvalgets nøgletal" not in text


@committee
def test_committees_overview_is_the_whole_municipality():
    text = _texts(_open(OVERVIEW))
    assert "Børne- og Familieudvalgets nøgletal for hele kommunen." in text
