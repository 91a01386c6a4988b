"""Overblik: Børne- og Familieudvalgets key figures for one period, grouped by pejlemærke, and the
meeting papers for that period. Widgets → kpis → render; the tiles are built in kpis.present.
"""

from __future__ import annotations

import streamlit as st

from kpis.access.roles import Role, scope_for
from kpis.access.suppression import withheld_rule_da
from kpis.present.formatting import format_date_da, format_datetime_da, whose_figures_da
from kpis.present.meeting_papers import (
    PDF_MIME,
    READING_GUIDE,
    XLSX_MIME,
    MeetingPapers,
    build_pdf,
    build_xlsx,
)
from kpis.present.meeting_papers_docx import DOCX_MIME, build_docx
from kpis.present.period_choice import (
    committee_equivalent,
    kinds_for,
    period_label_da,
    period_span_da,
    periods_needed,
    trend_periods,
)
from kpis.present.tiles import SUPPRESSION_THRESHOLD, build_tiles, sections
from pages._access import audited_export
from pages._auth import current_scope
from pages._committee import period_controls, render_tile
from pages._frame import current_snapshot
from pages._results import current_kpis, get_results
from pages._review_report import committee_section
from pages._widgets import button_row

scope = current_scope()  # every engine call below takes it; a committee member's is suppressed
threshold = scope.suppress_below or SUPPRESSION_THRESHOLD
TILES_PER_ROW = 3

db, meta = current_snapshot()
kpiset = current_kpis()
as_of = meta.as_of

st.title("Overblik")
st.markdown(
    f"{whose_figures_da(scope.team_list)}. Data opgjort pr. **{format_date_da(as_of)}**, "
    f"senest indlæst {format_datetime_da(meta.imported_at)}."
)
committee = scope.suppress_below is not None
period, comparison = period_controls(as_of, kinds_for(committee))
other = comparison.of(period)

# One engine call for the page: the trend, the comparison period and the period holding the
# as-of date (where pending steps are reported). A committee member's papers use this very frame.
needed = periods_needed(period, comparison, as_of)
with st.spinner("Beregner nøgletallene …"):
    results = get_results(db, meta.snapshot_id, kpiset, [p.label for p in needed], scope=scope)
tiles = build_tiles(kpiset, results, period, comparison, trend_periods(period), as_of,
                    threshold=threshold)

st.markdown(
    f"**{period_label_da(period)}** ({period_span_da(period)}) sammenlignet med "
    f"**{period_label_da(other)}**."
)
# The papers are public: they carry the committee's figures for the whole department, whoever
# makes them, and exist only for the periods the committee may see (docs/disclosure.md).
paper_period = period if committee else committee_equivalent(period, as_of)
if scope.teams is not None:
    st.caption("Bilag til udvalgsmøde dækker hele afdelingen og dannes af udvalget, analytikere "
               "og administratorer.")
elif paper_period is None:
    st.caption("Bilag til udvalgsmøde dannes kun for de perioder, udvalget kan vælge: kvartaler, "
               "år og løbende 12 måneder til et kvartals slutning i de seneste 5 år.")
else:
    paper_results = results if committee else get_results(
        db, meta.snapshot_id, kpiset,
        [p.label for p in periods_needed(paper_period, comparison, as_of)],
        scope=scope_for(Role.COMMITTEE))
    papers = MeetingPapers(kpiset, paper_results, paper_period, comparison, as_of,
                           meta.imported_at, threshold)
    # The files are made on the server when clicked (a callable), so the page stays fast.
    downloads = (("Hent bilag til udvalgsmøde (PDF)", build_pdf, "pdf", PDF_MIME, "bilag_pdf",
                  ":material/picture_as_pdf:"),
                 ("Hent bilag til udvalgsmøde (Word)", build_docx, "docx", DOCX_MIME, "bilag_docx",
                  ":material/description:"),
                 ("Hent tallene i Excel", build_xlsx, "xlsx", XLSX_MIME, "bilag_xlsx",
                  ":material/table_view:"))
    row = button_row()
    for label, build, ext, mime, key, icon in downloads:
        name = f"{papers.file_stem}.{ext}"
        row.download_button(label, data=audited_export(lambda build=build: build(papers),
                                                          "overblik", name,
                                                          period=paper_period.label),
                               file_name=name, mime=mime, on_click="ignore", key=key, icon=icon)
    if not committee:
        st.caption("Bilaget følger udvalgets regler – også for de tal, du selv kan se her: "
                   + withheld_rule_da(threshold))
if scope.teams is None:  # the committee's report, for the whole department like the papers
    committee_section(scope, db, meta.snapshot_id, kpiset)
with st.expander("Sådan læses tallene"):
    st.markdown(READING_GUIDE.format(hidden=withheld_rule_da(threshold)))

for title, group in sections(tiles):
    st.subheader(title)
    for start in range(0, len(group), TILES_PER_ROW):
        columns = st.columns(TILES_PER_ROW)
        for column, tile in zip(columns, group[start:start + TILES_PER_ROW]):
            with column:
                render_tile(tile, period, comparison)
