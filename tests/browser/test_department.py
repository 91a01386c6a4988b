"""The department heads' pages in a real browser: drill from the department to a team, a
caseworker and the cases behind a figure by clicking cells; the worklist's filters and its
exports; a shared link, reload and the Back button; and screenshots of each page.

Expected numbers come from the engine called directly on the same database; what the browser
shows is read from the page (text, the grid's accessibility table and its own CSV download).
"""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path
from urllib.parse import quote_plus

import openpyxl
import polars as pl
import pytest

import kpis
from kpis.compute.engine import case_steps, compute, open_steps, snapshot_as_of
from kpis.data.snapshot import connect
from kpis.present import drilldown as dd
from kpis.present import worklist as wl
from kpis.present.formatting import format_int_da
from kpis.present.tiles import is_estimate
from kpis.rules.definitions import load_kpis

pytestmark = pytest.mark.browser

WAIT_MS = 60_000
PERIOD = "2025-Q2"
TEAM = "Team Nord"
BFU = "bfu_4_mdr"
WIDE = {"width": 1600, "height": 1200}  # every team column visible beside the KPI names
CPR_LIKE = re.compile(r"\b\d{6}-?\d{4}\b")
# Streamlit saves a grid's CSV through the browser's file picker when it has one; without it,
# as a plain download that the test can read.
NO_FILE_PICKER = "delete window.showSaveFilePicker; window.showSaveFilePicker = undefined;"


@pytest.fixture(scope="module")
def engine(demo_db: Path):
    conn = connect(demo_db)
    kpiset = load_kpis(kpis.DEFAULT_KPIS)
    yield conn, kpiset
    conn.close()


def _start(page, app_url: str) -> None:
    """Open the app's front page first: on a server's very first request Streamlit decides
    between app.py's navigation and its pages/ folder discovery (see test_smoke)."""
    page.add_init_script(NO_FILE_PICKER)
    page.set_viewport_size(WIDE)
    page.goto(app_url, wait_until="domcontentloaded")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Fristoversigt").wait_for(
        timeout=WAIT_MS)


def _idle(page) -> None:
    """Wait until the script run a click started has finished and nothing on the page is stale
    (Streamlit keeps showing the previous run's elements, greyed, until they are redrawn)."""
    page.wait_for_timeout(300)  # the status widget appears shortly after the rerun begins
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"],"
        " [data-testid=\"stStatusWidgetRunningManIcon\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')", timeout=WAIT_MS)


def _grid(page, index: int = 0):
    grid = page.locator('[data-testid="stDataFrame"]').nth(index)
    grid.wait_for(timeout=WAIT_MS)
    return grid


def _headers(grid, expect: str) -> list[str]:
    """The grid's column headings, from its accessibility table (the grid itself is a canvas)."""
    grid.locator('[role="columnheader"]', has_text=expect).first.wait_for(
        state="attached", timeout=WAIT_MS)
    return grid.locator('[role="columnheader"]').all_inner_texts()


def _click_cell(page, grid, row: int, column: str) -> None:
    """Click the cell of a KPI row under a group's heading (the grid is a canvas: by position)."""
    heads = _headers(grid, column)
    box = grid.bounding_box()
    # the figure columns are GROUP_PX wide, or share the room when the table is narrower than
    # the page (the grid stretches them; the pinned name column keeps its width)
    width = max(dd.GROUP_PX, (box["width"] - dd.NAME_PX) / (len(heads) - 1))
    x = box["x"] + dd.NAME_PX + width * (heads.index(column) - 1) + width / 2
    # the header row, then KPI rows tall enough for a name on two lines
    y = box["y"] + dd.ROW_PX + dd.NAME_ROW_PX * row + dd.NAME_ROW_PX / 2
    page.mouse.click(x, y)


def _row_count(grid) -> int:
    grid.locator('[role="grid"]').wait_for(state="attached", timeout=WAIT_MS)
    return int(grid.locator('[role="grid"]').get_attribute("aria-rowcount")) - 1  # the header


def _grid_csv(page, grid) -> list[dict[str, str]]:
    """Everything the grid holds, through its own "Download as CSV" (what the screen shows)."""
    grid.hover()
    container = grid.locator("xpath=ancestor::*[@data-testid='stElementContainer'][1]")
    button = container.get_by_role("button", name="Download as CSV")
    with page.expect_download(timeout=WAIT_MS) as download:
        button.click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _summary_text(page, unlike: str | None = None) -> str:
    """The words above the rows; with ``unlike``, once the page has replaced that text (after a
    click Streamlit keeps showing the old elements until the new run has drawn them)."""
    box = page.locator(".st-key-steps-summary")
    box.wait_for(timeout=WAIT_MS)
    if unlike is not None:
        page.wait_for_function(
            "old => { const e = document.querySelector('.st-key-steps-summary');"
            " return e && e.innerText !== old; }", arg=unlike, timeout=WAIT_MS)
    return box.inner_text(timeout=WAIT_MS)


def _summary(page, unlike: str | None = None) -> tuple[int, int, int, int]:
    """(on time, counted) from the words above the rows and (numerator, denominator) of the
    figure they say it is."""
    text = _summary_text(page, unlike)
    words = re.match(r"([\d.]+) af ([\d.]+) til tiden", text)
    figure = re.search(r"\(([\d.]+) af ([\d.]+)\)", text)
    assert words and figure, text
    return tuple(int(g.replace(".", "")) for g in (*words.groups(), *figure.groups()))


def _figure(conn, kpiset, level: str, team=None, caseworker=None) -> dict:
    res = compute(conn, kpiset, [PERIOD], by=("team", "caseworker"), kpi_ids=[BFU])
    rows = res.filter(pl.col("group_level") == level)
    if team:
        rows = rows.filter(pl.col("team") == team)
    if caseworker:
        rows = rows.filter(pl.col("caseworker") == caseworker)
    return rows.row(0, named=True)


def _busiest_caseworker(conn, kpiset) -> str:
    res = compute(conn, kpiset, [PERIOD], by=("team", "caseworker"), kpi_ids=[BFU])
    return res.filter((pl.col("group_level") == "team,caseworker") & (pl.col("team") == TEAM)) \
        .sort(["denominator", "caseworker"], descending=[True, False])["caseworker"][0]


def _drill_url(app_url: str, kpi_name: str, caseworker: str | None = None) -> str:
    url = (f"{app_url}/afdeling?periode={PERIOD}&team={quote_plus(TEAM)}"
           f"&noegletal={quote_plus(kpi_name)}")
    return url + (f"&sagsbehandler={quote_plus(caseworker)}" if caseworker else "")


def _tall_screenshot(page, path: Path) -> None:
    """Streamlit scrolls inside the page: a tall window shows it whole for a person to check."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 2600})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


def test_drill_department_team_caseworker_cases_by_clicking(page, app_url, engine, artifacts,
                                                           outside_requests):
    conn, kpiset = engine
    targets = [k.id for k in kpiset if not k.context and not is_estimate(k)]  # the first table
    row = targets.index(BFU)
    caseworker = _busiest_caseworker(conn, kpiset)

    _start(page, app_url)
    page.goto(f"{app_url}/afdeling?periode={PERIOD}", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Nøgletal pr. team").wait_for(timeout=WAIT_MS)
    _idle(page)
    _headers(_grid(page), TEAM)
    _headers(_grid(page, 1), TEAM)  # the context table below, too
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / "afdeling-teams.png"), full_page=True)

    # Department → team: the BFU cell under the team.
    _click_cell(page, _grid(page), row, TEAM)
    page.get_by_role("heading", name=f"Nøgletal pr. sagsbehandler i {TEAM}").wait_for(
        timeout=WAIT_MS)
    assert f"team={quote_plus(TEAM)}" in page.url
    _idle(page)
    team_figure = _figure(conn, kpiset, "team", TEAM)
    assert _summary(page)[2:] == (team_figure["numerator"], team_figure["denominator"])
    team_text = _summary_text(page)

    # Team → caseworker: the BFU cell under the caseworker; the case list appears below.
    _click_cell(page, _grid(page), row, caseworker)
    page.get_by_text(f"Hele afdelingen › {TEAM} › {caseworker}").first.wait_for(timeout=WAIT_MS)
    figure = _figure(conn, kpiset, "team,caseworker", TEAM, caseworker)
    on_time, counted, numerator, denominator = _summary(page, unlike=team_text)
    _idle(page)
    caseworker_text = _summary_text(page)
    assert (on_time, counted) == (numerator, denominator)
    assert (numerator, denominator) == (figure["numerator"], figure["denominator"])

    steps = case_steps(conn, kpiset, BFU, PERIOD, {"team": TEAM, "caseworker": caseworker})
    grid = _grid(page, -1)
    assert _row_count(grid) == steps.height
    rows = _grid_csv(page, grid)
    assert len(rows) == steps.height
    counts = [r["Tæller med i tallet"] for r in rows]
    assert sum(c == "Ja, i tæller og nævner" for c in counts) == numerator
    assert sum(c.startswith("Ja") for c in counts) == denominator
    assert sorted(r["Sagsnummer"] for r in rows) == sorted(steps["case_id"].to_list())
    assert {r["Sagsbehandler"] for r in rows} == {caseworker}
    assert not any(CPR_LIKE.search(",".join(r.values())) for r in rows)
    _tall_screenshot(page, artifacts / "afdeling-sager.png")

    # Reload keeps the view; Back returns to the team, one step at a time.
    page.reload(wait_until="domcontentloaded")
    page.get_by_text(f"Hele afdelingen › {TEAM} › {caseworker}").first.wait_for(timeout=WAIT_MS)
    _idle(page)
    assert _summary(page)[2:] == (numerator, denominator)
    page.go_back()
    page.get_by_role("heading", name=f"Nøgletal pr. sagsbehandler i {TEAM}").wait_for(
        timeout=WAIT_MS)
    assert _summary(page, unlike=caseworker_text)[2:] == (team_figure["numerator"],
                                                         team_figure["denominator"])
    _idle(page)
    assert "sagsbehandler=" not in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
    assert outside_requests == []


def test_sorting_by_a_team_then_clicking_opens_the_figure_clicked(page, app_url, engine,
                                                                 outside_requests):
    """Sorting reorders the rows on screen; a click must still open the KPI under the mouse."""
    conn, kpiset = engine
    targets = [k.id for k in kpiset if not k.context and not is_estimate(k)]  # the first table
    res = compute(conn, kpiset, [PERIOD], by=("team",), kpi_ids=targets)
    values = {r["kpi"]: r["value"] for r in res.filter(
        (pl.col("group_level") == "team") & (pl.col("team") == TEAM)).iter_rows(named=True)}
    lowest = min(targets, key=lambda k: (dd.NO_FIGURE if values.get(k) is None else values[k]))

    _start(page, app_url)
    page.goto(f"{app_url}/afdeling?periode={PERIOD}", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Nøgletal pr. team").wait_for(timeout=WAIT_MS)
    grid = _grid(page)
    heads = _headers(grid, TEAM)
    box = grid.bounding_box()
    x = box["x"] + dd.NAME_PX + dd.GROUP_PX * (heads.index(TEAM) - 1) + dd.GROUP_PX / 2
    page.mouse.click(x, box["y"] + dd.ROW_PX / 2)  # the heading: sort ascending
    _idle(page)
    assert "noegletal=" not in page.url  # sorting selects nothing
    page.mouse.click(x, box["y"] + dd.ROW_PX * 1.5)  # the top row: the team's lowest figure
    page.get_by_role("heading", name=f"Nøgletal pr. sagsbehandler i {TEAM}").wait_for(
        timeout=WAIT_MS)
    _idle(page)
    assert f"noegletal={quote_plus(kpiset[lowest].name)}" in page.url
    assert outside_requests == []


def test_a_shared_link_reopens_the_same_selection(page, app_url, engine, outside_requests):
    conn, kpiset = engine
    caseworker = _busiest_caseworker(conn, kpiset)
    figure = _figure(conn, kpiset, "team,caseworker", TEAM, caseworker)

    _start(page, app_url)
    page.goto(_drill_url(app_url, kpiset[BFU].name, caseworker), wait_until="domcontentloaded")
    page.get_by_text(f"Hele afdelingen › {TEAM} › {caseworker}").first.wait_for(timeout=WAIT_MS)
    _idle(page)
    for key, shown in (("afdeling_periode", "2. kvartal 2025"), ("team", TEAM),
                       ("sagsbehandler", caseworker), ("noegletal", kpiset[BFU].name)):
        assert page.locator(f".st-key-{key} input").input_value() == shown, key
    assert _summary(page) == (figure["numerator"], figure["denominator"]) * 2
    assert _row_count(_grid(page, -1)) == case_steps(
        conn, kpiset, BFU, PERIOD, {"team": TEAM, "caseworker": caseworker}).height
    assert outside_requests == []


def _worklist_expected(conn, kpiset, team: str) -> pl.DataFrame:
    steps = wl.prepare(open_steps(conn, kpiset), snapshot_as_of(conn))
    return wl.apply_filter(steps, wl.WorklistFilter(horizon=wl.Horizon.DUE_14, teams=(team,)))


def _pick(page, key: str, option: str) -> None:
    """Choose in a selectbox as a person does: open its list, click the option."""
    page.locator(f".st-key-{key}").get_by_role("button", name="Open").click()
    page.get_by_role("option", name=option, exact=True).click()
    _idle(page)


def test_worklist_filters_answer_who_misses_a_deadline_within_14_days(page, app_url, engine,
                                                                     artifacts,
                                                                     outside_requests):
    conn, kpiset = engine
    expected = _worklist_expected(conn, kpiset, TEAM)
    assert expected.height > 0, "the demo should have deadlines in the next 14 days"

    _start(page, app_url)
    # The test of done: from the front page to the answer in well under a minute.
    started = time.monotonic()
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Fristoversigt").click()
    page.get_by_role("heading", name="Fristoversigt").wait_for(timeout=WAIT_MS)
    _pick(page, "frist", wl.Horizon.DUE_14.label_da)
    _pick(page, "team", TEAM)
    heading = f"{wl.Horizon.DUE_14.label_da}: {format_int_da(expected.height)} sagstrin"
    page.get_by_role("heading", name=heading).wait_for(timeout=WAIT_MS)
    _idle(page)
    assert time.monotonic() - started < 60
    assert f"team={quote_plus(TEAM)}" in page.url and "frist=" in page.url

    grid = _grid(page, 0)
    assert _row_count(grid) == expected.height
    rows = _grid_csv(page, grid)
    assert [r["Sagsnummer"] for r in rows] == expected["case_id"].to_list()
    assert {r["Team"] for r in rows} == {TEAM}
    assert all(0 <= int(r["Dage til fristen"]) <= 14 for r in rows)
    # Whose are they: the caseworkers named in the list, and nobody else.
    who = _grid_csv(page, _grid(page, 1))
    assert {r["Sagsbehandler"] for r in who} == set(expected["caseworker"].to_list())
    assert sum(int(r["Sagstrin"]) for r in who) == expected.height
    _tall_screenshot(page, artifacts / "fristoversigt.png")
    assert outside_requests == []


def test_worklist_exports_equal_the_screen(page, app_url, engine, outside_requests):
    conn, kpiset = engine
    expected = _worklist_expected(conn, kpiset, TEAM)
    _start(page, app_url)
    page.goto(f"{app_url}/fristoversigt?frist={quote_plus(wl.Horizon.DUE_14.label_da)}"
              f"&team={quote_plus(TEAM)}", wait_until="domcontentloaded")
    page.get_by_role("heading", name=re.compile(r"Frist inden for 14 dage: \d+ sagstrin")).wait_for(
        timeout=WAIT_MS)
    _idle(page)
    screen = _grid_csv(page, _grid(page, 0))

    with page.expect_download(timeout=WAIT_MS) as download:
        page.get_by_role("button", name="Hent som CSV").click()
    data = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.endswith(".csv")
    exported = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))

    with page.expect_download(timeout=WAIT_MS) as download:
        page.get_by_role("button", name="Hent som Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    book = list(sheet.iter_rows(values_only=True))

    columns = [label for _, label in wl.COLUMNS_DA]
    assert list(screen[0]) == columns == list(exported[0]) == list(book[0])
    assert len(screen) == len(exported) == len(book) - 1 == expected.height

    def iso(danish: str) -> str:  # 22.11.2026 → 2026-11-22, as the grid writes dates
        return "-".join(reversed(danish.split("."))) if danish else ""

    for shown, csv_row, xlsx_row in zip(screen, exported, book[1:], strict=True):
        for i, column in enumerate(columns):
            value = csv_row[column]
            if column in wl.DATE_COLUMNS_DA:
                assert iso(value) == shown[column] == xlsx_row[i].date().isoformat(), column
            elif column in wl.INT_COLUMNS_DA:
                assert value == shown[column] == ("" if xlsx_row[i] is None
                                                  else str(xlsx_row[i])), column
            else:
                assert value == shown[column] == xlsx_row[i], column
    assert outside_requests == []


def test_caseload_page_in_the_browser(page, app_url, artifacts, outside_requests):
    _start(page, app_url)
    page.goto(f"{app_url}/sagsbelastning", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Sagsbelastning").wait_for(timeout=WAIT_MS)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"stVegaLiteChart\"] canvas, "
        "[data-testid=\"stVegaLiteChart\"] svg').length >= 3", timeout=WAIT_MS)
    assert page.get_by_text("Over normen på 25").count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
    _tall_screenshot(page, artifacts / "sagsbelastning.png")
    assert outside_requests == []
