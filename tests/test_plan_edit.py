"""Tilføj mål and Tilføj aktivitet (kpis.plan.edit): where the new lines go in the plan's text
(written out by hand), the ids they get, the target in the KPI's unit, and that only analysts and
administrators change the plan — through the plan's history, with its validation and reason."""

from __future__ import annotations

from datetime import date

import pytest

import kpis
from kpis.access.roles import Role
from kpis.plan import edit
from kpis.plan.versions import plan_history_for
from kpis.rules.definitions import Unit, load_kpis
from kpis.rules.history import Action, InvalidText, text_hash

PLAN = """\
version: 1
plan:
  id: plan
  title: En plan
  start: 2025-01-01
  owners:
    - {id: ledelsen, label: Ledelsen}
    - {id: team_syd, label: Team Syd, team: Team Syd}
  themes:
    - id: tema
      title: Tema
      recommendations:
        - id: uden_maal
          title: En anbefaling uden mål
          activities:
            - id: kursus
              description: Kursus
              owner: ledelsen
              start: 2025-02-01
              deadline: 2025-06-30

        # the next recommendation has an empty list of goals
        - id: tom
          title: Tom
          goals: []
    - id: andet_tema
      title: Andet tema
      recommendations:
        - id: sidste
          title: Sidste
"""
GOAL = {"id": "bfu_4_mdr_90", "text": "Hurtigere: 90 %", "kpi": "bfu_4_mdr", "target": 0.9,
        "by": date(2026, 12, 31)}
ACTIVITY = {"id": "ny", "description": "Ny procedure", "owner": "team_syd",
            "start": date(2026, 1, 5), "deadline": date(2026, 3, 31)}


@pytest.fixture(scope="module")
def kpiset():
    return load_kpis(kpis.DEFAULT_KPIS)


def test_a_goal_goes_before_the_activities_of_a_recommendation_without_goals():
    text = edit.insert_item(PLAN, "tema", "uden_maal", "goals", GOAL)
    assert text == PLAN.replace("""\
          title: En anbefaling uden mål
""", """\
          title: En anbefaling uden mål
          goals:
            - id: bfu_4_mdr_90
              text: 'Hurtigere: 90 %'
              kpi: bfu_4_mdr
              target: 0.9
              by: 2026-12-31
""")


def test_an_activity_goes_after_the_last_one_before_the_blank_line_and_comment():
    text = edit.insert_item(PLAN, "tema", "uden_maal", "activities", ACTIVITY)
    assert text == PLAN.replace("""\
              deadline: 2025-06-30
""", """\
              deadline: 2025-06-30
            - id: ny
              description: Ny procedure
              owner: team_syd
              start: 2026-01-05
              deadline: 2026-03-31
""")


def test_an_empty_list_is_opened_and_a_missing_one_made_at_the_end():
    text = edit.insert_item(PLAN, "tema", "tom", "goals", GOAL)
    assert "          goals:\n            - id: bfu_4_mdr_90\n" in text
    assert "goals: []" not in text
    last = edit.insert_item(PLAN, "andet_tema", "sidste", "activities", ACTIVITY)
    assert last == PLAN + """\
          activities:
            - id: ny
              description: Ny procedure
              owner: team_syd
              start: 2026-01-05
              deadline: 2026-03-31
"""


@pytest.mark.parametrize("theme, rec, message", [
    ("findes_ikke", "tom", "planen har ikke temaet 'findes_ikke'"),
    ("tema", "sidste", "planen har ikke anbefalingen 'sidste'"),
])
def test_an_unknown_place_is_refused(theme, rec, message):
    with pytest.raises(edit.EditError, match=message):
        edit.insert_item(PLAN, theme, rec, "goals", GOAL)


def test_a_one_line_list_with_items_is_left_to_the_yaml_editor():
    flow = PLAN.replace("goals: []", "goals: [{id: a, text: b, kpi: c, target: 1, by: 2026-01-01}]")
    with pytest.raises(edit.EditError, match="står i én linje"):
        edit.insert_item(flow, "tema", "tom", "goals", GOAL)


def test_ids_targets_and_units():
    assert edit.slug("Ny procedure for modtagelse af underretninger") == "ny_procedure_for_modtagelse"
    assert edit.slug("Årlig børnesamtale-kursus") == "aarlig_boernesamtale_kursus"
    assert edit.slug("2026: ét kursus") == "p_2026_et_kursus"
    assert edit.unique_id("kursus", {"kursus", "kursus_2"}) == "kursus_3"
    assert edit.ids_in(PLAN) == {"plan", "ledelsen", "team_syd", "tema", "uden_maal", "kursus",
                                 "tom", "andet_tema", "sidste"}
    assert edit.goal_id("bfu_4_mdr", 0.9, Unit.PERCENT, set()) == "bfu_4_mdr_90"
    assert edit.goal_id("bfu_varighed_dage", 90, Unit.DAYS, set()) == "bfu_varighed_dage_maal"
    assert edit.target_of_input(85, Unit.PERCENT) == 0.85
    assert edit.target_of_input(120, Unit.DAYS) == 120.0
    assert edit.target_field(Unit.PERCENT) == edit.TargetField("Mål (procent, 0–100)", 100.0,
                                                               90.0, 1.0)


@pytest.fixture
def hist(tmp_path, kpiset):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN, encoding="utf-8")
    return plan_history_for(path, tmp_path / "plan_history", kpiset)


def add_goal(hist, kpiset, role, **changes):
    args = {"role": role, "who": "Anne", "reason": "vedtaget", "theme_id": "tema",
            "recommendation_id": "uden_maal", "text": "Hurtigere undersøgelser",
            "kpi_id": "bfu_4_mdr", "target_input": 90, "by": date(2026, 12, 31)}
    return edit.add_goal(hist, kpiset, **(args | changes))


def test_an_analyst_adds_a_goal_as_a_new_version(hist, kpiset):
    version, goal_id = add_goal(hist, kpiset, Role.ANALYST)
    assert goal_id == "bfu_4_mdr_90"
    assert (version.seq, version.action, version.who, version.reason) == (
        2, Action.SAVE, "Anne", "vedtaget")
    assert "              target: 0.9\n" in hist.path.read_text(encoding="utf-8")
    # The same goal again gets an id of its own.
    assert add_goal(hist, kpiset, Role.ADMINISTRATOR)[1] == "bfu_4_mdr_90_2"


@pytest.mark.parametrize("role", [Role.DEPARTMENT_HEAD, Role.COMMITTEE], ids=lambda r: r.value)
def test_department_heads_and_the_committee_do_not_change_the_plan(hist, kpiset, role):
    with pytest.raises(PermissionError, match="analytikere og administratorer"):
        add_goal(hist, kpiset, role)
    with pytest.raises(PermissionError):
        edit.add_activity(hist, role=role, who="Bo", reason="r", theme_id="tema",
                          recommendation_id="uden_maal", description="Ny", owner="ledelsen",
                          start=date(2026, 1, 1), deadline=date(2026, 2, 1))
    assert hist.path.read_text(encoding="utf-8") == PLAN


def test_the_forms_pass_the_plans_validation_and_need_a_reason(hist, kpiset):
    with pytest.raises(InvalidText) as err:  # 150 % is no share
        add_goal(hist, kpiset, Role.ANALYST, target_input=150)
    [problem] = err.value.problems
    assert (problem.line, problem.kpi) == (19, "bfu_4_mdr_150")  # the "target:" line
    with pytest.raises(InvalidText) as err:  # an owner the plan does not have
        edit.add_activity(hist, role=Role.ANALYST, who="Bo", reason="r", theme_id="tema",
                          recommendation_id="uden_maal", description="Ny", owner="hvem",
                          start=date(2026, 1, 1), deadline=date(2026, 2, 1))
    assert err.value.problems[0].message == "ukendt ansvarlig 'hvem'"
    with pytest.raises(ValueError, match="begrundelse"):
        add_goal(hist, kpiset, Role.ANALYST, reason=" ")
    assert hist.path.read_text(encoding="utf-8") == PLAN
    assert [v.seq for v in hist.versions()] == [1]
    assert hist.current()[1] == text_hash(PLAN)
