"""Sagsgennemgang: draw the cases of a ledelsestilsyn or sagsmåling, review each against the
måleskema beside the case's own steps, and follow the mangler until they are closed.

Thin page: widgets → kpis.review → render. Department and team heads see and review only their
own teams' cases (the store refuses others); the committee never reaches this page.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from kpis.access.suppression import withheld_rule_da
from kpis.review import store
from kpis.review.figures import compare_rounds
from kpis.review.model import (
    ANSWER_LABELS,
    MANGEL_ANSWERS,
    Answer,
    PerCaseworker,
    reviews_config_path,
    round_label_da,
)
from kpis.review.prefill import prefill
from kpis.review.present import comparison_table_da, mangler_table
from kpis.review.round_report import committee_threshold
from kpis.review.service import applicable_questions, draw_sample, sample_window
from kpis.review.timeline import case_timeline
from kpis.review.validate import ReviewConfigError, load_and_validate
from pages._access import case_level_scope
from pages._auth import current_user
from pages._frame import run_snapshot
from pages._results import current_kpis
from pages._review_report import report_buttons
from pages._widgets import DATE_FORMAT

REVIEWS_FILE = reviews_config_path()  # what Gennemgangsprogrammer edits
STATUS_DA = {"": "Ikke startet", "draft": "Kladde", "completed": "Afsluttet",
             "reopened": "Genåbnet"}

scope = case_level_scope()
user = current_user()
actor = store.Actor(user.username, user.role.value, scope)
snapshot = run_snapshot()
meta = snapshot.meta

st.title("Sagsgennemgang")
st.caption("Ledelsestilsyn og sagsmåling: udtræk sager tilfældigt, gennemgå dem efter måleskemaet "
           "og følg op på de mangler, gennemgangen finder.")

try:
    config = load_and_validate(REVIEWS_FILE)
except ReviewConfigError as exc:
    st.error(f"Måleskemaet {REVIEWS_FILE.name} har {len(exc.problems)} fejl og kan ikke bruges:")
    st.markdown("\n".join(f"- {p}" for p in exc.problems))
    st.stop()

tab_list, tab_draw, tab_mangler, tab_results = st.tabs(
    ["Mine gennemgange", "Udtræk sager", "Mangler", "Resultater"])

with tab_draw:
    programme = st.selectbox("Program", config.programmes, format_func=lambda p: p.name,
                             key="program")
    st.caption(programme.description)
    c1, c2 = st.columns(2)
    window_label = round_ = None
    if isinstance(programme.sampling, PerCaseworker):
        window_label = c1.text_input(
            "Periode", key="vindue",
            value=f"{meta.as_of.year}-Q{(meta.as_of.month - 1) // 3 + 1}"
            if programme.sampling.window == "quarter" else meta.as_of.strftime("%Y-%m"),
            help="Et kvartal (fx 2026-Q3) eller en måned (fx 2026-07)")
    else:
        round_ = c1.selectbox("Runde", programme.rounds, key="runde", format_func=round_label_da)
    seed = c2.number_input("Frø (tal, der gør udtrækket genskabeligt)", min_value=0,
                           value=int(meta.as_of.strftime("%Y%m%d")), step=1, key="froe")
    if st.button("Udtræk sager", key="udtraek", type="primary"):
        conn = snapshot.connect()
        try:
            draft = draw_sample(conn, meta.snapshot_id, meta.as_of, programme, int(seed),
                                window_label=window_label, round_=round_, teams=scope.teams)
        except ValueError as exc:
            st.error(str(exc))
        else:
            store.save_sample(draft.sample, actor)
            st.success(f"{len(draft.sample.cases)} sager udtrukket blandt "
                       f"{len(draft.sample.frame_ids)} mulige ({draft.window.label}). "
                       "De står under Mine gennemgange.")
        finally:
            conn.close()

with tab_list:
    drawn = store.drawn_cases(scope)
    if drawn.is_empty():
        st.info("Der er ingen udtrukne sager endnu. Udtræk sager under »Udtræk sager«.")
    else:
        shown = drawn.with_columns(drawn["status"].replace(STATUS_DA).alias("status"),
                                   drawn["round"].replace(
                                       {r: round_label_da(r) for r in drawn["round"].unique()}))
        st.dataframe(
            shown.select("case_id", "team", "caseworker", "round", "window_label", "status")
            .rename({"case_id": "Sag", "team": "Team", "caseworker": "Sagsbehandler",
                     "round": "Runde", "window_label": "Periode", "status": "Status"}),
            hide_index=True, key="udtrukne")
        choices = list(range(drawn.height))
        # The label says which case, not its status: Streamlit keeps a choice by its label, so
        # a label that changed when the review was saved or completed dropped the open case
        # (the status is in the table above and in the form's heading).
        picked = st.selectbox(
            "Gennemgå sag", choices, index=None, placeholder="Vælg en sag", key="valgt",
            format_func=lambda i: f"{drawn['case_id'][i]} ({round_label_da(drawn['round'][i])}, "
                                  f"{drawn['caseworker'][i]})")
        if picked is not None:
            row = drawn.row(picked, named=True)
            opened = st.session_state.setdefault("_gennemgang_aaben", {})
            key = f"{row['sample_id']}|{row['case_id']}"
            if key not in opened:  # opened (and logged) once per session, not on every rerun
                opened[key] = store.open_review(row["sample_id"], row["case_id"], actor)
            review_id = opened[key]
            prog = config[row["programme_id"]]
            window = sample_window(store.sample(row["sample_id"]))
            status = store.review_status(review_id)
            conn = snapshot.connect()
            try:
                questions = applicable_questions(conn, prog, window, row["case_id"])
                kpiset = current_kpis()
                prefilled = {q.id: prefill(conn, kpiset, q.prefill.kpi, row["case_id"], window,
                                           scope=scope)
                             for q in questions if q.prefill and q.prefill.kpi in kpiset}
                timeline = case_timeline(conn, row["case_id"])
            finally:
                conn.close()
            saved = store.answers(review_id)
            form_col, time_col = st.columns([3, 2])
            with time_col:
                st.subheader("Sagens forløb")
                st.dataframe(timeline, hide_index=True, key="forloeb", column_config={
                    "Dato": st.column_config.DateColumn("Dato", format=DATE_FORMAT),
                    "Detaljer": st.column_config.TextColumn("Detaljer", width="large")})
            with form_col:
                st.subheader(f"Sag {row['case_id']}: {STATUS_DA[status]}")
                st.caption(f"{prog.name}, {window.label}. {len(questions)} af "
                           f"{len(prog.questions)} spørgsmål gælder for sagen. Skriv ikke navne "
                           "eller CPR-numre i kommentarerne.")
                locked = status == "completed"
                with st.form("svar"):
                    given = {}
                    for q in questions:
                        pre = prefilled.get(q.id)
                        old = saved.get(q.id, (None, None))
                        default = old[0] or (pre.answer.value if pre else None)
                        options = [a.value for a in q.answers]
                        given[q.id] = (
                            st.radio(q.text, options, horizontal=True, key=f"a_{q.id}",
                                     index=options.index(default) if default else None,
                                     format_func=lambda v: ANSWER_LABELS[Answer(v)],
                                     help=q.guidance, disabled=locked),
                            st.text_input("Kommentar", value=old[1] or "", key=f"k_{q.id}",
                                          disabled=locked, label_visibility="collapsed",
                                          placeholder="Kommentar (uden navne og CPR-numre)"))
                        basis = (f"Barnets Lov {q.legal_basis.barnets_lov} · Serviceloven "
                                 f"{q.legal_basis.sel}")
                        st.caption(basis + (f" · Data siger: {pre.answer.label_da} ({pre.detail})"
                                            if pre else ""))
                    save = st.form_submit_button("Gem kladde", disabled=locked)
                    done = st.form_submit_button("Afslut gennemgang", type="primary",
                                                 disabled=locked)
                if save or done:
                    try:
                        store.save_answers(review_id, {k: v for k, v in given.items() if v[0]},
                                           actor)
                        for qid, pre in prefilled.items():
                            if pre and given[qid][0] and given[qid][0] != pre.answer.value:
                                store.record_prefill_correction(
                                    review_id, qid, pre.kpi, pre.answer.value, given[qid][0],
                                    pre.detail, actor)
                        if done:
                            store.complete(review_id, actor, [q.id for q in questions])
                    except store.ReviewError as exc:
                        st.error(str(exc))
                    else:
                        st.success("Gennemgangen er afsluttet." if done else "Kladden er gemt.")
                        st.rerun()
                if locked:
                    reason = st.text_input("Begrundelse for at genåbne", key="genaabn_grund")
                    if st.button("Genåbn", key="genaabn"):
                        try:
                            store.reopen(review_id, actor, reason)
                        except store.ReviewError as exc:
                            st.error(str(exc))
                        else:
                            st.rerun()
                weak = [q for q in questions
                        if (saved.get(q.id) or (None,))[0] in {a.value for a in MANGEL_ANSWERS}]
                if weak:
                    with st.expander("Opret mangel"):
                        q_pick = st.selectbox("Spørgsmål", weak, format_func=lambda q: q.text,
                                              key="mangel_q")
                        what = st.text_input("Hvad skal rettes", key="mangel_hvad")
                        due = st.date_input("Frist", value=meta.as_of + timedelta(days=30),
                                            key="mangel_frist", format=DATE_FORMAT)
                        if st.button("Opret mangel", key="mangel_opret"):
                            try:
                                store.add_mangel(review_id, q_pick.id, what, row["caseworker"],
                                                 due, actor)
                            except store.ReviewError as exc:
                                st.error(str(exc))
                            else:
                                st.success("Manglen er oprettet og står under Mangler.")

with tab_mangler:
    open_ = store.mangler(scope)
    if open_.is_empty():
        st.success("Ingen åbne mangler.")
    else:
        st.dataframe(mangler_table(open_), hide_index=True, key="mangler", column_config={
            "Frist": st.column_config.DateColumn("Frist", format=DATE_FORMAT)})
        close = st.selectbox("Luk mangel", list(range(open_.height)), index=None,
                             placeholder="Vælg en mangel", key="luk_valg",
                             format_func=lambda i: f"{open_['case_id'][i]}: {open_['what'][i]}")
        note = st.text_input("Note", key="luk_note")
        if close is not None and st.button("Luk mangel", key="luk"):
            try:
                store.close_mangel(open_["mangel_id"][close], actor, note or None)
            except store.ReviewError as exc:
                st.error(str(exc))
            else:
                st.rerun()

with tab_results:
    measured = [p for p in config.programmes if len(p.rounds) >= 2]
    if measured:
        prog = st.selectbox("Sagsmåling", measured, format_func=lambda p: p.name,
                            key="resultat_program")
        c1, c2 = st.columns(2)
        before = c1.selectbox("Før", prog.rounds, key="foer", format_func=round_label_da)
        after = c2.selectbox("Efter", prog.rounds, index=1, key="efter",
                             format_func=round_label_da)
        st.caption("Andel besvaret med ja af dem besvaret med ja, delvist eller nej ('ikke "
                   "relevant' tæller ikke med), med 95 %-interval og antal sager. Et tal fra en "
                   "stikprøve er et skøn: overlapper intervallerne, kan forskellen være "
                   "tilfældig.")
        found = store.findings(scope)
        marks = {q.pejlemaerke.value: q.pejlemaerke.label_da for q in prog.questions}
        st.dataframe(comparison_table_da(
            compare_rounds(found, prog, before, after, level="pejlemaerke"), marks),
            hide_index=True, key="resultat_pejlemaerker")
        st.dataframe(comparison_table_da(
            compare_rounds(found, prog, before, after), {q.id: q.text for q in prog.questions}),
            hide_index=True, key="resultat_spoergsmaal")
        if before != after:
            st.caption("Rapporten til udvalget følger udvalgets regler: ingen sager, ingen "
                       "sagsbehandlere, og " + withheld_rule_da(committee_threshold()).lower()
                       + ("" if scope.teams is None else " Den omfatter kun dine teams."))
            report_buttons(prog.id, before, after, scope, "sagsgennemgang", "rapport",
                           snapshot.db, meta.snapshot_id, current_kpis())
