"""Meeting papers for Børne- og Familieudvalget: a PDF "Bilag til udvalgsmøde" and an Excel workbook.

Both are built from the very result frame the overview shows through the same tiles
(``kpis.present.tiles``), so they carry the same figures, the same rounding and the same withheld
figures ("skjult") as a committee member's screen, plus the as-of date. Papers leave the building (they are public
meeting documents), so they are always built from the committee's frame (the engine under the
committee's scope, pages/overblik.py), whoever makes them: an analyst's papers are the committee
member's papers, and there are papers only for the periods the committee may see. Server-side and
offline: fpdf2 for the PDF (its charts drawn by ``pdf_charts``), xlsxwriter for the workbook.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from kpis.access.suppression import withheld_rule_da
from kpis.compute.periods import Period
from kpis.present.charts import trend_data, trend_subtitle
from kpis.present.counting import as_plain_text, how_counted, legal_basis_lines
from kpis.present.formatting import and_da, format_date_da, format_datetime_da, format_int_da
from kpis.present.pdf_charts import chart_height, draw_trend
from kpis.present.period_choice import Comparison, period_label_da, period_span_da, trend_periods
from kpis.present.tiles import (
    SUPPRESSION_THRESHOLD,
    Tile,
    build_tiles,
    rounded,
    sections,
    shown_value,
    suppressed_text,
)
from kpis.rules.definitions import KpiSet, Unit
from kpis.safe_cells import WORKBOOK_OPTIONS

COMMITTEE = "Børne- og Familieudvalget"
TITLE = "Bilag til udvalgsmøde"
PDF_MIME = "application/pdf"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class MeetingPapers:
    """Everything both papers show: one period, its comparison and the overview's result frame."""

    kpiset: KpiSet
    results: pl.DataFrame
    period: Period
    comparison: Comparison
    as_of: date
    imported_at: datetime | None = None
    threshold: int = SUPPRESSION_THRESHOLD
    made_at: datetime = field(default_factory=lambda: datetime.now(UTC))  # shown in Danish time
    teams: tuple[str, ...] | None = None  # the teams the figures cover, when not all of them

    @property
    def trend(self) -> list[Period]:
        return trend_periods(self.period)

    def tiles(self) -> list[Tile]:
        return build_tiles(self.kpiset, self.results, self.period, self.comparison, self.trend,
                           self.as_of, threshold=self.threshold)

    @property
    def file_stem(self) -> str:
        return f"bilag-udvalgsmoede-{self.period.label}"

    def header_lines(self) -> list[str]:
        other = self.comparison.of(self.period)
        lines = [
            f"Periode: {period_label_da(self.period)} ({period_span_da(self.period)})",
            f"Sammenlignet med: {period_label_da(other)} ({self.comparison.label_da.lower()})",
            f"Data opgjort pr. {format_date_da(self.as_of)}"
            + (f", indlæst {format_datetime_da(self.imported_at)}" if self.imported_at else ""),
        ]
        if self.teams is not None:
            lines.append(f"Omfatter kun: {and_da(sorted(self.teams))}")
        return lines


def committee_papers(db: Path, kpiset: KpiSet) -> MeetingPapers:
    """The papers of the overview's default period as a committee member downloads them (for
    the benchmark and the layout tests; the page builds its own from the frame it shows)."""
    from kpis.access.roles import Role, scope_for
    from kpis.compute.engine import compute
    from kpis.compute.unit_cache import snapshot_cache
    from kpis.present.period_choice import periods_needed, resolve, resolve_comparison

    cache = snapshot_cache(db)
    period, comparison = resolve(None, cache.as_of), resolve_comparison(None)
    needed = [p.label for p in periods_needed(period, comparison, cache.as_of)]
    results = compute(cache, kpiset, needed, scope=scope_for(Role.COMMITTEE))
    return MeetingPapers(kpiset, results, period, comparison, cache.as_of)


READING_GUIDE = (
    "Sådan læses tallene: Trafiklyset viser afstanden til udvalgets mål: ● Grøn – målet er nået, "
    "▲ Gul – tæt på målet, ■ Rød – langt fra målet. Ændringen er i procentpoint for andele, og "
    "pilen viser retningen; ordet (bedre/dårligere) tager højde for, om et højt eller lavt tal er "
    "godt. n er antallet af sager, tallet bygger på: små tal svinger meget. Tal fra "
    "sagsgennemgange bygger på en stikprøve af sager og er et skøn: 95 %-intervallet viser, "
    "hvor sikkert skønnet er – jo færre sager, jo bredere interval. {hidden} "
    "\"Afventer\" er sagstrin, hvis frist endnu ikke er nået; de tæller ikke med i andelen."
)


def tile_lines(t: Tile) -> list[str]:
    """The tile as lines of text, in the order the screen shows them."""
    lines = [f"{t.value_with_interval}   {t.status_text}"]
    if t.target_text:
        lines.append(t.target_text)
    lines.append(f"Ændring: {t.change_text} (mod {t.comparison_da}: {t.comparison_value_text})")
    lines.append(" · ".join(x for x in (t.n_explained, t.numerator_text, t.p90_text) if x))
    if t.reference_text:
        lines.append(t.reference_text)
    lines += [x for x in (t.overdue_text, t.pending_text) if x]
    return lines


SUMMARY_HEADER = ("Nøgletal", "Værdi", "n", "Status", "Ændring")


def summary_row(t: Tile) -> tuple[str, ...]:
    """The tile's line in the papers' overview table (PDF and Word)."""
    n = suppressed_text() if t.n is None else format_int_da(t.n)
    return (t.name, t.value_with_interval, n, t.status_text, t.change_text)


def trend_about(papers: MeetingPapers, kpi, data: dict) -> str:
    """What the trend chart shows, in words above it (PDF) or above its table (Word)."""
    return "Udvikling " + " ".join(trend_subtitle(kpi, papers.trend, data["labels"]))


def kpi_about_lines(kpi) -> list[str]:
    """What a KPI measures and its legal basis, one line each, under its figures."""
    return ["Hvad måles: " + kpi.description,
            *(f"{line.label}: {line.text}" for line in legal_basis_lines(kpi))]


# --- PDF ----------------------------------------------------------------------------------------

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
_ASCII = str.maketrans({"●": "*", "▲": "^", "■": "#", "↑": "op", "↓": "ned", "→": "=",
                        "−": "-", "÷": "/", "–": "-", "…": "...", "\u202f": " "})


def fonts(pdf) -> tuple[str, bool]:
    """A Unicode font for the symbols (● ▲ ■ ↑ ↓ −) when the system has DejaVu, else Helvetica
    with the symbols spelled out (the core PDF fonts know only Latin-1)."""
    for d in _FONT_DIRS:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdf.add_font("DejaVu", "", str(regular))
            pdf.add_font("DejaVu", "B", str(bold))
            return "DejaVu", True
    return "Helvetica", False


@dataclass(frozen=True)
class Drawn:
    """One thing the PDF drew, where: the layout tests check what follows each heading."""

    page: int
    kind: str  # "heading", "text", "table" or "chart"
    top: float  # mm from the top of the page
    bottom: float
    text: str = ""


KEEP_WITH_HEADING_MM = 3 * 4.2  # a heading never ends a page: three lines of its text follow it


class PdfDoc:
    """An A4 document of headings, wrapped text and tables that records where it drew each (the
    layout tests read ``drawn``): the meeting papers and the statusrapport are both written so."""

    def __init__(self, title: str, footer_text: str):
        from fpdf import FPDF

        self.drawn: list[Drawn] = []
        self._widths: dict[tuple[str, float, str], float] = {}
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_margins(18, 16, 18)
        pdf.set_auto_page_break(True, margin=16)
        pdf.set_title(title)
        pdf.set_author("Pejlemærker")
        pdf.set_lang("da")
        self.font, self.unicode = fonts(pdf)
        footer_text = self.t(footer_text)
        font = self.font

        def footer() -> None:
            pdf.set_y(-12)
            pdf.set_font(font, "", 7.5)
            pdf.set_text_color(90, 90, 90)
            pdf.cell(0, 5, footer_text + f" · side {pdf.page_no()} af {{nb}}", align="C")
            pdf.set_text_color(0, 0, 0)

        pdf.footer = footer
        pdf.alias_nb_pages()
        self.pdf = pdf

    def t(self, text: str) -> str:
        return text if self.unicode else text.translate(_ASCII)

    def _width(self, word: str) -> float:
        key = (word, self.pdf.font_size_pt, self.pdf.font_style)
        if key not in self._widths:
            self._widths[key] = self.pdf.get_string_width(word)
        return self._widths[key]

    def wrap(self, text: str, size: float, style: str = "") -> list[str]:
        """``text`` broken into lines that fit between the margins, word by word.

        fpdf's multi_cell measures the growing line again for every character (most of the
        PDF's time went there); words are measured once here, and the number of lines is known
        before anything is drawn, so a heading can be kept with its text."""
        pdf = self.pdf
        pdf.set_font(self.font, style, size)
        room = pdf.epw - 2 * pdf.c_margin - 0.01
        space = self._width(" ")
        lines: list[str] = []
        for paragraph in self.t(text).split("\n"):
            line, width = "", 0.0
            for word in paragraph.split(" "):
                w = self._width(word)
                while w > room:  # a word wider than the page (a long identifier): cut it
                    cut = next(i for i in range(len(word), 0, -1)
                               if self._width(word[:i]) <= room or i == 1)
                    if line:
                        lines.append(line)
                    lines.append(word[:cut])
                    line, width, word = "", 0.0, word[cut:]
                    w = self._width(word)
                if line and width + space + w > room:
                    lines.append(line)
                    line, width = word, w
                else:
                    line, width = (f"{line} {word}" if line else word), width + (space if line
                                                                                   else 0) + w
            lines.append(line)
        return lines

    def text(self, text: str, size: float = 10, style: str = "", h: float | None = None,
             color: tuple[int, int, int] = (0, 0, 0), kind: str = "text") -> None:
        pdf = self.pdf
        h = h or size * 0.5
        lines = self.wrap(text, size, style)
        pdf.set_text_color(*color)
        for line in lines:
            if pdf.will_page_break(h):
                pdf.add_page()
            top = pdf.get_y()
            pdf.cell(0, h, line, new_x="LMARGIN", new_y="NEXT")
            self.drawn.append(Drawn(pdf.page_no(), kind, top, pdf.get_y(), line))
        pdf.set_text_color(0, 0, 0)

    def heading(self, text: str, size: float, h: float, then: float = KEEP_WITH_HEADING_MM
                ) -> None:
        """A bold heading that starts a new page rather than end one: the heading's lines and
        ``then`` millimetres of what follows must fit."""
        lines = len(self.wrap(text, size, "B"))
        if self.pdf.will_page_break(lines * h + then):
            self.pdf.add_page()
        self.text(text, size, "B", h=h, kind="heading")



class _Pdf(PdfDoc):
    def __init__(self, papers: MeetingPapers):
        super().__init__(f"{TITLE} – {period_label_da(papers.period)}",
                         f"{TITLE} · {COMMITTEE} · {period_label_da(papers.period)} · "
                         f"data pr. {format_date_da(papers.as_of)}")
        self.papers = papers

    def summary_table(self, tiles: list[Tile]) -> None:
        from fpdf.fonts import FontFace

        pdf = self.pdf
        pdf.set_font(self.font, "", 8.5)
        with pdf.table(col_widths=(64, 19, 14, 38, 44), text_align=("LEFT", "RIGHT", "RIGHT",
                       "LEFT", "LEFT"), line_height=4.6, first_row_as_headings=True,
                       headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
                       ) as table:
            table.row([self.t(x) for x in SUMMARY_HEADER])
            for t in tiles:
                table.row([self.t(x) for x in summary_row(t)])

    def kpi_block(self, tile: Tile) -> None:
        papers, pdf = self.papers, self.pdf
        kpi = papers.kpiset[tile.kpi_id]
        data = trend_data(kpi, papers.results, papers.trend, papers.threshold)
        lines = tile_lines(tile)
        about = trend_about(papers, kpi, data)
        # The name, the tile and the chart stay on one page.
        self.heading(tile.name, 12, 6, then=len(lines) * 4.8 + 1.5
                     + len(self.wrap(about, 8.5)) * 4.2 + chart_height(data))
        for line in lines:
            self.text(line, 9.5, h=4.8)
        pdf.ln(1.5)
        self.text(about, 8.5, h=4.2, color=(60, 60, 60))
        top = pdf.get_y()
        draw_trend(pdf, self.font, kpi.unit, papers.trend, data, self.t)
        self.drawn.append(Drawn(pdf.page_no(), "chart", top, pdf.get_y()))
        pdf.ln(1)
        for line in kpi_about_lines(kpi):
            self.text(line, 8.5, h=4.2)
        self.heading("Sådan tælles det", 8.5, 4.4)
        self.text(as_plain_text(how_counted(kpi, plain=True)), 7.5, h=3.7, color=(60, 60, 60))
        pdf.ln(5)

    def build(self) -> bytes:
        papers, pdf = self.papers, self.pdf
        pdf.add_page()
        self.heading(TITLE, 20, 10)
        self.text(f"{COMMITTEE} – nøgletal for {period_label_da(papers.period)}", 13, h=7)
        pdf.ln(2)
        for line in papers.header_lines():
            self.text(line, 10, h=5)
        self.text(f"Dannet {format_datetime_da(papers.made_at)}", 8.5, h=4.5, color=(90, 90, 90))
        pdf.ln(3)
        self.text(READING_GUIDE.format(hidden=withheld_rule_da(papers.threshold)), 8.5, h=4.3,
                  color=(60, 60, 60))
        pdf.ln(3)
        tiles = papers.tiles()
        self.heading("Overblik", 13, 7)
        page, top = pdf.page_no(), pdf.get_y()
        self.summary_table(tiles)
        self.drawn.append(Drawn(page, "table", top, pdf.get_y()))
        for title, group in sections(tiles):
            pdf.add_page()
            self.heading(title, 16, 9)
            pdf.ln(1)
            for tile in group:
                self.kpi_block(tile)
        return bytes(pdf.output())


def build_pdf(papers: MeetingPapers) -> bytes:
    """The PDF: front page with the as-of date and a summary, then per pejlemærke each KPI's tile,
    trend chart, definition, legal basis and counting rule."""
    return _Pdf(papers).build()


def pdf_layout(papers: MeetingPapers) -> tuple[bytes, list[Drawn]]:
    """The PDF and where each heading, line of text and chart went (for the layout tests)."""
    maker = _Pdf(papers)
    return maker.build(), maker.drawn


# --- Excel --------------------------------------------------------------------------------------

# Figures from a sample (case reviews) are estimates: their 95 % interval in words, empty for the
# figures over all the cases.
INTERVAL_COLUMN = "Usikkerhed (stikprøve)"
_NUM_FORMATS = {Unit.PERCENT: "0.0%", Unit.COUNT: "#,##0", Unit.DAYS: "0.0", Unit.RATIO: "0.0"}
COLUMNS = ("Nøgletal", "Værdi", "Mål", "Status", "Ændring", "Sammenlignet med",
           "Værdi i sammenligningsperioden", "n", "Opfylder kravet / til tiden", "Landsplan",
           "Over fristen, stadig åbne", "Afventer", "Id", INTERVAL_COLUMN)


def _sheet_name(title: str) -> str:
    return "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]


def build_xlsx(papers: MeetingPapers) -> bytes:
    """The workbook: one sheet per pejlemærke (and Kontekst), each KPI one row with the tile's
    figures and its trend, and a sheet with every definition and counting rule."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, **WORKBOOK_OPTIONS})
    wb.set_properties({"title": f"{TITLE} – {period_label_da(papers.period)}",
                       "author": "Pejlemærker", "comments": papers.header_lines()[2]})
    title = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1,
                          "bg_color": "#EEEEEE"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    plain = wb.add_format({"valign": "top"})
    right = wb.add_format({"align": "right", "valign": "top"})
    nums = {u: wb.add_format({"num_format": f, "valign": "top"}) for u, f in _NUM_FORMATS.items()}

    tiles = papers.tiles()
    hidden = suppressed_text()
    trend = papers.trend
    totals = {(r["kpi"], r["period"]): r for r in papers.results.filter(
        pl.col("group_level") == "").iter_rows(named=True)}

    def number(ws, row: int, col: int, value: float | None, unit: Unit, text: str) -> None:
        # Numbers stay numbers (rounded as on the screen); withheld or missing figures are text.
        if value is None:
            ws.write_string(row, col, text, right)
        else:
            ws.write_number(row, col, value, nums[unit])

    for section, group in sections(tiles):
        ws = wb.add_worksheet(_sheet_name(section))
        ws.write(0, 0, f"{section} – {period_label_da(papers.period)}", title)
        for i, line in enumerate(papers.header_lines()):
            ws.write(1 + i, 0, line)
        ws.write(4, 0, "Samme afrunding og samme skjulte tal som på skærmen. "
                 + withheld_rule_da(papers.threshold))
        header_row = 6
        trend_cols = [period_label_da(p) for p in trend]
        for c, name in enumerate([*COLUMNS, *trend_cols]):
            ws.write(header_row, c, name, head)
        for r, t in enumerate(group, start=header_row + 1):
            ws.write(r, 0, t.name, wrap)
            number(ws, r, 1, t.value, t.unit, t.value_text)
            number(ws, r, 2, rounded(t.target, t.unit), t.unit, "–")
            ws.write(r, 3, t.status_text, plain)
            ws.write(r, 4, t.change_text, plain)
            ws.write(r, 5, t.comparison_da, plain)
            cmp_value = None if t.comparison_value_text in (hidden, "–") else \
                shown_value(totals.get((t.kpi_id, papers.comparison.of(papers.period).label)),
                          t.unit)
            number(ws, r, 6, cmp_value, t.unit, t.comparison_value_text)
            if t.n is None:
                ws.write_string(r, 7, hidden, right)
            else:
                ws.write_number(r, 7, t.n, nums[Unit.COUNT])
            ws.write(r, 8, (t.numerator_text or "").strip(), plain)
            ws.write(r, 9, t.reference_text or "", plain)
            for col, count, text in ((10, t.overdue_open, t.overdue_text),
                                     (11, t.pending, t.pending_text)):
                if text is None:
                    ws.write(r, col, "", plain)
                elif count is None:
                    ws.write_string(r, col, hidden, right)
                else:
                    ws.write_number(r, col, count, nums[Unit.COUNT])
            ws.write(r, 12, t.kpi_id, plain)
            ws.write(r, 13, t.interval_text or "", plain)
            first_trend = len(COLUMNS)
            for j, p in enumerate(trend):
                row = totals.get((t.kpi_id, p.label))
                if row is not None and row.get("suppressed"):
                    ws.write_string(r, first_trend + j, hidden, right)
                else:
                    v = shown_value(row, t.unit)
                    number(ws, r, first_trend + j, v, t.unit, "–")
        ws.set_column(0, 0, 46)
        ws.set_column(1, 2, 10)
        ws.set_column(3, 4, 30)
        ws.set_column(5, 12, 16)
        ws.set_column(13, 13, 24)
        ws.set_column(len(COLUMNS), len(COLUMNS) + len(trend), 14)
        ws.set_row(header_row, 45)
        ws.freeze_panes(header_row + 1, 1)
        ws.write(header_row + len(group) + 2, 0,
                 f"Afventer: sagstrin, hvis frist ikke var nået pr. {format_date_da(papers.as_of)}.",
                 plain)

    ws = wb.add_worksheet("Definitioner")
    ws.write(0, 0, "Definitioner – sådan tælles nøgletallene", title)
    ws.write(1, 0, papers.header_lines()[2])
    cols = ("Id", "Nøgletal", "Pejlemærke", "Hvad måles", "Lovgrundlag", "Sådan tælles det",
            "Ansvarlig")
    for c, name in enumerate(cols):
        ws.write(3, c, name, head)
    for r, kpi in enumerate(papers.kpiset, start=4):
        section = "Kontekst" if kpi.context else kpi.pejlemaerke.label_da
        basis = "\n".join(f"{ln.label}: {ln.text}" for ln in legal_basis_lines(kpi))
        for c, value in enumerate((kpi.id, kpi.name, section, kpi.description, basis,
                                   as_plain_text(how_counted(kpi, plain=True)), kpi.owner)):
            ws.write(r, c, value, wrap)
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 36)
    ws.set_column(2, 2, 18)
    ws.set_column(3, 4, 45)
    ws.set_column(5, 5, 90)
    ws.set_column(6, 6, 26)
    ws.freeze_panes(4, 2)
    wb.close()
    return buf.getvalue()
