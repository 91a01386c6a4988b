"""The Word bilag (meeting papers and statusrapport) as a secretariat opens them: each file is
converted to PDF by LibreOffice (Debian's libreoffice-writer-nogui; scripts/test installs it) and
every page rendered with pdftoppm. A4, no blank page, nothing in the side margins. In the file
itself: the tables' grid carries their widths (LibreOffice lays a table out by its grid, Word by
its cells; with the cells alone LibreOffice drew every column alike, breaking words), and no
row is split over two pages."""

from __future__ import annotations

import io
import shutil
import subprocess
from itertools import pairwise
from pathlib import Path

import pytest
from docx import Document
from docx.shared import Cm
from PIL import Image

from kpis.present import statusrapport as sr
from kpis.present.meeting_papers_docx import build_docx
from kpis.present.word import TEXT_WIDTH_CM
from tests.test_meeting_papers import papers  # noqa: F401 (the shared fixture)
from tests.test_pdf_layout import A4_MM, MARGIN_MM, rendered
from tests.test_statusrapport_layout import report  # noqa: F401 (the shared fixture)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
FOOTER_MM = 22.0  # the footer and the bottom margin: a page with ink only there is blank
# Word (and LibreOffice) set a table's border out into the margin by its cell padding (0.19 cm),
# so the cells' text lines up with the body text
TABLE_OUTDENT_MM = 2.5


def ink_in_margins(pages: list[Image.Image]) -> list[tuple[int, str]]:
    found = []
    for number, page in enumerate(pages, start=1):
        width, height = page.size
        margin = round((MARGIN_MM - TABLE_OUTDENT_MM) / A4_MM[0] * width)
        for side, box in (("venstre", (0, 0, margin, height)),
                          ("højre", (width - margin, 0, width, height))):
            if page.crop(box).getextrema()[0] <= 200:
                found.append((number, side))
    return found


@pytest.fixture(scope="module")
def documents(papers, report) -> dict[str, bytes]:  # noqa: F811
    return {"bilag": build_docx(papers), "statusrapport": sr.to_docx(report[2])}


def as_pdf(docx: bytes, folder: Path) -> bytes:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice is missing (Debian's libreoffice-writer-nogui; scripts/test "
                    "installs it)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "doc.docx").write_bytes(docx)
    # a profile of its own: two conversions at once must not share one
    subprocess.run([soffice, f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                    "--headless", "--convert-to", "pdf", "--outdir", str(folder),
                    str(folder / "doc.docx")], check=True, capture_output=True, timeout=300)
    return (folder / "doc.pdf").read_bytes()


@pytest.fixture(scope="module")
def pages(documents, tmp_path_factory) -> dict[str, list[Image.Image]]:
    out = {}
    for name, docx in documents.items():
        folder = tmp_path_factory.mktemp(f"word-{name}")
        out[name] = rendered(as_pdf(docx, folder / "pdf"), folder)
    return out


@pytest.mark.parametrize("name", ["bilag", "statusrapport"])
def test_a4_no_blank_page_and_nothing_in_the_margins(pages, name):
    shown = pages[name]
    assert len(shown) >= 3
    width, height = shown[0].size
    assert abs(width / height - A4_MM[0] / A4_MM[1]) < 0.01  # A4, not US Letter
    body = round((A4_MM[1] - FOOTER_MM) / A4_MM[1] * height)
    blank = [n for n, page in enumerate(shown, start=1)
             if page.crop((0, 0, width, body)).getextrema()[0] > 200]
    assert blank == []
    assert ink_in_margins(shown) == []


@pytest.mark.parametrize("name", ["bilag", "statusrapport"])
def test_tables_carry_their_widths_and_no_row_splits(documents, name):
    doc = Document(io.BytesIO(documents[name]))
    assert doc.tables
    for table in doc.tables:
        grid = [int(c.get(f"{W}w")) for c in table._tbl.tblGrid.findall(f"{W}gridCol")]
        assert len(grid) == len(table.columns)
        assert len(set(grid)) > 1  # python-docx's own grid is every column alike
        assert sum(grid) <= Cm(TEXT_WIDTH_CM).twips + len(grid)  # within the text width
        for row in table.rows:
            assert row._tr.trPr.find(f"{W}cantSplit") is not None


def test_no_empty_paragraph_stands_before_a_page_break(documents):
    """An empty paragraph that falls onto a new page before a heading that starts a page
    itself made a blank page (LibreOffice showed page 2 of the bilag empty)."""
    for docx in documents.values():
        body = list(Document(io.BytesIO(docx)).element.body)
        for before, element in pairwise(body):
            if element.xpath("./w:pPr/w:pageBreakBefore"):
                assert before.tag == f"{W}tbl" or "".join(before.itertext()).strip(), \
                    "".join(element.itertext())
