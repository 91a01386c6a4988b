"""Each role in Chromium, signed in through the login form: what it can reach and what it is sent.

- A committee member reaches no case list, not by the menu, not by typing an address or a page's
  name; and the numbers of a withheld figure — computed first with an analyst's scope — are
  nowhere: not in the page's HTML, not in anything the server sent the browser (every websocket
  frame, the Vega-Lite charts' data decoded), not in the meeting papers' PDF text or Excel cells.
- A team leader sees their own teams only, on every page and in the downloaded exports; other
  teams' names are in nothing the server sends them.
- The downloads go in the audit log, under the signed-in user.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from urllib.parse import quote_plus

import openpyxl
import pyarrow as pa
import pytest
from docx import Document
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from pypdf import PdfReader

import kpis
from kpis.access import audit
from kpis.access.audit import AuditAction, AuditFilter
from kpis.access.demo_users import demo_user
from kpis.access.roles import Role, scope_for
from kpis.compute.engine import compute, open_steps, snapshot_as_of
from kpis.compute.periods import Period
from kpis.data.snapshot import connect
from kpis.present.charts import trend_alt_text
from kpis.present.period_choice import (
    Comparison,
    periods_needed,
    trend_periods,
)
from kpis.present.tiles import build_tile, format_value, group_rows
from kpis.rules.definitions import load_kpis
from tests.browser.test_department import NO_FILE_PICKER, _grid, _grid_csv, _headers, _idle
from tests.withheld import withheld_teams, withheld_total

pytestmark = pytest.mark.browser

WAIT_MS = 120_000
DOWNLOAD_MS = 240_000  # the PDF renders a chart per KPI on the server
HIDDEN = "skjult"
COMMITTEE = scope_for(Role.COMMITTEE)
HEAD = demo_user(Role.DEPARTMENT_HEAD).user
HEAD_SCOPE = scope_for(Role.DEPARTMENT_HEAD, HEAD.teams)
# Texts that can only come from a figure under 5: "n = 3", "2 af 4 …".
SMALL_COUNT = re.compile(r"\bn = [1-4]\b|(?<![\d.])\d+ af [1-4]\b")
CASE_PAGES = {"afdeling": "Teams og sagsbehandlere", "fristoversigt": "Fristoversigt",
              "sagsbelastning": "Sagsbelastning"}
NOT_FOR_COMMITTEE = [*CASE_PAGES.values(), "Data", "Nøgletalsdefinitioner", "Administration"]


@pytest.fixture(scope="module")
def engine(demo_db: Path):
    conn = connect(demo_db)
    kpiset = load_kpis(kpis.DEFAULT_KPIS)
    yield conn, kpiset, snapshot_as_of(conn)
    conn.close()


class Frames:
    """Everything the server sends the browser over its websockets, from the first load on."""

    def __init__(self, page):
        self.payloads: list[bytes] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload) -> None:
        self.payloads.append(payload if isinstance(payload, bytes) else payload.encode())

    def text(self, since: int = 0) -> str:
        return "\n".join(p.decode("utf-8", errors="replace") for p in self.payloads[since:])

    def charts(self, since: int = 0) -> list[tuple[dict, dict[str, list[dict]]]]:
        """Each Vega-Lite chart sent: its spec and its named datasets as rows."""
        from google.protobuf.message import DecodeError
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        out = []
        for payload in self.payloads[since:]:
            msg = ForwardMsg()
            try:
                msg.ParseFromString(payload)
            except DecodeError:
                continue
            if msg.WhichOneof("type") != "delta" or \
                    msg.delta.WhichOneof("type") != "new_element":
                continue
            element = msg.delta.new_element
            if element.WhichOneof("type") != "vega_lite_chart":
                continue
            chart = element.vega_lite_chart
            out.append((json.loads(chart.spec),
                        {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist()
                         for d in chart.datasets}))
        return out


def _open(page, url: str, heading: str | re.Pattern) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("heading", name=heading).first.wait_for(timeout=WAIT_MS)
    _idle(page)


def _typed(page, url: str, who) -> bool:
    """Open an address as if typed, and sign in on the login form if it asks; a "page not found"
    notice (an address the menu does not have) is closed first. False when the app did not
    start at all at that address (a path it does not serve)."""
    type(page).goto(page, url, wait_until="domcontentloaded")  # without the fixture's sign-in
    form = page.get_by_label("Brugernavn")
    signed_in = page.get_by_role("button", name="Log ud")
    dialog = page.locator('[role="dialog"]')
    for _ in range(2):
        try:
            form.or_(signed_in).first.wait_for(timeout=30_000)
        except PlaywrightTimeout:
            return False
        page.wait_for_timeout(500)
        if dialog.count():  # "Page not found": the app runs its main page instead
            page.keyboard.press("Escape")
            dialog.first.wait_for(state="detached", timeout=WAIT_MS)
        if not form.is_visible():
            break
        form.fill(who.user.username)
        page.get_by_label("Adgangskode").fill(who.password)
        page.get_by_role("button", name="Log ind", exact=True).click()
        signed_in.wait_for(timeout=WAIT_MS)
    page.locator('[data-testid="stSidebarNav"]').wait_for(timeout=WAIT_MS)
    _idle(page)
    return True


def _menu(page) -> list[str]:
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.wait_for(timeout=WAIT_MS)
    return [t.split("\n")[-1].strip() for t in nav.locator("a").all_inner_texts()]


def _download(page, button: str | re.Pattern, timeout: int = WAIT_MS):
    with page.expect_download(timeout=timeout) as download:
        page.get_by_role("button", name=button).click()
    return download.value


def _team(row: dict[str, str]) -> str:
    """The team of a row of the detail page's team table (its grid's CSV keeps the data's own
    column name)."""
    return row.get("Team") or row["gruppe"]


def _cells(xlsx: bytes) -> list[list[object]]:
    book = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True)
    return [list(row) for ws in book.worksheets for row in ws.iter_rows(values_only=True)]


def _secrets(kpi, rows: list[dict]) -> set[str]:
    """How a withheld figure would read if it leaked: "2 af 4", "n = 4"."""
    out = set()
    for r in rows:
        if r["denominator"]:
            out |= {f"{r['numerator']} af {r['denominator']}", f"n = {r['denominator']}"}
        elif r["numerator"]:
            out.add(f"n = {r['numerator']}")
    return out


def _visible_texts(conn, kpiset, kpi, period: Period, as_of) -> str:
    """Every figure the committee is shown on a KPI's detail page, as the page writes it: the
    tile (with its trend), the trend chart's words and the team rows, from the committee's own
    results."""
    comparison = Comparison.PREVIOUS
    trend = trend_periods(period)
    results = compute(conn, kpiset, periods_needed(period, comparison, as_of), scope=COMMITTEE)
    tile = build_tile(kpi, results, period, comparison, trend, as_of)
    by_team = compute(conn, kpiset, [period], by=("team",), kpi_ids=[kpi.id], scope=COMMITTEE)
    parts = [str(v) for v in vars(tile).values()]
    parts += [format_value(p.value, kpi.unit) for p in tile.trend]
    parts += [trend_alt_text(kpi, results, trend, COMMITTEE.suppress_below)]
    parts += [json.dumps(r, ensure_ascii=False) for r in group_rows(kpi, by_team, period, "team")]
    return "\n".join(parts)


def _absent(secret: str, text: str) -> bool:
    return re.search(rf"(?<![\d.]){re.escape(secret)}(?!\d)", text) is None


# --- committee ---------------------------------------------------------------------------------


@pytest.mark.signed_in_as(Role.COMMITTEE)
def test_committee_reaches_no_case_list_by_menu_address_or_page_name(page, app_url,
                                                                     outside_requests):
    _open(page, app_url, "Overblik")
    menu = _menu(page)
    assert "Overblik" in menu and not set(NOT_FOR_COMMITTEE) & set(menu), menu
    # The case pages' addresses, a page's name as Streamlit would make an address of it, and
    # the administrators' page.
    addresses = [*CASE_PAGES, "Teams_og_sagsbehandlere", "admin"]
    for address in addresses:
        started = _typed(page, f"{app_url}/{address}?periode=2025-Q2&noegletal=bfu_4_mdr"
                                     "&team=Team+Nord", demo_user(Role.COMMITTEE))
        if started:  # the app chose the page: the committee's own, never the one typed
            assert not set(NOT_FOR_COMMITTEE) & set(_menu(page)), address
            page.get_by_role("heading", name="Overblik", exact=True).wait_for(timeout=WAIT_MS)
        html = page.content()
        for title in CASE_PAGES.values():
            assert page.get_by_role("heading", name=title, exact=True).count() == 0, address
        assert "Sagsnummer" not in html and "Sagerne bag tallet" not in html, address
        assert "Hent som CSV" not in html, address
    assert outside_requests == []


@pytest.mark.signed_in_as(Role.COMMITTEE)
def test_committee_is_sent_no_hidden_number(page, app_url, engine, tmp_path, outside_requests):
    conn, kpiset, as_of = engine
    frames = Frames(page)
    page.add_init_script(NO_FILE_PICKER)

    # 1. The overview of a quarter in which one department figure (the quarter's own, or one
    # of its trend: since issue 11 the committee chooses no months) is withheld.
    kpi_id, chosen, period, full = withheld_total(conn, kpiset, as_of)
    own = period.label == chosen.label
    secrets = _secrets(kpiset[kpi_id], [full])
    _open(page, f"{app_url}/?periode={chosen.label}", "Overblik")
    tile = page.locator(f".st-key-tile_{kpi_id}")
    if own:
        assert tile.locator('[data-testid="stMetricValue"]').inner_text().strip() == HIDDEN
    else:
        assert "Ikke vist i kurven" in tile.inner_text()
    html = page.content()
    assert not SMALL_COUNT.search(html), SMALL_COUNT.search(html)
    for secret in secrets:
        assert _absent(secret, html), secret

    pdf = _download(page, re.compile(r"Hent bilag til udvalgsmøde \(PDF\)"), DOWNLOAD_MS)
    pdf_path = tmp_path / "bilag.pdf"
    pdf.save_as(pdf_path)
    pdf_text = " ".join("\n".join(p.extract_text() for p in PdfReader(pdf_path).pages).split())
    assert kpiset[kpi_id].name in pdf_text and HIDDEN in pdf_text
    assert not SMALL_COUNT.search(pdf_text), SMALL_COUNT.search(pdf_text)
    for secret in secrets:
        assert _absent(secret, pdf_text), secret

    xlsx = _download(page, re.compile("Hent tallene i Excel"))
    rows = _cells(Path(xlsx.path()).read_bytes())
    row = next(r for r in rows if kpi_id in r)
    assert not own or (row[1] == HIDDEN and row[7] == HIDDEN), row  # value and n
    cells = " | ".join(str(c) for r in rows for c in r if c is not None)
    assert not SMALL_COUNT.search(cells), SMALL_COUNT.search(cells)
    for secret in secrets:
        assert _absent(secret, cells), secret

    docx = _download(page, re.compile(r"Hent bilag til udvalgsmøde \(Word\)"), DOWNLOAD_MS)
    word = Document(io.BytesIO(Path(docx.path()).read_bytes()))
    word_text = " ".join([p.text for p in word.paragraphs]
                         + [c.text for t in word.tables for r in t.rows for c in r.cells])
    assert kpiset[kpi_id].name in word_text and HIDDEN in word_text
    assert not SMALL_COUNT.search(word_text), SMALL_COUNT.search(word_text)
    for secret in secrets:
        assert _absent(secret, word_text), secret

    # 2. A KPI's detail for a quarter in which some teams are withheld.
    kpi_id, quarter, hidden = withheld_teams(conn, kpiset, as_of)
    kpi = kpiset[kpi_id]
    start = len(frames.payloads)
    _open(page, f"{app_url}/noegletal?periode={quarter.label}&kpi={kpi_id}", kpi.name)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= 2",
        timeout=WAIT_MS)
    _idle(page)
    html = page.content()
    sent = frames.text(since=start)
    hidden_teams = set(hidden["team"])
    team_rows = [r for r in _grid_csv(page, _grid(page, 0)) if _team(r) in hidden_teams]
    assert {_team(r) for r in team_rows} == hidden_teams
    assert all(HIDDEN in (r.get("Værdi") or r["værdi"]) for r in team_rows), team_rows

    # What a leak would look like: the teams' "x af n" and "n = …", and their values as the page
    # writes them — unless the committee is shown that very text for a figure it may see.
    visible = _visible_texts(conn, kpiset, kpi, quarter, as_of)
    secrets = _secrets(kpi, hidden.to_dicts()) | {
        format_value(v, kpi.unit) for v in hidden["value"].to_list() if v is not None}
    secrets = {x for x in secrets if _absent(x, visible)}
    for where, text in (("html", html), ("websocket", sent)):
        assert not SMALL_COUNT.search(text), (where, SMALL_COUNT.search(text))
        for secret in secrets:
            assert _absent(secret, text), (where, secret)
    charts = frames.charts(since=start)
    assert len(charts) >= 2, "the trend and the team chart were sent"
    hidden_values = set(hidden["value"].to_list())
    for spec, datasets in charts:
        for name, data in datasets.items():
            for r in data:
                if r.get("team") in hidden_teams:
                    assert r.get("vaerdi") is None, (name, r)
                    assert not hidden_values & {v for v in r.values() if isinstance(v, float)}
        assert not SMALL_COUNT.search(json.dumps(spec, ensure_ascii=False))

    # 3. The meeting papers were logged as the committee member's exports.
    exports = audit.read(None, AuditFilter(actor="udvalg", actions=(AuditAction.EXPORT,)))
    assert {f"bilag-udvalgsmoede-{chosen.label}.pdf", f"bilag-udvalgsmoede-{chosen.label}.xlsx"} \
        <= set(exports["detail"])
    assert set(exports["scope"]) == {COMMITTEE.key}
    assert outside_requests == []


# --- team leader -------------------------------------------------------------------------------


@pytest.mark.signed_in_as(Role.DEPARTMENT_HEAD)
def test_team_leader_sees_only_their_teams_in_every_view_and_export(page, app_url, engine,
                                                                    outside_requests):
    conn, kpiset, as_of = engine
    frames = Frames(page)
    page.add_init_script(NO_FILE_PICKER)
    page.set_viewport_size({"width": 1600, "height": 1200})
    mine = sorted(HEAD.teams)
    everyone = set(open_steps(conn, kpiset)["team"].unique())
    others = everyone - HEAD.teams
    assert others, "the demo has teams the leader may not see"

    # The drill-down: their teams as columns, the department total over their teams only.
    _open(page, f"{app_url}/afdeling?periode=2025-Q2", "Teams og sagsbehandlere")
    assert _headers(_grid(page, 0), mine[-1]) == ["Nøgletal", "Hele afdelingen", *mine]
    page.get_by_role("combobox", name="Team", exact=True).click()
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    assert sorted(o.strip() for o in options) == mine

    # The worklist and both of its exports.
    expected = open_steps(conn, kpiset, scope=HEAD_SCOPE)
    _open(page, f"{app_url}/fristoversigt", re.compile(r"Alle åbne frister: [\d.]+ sagstrin"))
    screen = _grid_csv(page, _grid(page, 0))
    assert {r["Team"] for r in screen} <= HEAD.teams and len(screen) == expected.height
    data = _download(page, "Hent som CSV")
    exported = list(csv.DictReader(io.StringIO(
        Path(data.path()).read_bytes().decode("utf-8-sig")), delimiter=";"))
    assert len(exported) == expected.height and {r["Team"] for r in exported} <= HEAD.teams
    book = _download(page, "Hent som Excel")
    cells = _cells(Path(book.path()).read_bytes())
    team_col = cells[0].index("Team")
    assert {r[team_col] for r in cells[1:]} <= HEAD.teams and len(cells) - 1 == expected.height

    # The caseload.
    _open(page, f"{app_url}/sagsbelastning", "Sagsbelastning")
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= 3",
        timeout=WAIT_MS)
    spread = _grid_csv(page, _grid(page, 0))
    assert {r["Team"] for r in spread} <= HEAD.teams | {"I alt"}

    # A KPI's detail: the team table and chart.
    _open(page, f"{app_url}/noegletal?kpi=bfu_4_mdr", kpiset["bfu_4_mdr"].name)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= 2",
        timeout=WAIT_MS)
    teams_shown = {_team(r) for r in _grid_csv(page, _grid(page, 0))}
    assert teams_shown <= HEAD.teams and teams_shown

    # Nothing the server sent on any of these pages names another team.
    sent = frames.text()
    for team in others:
        assert team not in sent, team
    for spec, datasets in frames.charts():
        for rows in datasets.values():
            assert {r["team"] for r in rows if "team" in r} <= HEAD.teams

    exports = audit.read(None, AuditFilter(actor=HEAD.username, actions=(AuditAction.EXPORT,)))
    stem = f"fristoversigt-{as_of.isoformat()}"
    assert {d.split(" ")[0] for d in exports["detail"]} >= {f"{stem}.csv", f"{stem}.xlsx"}
    assert set(exports["scope"]) == {HEAD_SCOPE.key}
    views = audit.read(None, AuditFilter(actor=HEAD.username,
                                         actions=(AuditAction.VIEW_CASE_ROWS,)))
    assert "fristoversigt" in set(views["page"])
    assert outside_requests == []


@pytest.mark.signed_in_as(Role.DEPARTMENT_HEAD)
def test_a_link_to_another_teams_cases_shows_none_of_them(page, app_url, engine,
                                                          outside_requests):
    conn, kpiset, _ = engine
    other = min(set(open_steps(conn, kpiset)["team"].unique()) - HEAD.teams)
    frames = Frames(page)
    _open(page, f"{app_url}/afdeling?periode=2025-Q2&team={quote_plus(other)}"
                f"&noegletal={quote_plus(kpiset['bfu_4_mdr'].name)}", "Teams og sagsbehandlere")
    _open(page, f"{app_url}/fristoversigt?team={quote_plus(other)}",
          re.compile(r"[\d.]+ sagstrin"))
    assert other not in frames.text()
    assert outside_requests == []
