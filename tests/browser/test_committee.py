"""The committee's pages in Chromium: overview, a new period, a KPI's detail, and the meeting papers
downloaded and read back — they must carry the figures the screen shows."""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from pypdf import PdfReader

import kpis
from kpis.compute.engine import compute
from kpis.compute.periods import PeriodKind, parse_period
from kpis.data.inventory import snapshot_info
from kpis.data.snapshot import connect
from kpis.present.period_choice import (
    Comparison,
    latest_complete,
    period_label_da,
    periods_needed,
    trend_periods,
)
from kpis.present.tiles import build_tiles, format_value
from kpis.review import store
from kpis.rules.definitions import load_kpis

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
README_SCREENSHOT = ROOT / "docs" / "screenshots" / "overview.png"
WAIT_MS = 120_000
DOWNLOAD_MS = 240_000  # the PDF renders a chart per KPI on the server
KPIS = load_kpis(kpis.DEFAULT_KPIS)


def engine_tiles(db: Path, period_label: str):
    as_of = snapshot_info(db).as_of
    period = parse_period(period_label)
    conn = connect(db)
    try:
        df = compute(conn, KPIS, periods_needed(period, Comparison.PREVIOUS, as_of))
    finally:
        conn.close()
    return build_tiles(KPIS, df, period, Comparison.PREVIOUS, trend_periods(period), as_of)


def screen_values(page) -> dict[str, str]:
    """The value each tile shows, by KPI id (tiles are containers keyed tile_<id>)."""
    out = {}
    for kpi_id in KPIS.ids:
        tile = page.locator(f".st-key-tile_{kpi_id}")
        out[kpi_id] = tile.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return out


def wait_for_tiles(page) -> None:
    page.get_by_role("heading", name="Overblik", exact=True).wait_for(timeout=WAIT_MS)
    page.wait_for_function(
        f"document.querySelectorAll('[data-testid=\"stMetricValue\"]').length >= {len(KPIS)}",
        timeout=WAIT_MS)


def full_screenshot(page, path: Path, height: int = 3400) -> None:
    """Streamlit scrolls inside the page: a tall window shows the whole page."""
    size = page.viewport_size
    page.set_viewport_size({"width": 1400, "height": height})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


def choose(page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_overview_period_detail_and_meeting_papers(page, app_url, demo_db, artifacts,
                                                   outside_requests, tmp_path):
    as_of = snapshot_info(demo_db).as_of
    default = latest_complete(PeriodKind.QUARTER, as_of)

    # 1. The overview opens on the latest complete quarter with every tile.
    page.goto(app_url, wait_until="domcontentloaded")
    wait_for_tiles(page)
    page.wait_for_url(re.compile(rf"periode={default.label}"), timeout=WAIT_MS)
    expected = {t.kpi_id: t.value_text for t in engine_tiles(demo_db, default.label)}
    assert screen_values(page) == expected
    assert page.get_by_text("Faglig udredning", exact=True).count() == 1
    assert page.locator('[data-testid="stException"]').count() == 0
    full_screenshot(page, artifacts / "committee-overview-full.png", height=4600)
    full_screenshot(page, artifacts / "committee-overview.png", height=1500)  # the README's
    if os.environ.get("PEJLEMAERKER_UPDATE_SCREENSHOTS"):
        shutil.copyfile(artifacts / "committee-overview.png", README_SCREENSHOT)

    # 2. Another period: the link and every tile follow.
    other = default.previous()
    choose(page, "Periode", period_label_da(other))
    page.wait_for_url(re.compile(rf"periode={other.label}"), timeout=WAIT_MS)
    tiles = engine_tiles(demo_db, other.label)
    expected = {t.kpi_id: t.value_text for t in tiles}
    page.wait_for_function(
        "v => document.querySelector('.st-key-tile_bfu_4_mdr [data-testid=\"stMetricValue\"]')"
        "?.innerText.trim() === v", arg=expected["bfu_4_mdr"], timeout=WAIT_MS)
    page.wait_for_timeout(1000)
    on_screen = screen_values(page)
    assert on_screen == expected

    # 3. The meeting papers for that period carry the figures on the screen.
    with page.expect_download(timeout=DOWNLOAD_MS) as pdf_download:
        page.get_by_role("button", name=re.compile(r"Hent bilag til udvalgsmøde \(PDF\)")).click()
    pdf_path = tmp_path / "bilag.pdf"
    pdf_download.value.save_as(pdf_path)
    assert pdf_download.value.suggested_filename == f"bilag-udvalgsmoede-{other.label}.pdf"
    pdf_text = " ".join("\n".join(
        p.extract_text() for p in PdfReader(pdf_path).pages).split())
    assert f"nøgletal for {period_label_da(other)}" in pdf_text
    assert f"Data opgjort pr. {as_of.day}." in pdf_text
    for t in tiles:
        assert f"{t.name}" in pdf_text
        assert f"{on_screen[t.kpi_id]} {t.status_text}" in pdf_text, t.kpi_id

    # The Word papers (the secretariat edits them) carry the same figures.
    with page.expect_download(timeout=DOWNLOAD_MS) as docx_download:
        page.get_by_role("button", name=re.compile(r"Hent bilag til udvalgsmøde \(Word\)")).click()
    assert docx_download.value.suggested_filename == f"bilag-udvalgsmoede-{other.label}.docx"
    word = Document(io.BytesIO(Path(docx_download.value.path()).read_bytes()))
    word_text = " ".join([p.text for p in word.paragraphs]
                         + [c.text for t in word.tables for r in t.rows for c in r.cells])
    assert f"nøgletal for {period_label_da(other)}" in word_text
    for t in tiles:
        assert f"{on_screen[t.kpi_id]} {t.status_text}" in word_text, t.kpi_id

    with page.expect_download(timeout=DOWNLOAD_MS) as xlsx_download:
        page.get_by_role("button", name=re.compile("Hent tallene i Excel")).click()
    workbook = openpyxl.load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes()))
    assert workbook.sheetnames[-1] == "Definitioner"
    seen = {}
    for ws in workbook.worksheets[:-1]:
        header = [c.value for c in ws[7]]
        for r in ws.iter_rows(min_row=8, values_only=True):
            if not r[0]:
                break
            record = dict(zip(header, r))
            kpi = KPIS[record["Id"]]
            value = record["Værdi"]
            seen[kpi.id] = value if isinstance(value, str) else format_value(value, kpi.unit)
    assert seen == on_screen

    # The sagsmåling report (the demo's statusmåling against its nulpunktsmåling), made by the
    # server on the click: the rounds per pejlemærke, and not one of the reviewed cases.
    with page.expect_download(timeout=DOWNLOAD_MS) as report_download:
        page.get_by_role("button", name=re.compile(r"Hent rapport om sagsmålingen \(PDF\)")).click()
    assert report_download.value.suggested_filename == (
        "rapport-sagsmaaling-statusmaaling_1-mod-nulpunktsmaaling.pdf")
    report_text = " ".join(" ".join(p.extract_text() for p in PdfReader(
        io.BytesIO(Path(report_download.value.path()).read_bytes())).pages).split())
    assert "Statusmåling 1 sammenlignet med nulpunktsmåling" in report_text
    assert "Faglig udredning" in report_text and "95 %-interval" in report_text
    for case_id in store.drawn_cases()["case_id"].to_list():
        assert not re.search(rf"(?<![\w-]){re.escape(case_id)}(?![\w-])", report_text), case_id

    # 4. A KPI's detail keeps the period, and explains how it is counted.
    page.locator(".st-key-tile_bfu_4_mdr").get_by_role(
        "link", name=re.compile("Definition, udvikling og teams")).click()
    page.get_by_role("heading", name=KPIS["bfu_4_mdr"].name).wait_for(timeout=WAIT_MS)
    page.wait_for_url(re.compile(r"kpi=bfu_4_mdr"), timeout=WAIT_MS)
    assert f"periode={other.label}" in page.url
    page.get_by_role("heading", name="Sådan tælles det").wait_for(timeout=WAIT_MS)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= 3",
        timeout=WAIT_MS)
    detail_value = page.locator('[data-testid="stMetricValue"]').first.inner_text().strip()
    assert detail_value == on_screen["bfu_4_mdr"]
    page.wait_for_timeout(1500)  # let the charts paint
    full_screenshot(page, artifacts / "committee-kpi-detail.png")

    assert outside_requests == []


@pytest.mark.signed_in_as("committee")
def test_committee_member_sees_faerre_end_5_not_the_figure(page, app_url, artifacts,
                                                            outside_requests):
    # A link to a month: since issue 11 the committee has no months (they give small counts away
    # by subtraction), so the page opens the default quarter; its case-level distribution is
    # refused for the role.
    page.goto(f"{app_url}/noegletal?kpi=bfu_4_mdr&periode=2025-03", wait_until="domcontentloaded")
    page.get_by_role("heading", name=KPIS["bfu_4_mdr"].name).wait_for(timeout=WAIT_MS)
    page.get_by_text("vises ikke for din rolle").wait_for(timeout=WAIT_MS)
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=\"stVegaLiteChart\"]').length >= 2",
        timeout=WAIT_MS)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.wait_for_timeout(1500)
    full_screenshot(page, artifacts / "committee-kpi-detail-suppressed.png")
    assert outside_requests == []
