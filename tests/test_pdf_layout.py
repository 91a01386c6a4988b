"""The meeting papers' layout on the demo municipality: every page rendered (pdftoppm) and looked
at for ink outside the margins, no heading left alone at the foot of a page, every KPI's name
printed whole, and each chart's value labels clear of its target line.

Text checks alone passed while a chart title was cut ("…afsluttet inden for 4 måne") and
"Sådan tælles det" sat at the foot of a page with its text on the next.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from kpis import DEFAULT_KPIS
from kpis.present.charts import trend_data
from kpis.present.meeting_papers import MeetingPapers, committee_papers, pdf_layout
from kpis.rules.validate import load_and_validate

A4_MM = (210.0, 297.0)
MARGIN_MM = 18.0  # left and right, as the papers set them
DPI = 50
PDFTOPPM = shutil.which("pdftoppm")


@pytest.fixture(scope="module")
def papers(demo_db: Path) -> MeetingPapers:
    return committee_papers(demo_db, load_and_validate(DEFAULT_KPIS))


@pytest.fixture(scope="module")
def laid_out(papers):
    return pdf_layout(papers)


def rendered(pdf: bytes, folder: Path) -> list[Image.Image]:
    """Every page of ``pdf`` as a grey image (pdftoppm, as a reader's viewer draws it)."""
    if PDFTOPPM is None:
        pytest.fail("pdftoppm is missing (Debian's poppler-utils; scripts/test installs it)")
    (folder / "doc.pdf").write_bytes(pdf)
    subprocess.run([PDFTOPPM, "-png", "-r", str(DPI), str(folder / "doc.pdf"),
                    str(folder / "page")], check=True)
    return [Image.open(p).convert("L") for p in sorted(folder.glob("page-*.png"))]


def ink_in_margins(pages: list[Image.Image]) -> list[tuple[int, tuple]]:
    """(page, box) of each side margin with ink: a line of text, a table or a chart that runs
    past the text width."""
    found = []
    for number, page in enumerate(pages, start=1):
        width, height = page.size
        margin = round((MARGIN_MM - 1.5) / A4_MM[0] * width)
        for box in ((0, 0, margin, height), (width - margin, 0, width, height)):
            if page.crop(box).getextrema()[0] <= 200:
                found.append((number, box))
    return found


def headings_left_alone(drawn) -> list[str]:
    """The headings that end a page (or the document): what follows is on a later page."""
    alone = []
    for i, d in enumerate(drawn):
        if d.kind == "heading" and (i + 1 == len(drawn) or drawn[i + 1].page != d.page):
            alone.append(f"{d.text!r} on page {d.page}")
    return alone


@pytest.fixture(scope="module")
def pages(laid_out, tmp_path_factory) -> list[Image.Image]:
    return rendered(laid_out[0], tmp_path_factory.mktemp("papers"))


def test_every_page_is_rendered(laid_out, pages):
    assert len(pages) == len(PdfReader(io.BytesIO(laid_out[0])).pages) > 3


def test_nothing_is_drawn_in_the_side_margins(pages):
    """A line of text or a chart running past the text width puts ink in the margin."""
    assert ink_in_margins(pages) == []


def test_no_heading_ends_a_page(laid_out):
    drawn = laid_out[1]
    assert any(d.kind == "heading" and d.text == "Sådan tælles det" for d in drawn)
    assert headings_left_alone(drawn) == []


def test_every_kpi_name_is_printed_whole_as_a_heading(papers, laid_out):
    headings = " ".join(d.text for d in laid_out[1] if d.kind == "heading")
    for tile in papers.tiles():
        assert tile.name in headings  # a wrapped name is still every word of it, in order
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(laid_out[0])).pages)
    assert "inden for 4 måneder" in text


def test_each_kpi_and_its_chart_share_a_page(papers, laid_out):
    drawn = laid_out[1]
    names = {t.name for t in papers.tiles()}
    charts = [d for d in drawn if d.kind == "chart"]
    assert len(charts) == len(names)
    for c in charts:
        assert c.bottom <= A4_MM[1] - 16  # above the bottom margin
        head = max((d for d in drawn[:drawn.index(c)] if d.kind == "heading"),
                   key=drawn.index)
        assert head.page == c.page


def test_value_labels_sit_on_the_far_side_of_the_target(papers):
    """A point under the target has its label below it, one on or over the target above it:
    the label never crosses the line."""
    for tile in papers.tiles():
        kpi = papers.kpiset[tile.kpi_id]
        data = trend_data(kpi, papers.results, papers.trend, papers.threshold)
        targets = {r["orden"]: r["vaerdi"] for r in data["lines"] if r["serie"] == "Mål"}
        for p in data["points"]:
            if p["orden"] in targets:
                assert p["under"] == (p["vaerdi"] < targets[p["orden"]]), (kpi.id, p)
