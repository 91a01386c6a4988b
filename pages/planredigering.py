"""Redigér udviklingsplan: the analysts' editor for config/plan.yaml — *Tilføj mål* and *Tilføj
aktivitet* as forms, the YAML itself, and the history with each version readable as a plan.
Every change goes through the plan's history (kpis.plan.versions): validated, with a reason,
atomic, restorable, and an audit-log entry. Widgets → kpis.plan.edit → render.

Department heads update their activities' status on Udviklingsplan, not the plan; the committee
reads. The menu shows this page to analysts and administrators only, and the forms refuse any
other role (kpis.access.roles.require_configure).
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from kpis.access.audit import AuditAction
from kpis.access.roles import may_configure
from kpis.plan import edit
from kpis.plan.progress import baseline, baseline_period
from kpis.plan.validate import PlanError, load_plan
from kpis.present.formatting import format_date_da
from kpis.present.plan_outline import outline_da
from kpis.present.plan_view import figure_da, quarter_da
from kpis.review.figures import sample_based
from kpis.rules.history import InvalidText, NothingToSave, SaveConflict, Version
from pages import _config_editor as ce
from pages._auth import current_scope, current_user
from pages._frame import run_snapshot
from pages._results import cache_of, current_kpis
from pages._widgets import DATE_FORMAT
from pages._workspace import plan_history, who, who_input

S = st.session_state
snapshot = run_snapshot()
user, scope = current_user(), current_scope()
kpiset = current_kpis()

st.title("Redigér udviklingsplan")
if not may_configure(user.role):
    st.error("Planen redigeres af analytikere og administratorer. Status på dine aktiviteter "
             "opdaterer du på siden Udviklingsplan.")
    st.stop()

ed = ce.Editor("planedit", plan_history(kpiset), "Udviklingsplan (YAML)", AuditAction.PLAN_CHANGE,
               "planredigering", "fx Udvalget vedtog nye mål for handleplaner 12. marts")
versions, file_hash, history_ok = ce.load_versions(ed)
st.caption(f"Redigér `{ed.hist.path.name}`: tilføj mål og aktiviteter, eller ret filen direkte. "
           "Hver ændring valideres, gemmes med din begrundelse og kan gendannes. Siden "
           "Udviklingsplan viser den gemte plan med det samme.")
who_input()

try:
    plan = load_plan(ed.hist.path, kpiset)
except PlanError as exc:
    plan = None
    st.error("Planen, som den ligger nu, er ugyldig (ændret uden for appen?). Ret den under "
             "YAML, eller gendan en tidligere version under Historik.")
    ce.problem_list(exc.problems, ed.hist.current()[0])


@st.cache_data(show_spinner=False, max_entries=64, ttl=3600)
def _baseline(db: str, snapshot_id: str, defs_version: str, kpi_id: str, start: date,
              scope_key: str, _kpiset, _scope):
    return baseline(cache_of(db, snapshot_id), _kpiset, kpi_id, start, scope=_scope)


def _form_error(exc: Exception) -> str:
    if isinstance(exc, InvalidText):
        S.planedit_form_problems = exc.problems
        return "Intet er gemt: planen ville få problemer (se listen)."
    if isinstance(exc, SaveConflict):
        return "Intet er gemt: planen blev ændret i samme øjeblik. Prøv igen."
    if isinstance(exc, NothingToSave):
        return "Intet er gemt: planen er uændret."
    return f"Intet er gemt: {exc}."


def _added(version: Version, what: str) -> None:
    ce.saved(ed, version, what)
    S.planedit_form_flash = f"{what.capitalize()} som version {version.seq}."


def _target_key(kpi_id: str) -> str:
    """One field per unit, so a percentage typed for one KPI is not taken as a count."""
    return f"planedit_goal_target_{kpiset[kpi_id].unit.value}"


def _add_goal() -> None:
    try:
        version, goal_id = edit.add_goal(
            ed.hist, kpiset, role=user.role, who=who(), reason=S.get("planedit_goal_reason", ""),
            theme_id=S.planedit_goal_theme, recommendation_id=S.planedit_goal_rec,
            text=S.get("planedit_goal_text", ""), kpi_id=S.planedit_goal_kpi,
            target_input=S[_target_key(S.planedit_goal_kpi)], by=S.planedit_goal_by)
    except (edit.EditError, PermissionError, ValueError, OSError) as exc:
        S.planedit_form_error = _form_error(exc)
        return
    S.planedit_goal_text = S.planedit_goal_reason = ""
    _added(version, f"mål {goal_id} tilføjet")


def _add_activity() -> None:
    try:
        version, activity_id = edit.add_activity(
            ed.hist, role=user.role, who=who(), reason=S.get("planedit_act_reason", ""),
            theme_id=S.planedit_act_theme, recommendation_id=S.planedit_act_rec,
            description=S.get("planedit_act_description", ""), owner=S.planedit_act_owner,
            start=S.planedit_act_start, deadline=S.planedit_act_deadline)
    except (edit.EditError, PermissionError, ValueError, OSError) as exc:
        S.planedit_form_error = _form_error(exc)
        return
    S.planedit_act_description = S.planedit_act_reason = ""
    _added(version, f"aktivitet {activity_id} tilføjet")


def _where(prefix: str) -> None:
    """Theme and recommendation: where the new goal or activity goes."""
    c1, c2 = st.columns(2)
    theme_id = c1.selectbox("Tema", [t.id for t in plan.themes], key=f"{prefix}_theme",
                            format_func=lambda i: next(t.title for t in plan.themes if t.id == i))
    theme = next(t for t in plan.themes if t.id == theme_id)
    c2.selectbox("Anbefaling", [r.id for r in theme.recommendations], key=f"{prefix}_rec",
                 format_func=lambda i: next(r.title for r in theme.recommendations if r.id == i))


def _form_messages() -> None:
    for key, show in (("planedit_form_flash", st.success), ("planedit_form_error", st.error)):
        if key in S:
            show(S.pop(key))
    if "planedit_form_problems" in S:
        ce.problem_list(S.pop("planedit_form_problems"))


goal_tab, activity_tab, yaml_tab, history_tab = st.tabs(
    ["Tilføj mål", "Tilføj aktivitet", "YAML", "Historik"])

with goal_tab:
    if plan is None:
        st.info("Ret planen under YAML først.")
    else:
        _form_messages()
        _where("planedit_goal")
        kpi_ids = sorted(kpiset.ids, key=lambda i: kpiset[i].name)
        kpi_id = st.selectbox("Nøgletal", kpi_ids, key="planedit_goal_kpi",
                              format_func=lambda i: kpiset[i].name)
        kpi = kpiset[kpi_id]
        point = _baseline(str(snapshot.db), snapshot.meta.snapshot_id, kpiset.version, kpi_id,
                          plan.start, scope.key, kpiset, scope)
        st.markdown(f"**Udgangspunkt (beregnes):** {figure_da(point, kpi.unit, sample_based(kpi))} "
                    f"({quarter_da(point)}) — nøgletallet i det sidste hele kvartal før planens "
                    f"start {format_date_da(plan.start)}. Det skrives ikke i planen.")
        c1, c2 = st.columns(2)
        field = edit.target_field(kpi.unit)
        c1.number_input(field.label, min_value=0.0, max_value=field.maximum, value=field.default,
                        step=field.step, key=_target_key(kpi_id))
        c2.date_input("Måldato", value=date(plan.start.year + 2, 12, 31), format=DATE_FORMAT,
                      key="planedit_goal_by")
        st.text_input("Målet med planens ord", key="planedit_goal_text",
                      placeholder="fx Børnefaglige undersøgelser afsluttes inden for 4 måneder i "
                                  "mindst 90 % af sagerne ved udgangen af 2026")
        st.text_input("Begrundelse (kræves)", key="planedit_goal_reason",
                      placeholder="fx Vedtaget af udvalget 12. marts")
        st.button("Tilføj mål", type="primary", key="planedit_add_goal", on_click=_add_goal,
                  disabled=not history_ok)
        st.caption(f"Udgangspunktet er {quarter_da(point)} ({baseline_period(plan.start).label}) "
                   "for alle mål i planen. Målet gemmes som en ny version af planen.")

with activity_tab:
    if plan is None:
        st.info("Ret planen under YAML først.")
    else:
        _form_messages()
        _where("planedit_act")
        st.text_input("Beskrivelse", key="planedit_act_description",
                      placeholder="fx Kompetenceudvikling i ICS for alle rådgivere")
        st.selectbox("Ansvarlig (en rolle eller et team, aldrig en person)",
                     [o.id for o in plan.owners], key="planedit_act_owner",
                     format_func=lambda i: plan.owner(i).label)
        c1, c2 = st.columns(2)
        c1.date_input("Start", value=snapshot.meta.as_of, format=DATE_FORMAT,
                      key="planedit_act_start")
        c2.date_input("Frist", value=date(snapshot.meta.as_of.year, 12, 31), format=DATE_FORMAT,
                      key="planedit_act_deadline")
        st.text_input("Begrundelse (kræves)", key="planedit_act_reason",
                      placeholder="fx Aftalt på statusmødet med Task Force")
        st.button("Tilføj aktivitet", type="primary", key="planedit_add_activity",
                  on_click=_add_activity, disabled=not history_ok)
        st.caption("Status (ikke startet, i gang, gennemført, opgivet) opdateres på siden "
                   "Udviklingsplan af den ansvarlige leder.")

with yaml_tab:
    ce.yaml_editor(ed, versions, file_hash, history_ok)
    st.caption("Filens opbygning er beskrevet i docs/plan.md.")


def _show_plan(version: Version) -> None:
    with st.expander(f"Version {version.seq} som plan"):
        try:
            st.markdown(outline_da(ed.hist.plan_of(version), kpiset))
        except ValueError as exc:  # an invalid outside edit: its text is in the diff below
            st.info(f"{str(exc).capitalize()}; se teksten herunder.")


with history_tab:
    ce.history_view(ed, versions, file_hash, history_ok, show_version=_show_plan)
