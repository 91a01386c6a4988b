"""The statusrapport (statusnotat) for a chosen date: per theme each goal met or not with its
figures, the activities carried out and outstanding (overdue ones marked), the case measurement's
rounds before and after, and the figures' definitions in plain Danish; as PDF (fpdf2, like the
meeting papers) and Word (.docx: meeting systems take Word bilag the secretariat edits).

One content model (``build`` → blocks) for both files, so they say the same. The figures are the
Udviklingsplan page's (``kpis.present.plan_view.goal_summary``) from the same ``kpis.plan.progress``
with the reader's scope: the same suppression, and no case ids. On the report date (docs/plan.md):
the figures are those of the last quarter complete on that day, an activity's status the one its
dated history gives for that day, and "on track" is read on the line on that day.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import polars as pl

from kpis.access.suppression import withheld_rule_da
from kpis.plan.model import Activity, ActivityStatus, Plan, Recommendation
from kpis.plan.progress import GoalProgress, Standing
from kpis.plan.status_store import State, is_overdue
from kpis.present import plan_view as pv
from kpis.present import review_report as rp
from kpis.present.counting import how_counted, legal_basis_lines
from kpis.present.formatting import (
    format_date_da,
    whose_figures_da,
)
from kpis.review.model import Programme, Purpose, round_label_da
from kpis.rules.definitions import KpiSet

TITLE = "Statusrapport"
PDF_MIME = "application/pdf"


# --- the content model ----------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # mm of the PDF's 174 mm text width (Word gets the same in cm/10)
    first_column_bold: bool = False


@dataclass(frozen=True)
class Block:
    kind: str  # "title", "footer", "heading", "subheading", "goal", "label", "text", "small",
    # "table" or "chart" (its text is the chart's alternative text)
    text: str = ""
    table: Table | None = None
    chart: object = None  # an Altair chart, drawn to PNG only when a file is made


CHART_WIDTH_PX, CHART_WIDTH_MM = 560, 130.0
CHART_HEIGHT_MM = 56.0  # about what 130 mm of the trajectory chart's width takes in height


# --- activities on the report date ----------------------------------------------------------

CARRIED_OUT, OUTSTANDING, ABANDONED = "Gennemførte aktiviteter", "Udestående aktiviteter", \
    "Opgivne aktiviteter"


@dataclass(frozen=True)
class ActivityLine:
    activity: Activity
    owner: str  # the owner's label: a role or a team, never a person
    state: State
    overdue: bool


def activity_groups(plan: Plan, activities: tuple[Activity, ...], states: dict[str, State],
                    on: date) -> dict[str, list[ActivityLine]]:
    """The activities carried out, outstanding (not started or in progress; overdue marked) and
    abandoned on ``on``, each in the plan's order, from their states on that day."""
    groups: dict[str, list[ActivityLine]] = {CARRIED_OUT: [], OUTSTANDING: [], ABANDONED: []}
    for a in activities:
        state = states.get(a.id, State(ActivityStatus.NOT_STARTED, None))
        group = {ActivityStatus.DONE: CARRIED_OUT, ActivityStatus.ABANDONED: ABANDONED}.get(
            state.status, OUTSTANDING)
        groups[group].append(ActivityLine(a, plan.owner(a.owner).label, state,
                                          is_overdue(a.deadline, state.status, on)))
    return groups


def _status_da(state: State) -> str:
    if state.since is None:
        return state.status.label_da
    word = "siden" if state.status is ActivityStatus.IN_PROGRESS else "den"
    return f"{state.status.label_da} {word} {format_date_da(state.since)}"


def _activity_table(group: str, lines: list[ActivityLine]) -> Table:
    if group == OUTSTANDING:
        return Table(("Aktivitet", "Ansvarlig", "Frist", "Status", "Frist overskredet"),
                     tuple((x.activity.description, x.owner, format_date_da(x.activity.deadline),
                            _status_da(x.state), pv.OVERDUE_DA if x.overdue else "")
                           for x in lines), (64, 30, 26, 30, 24))
    return Table(("Aktivitet", "Ansvarlig", "Frist", "Status"),
                 tuple((x.activity.description, x.owner, format_date_da(x.activity.deadline),
                        _status_da(x.state)) for x in lines), (76, 34, 28, 36))


# --- case-measurement rounds ------------------------------------------------------------------


@dataclass(frozen=True)
class RoundComparison:
    """A sagsmåling's first round (the nulpunktsmåling) against its latest round with completed
    reviews by the report date, per pejlemærke and for all questions: share of ja with its 95 %
    interval and n, as ``kpis.review.round_report`` computes and suppresses it."""

    programme: str  # its name
    before: str | None  # round labels in Danish; None: no completed review in that round yet
    after: str | None
    rows: tuple[tuple[str, ...], ...]  # Pejlemærke, Før, Efter, Ændring, Forskellen
    whole_rounds: bool = False  # every completed review of the rounds, also those after the date


ROUND_HEADER = ("Pejlemærke", "Før", "Efter", "Ændring", "Forskellen")
ROUND_METHOD_DA = (
    "Andelen er de svar, der er ja, af dem, der er ja, delvist eller nej (»ikke relevant« tæller "
    "ikke med); n er antallet af svar. Tallene bygger på en stikprøve af sager og er skøn: derfor "
    "står hvert tal med sit 95 %-interval. Overlapper intervallerne før og efter, kan forskellen "
    "skyldes tilfældigheder. Hele målingen står i rapporten om sagsmålingen.")


def _estimate_da(e, level) -> str:
    return " ".join(rp.estimate_lines_da(e, level)) if e.hidden or not e.n else \
        "{} ({}, {})".format(*rp.estimate_lines_da(e, level))


def case_rounds(findings: pl.DataFrame, programmes: list[Programme], on: date,
                suppress_below: int | None = None, guard_of=None) -> list[RoundComparison]:
    """Each sagsmåling's nulpunktsmåling against its latest round with a review completed by
    ``on``. ``findings`` are ``kpis.review.store.findings`` with the reader's scope. Only
    aggregates leave here: no case id.

    Without ``suppress_below`` the figures count the reviews completed by ``on``. With it (the
    committee's threshold) they count every completed review of those rounds, as the sagsmåling
    report on Overblik does: were they cut at the date, two reports a day apart would differ by
    that day's one or two reviews, and their difference would give those reviews' answers away.
    They are suppressed as that report suppresses them (``round_report.suppress``: small figures
    and those they could be worked out from, over all its rows), so this extract shows nothing
    that report withholds. ``guard_of(programme id)`` gives that report's guard against the
    committee's other views (``round_report.committee_guard``), or None."""
    from kpis.review import round_report as rr

    out = []
    seen = findings.filter(pl.col("review_date") <= on)
    for prog in programmes:
        if prog.purpose is not Purpose.SAGSMAALING or not prog.rounds:
            continue
        done = rr.rounds_with_findings(prog, seen)
        before = prog.rounds[0]
        after = next((r for r in reversed(done) if r != before), None)
        if before not in done and after is None:
            out.append(RoundComparison(prog.name, None, None, ()))
            continue
        # With one round only, the other side is a round nobody answered: its figures are empty.
        counted = seen if suppress_below is None else findings
        rows = rr.figures(counted, prog, before, after or "")
        if suppress_below is not None:
            guard = guard_of(prog.id) if guard_of else None
            views = (None if guard is None
                     else rr.other_views(findings, prog, before, after or "", guard))
            rows = rr.suppress(rows, suppress_below, views)
        shown = [r for r in rows if r.level in (rr.Level.PEJLEMAERKE, rr.Level.TOTAL)]
        out.append(RoundComparison(
            prog.name, round_label_da(before) if before in done else None,
            round_label_da(after) if after else None,
            tuple((r.label, _estimate_da(r.before, r.level), _estimate_da(r.after, r.level),
                   rp.change_text_da(rp.change_points(r)), rp.verdict_da(r)) for r in shown),
            whole_rounds=suppress_below is not None))
    return out


def _rounds_blocks(rounds: list[RoundComparison], on: date) -> list[Block]:
    out = [Block("heading", "Sagsmåling før og efter")]
    if not rounds:
        return out + [Block("text", "Der er ingen sagsmåling i måleskemaet.")]
    for rc in rounds:
        out.append(Block("subheading", rc.programme))
        if rc.before is None and rc.after is None:
            out.append(Block("text", "Der er ingen afsluttede gennemgange i sagsmålingen pr. "
                                     f"{format_date_da(on)}."))
            continue
        if rc.after is None:
            out.append(Block("text", f"{rc.before}; der er endnu ingen statusmåling med "
                                     f"afsluttede gennemgange pr. {format_date_da(on)}."))
        else:
            which = ("alle rundernes afsluttede gennemgange, som i rapporten om sagsmålingen"
                     if rc.whole_rounds else
                     f"gennemgange afsluttet senest {format_date_da(on)}")
            out.append(Block("text", f"Før: {rc.before or 'ingen afsluttede gennemgange'}. "
                                     f"Efter: {rc.after} ({which})."))
        out.append(Block("table", table=Table(ROUND_HEADER, rc.rows, (30, 42, 42, 26, 34),
                                              first_column_bold=True)))
    out.append(Block("small", ROUND_METHOD_DA))
    return out


# --- the report -----------------------------------------------------------------------------


def _overview(plan: Plan, by_goal: dict[str, GoalProgress], states: dict[str, State],
              on: date) -> Table:
    rows = []
    for theme in plan.themes:
        stand = [by_goal[g.id].standing for r in theme.recommendations for g in r.goals]
        acts = [a for r in theme.recommendations for a in r.activities]
        groups = activity_groups(plan, tuple(acts), states, on)
        late = sum(x.overdue for x in groups[OUTSTANDING])
        rows.append((theme.title, *(str(stand.count(s)) for s in Standing),
                     str(len(groups[CARRIED_OUT])),
                     f"{len(groups[OUTSTANDING])} ({late})"))
    return Table(("Tema", *(s.label_da for s in Standing), "Aktiviteter gennemført",
                  "Udestående (heraf overskredet)"), tuple(rows), (40, 18, 18, 18, 22, 26, 32),
                 first_column_bold=True)


def build(plan: Plan, goals: list[GoalProgress], states: dict[str, State], kpiset: KpiSet,
          on: date, *, as_of: date | None = None, rounds: list[RoundComparison] | None = None,
          teams: tuple[str, ...] | None = None, suppress_below: int | None = None
          ) -> list[Block]:
    """The report's blocks, in order. ``goals`` come from ``progress(..., on, scope=...)`` and
    ``states`` from ``status_store.states(plan, on=on)``; ``as_of`` is the snapshot's date (the
    figures are computed on it); ``rounds`` from ``case_rounds`` (None: no case review);
    ``teams`` and ``suppress_below`` are the reader's scope, said in the introduction."""
    by_goal = {gp.goal.id: gp for gp in goals}
    intro = (f"Opgjort pr. {format_date_da(on)}. Planen startede {format_date_da(plan.start)}"
             + (f" og er godkendt af {plan.approved}" if plan.approved else "") + ". "
             "Udgangspunktet er nøgletallet i det sidste hele kvartal før planens start; »nu« er "
             "det sidste hele kvartal på opgørelsesdatoen. Et mål er på sporet, når tallet ligger "
             "på eller over den rette linje fra udgangspunktet til målet på opgørelsesdatoen (på "
             "eller under, hvor et lavt tal er godt). Aktiviteternes status er den, de havde på "
             "opgørelsesdatoen.")
    out = [Block("title", f"{TITLE}: {plan.title}"),
           Block("footer", f"{TITLE} · {plan.title} · opgjort pr. {format_date_da(on)}"),
           Block("text", intro)]
    scope = whose_figures_da(teams) + "."
    if as_of is not None:
        scope += f" Tallene er beregnet på datasættet pr. {format_date_da(as_of)}."
    if suppress_below is not None:
        scope += " " + withheld_rule_da(suppress_below)
    out.append(Block("small", scope))
    out += [Block("heading", "Overblik"),
            Block("table", table=_overview(plan, by_goal, states, on))]
    for theme in plan.themes:
        out.append(Block("heading", theme.title))
        for rec in theme.recommendations:
            out += _recommendation_blocks(plan, rec, by_goal, states, kpiset, on)
    if rounds is not None:
        out += _rounds_blocks(rounds, on)
    out.append(Block("heading", "Sådan er tallene opgjort"))
    for kpi_id in dict.fromkeys(gp.goal.kpi for gp in goals):
        kpi = kpiset[kpi_id]
        out.append(Block("subheading", kpi.name))
        out.append(Block("text", " ".join(kpi.description.split())))
        # how_counted(plain=True): the counting rule in words (rule_da), never the query
        for line in [*how_counted(kpi, plain=True), *legal_basis_lines(kpi)]:
            out.append(Block("small", f"{line.label}: {line.text.replace('`', '')}"))
    return out


def _recommendation_blocks(plan: Plan, rec: Recommendation, by_goal: dict[str, GoalProgress],
                           states: dict[str, State], kpiset: KpiSet, on: date) -> list[Block]:
    out = [Block("subheading", rec.title)]
    for goal in rec.goals:
        gp = by_goal[goal.id]
        out.append(Block("goal", goal.text))
        out.append(Block("table", table=Table(("Opgørelse", "Værdi"),
                                              tuple(pv.goal_summary(gp, kpiset).items()),
                                              (44, 130), first_column_bold=True)))
        # the trajectory: the page's chart (the figure per quarter, the dashed line to the
        # target) and the same in words under it, which is also the picture's alternative text
        words = pv.trajectory_text(gp, kpiset)
        if any(p.value is not None for p in gp.series):  # no picture of nothing but a line
            out.append(Block("chart", words,
                             chart=pv.trajectory_chart(gp, kpiset, plan.start)))
        out.append(Block("small", words))
    groups = activity_groups(plan, rec.activities, states, on)
    for group, lines in groups.items():
        if lines:
            out.append(Block("label", f"{group}:"))
            out.append(Block("table", table=_activity_table(group, lines)))
    return out


def file_stem(on: date) -> str:
    return f"statusrapport-{on.isoformat()}"


# --- PDF --------------------------------------------------------------------------------------


def _png(block: Block) -> bytes:
    from kpis.present.charts import to_png

    return to_png(block.chart, width=CHART_WIDTH_PX)


def _height(blocks: list[Block], i: int) -> float:
    """About how many mm block ``i`` needs before a page may break: a heading or goal with what
    it is kept with, a table's header and first three rows, three lines of text."""
    if i >= len(blocks):
        return 0.0
    b = blocks[i]
    if b.kind == "table":
        return 5.0 * (min(len(b.table.rows), 3) + 1) + 2
    if b.kind == "goal" and i + 1 < len(blocks) and blocks[i + 1].kind == "table":
        # its whole table and the chart under it: a goal's figures and its chart share a page
        chart = CHART_HEIGHT_MM + 2 if i + 2 < len(blocks) and blocks[i + 2].kind == "chart" \
            else 0.0
        return 10.0 + 5.0 * (len(blocks[i + 1].table.rows) + 1) + 2 + chart
    if b.kind in ("heading", "subheading", "goal", "label"):
        return 8.0 + _height(blocks, i + 1)
    if i + 1 < len(blocks) and blocks[i + 1].kind == "table":  # a text that leads into a table
        return 3 * 4.8 + _height(blocks, i + 1)
    return 3 * 4.8


def _pdf_writer(blocks: list[Block]):
    from kpis.present.meeting_papers import PdfDoc

    class ReportPdf(PdfDoc):
        def table(self, table: Table) -> None:
            from fpdf.fonts import FontFace

            from kpis.present.meeting_papers import Drawn

            pdf = self.pdf
            page, top = pdf.page_no(), pdf.get_y()
            pdf.set_font(self.font, "", 8.5)
            with pdf.table(col_widths=table.widths, width=sum(table.widths), align="LEFT",
                           text_align="LEFT", line_height=4.4,
                           first_row_as_headings=True,
                           headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
                           repeat_headings=1) as t:
                t.row([self.t(x) for x in table.header])
                for row in table.rows:
                    cells = t.row()
                    for i, x in enumerate(row):
                        style = FontFace(emphasis="BOLD") if table.first_column_bold and i == 0 \
                            else None
                        cells.cell(self.t(x), style=style)
            # where it started (a long table ends on a later page)
            self.drawn.append(Drawn(page, "table", top, pdf.get_y(),
                                    table.rows[0][0] if table.rows else ""))
            pdf.ln(2)

        def chart(self, block: Block) -> None:
            from PIL import Image

            from kpis.present.meeting_papers import Drawn

            png = _png(block)
            with Image.open(io.BytesIO(png)) as im:
                height = CHART_WIDTH_MM * im.height / im.width
            pdf = self.pdf
            if pdf.will_page_break(height + 2):
                pdf.add_page()
            top = pdf.get_y() + 1
            pdf.image(io.BytesIO(png), x=pdf.l_margin, y=top, w=CHART_WIDTH_MM,
                      alt_text=self.t(block.text))
            pdf.set_y(top + height + 1)
            self.drawn.append(Drawn(pdf.page_no(), "chart", top, pdf.get_y(), ""))

    footer = next((b.text for b in blocks if b.kind == "footer"), blocks[0].text)
    return ReportPdf(blocks[0].text, footer)


def pdf_layout(blocks: list[Block]) -> tuple[bytes, list]:
    """The PDF and where each heading, text and table went (for the layout tests)."""
    doc = _pdf_writer(blocks)
    pdf = doc.pdf
    pdf.add_page()
    for i, b in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        # A heading keeps what follows it on its page: a goal its whole table of figures, a
        # recommendation its first goal with that table, a label its table's first rows.
        then = _height(blocks, i + 1)
        if b.kind == "goal" and nxt is not None and nxt.kind == "table":
            then = _height(blocks, i) - 10.0
        if b.kind == "title":
            doc.heading(b.text, 17, 8.5)
            pdf.ln(1)
        elif b.kind == "heading":
            pdf.ln(3)
            doc.heading(b.text, 13, 6.5, then=then)
        elif b.kind == "subheading":
            pdf.ln(1.5)
            doc.heading(b.text, 11, 5.5, then=then)
        elif b.kind == "goal":
            pdf.ln(1)
            doc.heading(f"Mål: {b.text}", 10, 5, then=then)
        elif b.kind == "label":  # "Udestående aktiviteter:" stays with its table
            doc.heading(b.text, 9.5, 4.8, then=then)
        elif b.kind == "text":
            if nxt is not None and nxt.kind == "table" and pdf.will_page_break(
                    len(doc.wrap(b.text, 9.5)) * 4.8 + _height(blocks, i + 1)):
                pdf.add_page()
            doc.text(b.text, 9.5, h=4.8)
        elif b.kind == "small":
            doc.text(b.text, 8, h=3.9, color=(60, 60, 60))
            pdf.ln(1)
        elif b.kind == "table":
            doc.table(b.table)
        elif b.kind == "chart":
            doc.chart(b)
    return bytes(pdf.output()), doc.drawn


def to_pdf(blocks: list[Block]) -> bytes:
    return pdf_layout(blocks)[0]


# --- Word ---------------------------------------------------------------------------------------


def to_docx(blocks: list[Block]) -> bytes:
    """The same blocks in Word: Title, Heading 1 (themes and the closing sections), Heading 2
    (recommendations and KPIs), Heading 3 (goals), paragraphs and real tables."""
    from kpis.present.word import WordDoc

    doc = WordDoc(blocks[0].text, subject=TITLE)
    levels = {"title": 0, "heading": 1, "subheading": 2}
    for b in blocks:
        if b.kind == "footer":
            doc.footer(b.text)
        elif b.kind in levels:
            doc.heading(b.text, levels[b.kind])
        elif b.kind == "goal":
            doc.heading(f"Mål: {b.text}", 3)
        elif b.kind == "chart":
            doc.picture(_png(b), CHART_WIDTH_MM / 10, b.text)
        elif b.kind == "table":
            t = b.table
            doc.table(t.header, t.rows, [w / 10 for w in t.widths],
                      first_column_bold=t.first_column_bold)
        else:
            doc.paragraph(b.text, small=b.kind == "small", bold=b.kind == "label",
                          keep_with_next=b.kind == "label")
    return doc.to_bytes()
