"""The meeting papers in Word: real headings and tables, Danish, no images of text, and the very
figures of the PDF (the same papers as tests/test_meeting_papers.py)."""

from __future__ import annotations

import io

import pytest
from docx import Document
from pypdf import PdfReader

from kpis.present.meeting_papers import SUMMARY_HEADER, build_pdf, summary_row, tile_lines
from kpis.present.meeting_papers_docx import TREND_HEADER, build_docx
from kpis.present.tiles import sections
from tests.test_meeting_papers import papers  # noqa: F401 (the shared fixture)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(scope="module")
def word(papers):  # noqa: F811
    return Document(io.BytesIO(build_docx(papers)))


@pytest.fixture(scope="module")
def word_text(word) -> str:
    return " ".join([p.text for p in word.paragraphs]
                    + [c.text for t in word.tables for r in t.rows for c in r.cells])


@pytest.fixture(scope="module")
def pdf_text(papers) -> str:  # noqa: F811
    return " ".join(" ".join(p.extract_text().split())
                    for p in PdfReader(io.BytesIO(build_pdf(papers))).pages)


def _cells(table) -> list[tuple[str, ...]]:
    return [tuple(c.text for c in r.cells) for r in table.rows]


def test_headings_are_word_headings_in_the_pdfs_order(papers, word):  # noqa: F811
    headings = [(p.style.name, p.text) for p in word.paragraphs
                if p.style.name == "Title" or p.style.name.startswith("Heading")]
    expected = [("Title", "Bilag til udvalgsmøde"), ("Heading 1", "Overblik")]
    for title, group in sections(papers.tiles()):
        expected.append(("Heading 1", title))
        for t in group:
            expected += [("Heading 2", t.name), ("Heading 3", "Sådan tælles det")]
    assert headings == expected
    # each pejlemærke starts a page, as in the PDF
    starts = [p for p in word.paragraphs if p.style.name == "Heading 1" and p.text != "Overblik"]
    assert all(p.paragraph_format.page_break_before for p in starts)


def test_overview_is_a_table_with_the_pdfs_rows(papers, word, pdf_text):  # noqa: F811
    overview = _cells(word.tables[0])
    assert overview == [SUMMARY_HEADER, *(summary_row(t) for t in papers.tiles())]
    assert overview[1] == ("Undersøgelser til tiden", "87,5 %", "40", "▲ Gul – tæt på målet",
                           "−2,5 procentpoint ↓ dårligere")
    for row in overview:
        for cell in row:
            assert cell in pdf_text, cell
    header = word.tables[0].rows[0]._tr.trPr.find(f"{W}tblHeader")
    assert header is not None  # Word repeats the header row on every page


def test_every_tile_line_is_in_word_and_in_the_pdf(papers, word_text, pdf_text):  # noqa: F811
    for tile in papers.tiles():
        for line in tile_lines(tile):
            line = " ".join(line.split())
            assert line in word_text and line in pdf_text, line
    assert "Ændring: −2,5 procentpoint ↓ dårligere (mod 2. kvartal 2026: 90,0 %)" in word_text


def test_the_trend_chart_is_a_table_of_its_figures(word):
    trends = [_cells(t) for t in word.tables if _cells(t)[0] == TREND_HEADER]
    assert len(trends) == 3
    # bfu_rate: (30 + i) of 40 from 4. kvartal 2024, 3. kvartal 2026 replaced by 35 of 40
    bfu = trends[0][1:]
    assert [r[0] for r in bfu][:2] == ["4. kvartal 2024", "1. kvartal 2025"]
    assert [r[1] for r in bfu] == ["75,0 %", "77,5 %", "80,0 %", "82,5 %", "85,0 %", "87,5 %",
                                   "90,0 %", "87,5 %"]
    assert {r[2] for r in bfu} == {"90,0 %"}
    late = trends[1][1:]  # withheld in 3. kvartal 2026 (1 of 3), 2 of 20 before
    assert [r[1] for r in late] == ["10,0 %"] * 7 + ["skjult"]


def test_word_withholds_what_the_screen_withholds(word_text):
    assert "skjult" in word_text
    assert "33,3 %" not in word_text and "1 af 3" not in word_text


def test_word_is_danish_editable_text_with_definitions(word, word_text):
    assert len(word.inline_shapes) == 0  # no images of text
    assert word.core_properties.language == "da-DK"
    assert word.styles["Normal"].element.rPr.find(f"{W}lang").get(f"{W}val") == "da-DK"
    assert "Data opgjort pr. 20. november 2026" in word_text
    assert "Hvad måles: Andel af undersøgelserne, der blev afsluttet til tiden." in word_text
    assert "Frist efter Serviceloven (før 2024): 4 måneder" in word_text
    assert "Afsluttede undersøgelser, hvor forældrenes kompetencer er vurderet." in word_text
    for code in ("coalesce", "parental_competence_assessed", "completed_on", "`"):
        assert code not in word_text
    footer = word.sections[0].footer.paragraphs[0].text
    assert footer == ("Bilag til udvalgsmøde · Børne- og Familieudvalget · 3. kvartal 2026 · "
                      "data pr. 20. november 2026")
