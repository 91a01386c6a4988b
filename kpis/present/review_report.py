"""The sagsmåling report for Børne- og Familieudvalget, as PDF and Excel: a round against an
earlier one (a statusmåling against the nulpunktsmåling), in the style of the Task Force's
*statusmåling af konkrete sager* — per pejlemærke and per question, and for lovmedholdelighed
against faglig kvalitet: the share of ja, its 95 % interval, the number of answers, the change
in percentage points and whether the difference may be chance. Plus what the programme is for,
how the sample was drawn, and how to read an estimate from a sample.

Built from ``kpis.review.round_report.RoundReport``, which holds aggregates only and has the
committee's suppression applied, whoever makes the report: it leaves the building, like the
meeting papers (``meeting_papers``), whose PDF base and Excel conventions it shares.
"""

from __future__ import annotations

import io

from kpis.access.suppression import HIDDEN_TEXT, withheld_rule_da
from kpis.present.formatting import (
    and_da,
    format_date_da,
    format_datetime_da,
    format_int_da,
    format_pct_da,
    interval_da,
)
from kpis.present.meeting_papers import COMMITTEE, Drawn, PdfDoc, _sheet_name
from kpis.present.pdf_charts import draw_intervals, interval_chart_height
from kpis.review.model import Purpose
from kpis.review.round_report import (
    KIND_LABELS_DA,
    Estimate,
    Level,
    RoundFacts,
    RoundReport,
    Row,
    criteria_da,
    sampling_text_da,
)
from kpis.safe_cells import WORKBOOK_OPTIONS

TITLE = "Sagsmåling af konkrete sager"
MAYBE_CHANCE = "Forskellen kan skyldes tilfældigheder"
NOT_CHANCE = "Forskellen er næppe tilfældig"

PURPOSE_DA = {
    Purpose.SAGSMAALING: (
        "En sagsmåling gennemgår tilfældigt udtrukne sager efter et fast måleskema: Lever sagen "
        "op til lovens krav (lovmedholdelighed), og er arbejdet fagligt godt nok (faglig "
        "kvalitet)? En nulpunktsmåling før indsatsen sammenlignes med senere statusmålinger, "
        "der udtrækkes efter de samme kriterier."),
    Purpose.LEDELSESTILSYN: (
        "Ledelsestilsynet er ledernes løbende gennemgang af udvalgte sager efter et fast "
        "måleskema: lovens krav (lovmedholdelighed) og god faglig praksis (faglig kvalitet)."),
}

READING_GUIDE = (
    "Tallene bygger på en stikprøve: et mindre antal sager, der er trukket tilfældigt. Andelen "
    "af sager, hvor svaret er ja, er derfor et skøn over, hvordan det står til i alle sagerne. "
    "95 %-intervallet viser, hvor den sande andel med stor sikkerhed ligger: er 18 af 30 sager "
    "i orden (60 %), ligger den sande andel et sted mellem cirka 42 % og 75 %. Jo færre sager, "
    "jo bredere interval. "
    "Andelen er ja ud af ja, delvist og nej; »ikke relevant« tæller ikke med. n er antallet af "
    "svar, tallet bygger på – for et spørgsmål ét svar pr. sag. For et pejlemærke og for alle "
    "spørgsmål tilsammen lægges svarene på flere spørgsmål sammen; svar fra samme sag ligner "
    "hinanden, så det sande interval er her noget bredere end det viste. "
    "Ændringen er forskellen i procentpoint. Overlapper de to målingers intervaller, kan "
    "forskellen skyldes tilfældigheder – hvilke sager der tilfældigvis blev trukket. Overlapper "
    "de ikke, er forskellen næppe tilfældig. {hidden}"
)


def percent(x: float) -> int:
    """A share (0–1) as the whole percentage the report shows."""
    return round(100 * x)


def change_points(row: Row) -> int | None:
    """The change as shown: the difference of the two shown whole percentages, so the table
    adds up to the reader's eye (None when either figure is withheld or missing)."""
    if row.change is None:
        return None
    return percent(row.after.share) - percent(row.before.share)


def change_text_da(points: int | None) -> str:
    if points is None:
        return "–"
    sign = "+" if points > 0 else "−" if points < 0 else "±"
    return f"{sign}{abs(points)} procentpoint"


def change_cell_da(points: int | None) -> str:
    """The change in a table whose heading says »procentpoint«: ``+34``, ``−3``, ``±0``."""
    return change_text_da(points).removesuffix(" procentpoint")


def verdict_da(row: Row) -> str:
    if row.overlap is None:
        return "–"
    return MAYBE_CHANCE if row.overlap else NOT_CHANCE


def n_text_da(e: Estimate, level: Level) -> str:
    unit = "sag" if e.n == 1 else "sager"
    return f"n = {format_int_da(e.n)} {unit if level is Level.QUESTION else 'svar'}"


def estimate_lines_da(e: Estimate, level: Level) -> list[str]:
    """A round's figure as the report's cell shows it: share, interval, n — or »skjult«, or
    »ingen svar«."""
    if e.hidden:
        return [HIDDEN_TEXT]
    if not e.n:
        return ["ingen svar"]
    return [format_pct_da(e.share, 0), interval_da(e.low, e.high), n_text_da(e, level)]


def _count_da(n: int | None, one: str, many: str) -> str:
    if n is None:
        return f"{HIDDEN_TEXT} antal {many}"
    return f"{format_int_da(n)} {one if n == 1 else many}"


def round_lines_da(facts: RoundFacts) -> list[str]:
    """How a round was drawn and how far it is reviewed, in plain Danish (no case, no team)."""
    lines = []
    for s in facts.samples:
        where = " blandt udvalgte teams' sager" if s.teams_limited else ""
        # The period names the data the sample was drawn from; the day it was drawn says less
        # (the demo's rounds are drawn on its first start, a year apart in the data).
        line = (f"{_count_da(s.drawn, 'sag', 'sager')} udtrukket "
                f"blandt {_count_da(s.frame, 'mulig sag', 'mulige sager')}{where}: "
                f"{criteria_da(s.criteria)} ({format_date_da(s.window_start)} – "
                f"{format_date_da(s.window_end)}). Frø {s.seed}.")
        if s.replaced != 0:
            line += (f" {_count_da(s.replaced, 'sag', 'sager')} er skiftet ud med en begrundelse"
                     " (den udskiftede sag og begrundelsen er gemt).")
        lines.append(line)
    if not facts.samples:
        lines.append("Stikprøven er ikke gemt i denne installation.")
    if facts.reviewed == 0:
        lines.append("Ingen sager er gennemgået endnu.")
    else:
        span = (f" fra {format_date_da(facts.first_review)} til "
                f"{format_date_da(facts.last_review)}" if facts.first_review else "")
        lines.append(f"{_count_da(facts.reviewed, 'sag', 'sager')} gennemgået{span}.")
    return lines


def header_lines_da(report: RoundReport) -> list[str]:
    lines = [f"{report.after.label} sammenlignet med {report.before.label.lower()}"]
    if report.teams is not None:
        lines.append(f"Omfatter kun: {and_da(list(report.teams))}")
    lines.append(f"Dannet {format_datetime_da(report.made_at)}")
    return lines


def _point(e: Estimate) -> tuple[float, float, float] | str:
    """A round's figure for the interval chart, or what to write in its place."""
    if e.hidden:
        return HIDDEN_TEXT
    return (e.share, e.low, e.high) if e.n else "ingen svar"


def _rows_by_mark(report: RoundReport) -> list[tuple[Row, list[Row]]]:
    return [(m, report.questions_of(m.pejlemaerke)) for m in report.at(Level.PEJLEMAERKE)]


# --- PDF ----------------------------------------------------------------------------------------

_WIDTHS = (56, 35, 35, 20, 28)  # mm: what, before, after, change, verdict (174 = the text width)


class _ReportPdf(PdfDoc):
    def __init__(self, report: RoundReport):
        name = report.programme.name
        super().__init__(f"{name} – {report.after.label}",
                         f"{name} · {report.after.label} mod {report.before.label.lower()} · "
                         f"{COMMITTEE}")
        self.report = report

    def chart(self, rows: list[Row], labels: list[str]) -> None:
        """The rows' two rounds as dots with their intervals, under a caption kept with it."""
        r, pdf = self.report, self.pdf
        items = [(label, _point(row.before), _point(row.after))
                 for label, row in zip(labels, rows, strict=True)]
        self.heading("Andel ja med 95 %-interval", 9.5, 5, then=interval_chart_height(items))
        page, top = pdf.page_no(), pdf.get_y()
        draw_intervals(pdf, self.font, items, (r.before.label, r.after.label), self.t)
        self.drawn.append(Drawn(page, "chart", top, pdf.get_y()))

    def table_height(self, rows: list[Row]) -> float:
        """About how tall the table of ``rows`` is (mm): a heading row, and per row its label's
        lines (about 34 characters to a line in the first column) or the figure's three.
        A table of up to a half page is kept whole: its heading asks for this much room."""
        def lines(row: Row) -> int:
            return -(-len(row.label) // 34) + (row.level is Level.QUESTION)

        return 10 + sum(max(3, lines(row)) * 3.9 + 2.6 for row in rows)

    def keep(self, rows: list[Row]) -> float:
        """The room a table's heading asks for: the whole table when it is short."""
        whole = self.table_height(rows)
        return whole if whole <= self.pdf.eph / 2 else self.table_height(rows[:1])

    def table(self, rows: list[Row], first: str, labels: list[str] | None = None) -> None:
        """One row per figure: what, before, after, change, verdict. A table that would start
        at the foot of a page starts on the next (its heading row and first row together)."""
        from fpdf.fonts import FontFace

        pdf, r = self.pdf, self.report
        if pdf.will_page_break(self.table_height(rows[:1])):
            pdf.add_page()
        page, top = pdf.page_no(), pdf.get_y()
        pdf.set_font(self.font, "", 8)
        with pdf.table(col_widths=_WIDTHS, text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "LEFT"),
                       line_height=3.9, first_row_as_headings=True, padding=1.2,
                       headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
                       ) as table:
            table.row([self.t(x) for x in (first, r.before.label, r.after.label,
                                           "Ændring, pct.-point", "Vurdering")])
            for row, what in zip(rows, labels or [row.label for row in rows], strict=True):
                if row.level is Level.QUESTION and row.kind is not None:
                    what += f"\n({KIND_LABELS_DA[row.kind].lower()})"
                cells = (what, "\n".join(estimate_lines_da(row.before, row.level)),
                         "\n".join(estimate_lines_da(row.after, row.level)),
                         change_cell_da(change_points(row)), verdict_da(row))
                table.row([self.t(x) for x in cells])
        self.drawn.append(Drawn(page, "table", top, pdf.get_y()))

    def build(self) -> bytes:
        r, pdf = self.report, self.pdf
        pdf.add_page()
        self.heading(r.programme.name, 20, 10)
        self.text(f"Bilag til {COMMITTEE}", 13, h=7)
        pdf.ln(2)
        for line in header_lines_da(r):
            self.text(line, 10, h=5)
        pdf.ln(3)
        self.heading("Formål", 12, 6)
        purpose = PURPOSE_DA[r.programme.purpose]
        if r.programme.description:
            purpose += " " + " ".join(r.programme.description.split())
        self.text(purpose, 9.5, h=4.6)
        pdf.ln(2)
        self.heading("Sådan er sagerne udtrukket", 12, 6)
        self.text(sampling_text_da(r.programme) + " Udtrækket kan genskabes: frøet, listen "
                  "over de mulige sager og reglen er gemt sammen med stikprøven.", 9.5, h=4.6)
        for facts in (r.before, r.after):
            pdf.ln(1)
            self.text(facts.label, 9.5, "B", h=4.6)
            for line in round_lines_da(facts):
                self.text(line, 9.5, h=4.6)
        pdf.ln(2)
        self.heading("Sådan læses tallene", 12, 6)
        self.text(READING_GUIDE.format(hidden=withheld_rule_da(r.threshold)), 8.5, h=4.2,
                  color=(60, 60, 60))
        pdf.ln(3)
        overview = r.at(Level.PEJLEMAERKE) + r.at(Level.TOTAL)
        self.heading("Overblik: de fire pejlemærker", 13, 7, then=self.keep(overview))
        self.table(overview, "Pejlemærke")
        pdf.ln(4)
        self.heading("Lovmedholdelighed og faglig kvalitet", 13, 7,
                     then=8 + self.keep(r.at(Level.KIND)))
        self.text("Lovmedholdelighed: lever sagen op til lovens krav. Faglig kvalitet: er "
                  "arbejdet fagligt godt nok.", 8.5, h=4.2, color=(60, 60, 60))
        pdf.ln(1)
        self.table(r.at(Level.KIND), "Type spørgsmål")
        pdf.ln(4)
        summary = overview + r.at(Level.KIND)
        self.chart(summary, [row.label for row in summary])
        for mark, questions in _rows_by_mark(r):
            pdf.add_page()
            self.heading(mark.label, 16, 9)
            self.text(f"Alle spørgsmål under {mark.label.lower()}: "
                      + "; ".join(f"{facts.label} {self._short(e, mark.level)}" for facts, e in
                                  ((r.before, mark.before), (r.after, mark.after)))
                      + f". Ændring: {change_text_da(change_points(mark))}.", 9.5, h=4.6)
            pdf.ln(2)
            labels = [f"{i}. {q.label}" for i, q in enumerate(questions, start=1)]
            self.table(questions, "Spørgsmål", labels)
            pdf.ln(4)
            self.chart(questions, labels)
        return self.output()

    @staticmethod
    def _short(e: Estimate, level: Level) -> str:
        lines = estimate_lines_da(e, level)
        return lines[0] if len(lines) == 1 else f"{lines[0]} ({lines[1]}, {lines[2]})"

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def build_pdf(report: RoundReport) -> bytes:
    """The PDF: purpose, sampling, how to read it, the pejlemærker and the two kinds side by
    side, then a page per pejlemærke with its questions."""
    return _ReportPdf(report).build()


def pdf_layout(report: RoundReport) -> tuple[bytes, list[Drawn]]:
    """The PDF and where each heading, line and table went (for the layout tests)."""
    maker = _ReportPdf(report)
    return maker.build(), maker.drawn


# --- Excel --------------------------------------------------------------------------------------

PCT = "0%"
POINTS = "+0;-0;0"  # the heading says procentpoint; ASCII minus, as Excel's formats want


def build_xlsx(report: RoundReport) -> bytes:
    """The workbook: »Overblik« (pejlemærker, kinds, all), »Spørgsmål« (every question with its
    guidance and legal basis) and »Om målingen« (purpose, samples, how to read). Numbers stay
    numbers, as shown (whole percentages); withheld figures are the text »skjult«."""
    import xlsxwriter

    r = report
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, **WORKBOOK_OPTIONS})
    wb.set_properties({"title": f"{r.programme.name} – {r.after.label}",
                       "author": "Pejlemærker", "comments": header_lines_da(r)[0]})
    title = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1,
                          "bg_color": "#EEEEEE"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    plain = wb.add_format({"valign": "top"})
    bold = wb.add_format({"bold": True, "valign": "top"})
    right = wb.add_format({"align": "right", "valign": "top"})
    pct = wb.add_format({"num_format": PCT, "valign": "top"})
    count = wb.add_format({"num_format": "#,##0", "valign": "top"})
    points = wb.add_format({"num_format": POINTS, "valign": "top"})

    figure_cols = []
    for facts in (r.before, r.after):
        figure_cols += [f"{facts.label}: andel ja", f"{facts.label}: 95 %-interval fra",
                        f"{facts.label}: 95 %-interval til", f"{facts.label}: n"]
    figure_cols += ["Ændring (procentpoint)", "Vurdering"]

    def figures(ws, row_no: int, col: int, row: Row) -> None:
        for e in (row.before, row.after):
            if e.hidden or not e.n:
                for i in range(4):
                    ws.write_string(row_no, col + i, HIDDEN_TEXT if e.hidden else "–", right)
            else:
                for i, x in enumerate((e.share, e.low, e.high)):
                    ws.write_number(row_no, col + i, percent(x) / 100, pct)
                ws.write_number(row_no, col + 3, e.n, count)
            col += 4
        p = change_points(row)
        if p is None:
            ws.write_string(row_no, col, "–", right)
        else:
            ws.write_number(row_no, col, p, points)
        ws.write(row_no, col + 1, verdict_da(row), plain)

    def layout(ws, header_row: int, widths: list[float], frozen: int) -> None:
        for c, width in enumerate(widths):
            ws.set_column(c, c, width)
        ws.set_row(header_row, 45)
        ws.freeze_panes(header_row + 1, frozen)

    def top(ws, heading: str) -> int:
        ws.write(0, 0, heading, title)
        for i, line in enumerate(header_lines_da(r)):
            ws.write(1 + i, 0, line)
        note = len(header_lines_da(r)) + 1
        ws.write(note, 0, "Andel ja af ja, delvist og nej, med 95 %-interval; n er antal svar. "
                 + withheld_rule_da(r.threshold))
        return note + 2

    ws = wb.add_worksheet("Overblik")
    h = top(ws, f"{r.programme.name} – overblik")
    for c, name in enumerate(["Pejlemærke / type", *figure_cols]):
        ws.write(h, c, name, head)
    line = h + 1
    for row in r.at(Level.PEJLEMAERKE) + r.at(Level.TOTAL) + r.at(Level.KIND):
        ws.write(line, 0, row.label, bold if row.level is Level.TOTAL else wrap)
        figures(ws, line, 1, row)
        line += 1
    layout(ws, h, [34] + [13] * 8 + [14, 36], frozen=1)

    ws = wb.add_worksheet(_sheet_name("Spørgsmål"))
    h = top(ws, f"{r.programme.name} – spørgsmål")
    cols = ["Pejlemærke", "Spørgsmål", "Type", *figure_cols, "Hvad tæller som ja",
            "Barnets Lov", "Serviceloven", "Id"]
    for c, name in enumerate(cols):
        ws.write(h, c, name, head)
    line = h + 1
    for mark, questions in _rows_by_mark(r):
        for row in questions:
            q = r.programme.question(row.key)
            ws.write(line, 0, mark.label, plain)
            ws.write(line, 1, row.label, wrap)
            ws.write(line, 2, KIND_LABELS_DA[q.kind], plain)
            figures(ws, line, 3, row)
            after = 3 + len(figure_cols)
            for i, value in enumerate((q.guidance, q.legal_basis.barnets_lov,
                                       q.legal_basis.sel, q.id)):
                ws.write(line, after + i, value, wrap)
            line += 1
    layout(ws, h, [18, 48, 17] + [12] * 8 + [13, 34, 60, 22, 22, 26], frozen=2)

    ws = wb.add_worksheet("Om målingen")
    ws.write(0, 0, f"{r.programme.name} – om målingen", title)
    texts = [("Formål", PURPOSE_DA[r.programme.purpose] + (
        " " + " ".join(r.programme.description.split()) if r.programme.description else "")),
        ("Udtræk", sampling_text_da(r.programme))]
    for facts in (r.before, r.after):
        texts.append((facts.label, "\n".join(round_lines_da(facts))))
    texts.append(("Sådan læses tallene",
                  READING_GUIDE.format(hidden=withheld_rule_da(r.threshold))))
    for i, (label, text) in enumerate(texts, start=2):
        ws.write(i, 0, label, bold)
        ws.write(i, 1, text, wrap)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 110)
    wb.close()
    return buf.getvalue()
