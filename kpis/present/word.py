"""Word documents (.docx, python-docx) the secretariat can edit: municipal meeting systems take
Word bilag, and the secretariat rewrites them. So everything is real structure — the Title and
Heading 1-3 styles (Word's navigation pane and table of contents find them), real tables with a
header row repeated on every page, text as text (no images of text) — in Danish, and nothing is
laid out with spaces or tabs. Used by the statusrapport and the committee meeting papers."""

from __future__ import annotations

import io
from collections.abc import Sequence

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LANGUAGE = "da-DK"
HEADER_FILL = "EEEEEE"
# A4 with the PDF's text width (174 mm): python-docx's own template is US Letter.
PAGE_CM, MARGIN_CM, TOP_BOTTOM_CM = (21.0, 29.7), 1.8, 2.0
TEXT_WIDTH_CM = PAGE_CM[0] - 2 * MARGIN_CM
TABLE_PT = 9  # the PDF's table size: a narrow column's heading breaks between words, not in one
KEEP_TOGETHER_ROWS = 15  # a table this short is kept on one page (and with what stands above)


class WordDoc:
    def __init__(self, title: str, *, subject: str = "") -> None:
        from docx import Document
        from docx.shared import Cm, Pt

        self.doc = Document()
        self._after_table = False
        section = self.doc.sections[0]
        section.page_width, section.page_height = Cm(PAGE_CM[0]), Cm(PAGE_CM[1])
        section.left_margin = section.right_margin = Cm(MARGIN_CM)
        section.top_margin = section.bottom_margin = Cm(TOP_BOTTOM_CM)
        props = self.doc.core_properties
        props.title, props.subject, props.author = title, subject, "Pejlemærker"
        props.language = LANGUAGE
        normal = self.doc.styles["Normal"]
        normal.font.name = "Calibri"
        normal.font.size = Pt(10.5)
        for style in self.doc.styles:  # spell-checking and hyphenation in Danish
            if hasattr(style, "element") and style.element.rPr is not None:
                _set_language(style.element.rPr)
        _set_language(normal.element.get_or_add_rPr())

    def heading(self, text: str, level: int, *, new_page: bool = False) -> None:
        """Level 0 is the document's Title, 1-3 its Heading 1-3; ``new_page`` starts a page
        (as a paragraph property, so it survives the secretariat's edits above it)."""
        self._after_table = False
        self.doc.add_heading(text, level=level).paragraph_format.page_break_before = new_page \
            or None

    def paragraph(self, text: str, *, label: str | None = None, small: bool = False,
                  bold: bool = False, keep_with_next: bool = False) -> None:
        """A paragraph; ``label`` is set in bold before the text ("Mål: …");
        ``keep_with_next``: a lead-in ("Udestående aktiviteter:") never ends a page alone."""
        from docx.shared import Pt

        p = self._add_paragraph()
        if keep_with_next:
            p.paragraph_format.keep_with_next = True
        if label:
            p.add_run(f"{label}: ").bold = True
        run = p.add_run(text)
        run.bold = bold or None
        if small:
            run.font.size = Pt(9)

    def picture(self, png: bytes, width_cm: float, alt_text: str) -> None:
        """A chart as a picture, with its alternative text (Word's "Alternativ tekst"): the
        words a screen reader says instead. Text is never a picture."""
        from docx.shared import Cm

        shape = self._add_paragraph().add_run().add_picture(io.BytesIO(png),
                                                               width=Cm(width_cm))
        shape._inline.docPr.set("descr", alt_text)

    def footer(self, text: str) -> None:
        """Every page's footer: what the document is and its date (the PDF's footer too)."""
        from docx.shared import Pt

        p = self.doc.sections[0].footer.paragraphs[0]
        p.text = ""
        p.add_run(text).font.size = Pt(8)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]],
              widths_cm: Sequence[float] | None = None, *, first_column_bold: bool = False
              ) -> None:
        """A real table: a bold, shaded header row that Word repeats on every page it spans, no
        row split over two pages, and a short table kept on one page. ``widths_cm`` are set as
        the table's grid (LibreOffice reads that) and on each cell (Word reads that), narrowed
        to the text width when they are wider."""
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Cm, Pt

        if self._after_table:
            self.doc.add_paragraph()  # Word joins two tables that touch
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.autofit = False
        head = table.rows[0]
        tr_pr = head._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        tr_pr.append(repeat)
        for cell, text in zip(head.cells, header):
            cell.text = ""
            run = cell.paragraphs[0].add_run(text)
            run.bold, run.font.size = True, Pt(TABLE_PT)
            shade = OxmlElement("w:shd")
            shade.set(qn("w:val"), "clear")
            shade.set(qn("w:fill"), HEADER_FILL)
            cell._tc.get_or_add_tcPr().append(shade)
        for values in rows:
            cells = table.add_row().cells
            for i, (cell, text) in enumerate(zip(cells, values)):
                cell.text = ""
                run = cell.paragraphs[0].add_run(text)
                run.font.size = Pt(TABLE_PT)
                if first_column_bold and i == 0:
                    run.bold = True
        if widths_cm:
            scale = min(1.0, TEXT_WIDTH_CM / sum(widths_cm))
            widths = [Cm(w * scale) for w in widths_cm]
            for column, width in zip(table.columns, widths):
                column.width = width
            for row in table.rows:
                for cell, width in zip(row.cells, widths):
                    cell.width = width
        keep = len(table.rows) <= KEEP_TOGETHER_ROWS
        for i, row in enumerate(table.rows):
            no_split = OxmlElement("w:cantSplit")
            no_split.set(qn("w:val"), "true")
            row._tr.get_or_add_trPr().insert(0, no_split)
            if keep and i < len(table.rows) - 1:  # each row kept with the next: one page
                for cell in row.cells:
                    for paragraph in cell.paragraphs:
                        paragraph.paragraph_format.keep_with_next = True
        # No empty paragraph after it: one that falls onto a new page, before a heading that
        # starts a page itself, leaves a blank page. What follows keeps its distance instead.
        self._after_table = True

    def _add_paragraph(self):
        from docx.shared import Pt

        p = self.doc.add_paragraph()
        if self._after_table:
            p.paragraph_format.space_before = Pt(8)
        self._after_table = False
        return p

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.doc.save(buf)
        return buf.getvalue()


def _set_language(r_pr) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)
    lang.set(qn("w:val"), LANGUAGE)
