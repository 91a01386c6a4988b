"""The sagsmåling report's download buttons, shared by Overblik (the committee's report) and
Sagsgennemgang (the reviewer's rounds). Streamlit glue only: the report is built in
``kpis.review.round_report`` and written in ``kpis.present.review_report``, on click.

Not a page (app.py lists the pages explicitly).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from kpis.compute.engine import Scope
from kpis.present.meeting_papers import PDF_MIME, XLSX_MIME
from kpis.present.review_report import build_pdf, build_xlsx
from kpis.review import findings_source
from kpis.review import round_report as rr
from kpis.review.model import reviews_config_path, round_label_da
from kpis.review.validate import ReviewConfigError, load_and_validate
from kpis.rules.definitions import KpiSet
from pages._access import audited_export
from pages._results import cache_of
from pages._widgets import button_row

PDF_LABEL = "Hent rapport om sagsmålingen (PDF)"
XLSX_LABEL = "Hent sagsmålingen i Excel"


@st.cache_data(show_spinner=False, max_entries=8, ttl=600)
def _committee_offers(revision: str, config_path: str,
                      config_stamp: float) -> list[tuple[str, str, str, str]]:
    """(programme id, name, before, after) for every report the committee can get; keyed on
    the reviews' revision and the måleskema file, so a completed review shows next run."""
    try:
        config = load_and_validate(Path(config_path))
    except ReviewConfigError:  # the Sagsgennemgang page says what is wrong with the file
        return []
    names = {p.id: p.name for p in config.programmes}
    return [(pid, names[pid], before, after)
            for pid, before, after in rr.offers(config.programmes, rr.read_findings())]


def committee_offers() -> list[tuple[str, str, str, str]]:
    path = reviews_config_path()  # the file Gennemgangsprogrammer edits
    stamp = path.stat().st_mtime if path.exists() else 0.0
    return _committee_offers(findings_source.revision(), str(path), stamp)


def report_buttons(programme_id: str, before: str, after: str, scope: Scope, page: str,
                   key: str, db: Path, snapshot_id: str, kpiset: KpiSet) -> None:
    """PDF and Excel of ``after`` against ``before`` for the scope's teams, built and logged in
    the audit log when clicked; checked against the committee's other views of the snapshot."""
    def report() -> rr.RoundReport:
        return rr.report_for(load_and_validate(reviews_config_path())[programme_id], before, after,
                             scope, source=cache_of(str(db), snapshot_id), kpiset=kpiset)

    stem = rr.file_stem(programme_id, before, after)
    row = button_row()
    row.download_button(PDF_LABEL, data=audited_export(lambda: build_pdf(report()), page,
                                                       f"{stem}.pdf"),
                        file_name=f"{stem}.pdf", mime=PDF_MIME, on_click="ignore",
                        key=f"{key}_pdf", icon=":material/picture_as_pdf:")
    row.download_button(XLSX_LABEL, data=audited_export(lambda: build_xlsx(report()), page,
                                                        f"{stem}.xlsx"),
                        file_name=f"{stem}.xlsx", mime=XLSX_MIME, on_click="ignore",
                        key=f"{key}_xlsx", icon=":material/table_view:")


def committee_section(scope: Scope, db: Path, snapshot_id: str, kpiset: KpiSet) -> None:
    """Overblik: the latest round of each sagsmåling against its nulpunktsmåling, for the whole
    department (the committee's report, like the meeting papers)."""
    for pid, name, before, after in committee_offers():
        st.markdown(f"**{name}**: {round_label_da(after).lower()} sammenlignet med "
                    f"{round_label_da(before).lower()} – pr. pejlemærke og spørgsmål, med "
                    "95 %-intervaller.")
        report_buttons(pid, before, after, scope, "overblik", f"sagsmaaling_{pid}", db,
                       snapshot_id, kpiset)
