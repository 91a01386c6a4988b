"""The statusrapport for a chosen date: per theme each goal met or not with its figures, the
activities carried out and outstanding, and the figures' definitions in plain Danish; as PDF
(fpdf2, like the meeting papers) and Word (.docx, python-docx: meeting systems take Word bilag the
secretariat edits). The figures are the page's (``kpis.present.plan_view``) from the same
``kpis.plan.progress`` with the reader's scope: the same suppression, and no case ids."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from kpis.plan.model import ActivityStatus, Plan
from kpis.plan.progress import GoalProgress
from kpis.plan.status_store import is_overdue
from kpis.present import plan_view as pv
from kpis.present.formatting import format_date_da
from kpis.rules.definitions import KpiSet

TITLE = "Statusrapport"


@dataclass(frozen=True)
class Block:
    kind: str  # "title", "heading", "subheading" or "text"
    text: str


def build(plan: Plan, goals: list[GoalProgress], statuses: dict[str, ActivityStatus],
          kpiset: KpiSet, on: date) -> list[Block]:
    by_goal = {gp.goal.id: gp for gp in goals}
    out = [Block("title", f"{TITLE}: {plan.title}"),
           Block("text", f"Opgjort pr. {format_date_da(on)}. Planen startede "
                         f"{format_date_da(plan.start)}"
                 + (f" og er godkendt af {plan.approved}" if plan.approved else "") + ". "
                 "Udgangspunktet er nøgletallet i det sidste hele kvartal før planens start; "
                 "»nu« er det sidste hele kvartal før opgørelsesdatoen. Et mål er på sporet, når "
                 "tallet ligger på eller over den rette linje fra udgangspunktet til målet.")]
    for theme in plan.themes:
        out.append(Block("heading", theme.title))
        for rec in theme.recommendations:
            out.append(Block("subheading", rec.title))
            for goal in rec.goals:
                gp = by_goal[goal.id]
                out.append(Block("text", f"Mål: {goal.text}"))
                out.append(Block("text", " · ".join(
                    f"{k}: {v}" for k, v in pv.goal_summary(gp, kpiset).items())))
            done = [a for a in rec.activities if statuses[a.id] is ActivityStatus.DONE]
            rest = [a for a in rec.activities if a not in done]
            for label, acts in (("Gennemførte aktiviteter", done),
                                ("Udestående aktiviteter", rest)):
                if acts:
                    out.append(Block("text", f"{label}:"))
                for a in acts:
                    late = " – fristen er overskredet" if is_overdue(a.deadline, statuses[a.id],
                                                                     on) else ""
                    out.append(Block("text", f"• {a.description} ({plan.owner(a.owner).label}; "
                                             f"frist {format_date_da(a.deadline)}; "
                                             f"{statuses[a.id].label_da.lower()}{late})"))
    out.append(Block("heading", "Sådan er tallene opgjort"))
    for kpi_id in dict.fromkeys(gp.goal.kpi for gp in goals):
        kpi = kpiset[kpi_id]
        out.append(Block("text", f"{kpi.name}: {' '.join(kpi.description.split())}"))
    return out


_SIZES = {"title": (16, "B"), "heading": (13, "B"), "subheading": (11, "B"), "text": (10, "")}


def to_pdf(blocks: list[Block]) -> bytes:
    from fpdf import FPDF

    from kpis.present.meeting_papers import fonts as _fonts

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_title(blocks[0].text)
    pdf.set_lang("da")
    font, unicode = _fonts(pdf)
    pdf.add_page()
    for b in blocks:
        size, style = _SIZES[b.kind]
        pdf.set_font(font, style, size)
        if b.kind != "text":
            pdf.ln(2)
        text = b.text if unicode else b.text.replace("•", "-").replace("·", "-").replace("–", "-")
        pdf.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def to_docx(blocks: list[Block]) -> bytes:
    from docx import Document

    doc = Document()
    doc.core_properties.title = blocks[0].text
    levels = {"title": 0, "heading": 1, "subheading": 2}
    for b in blocks:
        if b.kind in levels:
            doc.add_heading(b.text, level=levels[b.kind])
        else:
            doc.add_paragraph(b.text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
