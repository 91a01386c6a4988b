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


class WordDoc:
    def __init__(self, title: str, *, subject: str = "") -> None:
        from docx import Document
        from docx.shared import Pt

        self.doc = Document()
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
        self.doc.add_heading(text, level=level).paragraph_format.page_break_before = new_page \
            or None

    def paragraph(self, text: str, *, label: str | None = None, small: bool = False,
                  bold: bool = False) -> None:
        """A paragraph; ``label`` is set in bold before the text ("Mål: …")."""
        from docx.shared import Pt

        p = self.doc.add_paragraph()
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

        shape = self.doc.add_paragraph().add_run().add_picture(io.BytesIO(png),
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
        """A real table: a bold, shaded header row that Word repeats on every page it spans."""
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn
        from docx.shared import Cm

        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        head = table.rows[0]
        tr_pr = head._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        tr_pr.append(repeat)
        for cell, text in zip(head.cells, header):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
            shade = OxmlElement("w:shd")
            shade.set(qn("w:val"), "clear")
            shade.set(qn("w:fill"), HEADER_FILL)
            cell._tc.get_or_add_tcPr().append(shade)
        for values in rows:
            cells = table.add_row().cells
            for i, (cell, text) in enumerate(zip(cells, values)):
                cell.text = ""
                run = cell.paragraphs[0].add_run(text)
                if first_column_bold and i == 0:
                    run.bold = True
        if widths_cm:
            for row in table.rows:
                for cell, width in zip(row.cells, widths_cm):
                    cell.width = Cm(width)
        self.doc.add_paragraph()  # Word joins two tables that touch

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
