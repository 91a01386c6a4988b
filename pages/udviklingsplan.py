"""Udviklingsplan: per theme each goal with baseline → now → target and its trajectory, and the
activities behind it with the overdue ones marked; the statusrapport for a chosen date as PDF and
Word; department heads update their activities' status. Everything is computed in kpis.plan with
the signed-in user's scope (docs/plan.md). The chosen date (default: the later of the snapshot's
date and today) sets the page and the report alike: activity statuses and overdue marks on that
day, figures in force on it or, past the snapshot's date, on that date."""

from __future__ import annotations

from datetime import date

import streamlit as st

from kpis.access.roles import Role
from kpis.plan import status_store as ss
from kpis.plan.model import ActivityStatus
from kpis.plan.progress import progress
from kpis.plan.validate import PlanError, load_plan, plan_path
from kpis.present import plan_view as pv
from kpis.present import statusrapport
from kpis.present.formatting import danish_today, format_date_da
from kpis.present.word import DOCX_MIME
from kpis.review import store as review_store
from kpis.review.model import reviews_config_path
from kpis.review.round_report import committee_guard
from kpis.review.validate import ReviewConfigError
from kpis.review.validate import load_and_validate as load_reviews
from pages._access import audited_export
from pages._auth import current_scope, current_user
from pages._frame import run_snapshot
from pages._results import cache_of, current_kpis
from pages._widgets import DATE_FORMAT, button_row

snapshot = run_snapshot()
kpiset = current_kpis()
user, scope = current_user(), current_scope()
as_of = snapshot.meta.as_of

st.title("Udviklingsplan")
if saved := st.session_state.pop("plan_gemt", None):
    st.success(saved)
try:
    plan = load_plan(plan_path(), kpiset)
except PlanError as exc:
    st.error("Udviklingsplanen kan ikke læses. Ret filen (python -m kpis plan validate):")
    for p in exc.problems:
        st.write(f"- {p}")
    st.stop()
    raise

# A report for an earlier day (the last committee meeting's, say), or for today: activity
# statuses are the municipality's own records and run on after the export, so a status set today
# shows by default. The figures come from the data set and are never read past its date.
latest = max(as_of, danish_today())
report_date = st.date_input("Opgørelsesdato", value=latest, min_value=min(plan.start, as_of),
                            max_value=latest, format=DATE_FORMAT, key="plan_rapportdato",
                            help="Aktiviteternes status og overskredne frister pr. denne dato. "
                                 "Tallene er beregnet på datasættet pr. "
                                 f"{format_date_da(as_of)} og gælder det sidste hele kvartal "
                                 "pr. den tidligste af de to datoer.")
figures_day = min(report_date, as_of)


@st.cache_data(show_spinner=False, max_entries=16, ttl=3600)
def _progress(db: str, snapshot_id: str, defs_version: str, plan_json: str, day: date,
              scope_key: str, _kpiset, _plan, _scope):
    return progress(cache_of(db, snapshot_id), _kpiset, _plan, day, scope=_scope)


goals = _progress(str(snapshot.db), snapshot.meta.snapshot_id, kpiset.version,
                  plan.model_dump_json(), figures_day, scope.key, kpiset, plan, scope)
by_goal = {gp.goal.id: gp for gp in goals}
on = report_date  # statuses and overdue marks on the report date
states = ss.states(plan, on=on)
statuses = {k: s.status for k, s in states.items()}

st.caption(f"{plan.title}. Start {format_date_da(plan.start)}"
           + (f"; godkendt af {plan.approved}" if plan.approved else "") + ". "
           "Udgangspunktet er nøgletallet i det sidste hele kvartal før planens start; »nu« er "
           f"det sidste hele kvartal pr. {format_date_da(figures_day)}. Et mål er på sporet, "
           "når tallet ligger på eller over den rette linje fra udgangspunktet til målet.")

for theme in plan.themes:
    st.header(theme.title)
    for rec in theme.recommendations:
        st.subheader(rec.title)
        for goal in rec.goals:
            gp = by_goal[goal.id]
            st.markdown(f"**Mål:** {goal.text}")
            summary = pv.goal_summary(gp, kpiset)
            st.markdown(" · ".join(f"{k}: {v}" for k, v in summary.items()))
            st.altair_chart(pv.trajectory_chart(gp, kpiset, plan.start), width="stretch")
            st.caption(pv.trajectory_text(gp, kpiset))
        if rec.activities:
            # A table, not a grid: its text wraps, so no column is cut or scrolled away.
            st.table(pv.activity_table(plan, rec, statuses, on), hide_index=True)

st.header("Statusrapport")
st.caption(f"Rapporten har de samme tal som siden, pr. {format_date_da(on)}, til byrådet eller "
           "udvalget som bilag: PDF, eller Word, som sekretariatet kan redigere. Den har også "
           "sagsmålingens runder før og efter og tallenes definitioner.")
try:
    programmes = list(load_reviews(reviews_config_path()).programmes)
except ReviewConfigError:
    rounds = None  # the review page names the problem; the report leaves the section out
else:
    source = cache_of(str(snapshot.db), snapshot.meta.snapshot_id)
    rounds = statusrapport.case_rounds(
        review_store.findings(scope), programmes, on, scope.suppress_below,
        guard_of=lambda pid: committee_guard(pid, scope, source=source, kpiset=kpiset))
blocks = statusrapport.build(plan, goals, states, kpiset, on, as_of=as_of, rounds=rounds,
                             teams=scope.team_list, suppress_below=scope.suppress_below)
stem = statusrapport.file_stem(on)
row = button_row()
# Made on the server when clicked, and logged as an export then (pages/_access.py).
row.download_button("Hent statusrapport (PDF)",
                    audited_export(lambda: statusrapport.to_pdf(blocks), "udviklingsplan",
                                   f"{stem}.pdf"),
                    file_name=f"{stem}.pdf", mime=statusrapport.PDF_MIME, on_click="ignore",
                    key="plan_pdf", icon=":material/picture_as_pdf:")
row.download_button("Hent statusrapport (Word)",
                    audited_export(lambda: statusrapport.to_docx(blocks), "udviklingsplan",
                                   f"{stem}.docx"),
                    file_name=f"{stem}.docx", mime=DOCX_MIME, on_click="ignore",
                    key="plan_docx", icon=":material/description:")

mine = [a for _, _, a in plan.activities() if ss.may_update(plan, a.id, user.role, scope)]
if user.role is not Role.COMMITTEE and mine:
    st.header("Opdatér en aktivitet")
    with st.form("plan_status"):
        chosen = st.selectbox("Aktivitet", mine, format_func=lambda a: a.description,
                              key="plan_aktivitet")
        status = st.selectbox("Ny status", list(ActivityStatus), format_func=lambda s: s.label_da,
                              key="plan_status_ny")
        day = st.date_input("Dato", value=danish_today(), format=DATE_FORMAT, key="plan_dato")
        note = st.text_input("Note (påkrævet)", key="plan_note")
        if st.form_submit_button("Gem status"):
            try:
                ss.record_change(plan, chosen.id, status, day, note, actor=user.username,
                                 role=user.role, scope=scope)
            except ss.StatusError as exc:
                st.error(str(exc))
            else:
                st.session_state["plan_gemt"] = (f"»{chosen.description}« er nu "
                                                 f"{status.label_da.lower()}.")
                st.rerun()
