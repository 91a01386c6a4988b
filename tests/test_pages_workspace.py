"""AppTest: the analysts' pages over the demo database and a COPY of config/kpis.yaml — the
definitions editor (validate, preview, save, conflict, template, delete, restore), the catalogue
and the Data page's coverage and upload controls."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import kpis
from kpis.access.demo_users import demo_user
from kpis.access.roles import Role
from kpis.data.coverage import load_coverage
from kpis.rules.blocks import kpi_block, kpi_ids, replace_kpi
from kpis.rules.history import history_for, text_hash
from kpis.rules.store import store_for
from kpis.rules.validate import validate_text

pytestmark = pytest.mark.usefixtures("clear_streamlit_caches")

APP = str(Path(__file__).resolve().parent.parent / "app.py")
DEFS, CATALOGUE, DATA = "pages/definitioner.py", "pages/katalog.py", "pages/oversigt_data.py"
KPI_ID = "boernesamtale_i_bfu"
ORIGINAL = kpis.DEFAULT_KPIS.read_text(encoding="utf-8")
ANALYST = demo_user(Role.ANALYST).user.display_name  # AppTests run signed in as the demo analyst


def lower_target(text: str) -> str:
    return replace_kpi(text, KPI_ID, kpi_block(text, KPI_ID).replace("target: 0.95",
                                                                       "target: 0.50"))


@pytest.fixture
def workspace(demo_db: Path, tmp_path: Path, monkeypatch) -> dict:
    kpis_file = tmp_path / "kpis.yaml"
    shutil.copyfile(kpis.DEFAULT_KPIS, kpis_file)
    monkeypatch.setenv("PEJLEMAERKER_KPIS", str(kpis_file))
    monkeypatch.setenv("PEJLEMAERKER_HISTORY", str(tmp_path / "historik"))
    monkeypatch.setenv("PEJLEMAERKER_PSEUDONYM_KEY", "")
    return {"kpis": kpis_file, "history": history_for(kpis_file, tmp_path / "historik")}


def run(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def frame_with(at: AppTest, column: str):
    """The dataframe that has ``column`` (AppTest finds dataframes by position only)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def widget(items, label: str):
    return next(w for w in items if w.label == label)


def editor(at: AppTest):
    return widget(at.text_area, "Definitioner (YAML)")


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [x.value for kind in (at.error, at.success, at.warning, at.info) for x in kind]
    return "\n".join(parts)


def test_editor_shows_the_file_and_its_first_version(workspace):
    at = run(DEFS)
    assert f"Ændringer gemmes i dit navn: **{ANALYST}**" in texts(at)
    assert [t.value for t in at.title] == ["Nøgletalsdefinitioner"]
    assert editor(at).value == ORIGINAL
    assert "Du har åbnet **version 1**" in texts(at)
    assert [(v.who, v.reason) for v in workspace["history"].versions()] == [
        ("installationen", ("installationens startversion: filen, som den var, da historikken "
                            "begyndte"))]


def test_validate_lists_each_problem_and_saving_changes_nothing(workspace):
    at = run(DEFS)
    broken = ORIGINAL.replace("completion: completed_on", "completion: completed", 1)
    editor(at).input(broken)
    click(at, "defs_validate")
    assert "1 problem. Intet gemmes, før de er rettet." in texts(at)
    line = broken.splitlines().index("      completion: completed") + 1
    problem = next(m.value for m in at.markdown if "ukendt kolonne" in m.value)
    assert problem.startswith(f"- **Linje {line} · bfu_4_mdr · deadline.completion:**")
    assert problem.endswith("mente du 'completed_on'? (`completion: completed`)")

    widget(at.text_input, "Begrundelse (kræves)").input("forsøg")
    click(at, "defs_save")
    assert "Intet er gemt: definitionerne har problemer (se listen)." in texts(at)
    assert workspace["kpis"].read_text(encoding="utf-8") == ORIGINAL
    assert editor(at).value == broken  # the analyst's text stays in the editor


def test_preview_then_save_with_reason_is_used_at_once(workspace):
    at = run(DEFS)
    editor(at).input(lower_target(ORIGINAL))
    click(at, "defs_preview_button")
    assert at.subheader[0].value.startswith("Forhåndsvisning, ")
    summary = next(m.value for m in at.markdown if m.value.startswith("- **Ændret: "))
    assert summary == ("- **Ændret: Børnesamtale under den børnefaglige undersøgelse** — "
                       "mål 95,0 % → 50,0 %")
    table = frame_with(at, "summary")
    assert (table["change"] == "ændret").sum() == 1 and len(table) == len(kpi_ids(ORIGINAL))
    assert workspace["kpis"].read_text(encoding="utf-8") == ORIGINAL  # nothing saved yet

    click(at, "defs_save")  # no reason
    assert "Intet er gemt: skriv en begrundelse for ændringen." in texts(at)
    widget(at.text_input, "Begrundelse (kræves)").input("Udvalget sænkede målet")
    click(at, "defs_save")
    assert "Gemt som version 2. Alle sider regner nu med de nye definitioner." in texts(at)
    assert workspace["kpis"].read_text(encoding="utf-8") == lower_target(ORIGINAL)
    # The app's definitions store follows the file without a restart.
    assert store_for(workspace["kpis"]).get().kpis[KPI_ID].target[0].value == 0.5
    newest = workspace["history"].versions()[0]
    assert (newest.who, newest.reason) == (ANALYST, "Udvalget sænkede målet")
    # The reason field is empty again, the editor holds the saved file.
    assert widget(at.text_input, "Begrundelse (kræves)").value == ""
    assert editor(at).value == lower_target(ORIGINAL)


def test_second_analyst_sees_the_difference_and_keeps_the_text(workspace):
    at = run(DEFS)
    mine = ORIGINAL.replace("owner: Afdelingsledelsen", "owner: Familieafdelingen")
    editor(at).input(mine)
    at.run()
    # Meanwhile a colleague saves a lower target.
    workspace["history"].save(lower_target(ORIGINAL), opened_hash=text_hash(ORIGINAL),
                              who="Bo", reason="lavere mål")
    widget(at.text_input, "Begrundelse (kræves)").input("ny ejer")
    click(at, "defs_save")
    assert any(e.value.startswith("Filen er ændret, siden du åbnede den — af Bo") for e in at.error)
    diffs = [c.value for c in at.code]
    assert any("-    target: 0.95\n+    target: 0.50" in d for d in diffs)
    assert any("+    owner: Familieafdelingen" in d for d in diffs)
    assert editor(at).value == mine
    assert workspace["kpis"].read_text(encoding="utf-8") == lower_target(ORIGINAL)
    # Laying my change on top of theirs: both in the editor, saved only on Gem.
    click(at, "defs_merge")
    both = lower_target(ORIGINAL).replace("owner: Afdelingsledelsen", "owner: Familieafdelingen")
    assert editor(at).value == both
    assert "Dine ændringer er lagt oven i den nye version." in texts(at)
    widget(at.text_input, "Begrundelse (kræves)").input("ny ejer")
    click(at, "defs_save")
    assert workspace["kpis"].read_text(encoding="utf-8") == both


def test_conflict_on_the_same_kpi_is_left_to_the_analyst(workspace):
    at = run(DEFS)
    workspace["history"].save(lower_target(ORIGINAL), opened_hash=text_hash(ORIGINAL),
                              who="Bo", reason="lavere mål")
    mine = lower_target(ORIGINAL).replace("target: 0.50", "target: 0.60")
    editor(at).input(mine)
    widget(at.text_input, "Begrundelse (kræves)").input("mit mål")
    click(at, "defs_save")
    click(at, "defs_merge")
    assert any(f"begge har ændret {KPI_ID}" in e.value for e in at.error)
    assert editor(at).value == mine  # still there
    # Opening the new version puts the colleague's file in the editor.
    click(at, "defs_reopen")
    assert editor(at).value == lower_target(ORIGINAL)
    assert not at.error


def test_template_must_get_its_own_id(workspace):
    at = run(DEFS)
    at.selectbox(key="defs_template_kind").select("share").run()
    click(at, "defs_add_template")
    assert at.radio(key="defs_view").value == "Ét nøgletal"
    assert at.selectbox(key="defs_kpi").value == "nyt_noegletal_andel"
    block = widget(at.text_area, "Definitionen af nyt_noegletal_andel (YAML)")
    assert block.value.startswith("  - id: nyt_noegletal_andel")
    widget(at.text_input, "Begrundelse (kræves)").input("ny andel")
    click(at, "defs_save")
    assert any("skabelonens id er ikke skiftet" in m.value for m in at.markdown)
    # With its own id (edited in the one-KPI view) it validates and saves.
    block = widget(at.text_area, "Definitionen af nyt_noegletal_andel (YAML)")
    block.input(block.value.replace("nyt_noegletal_andel", "planer_med_maal")).run()
    assert at.selectbox(key="defs_kpi").value == "planer_med_maal"  # the view follows the rename
    click(at, "defs_save")
    assert "Gemt som version 2." in texts(at)
    assert "planer_med_maal" in validate_text(workspace["kpis"].read_text("utf-8"))[0]


def test_delete_asks_first_and_saves_only_with_a_reason(workspace):
    at = run(DEFS)
    at.selectbox(key="defs_delete_kpi").select("bfu_varighed_dage").run()
    click(at, "defs_delete")
    assert any("Vil du fjerne `bfu_varighed_dage`" in w.value for w in at.warning)
    assert "bfu_varighed_dage" in editor(at).value  # not yet
    click(at, "defs_delete_yes")
    assert "bfu_varighed_dage" not in editor(at).value
    assert workspace["kpis"].read_text(encoding="utf-8") == ORIGINAL
    widget(at.text_input, "Begrundelse (kræves)").input("Udgår efter udvalgets beslutning")
    click(at, "defs_save")
    assert "bfu_varighed_dage" not in validate_text(workspace["kpis"].read_text("utf-8"))[0]


def test_restore_from_history(workspace):
    workspace["history"].save(lower_target(ORIGINAL), opened_hash=text_hash(ORIGINAL),
                              who="Bo", reason="lavere mål")
    at = run(DEFS)
    versions = frame_with(at, "who")
    assert versions["who"].tolist() == ["Bo", "installationen"]
    at.selectbox(key="defs_version").select(1).run()
    at.radio(key="defs_diff_against").set_value("filen nu").run()
    assert "+    target: 0.50" in at.code[-1].value
    at.text_input(key="defs_restore_reason").input("Tilbage til det vedtagne")
    click(at, "defs_restore")
    assert "Version 1 er gendannet som version 3." in texts(at)
    assert workspace["history"].versions()[0].who == ANALYST
    assert workspace["kpis"].read_text(encoding="utf-8") == ORIGINAL
    assert editor(at).value == ORIGINAL
    assert frame_with(at, "who")["action"].tolist()[0] == "Gendannet fra nr. 1"


def test_an_outside_edit_is_shown_in_the_history(workspace):
    workspace["history"].versions()
    workspace["kpis"].write_text(lower_target(ORIGINAL), encoding="utf-8")  # by hand, or git
    at = run(DEFS)
    versions = frame_with(at, "who")
    assert versions["action"].tolist() == ["Ændret uden for appen", "Startversion"]
    assert editor(at).value == lower_target(ORIGINAL)


def test_invalid_file_on_disk_is_explained(workspace):
    workspace["kpis"].write_text(ORIGINAL.replace("kind: share", "kind: shares", 1), "utf-8")
    at = run(DEFS)
    assert any("Filen, som den ligger nu, er ugyldig" in e.value for e in at.error)
    assert any("ukendt type 'shares'" in m.value for m in at.markdown)


def test_a_deleted_file_is_explained_and_a_version_brings_it_back(workspace):
    workspace["history"].versions()  # the file's first version is recorded
    overview = AppTest.from_file(APP, default_timeout=90).run()  # the definitions are loaded
    assert not overview.exception
    workspace["kpis"].unlink()
    at = run(DEFS)
    assert any("Filen, som den ligger nu, er ugyldig" in e.value for e in at.error)
    assert "filen findes ikke" in texts(at)
    overview.run()  # every page keeps computing with the last valid definitions
    assert not overview.exception and not overview.error
    assert [t.value for t in overview.title] == ["Overblik"] and overview.subheader
    at.selectbox(key="defs_version").select(1).run()
    at.text_input(key="defs_restore_reason").input("Filen var slettet")
    click(at, "defs_restore")
    assert workspace["kpis"].read_text(encoding="utf-8") == ORIGINAL


def test_catalogue_lists_every_kpi_with_its_last_change(workspace):
    workspace["history"].versions()
    workspace["history"].save(lower_target(ORIGINAL), opened_hash=text_hash(ORIGINAL),
                              who="Bo", reason="lavere mål")
    at = run(CATALOGUE)
    assert [t.value for t in at.title] == ["Katalog"]
    kpiset = validate_text(ORIGINAL)[0]
    assert f"Viser {len(kpiset)} af {len(kpiset)} nøgletal." in texts(at)
    assert [h.value for h in at.subheader] == [
        "Faglig udredning", "Valg af indsats", "Opfølgning", "Inddragelse", "Kontekst"]
    names = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert names == [f"#### {k.name}" for k in sorted(kpiset, key=lambda k: (
        [h.value for h in at.subheader].index("Kontekst" if k.context else
                                              k.pejlemaerke.label_da)))]
    all_text = texts(at)
    assert "Ændret (mål) af Bo" in all_text and "Begrundelse: lavere mål" in all_text
    assert "- 50,0 % fra " in all_text and "(Bo: lavere mål)" in all_text
    assert "- 95,0 %: gældende, da historikken begyndte" in all_text

    at.text_input(key="katalog_soeg").input("§ 50").run()
    shown = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert shown and all(k.name in " ".join(shown) for k in kpiset
                         if "§ 50" in (k.legal_basis.sel or ""))
    at.text_input(key="katalog_soeg").input("findes ikke").run()
    assert any(i.value == "Ingen nøgletal passer til søgningen." for i in at.info)


def test_data_page_coverage_and_upload_controls(workspace, demo_db):
    at = run(DATA)
    assert "Dækning" in [h.value for h in at.subheader]
    assert at.get("vega_lite_chart")  # rows per month
    missing = frame_with(at, "share_missing")
    expected = load_coverage(demo_db).missing
    assert len(missing) == (expected["rows"] > 0).sum()
    # Without a key, the page says so and offers the demo key only by an explicit choice.
    assert any("Pseudonymnøgle: ingen nøgle fundet" in w.value for w in at.warning)
    assert at.button(key="data_import_button").disabled  # nothing uploaded yet
    at.checkbox(key="data_demo_key").check().run()
    assert any("demokommunens offentlige nøgle (valgt her på siden)" in i.value for i in at.info)
    assert not any("ingen nøgle fundet" in w.value for w in at.warning)  # a key is chosen now
    assert any(b.label == "Hent hele karantænen som CSV" for b in at.get("download_button"))


def test_data_page_names_a_demo_key_from_the_environment(workspace, monkeypatch):
    from kpis.data.pseudonym import DEMO_KEY

    monkeypatch.setenv("PEJLEMAERKER_PSEUDONYM_KEY", DEMO_KEY.decode())
    at = run(DATA)
    assert any("demokommunens offentlige nøgle (miljøvariablen PEJLEMAERKER_PSEUDONYM_KEY)"
               in i.value for i in at.info)
    assert DEMO_KEY.decode() not in texts(at)  # the key itself is never shown


def test_unwritable_history_disables_saving(workspace, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("PEJLEMAERKER_HISTORY", str(blocker / "historik"))
    at = run(DEFS)
    assert any("Historikken kan ikke læses eller skrives" in e.value for e in at.error)
    assert at.button(key="defs_save").disabled
    assert editor(at).value == ORIGINAL  # the definitions can still be read
    at = run(CATALOGUE)  # and the catalogue shows them, without a history
    assert "Ingen historik endnu." in texts(at)


def test_a_change_elsewhere_never_replaces_text_being_typed(workspace):
    at = run(DEFS)
    workspace["history"].save(lower_target(ORIGINAL), opened_hash=text_hash(ORIGINAL),
                              who="Bo", reason="lavere mål")
    mine = ORIGINAL.replace("owner: Afdelingsledelsen", "owner: Familieafdelingen")
    editor(at).input(mine).run()  # the rerun that carries the typed text
    assert editor(at).value == mine
    assert any(w.value.startswith("Filen er ændret, siden du åbnede den") for w in at.warning)
    # Someone who typed nothing simply follows the new file.
    fresh = run(DEFS)
    workspace["history"].save(ORIGINAL, opened_hash=text_hash(lower_target(ORIGINAL)),
                              who="Bo", reason="tilbage")
    fresh.run()
    assert editor(fresh).value == ORIGINAL and not fresh.warning


def _catalogue_rule_texts(at: AppTest) -> tuple[str, str]:
    """What the catalogue says of the parents' competence KPI: the plain words, the analyst's."""
    box = at.expander
    words = [e for e in box if e.label == "Sådan tælles det"]
    defs = [e for e in box if e.label.startswith("Definitionen med felter")]
    join = lambda items: "\n".join(m.value for e in items for m in e.markdown)
    return join(words), join(defs)


def test_catalogue_gives_the_analyst_the_expression_beside_the_words(workspace):
    words, definition = _catalogue_rule_texts(run(CATALOGUE))
    assert "forældrenes kompetencer er vurderet" in words and "coalesce" not in words
    assert "`coalesce(parental_competence_assessed, false)`" in definition


@pytest.mark.signed_in_as(Role.COMMITTEE)
def test_catalogue_gives_the_committee_only_the_words(workspace):
    at = run(CATALOGUE)
    words, definition = _catalogue_rule_texts(at)
    assert "forældrenes kompetencer er vurderet" in words and definition == ""
    assert [w for w in ("coalesce", "notifier_type", "interview_between", "`")
            if w in words] == []


def test_history_opens_on_the_newest_version_against_the_one_before(workspace):
    at = run(DEFS)  # opened while version 1 is the only one
    assert at.selectbox(key="defs_version").value == 1
    workspace["history"].save(lower_target(ORIGINAL), opened_hash=text_hash(ORIGINAL),
                              who="Bo", reason="lavere mål")
    at.run()
    assert at.selectbox(key="defs_version").value == 2
    assert at.radio(key="defs_diff_against").value == "forrige version"
    changed = [ln for ln in at.code[-1].value.splitlines()
               if ln.startswith(("+", "-")) and not ln.startswith(("+++", "---"))]
    assert changed == ["-    target: 0.95", "+    target: 0.50"]


def test_data_page_proposes_denmarks_today_not_the_servers(workspace, monkeypatch):
    from datetime import date

    from kpis.present import formatting

    # 00:30 in Copenhagen is still yesterday on a UTC server: the date the analyst is at counts
    monkeypatch.setattr(formatting, "danish_today", lambda now=None: date(2031, 1, 1))
    at = run(DATA)
    assert at.date_input(key="data_as_of").value == date(2031, 1, 1)


def test_the_starting_version_is_not_shown_as_a_diff_from_nothing(workspace):
    at = run(DEFS)
    assert at.selectbox(key="defs_version").value == 1
    assert not any(c.language == "diff" for c in at.code)
    assert any(i.value.startswith("Version 1 er installationens startversion")
               for i in at.info)


def test_data_page_proposes_the_exports_own_date(workspace):
    from datetime import date

    from kpis.present.formatting import danish_today

    at = run(DATA)
    assert at.date_input(key="data_as_of").value == danish_today()  # nothing uploaded
    at.file_uploader[0].set_value(("udtraek_2026-10-31.zip", b"PK", "application/zip")).run()
    assert at.date_input(key="data_as_of").value == date(2026, 10, 31)
    assert "Foreslået ud fra filnavnet." in texts(at)
    at.date_input(key="data_as_of").set_value(date(2026, 11, 2)).run()
    assert at.date_input(key="data_as_of").value == date(2026, 11, 2)  # the analyst's choice stays
