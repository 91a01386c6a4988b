"""The sagsmåling report's layout on the shipped måleskema: every page rendered (pdftoppm) and
looked at for ink outside the margins, no heading left alone at the foot of a page, every table
inside the page, and each pejlemærke's heading on the page of its table — as the meeting papers
are checked (tests/test_pdf_layout.py)."""

from __future__ import annotations

import io
from datetime import date

import polars as pl
import pytest
from PIL import Image
from pypdf import PdfReader

from kpis.present.review_report import pdf_layout
from kpis.review import round_report as rr
from kpis.review.model import DEFAULT_REVIEWS
from kpis.review.validate import load_and_validate
from tests.test_pdf_layout import A4_MM, headings_left_alone, ink_in_margins, rendered

BOTTOM_MM = 16.0
ROUNDS = ("nulpunktsmaaling", "statusmaaling_1")


@pytest.fixture(scope="module")
def report() -> rr.RoundReport:
    """Every question answered in both rounds, a few by only 2–4 cases (withheld), the answers
    spread so both verdicts occur."""
    programme = load_and_validate(DEFAULT_REVIEWS)["sagsmaaling"]
    rows = []
    for r, round_ in enumerate(ROUNDS):
        for i, q in enumerate(programme.questions):
            n = (2 + i % 3) if i % 7 == 3 else 12 + (i * 5 + r * 7) % 19
            ja = round(n * (0.45 + 0.35 * r + 0.02 * (i % 5)))
            for c in range(n):
                rows.append((programme.id, round_, f"C{r}-{c:03d}", "Team Nord", "Anne", q.id,
                             "ja" if c < min(ja, n) else ("delvist" if c % 2 else "nej"),
                             date(2026, 3 + 6 * r, 1)))
    findings = pl.DataFrame(rows, orient="row", schema={
        "programme_id": pl.String, "round": pl.String, "case_id": pl.String, "team": pl.String,
        "caseworker": pl.String, "question_id": pl.String, "answer": pl.String,
        "review_date": pl.Date})
    sample = rr.SampleFacts(date(2025, 2, 1), 2026, "team_stratified", "decision_in_window",
                            date(2024, 2, 1), date(2025, 1, 31), 473, 30, 2, False)
    facts = tuple(rr.RoundFacts(r, (sample,), 30, date(2025, 2, 5), date(2025, 3, 6))
                  for r in ROUNDS)
    return rr.build(programme, findings, *ROUNDS, 5, facts=facts)


@pytest.fixture(scope="module")
def laid_out(report):
    return pdf_layout(report)


@pytest.fixture(scope="module")
def pages(laid_out, tmp_path_factory) -> list[Image.Image]:
    return rendered(laid_out[0], tmp_path_factory.mktemp("report"))


def test_the_fixture_has_withheld_and_both_verdicts(report):
    questions = report.at(rr.Level.QUESTION)
    assert any(q.before.hidden for q in questions)
    assert {q.overlap for q in questions} >= {True, False}


def test_every_page_is_rendered(laid_out, pages):
    assert len(pages) == len(PdfReader(io.BytesIO(laid_out[0])).pages) >= 5


def test_nothing_is_drawn_in_the_side_margins(pages):
    assert ink_in_margins(pages) == []


def test_nothing_runs_into_the_footer(pages):
    """Between the bottom margin and the footer line the page is white."""
    for number, page in enumerate(pages, start=1):
        width, height = page.size
        top = round((A4_MM[1] - BOTTOM_MM + 0.8) / A4_MM[1] * height)
        footer = round((A4_MM[1] - 12.5) / A4_MM[1] * height)
        assert page.crop((0, top, width, footer)).getextrema()[0] > 200, number


def test_no_heading_ends_a_page(laid_out):
    assert headings_left_alone(laid_out[1]) == []


def test_each_pejlemaerke_heading_shares_a_page_with_its_table(report, laid_out):
    drawn = laid_out[1]
    for mark in report.at(rr.Level.PEJLEMAERKE):
        i = next(i for i, d in enumerate(drawn) if d.kind == "heading" and d.text == mark.label)
        table = next(d for d in drawn[i:] if d.kind == "table")
        assert table.page == drawn[i].page, mark.label
    for d in drawn:
        assert d.bottom <= A4_MM[1] - BOTTOM_MM + 0.01, d


def test_every_question_is_printed_whole(report, laid_out):
    text = " ".join(" ".join(p.extract_text().split())
                    for p in PdfReader(io.BytesIO(laid_out[0])).pages)
    for q in report.at(rr.Level.QUESTION):
        assert " ".join(q.label.split()) in text, q.key


def test_each_chart_sits_under_its_caption_on_one_page(report, laid_out):
    drawn = laid_out[1]
    charts = [i for i, d in enumerate(drawn) if d.kind == "chart"]
    assert len(charts) == len(report.at(rr.Level.PEJLEMAERKE)) + 1  # the overview's and one each
    for i in charts:
        caption = drawn[i - 1]
        assert (caption.kind, caption.text) == ("heading", "Andel ja med 95 %-interval")
        assert caption.page == drawn[i].page
        assert drawn[i].bottom <= A4_MM[1] - BOTTOM_MM
