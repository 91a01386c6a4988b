"""The committee meeting papers as Word (.docx): municipal meeting systems take Word bilag, and the
secretariat edits them before the meeting. The same content as the PDF (``meeting_papers``: the
same ``MeetingPapers``, tiles, lines and definitions, so the same figures, rounding and withheld
figures), written as Word structure (``kpis.present.word``): the Title, Heading 1 per pejlemærke,
Heading 2 per KPI, real tables. Where the PDF draws a KPI's trend chart, Word gets the chart's
figures as a table — text the secretariat can edit and a screen reader can read."""

from __future__ import annotations

from kpis.access.suppression import withheld_rule_da
from kpis.present.charts import trend_data
from kpis.present.counting import how_counted
from kpis.present.formatting import format_date_da, format_datetime_da
from kpis.present.meeting_papers import (
    COMMITTEE,
    READING_GUIDE,
    SUMMARY_HEADER,
    TITLE,
    MeetingPapers,
    kpi_about_lines,
    summary_row,
    tile_lines,
    trend_about,
)
from kpis.present.period_choice import period_label_da
from kpis.present.tiles import Tile, sections, suppressed_text
from kpis.present.word import DOCX_MIME, WordDoc

__all__ = ["DOCX_MIME", "TREND_HEADER", "build_docx", "trend_rows"]

TREND_HEADER = ("Periode", "Værdi", "Mål")


def trend_rows(papers: MeetingPapers, kpi, data: dict) -> list[tuple[str, str, str]]:
    """The trend chart's figures per period, oldest first, as its labels read: the value (or
    »skjult«, or – for none) and the target in force at the period's end."""
    points = {p["orden"]: p["tekst"] for p in data["points"]}
    hidden = {h["orden"] for h in data["hidden"]}
    targets = {r["orden"]: r["tekst"] for r in data["lines"] if r.get("serie") == "Mål"}
    return [(period_label_da(p),
             suppressed_text() if i in hidden else points.get(i, "–"),
             targets.get(i, "–")) for i, p in enumerate(papers.trend)]


def _kpi(doc: WordDoc, papers: MeetingPapers, tile: Tile) -> None:
    kpi = papers.kpiset[tile.kpi_id]
    data = trend_data(kpi, papers.results, papers.trend, papers.threshold)
    doc.heading(tile.name, 2)
    for line in tile_lines(tile):
        doc.paragraph(" ".join(line.split()))  # the PDF's column spaces mean nothing in Word
    doc.paragraph(trend_about(papers, kpi, data), small=True)
    doc.table(TREND_HEADER, trend_rows(papers, kpi, data), (5.5, 4, 4))
    for line in kpi_about_lines(kpi):
        doc.paragraph(line, small=True)
    doc.heading("Sådan tælles det", 3)
    for line in how_counted(kpi, plain=True):
        doc.paragraph(line.text.replace("`", ""), label=line.label, small=True)


def build_docx(papers: MeetingPapers) -> bytes:
    """The Word papers: front matter with the as-of date and the reading guide, the overview
    table, then per pejlemærke each KPI's figures, trend table, definition and counting rule."""
    period = period_label_da(papers.period)
    doc = WordDoc(f"{TITLE} – {period}", subject=COMMITTEE)
    doc.footer(f"{TITLE} · {COMMITTEE} · {period} · data pr. {format_date_da(papers.as_of)}")
    doc.heading(TITLE, 0)
    doc.paragraph(f"{COMMITTEE} – nøgletal for {period}", bold=True)
    for line in papers.header_lines():
        doc.paragraph(line)
    doc.paragraph(f"Dannet {format_datetime_da(papers.made_at)}", small=True)
    doc.paragraph(READING_GUIDE.format(hidden=withheld_rule_da(papers.threshold)), small=True)
    tiles = papers.tiles()
    doc.heading("Overblik", 1)
    doc.table(SUMMARY_HEADER, [summary_row(t) for t in tiles], (6.4, 1.9, 1.4, 3.8, 4.4))
    for title, group in sections(tiles):
        doc.heading(title, 1, new_page=True)  # each pejlemærke on a page of its own, as in the PDF
        for tile in group:
            _kpi(doc, papers, tile)
    return doc.to_bytes()
