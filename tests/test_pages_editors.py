"""AppTest: the editors of the udviklingsplan (Redigér udviklingsplan) and of the case-review
programmes (Gennemgangsprogrammer), over the demo database and COPIES of config/plan.yaml and
config/reviews.yaml — the forms Tilføj mål and Tilføj aktivitet, the YAML with its reason, an
invalid text refused with file lines, restore of an older version, audit entries, and that only
analysts and administrators reach them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import kpis
from kpis.access import audit
from kpis.access.audit import AuditAction, AuditFilter
from kpis.access.demo_users import demo_user
from kpis.access.roles import Role
from kpis.plan.validate import load_plan
from kpis.review.model import DEFAULT_REVIEWS
from kpis.review.validate import load_and_validate
from kpis.rules.definitions import load_kpis
from kpis.rules.history import Action, history_for
from tests.menus import MENUS
from tests.test_pages_workspace import click, run, texts

pytestmark = pytest.mark.usefixtures("clear_streamlit_caches")

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PLAN_PAGE, PROGRAMMES_PAGE = "pages/planredigering.py", "pages/programmer.py"
ORIGINAL_PLAN = (kpis.CONFIG_DIR / "plan.yaml").read_text(encoding="utf-8")
ORIGINAL_REVIEWS = DEFAULT_REVIEWS.read_text(encoding="utf-8")
ANALYST = demo_user(Role.ANALYST).user.display_name


@pytest.fixture
def files(demo_db: Path, tmp_path: Path, monkeypatch) -> dict:
    plan, reviews = tmp_path / "plan.yaml", tmp_path / "reviews.yaml"
    shutil.copyfile(kpis.CONFIG_DIR / "plan.yaml", plan)
    shutil.copyfile(DEFAULT_REVIEWS, reviews)
    monkeypatch.setenv("PEJLEMAERKER_PLAN", str(plan))
    monkeypatch.setenv("PEJLEMAERKER_PLAN_HISTORY", str(tmp_path / "plan_historik"))
    monkeypatch.setenv("PEJLEMAERKER_REVIEWS_CONFIG", str(reviews))
    monkeypatch.setenv("PEJLEMAERKER_REVIEWS_HISTORY", str(tmp_path / "program_historik"))
    monkeypatch.setenv("PEJLEMAERKER_HISTORY", str(tmp_path / "definitions_historik"))
    return {"plan": plan, "reviews": reviews, "tmp": tmp_path}


def text_area(at: AppTest, label: str):
    return next(t for t in at.text_area if t.label == label)


def reason(at: AppTest, prefix: str):
    """The YAML editor's reason field (the forms have their own)."""
    return next(t for t in at.text_input if (t.key or "").startswith(f"{prefix}_reason_"))


def entries(action: AuditAction):
    return audit.read(filters=AuditFilter(actions=(action,))).to_dicts()


# --- the plan -------------------------------------------------------------------------------------


def test_tilfoej_maal_writes_a_goal_with_its_reason_and_an_audit_entry(files):
    before = len(entries(AuditAction.PLAN_CHANGE))
    at = run(PLAN_PAGE)
    assert [t.value for t in at.title] == ["Redigér udviklingsplan"]
    assert [t.label for t in at.tabs] == ["Tilføj mål", "Tilføj aktivitet", "YAML", "Historik"]
    at.selectbox(key="planedit_goal_theme").select("handleplaner")
    at.run()
    at.selectbox(key="planedit_goal_rec").select(
        at.selectbox(key="planedit_goal_rec").options[0])
    at.selectbox(key="planedit_goal_kpi").set_value("opfoelgning_foerste_rettidig")
    at.run()
    # The baseline is computed for the chosen KPI (the last complete quarter before 1-1-2025).
    shown = next(m.value for m in at.markdown if m.value.startswith("**Udgangspunkt"))
    assert "(4. kvartal 2024) — nøgletallet i det sidste hele kvartal før planens start " \
           "1. januar 2025" in shown
    at.number_input(key="planedit_goal_target_percent").set_value(85)
    at.text_input(key="planedit_goal_text").input("Første opfølgning til tiden i 85 %")
    click(at, "planedit_add_goal")  # no reason: nothing is written
    assert "Intet er gemt: skriv en begrundelse for ændringen." in texts(at)
    assert files["plan"].read_text(encoding="utf-8") == ORIGINAL_PLAN

    at.text_input(key="planedit_goal_reason").input("Vedtaget af udvalget")
    click(at, "planedit_add_goal")
    assert "Mål opfoelgning_foerste_rettidig_85 tilføjet som version 2." in texts(at)
    plan = load_plan(files["plan"], load_kpis(kpis.DEFAULT_KPIS))
    goal = next(g for _, _, g in plan.goals() if g.id == "opfoelgning_foerste_rettidig_85")
    assert (goal.kpi, goal.target, goal.text) == (
        "opfoelgning_foerste_rettidig", 0.85, "Første opfølgning til tiden i 85 %")
    new = entries(AuditAction.PLAN_CHANGE)
    assert len(new) == before + 1
    assert new[0]["detail"] == ("mål opfoelgning_foerste_rettidig_85 tilføjet som version 2: "
                                "Vedtaget af udvalget")
    assert new[0]["actor"] == "analytiker"
    # The YAML tab follows the saved file (nothing was typed there).
    assert text_area(at, "Udviklingsplan (YAML)").value == files["plan"].read_text(
        encoding="utf-8")


def test_tilfoej_aktivitet_with_an_owner_from_the_plan(files):
    at = run(PLAN_PAGE)
    at.selectbox(key="planedit_act_theme").select("boernesamtaler")
    at.run()
    at.text_input(key="planedit_act_description").input("Kursus i børnesamtaler for Team Syd")
    at.selectbox(key="planedit_act_owner").select("team_syd")
    at.text_input(key="planedit_act_reason").input("Aftalt på statusmødet")
    click(at, "planedit_add_activity")
    assert "Aktivitet kursus_i_boernesamtaler_for tilføjet som version 2." in texts(at)
    plan = load_plan(files["plan"], load_kpis(kpis.DEFAULT_KPIS))
    activity = plan.activity("kursus_i_boernesamtaler_for")
    assert (activity.owner, activity.description) == ("team_syd",
                                                      "Kursus i børnesamtaler for Team Syd")
    theme = next(t for t, _, a in plan.activities() if a.id == activity.id)
    assert theme.id == "boernesamtaler"


def test_a_form_value_the_plan_refuses_shows_the_problem_and_saves_nothing(files):
    at = run(PLAN_PAGE)
    at.text_input(key="planedit_act_description").input("Procedure")
    at.date_input(key="planedit_act_start").set_value("2026-06-01")
    at.date_input(key="planedit_act_deadline").set_value("2026-01-31")
    at.text_input(key="planedit_act_reason").input("forsøg")
    click(at, "planedit_add_activity")
    assert "Intet er gemt: planen ville få problemer (se listen)." in texts(at)
    assert "fristen (2026-01-31) ligger før starten (2026-06-01)" in texts(at)
    assert files["plan"].read_text(encoding="utf-8") == ORIGINAL_PLAN


def test_invalid_yaml_shows_its_line_and_is_not_saved(files):
    at = run(PLAN_PAGE)
    broken = ORIGINAL_PLAN.replace("kpi: bfu_4_mdr\n", "kpi: bfu_4_mdrr\n")
    line = broken.splitlines().index("              kpi: bfu_4_mdrr") + 1
    text_area(at, "Udviklingsplan (YAML)").input(broken)
    click(at, "planedit_validate")
    assert "1 problem. Intet gemmes, før de er rettet." in texts(at)
    problem = next(m.value for m in at.markdown if "ukendt nøgletal" in m.value)
    assert problem.startswith(f"- **Linje {line} · ")
    assert "mente du 'bfu_4_mdr'?" in problem
    reason(at, "planedit").input("forsøg")
    click(at, "planedit_save")
    assert "Intet er gemt: filen har problemer (se listen)." in texts(at)
    assert files["plan"].read_text(encoding="utf-8") == ORIGINAL_PLAN
    # A YAML syntax error is reported with its line too.
    text_area(at, "Udviklingsplan (YAML)").input(ORIGINAL_PLAN.replace("  themes:\n",
                                                                      "  themes: [\n"))
    click(at, "planedit_validate")
    assert "YAML kan ikke læses" in texts(at) and "- **Linje " in texts(at)


def test_save_yaml_with_reason_then_restore_the_older_version(files):
    at = run(PLAN_PAGE)
    revised = ORIGINAL_PLAN.replace("title: Underretninger\n", "title: Underretninger, runde 2\n")
    text_area(at, "Udviklingsplan (YAML)").input(revised)
    reason(at, "planedit").input("Ny runde")
    click(at, "planedit_save")
    assert "Gemt som version 2." in texts(at)
    assert files["plan"].read_text(encoding="utf-8") == revised

    # The first version stays readable as a plan, and comes back with Gendan.
    at.selectbox(key="planedit_version").select(1).run()
    assert "- **Underretninger**" in texts(at)
    at.text_input(key="planedit_restore_reason").input("Runde 2 var for tidligt")
    click(at, "planedit_restore")
    assert "Version 1 er gendannet som version 3." in texts(at)
    assert files["plan"].read_text(encoding="utf-8") == ORIGINAL_PLAN
    details = [e["detail"] for e in entries(AuditAction.PLAN_CHANGE)[:2]]
    assert details == ["version 1 gendannet som version 3: Runde 2 var for tidligt",
                       "gemt som version 2: Ny runde"]


# --- the programmes -------------------------------------------------------------------------------


def test_programmes_editor_saves_with_reason_and_refuses_an_invalid_expression(files):
    at = run(PROGRAMMES_PAGE)
    assert [t.value for t in at.title] == ["Gennemgangsprogrammer"]
    overview = at.table[0].value
    config = load_and_validate(files["reviews"])
    assert list(overview["Program"]) == [p.name for p in config.programmes]
    area = text_area(at, "Programmer (YAML)")
    assert area.value == ORIGINAL_REVIEWS

    broken = ORIGINAL_REVIEWS.replace("criteria: decision_in_window",
                                      "criteria: decision_in_windw", 1)
    line = broken.splitlines().index("      criteria: decision_in_windw") + 1
    area.input(broken)
    reason(at, "progedit").input("forsøg")
    click(at, "progedit_save")
    assert "Intet er gemt: filen har problemer (se listen)." in texts(at)
    assert any(m.value.startswith(f"- **Linje {line} · sagsmaaling · sampling.criteria:**")
               for m in at.markdown)
    assert files["reviews"].read_text(encoding="utf-8") == ORIGINAL_REVIEWS

    fewer = ORIGINAL_REVIEWS.replace("      n: 30\n", "      n: 24\n", 1)
    text_area(at, "Programmer (YAML)").input(fewer)
    click(at, "progedit_save")
    assert "Gemt som version 2." in texts(at)
    assert load_and_validate(files["reviews"])["sagsmaaling"].sampling.n == 24
    assert entries(AuditAction.REVIEW_CONFIG_CHANGE)[0]["detail"] == (
        "gemt som version 2: forsøg")

    at.selectbox(key="progedit_version").select(1).run()
    at.text_input(key="progedit_restore_reason").input("30 sager som aftalt")
    click(at, "progedit_restore")
    assert files["reviews"].read_text(encoding="utf-8") == ORIGINAL_REVIEWS


def test_the_three_files_keep_three_histories(files):
    """One mechanism, three folders: saving the plan adds nothing to the others' logs."""
    run(PLAN_PAGE)
    run(PROGRAMMES_PAGE)
    plan_log = (files["tmp"] / "plan_historik" / "log.jsonl").read_text(encoding="utf-8")
    reviews_log = (files["tmp"] / "program_historik" / "log.jsonl").read_text(encoding="utf-8")
    assert plan_log.count("\n") == reviews_log.count("\n") == 1
    assert not (files["tmp"] / "definitions_historik").exists()
    defs = history_for(kpis.DEFAULT_KPIS, files["tmp"] / "x")
    assert [v.action for v in defs.versions()] == [Action.FIRST]


# --- who reaches the editors ----------------------------------------------------------------------


@pytest.mark.signed_in_as(Role.ADMINISTRATOR)
def test_an_administrator_configures_programmes(files):
    at = run(PROGRAMMES_PAGE)
    assert text_area(at, "Programmer (YAML)").value == ORIGINAL_REVIEWS
    assert "Redigér udviklingsplan" in MENUS[Role.ADMINISTRATOR]


@pytest.mark.parametrize("role", [Role.DEPARTMENT_HEAD, Role.COMMITTEE], ids=lambda r: r.value)
def test_department_heads_and_the_committee_do_not_reach_the_editors(files, role, monkeypatch):
    from pages._auth import session_state_for

    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in session_state_for(demo_user(role).user).items():
        at.session_state[key] = value
    at.run()
    assert not at.exception
    for page in (PLAN_PAGE, PROGRAMMES_PAGE, "pages/definitioner.py"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)
    assert "Redigér udviklingsplan" not in MENUS[role]
    assert "Gennemgangsprogrammer" not in MENUS[role]
