"""The one history every edited configuration file has (kpis.rules.history.ConfigHistory): what a
save, a refused save and a restore leave in the file and the log, written out by hand; and the
three files that use it — the KPI definitions, the udviklingsplan and the review programmes —
each with its own validation and its own folder."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

import kpis
from kpis.plan.versions import default_plan_history_dir, plan_history_for
from kpis.review.model import DEFAULT_REVIEWS
from kpis.review.versions import default_reviews_history_dir, reviews_history_for
from kpis.rules.definitions import load_kpis
from kpis.rules.history import (
    Action,
    ConfigHistory,
    InvalidText,
    SaveConflict,
    default_history_dir,
    text_hash,
)
from kpis.rules.validate import Problem
from tests.test_plan import PLAN_24T as PLAN  # one goal: underretning_24t, target 0.95

T0, T1, T2 = datetime(2026, 5, 4, 8, 0), datetime(2026, 5, 4, 9, 15), datetime(2026, 5, 5, 7, 30)


def needs_ok(text: str, file: str) -> list[Problem]:
    """A toy validation: every line must say ``ok``."""
    return [Problem(file, n, None, "", "linjen siger ikke ok")
            for n, line in enumerate(text.splitlines(), 1) if "ok" not in line]


@pytest.fixture
def toy(tmp_path: Path) -> ConfigHistory:
    path = tmp_path / "toy.yaml"
    path.write_text("a: ok\n", encoding="utf-8")
    return ConfigHistory(path, tmp_path / "toy_history", needs_ok)


def log_of(hist: ConfigHistory) -> list[dict]:
    return [json.loads(line) for line in hist.log_path.read_text(encoding="utf-8").splitlines()]


def test_save_and_restore_leave_exactly_these_log_lines(toy):
    first = toy.versions(now=T0)[0]
    toy.save("a: ok\nb: ok\n", opened_hash=first.hash, who="Anne", reason="b tilføjet", now=T1)
    toy.restore(1, opened_hash=text_hash("a: ok\nb: ok\n"), who="Bo", reason="b var forkert",
                now=T2)
    h1, h2 = text_hash("a: ok\n"), text_hash("a: ok\nb: ok\n")
    assert log_of(toy) == [
        {"seq": 1, "at": "2026-05-04T08:00:00", "who": "installationen", "action": "first",
         "reason": "installationens startversion: filen, som den var, da historikken begyndte",
         "hash": h1, "previous": None, "restored_from": None},
        {"seq": 2, "at": "2026-05-04T09:15:00", "who": "Anne", "action": "save",
         "reason": "b tilføjet", "hash": h2, "previous": h1, "restored_from": None},
        {"seq": 3, "at": "2026-05-05T07:30:00", "who": "Bo", "action": "restore",
         "reason": "b var forkert", "hash": h1, "previous": h2, "restored_from": 1},
    ]
    assert toy.path.read_text(encoding="utf-8") == "a: ok\n"
    # Each text is stored once, under its hash, whatever number of versions carry it.
    assert sorted(p.name for p in (toy.history_dir / "versions").iterdir()) == sorted(
        [f"{h1}.yaml", f"{h2}.yaml"])


def test_the_files_own_check_refuses_and_nothing_is_written(toy):
    first = toy.versions(now=T0)[0]
    before = (toy.path.read_bytes(), toy.log_path.read_bytes())
    with pytest.raises(InvalidText) as err:
        toy.save("a: ok\nb: nej\nc: ok\n", opened_hash=first.hash, who="Anne", reason="r")
    assert err.value.problems == [Problem("toy.yaml", 2, None, "", "linjen siger ikke ok")]
    assert str(err.value) == "1 problem(er) i filen: intet er gemt"
    assert (toy.path.read_bytes(), toy.log_path.read_bytes()) == before


def test_a_restore_checks_the_old_text_against_todays_rules(tmp_path):
    """A version valid when saved may not be valid now (a KPI removed since): it stays readable
    in the history but is not written back."""
    strict = {"on": False}

    def check(text: str, file: str) -> list[Problem]:
        return [Problem(file, 1, None, "", "nu forbudt")] if strict["on"] and "gammel" in text \
            else []

    path = tmp_path / "f.yaml"
    path.write_text("gammel\n", encoding="utf-8")
    hist = ConfigHistory(path, tmp_path / "h", check)
    hist.save("ny\n", opened_hash=text_hash("gammel\n"), who="A", reason="r")
    strict["on"] = True
    with pytest.raises(InvalidText):
        hist.restore(1, opened_hash=text_hash("ny\n"), who="A", reason="tilbage")
    assert path.read_text(encoding="utf-8") == "ny\n"
    assert hist.text_of(hist.version(1)) == "gammel\n"


def test_a_conflict_names_who_saved_meanwhile(toy):
    opened = toy.versions()[0].hash
    toy.save("a: ok\nb: ok\n", opened_hash=opened, who="Anne", reason="r")
    with pytest.raises(SaveConflict) as err:
        toy.save("a: ok\nc: ok\n", opened_hash=opened, who="Bo", reason="r")
    assert [v.who for v in err.value.versions_since] == ["Anne"]
    assert err.value.changed_since == ("--- da du åbnede filen\n+++ filen nu\n"
                                       "@@ -1 +1,2 @@\n a: ok\n+b: ok\n")


# --- the three files ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def kpiset():
    return load_kpis(kpis.DEFAULT_KPIS)


def test_the_plan_is_checked_as_a_plan(tmp_path, kpiset):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN, encoding="utf-8")
    hist = plan_history_for(path, tmp_path / "plan_history", kpiset)
    with pytest.raises(InvalidText) as err:
        hist.save(PLAN.replace("target: 0.95", "target: 95"), opened_hash=text_hash(PLAN),
                  who="A", reason="r")
    [problem] = err.value.problems
    assert (problem.file, problem.line, problem.kpi, problem.field) == (
        "plan.yaml", 19, "maal", "plan.themes[0].recommendations[0].goals[0].target")
    assert problem.message == "målet 95 ligger uden for nøgletallets område"
    hist.save(PLAN.replace("target: 0.95", "target: 0.9"), opened_hash=text_hash(PLAN),
              who="A", reason="lavere mål")
    assert hist.plan_of(hist.versions()[1]).goals()[0][2].target == 0.95  # the old one reads


def test_an_old_version_that_was_never_a_plan_says_so(tmp_path, kpiset):
    path = tmp_path / "plan.yaml"
    path.write_text("plan: [\n", encoding="utf-8")  # broken by hand before the history began
    hist = plan_history_for(path, tmp_path / "h", kpiset)
    with pytest.raises(ValueError, match="version 1 kan ikke læses som en plan"):
        hist.plan_of(hist.versions()[0])


def test_the_programmes_are_checked_as_programmes(tmp_path):
    text = DEFAULT_REVIEWS.read_text(encoding="utf-8")
    path = tmp_path / "reviews.yaml"
    path.write_text(text, encoding="utf-8")
    hist = reviews_history_for(path, tmp_path / "reviews_history", kpis.DEFAULT_KPIS)
    broken = text.replace("purpose: sagsmaaling", "purpose: sagsmaling", 1)
    with pytest.raises(InvalidText) as err:
        hist.save(broken, opened_hash=text_hash(text), who="A", reason="r")
    line = broken.splitlines().index("    purpose: sagsmaling") + 1
    assert [(p.line, p.kpi, p.field) for p in err.value.problems] == [
        (line, "sagsmaaling", "purpose")]
    assert path.read_text(encoding="utf-8") == text


def test_each_file_keeps_its_history_in_a_folder_of_its_own(tmp_path, monkeypatch):
    db = tmp_path / "data" / "pejlemaerker.duckdb"
    for env in ("PEJLEMAERKER_HISTORY", "PEJLEMAERKER_PLAN_HISTORY",
                "PEJLEMAERKER_REVIEWS_HISTORY"):
        monkeypatch.delenv(env, raising=False)
    assert [default_history_dir(db), default_plan_history_dir(db),
            default_reviews_history_dir(db)] == [
        tmp_path / "data" / "definitions_history", tmp_path / "data" / "plan_history",
        tmp_path / "data" / "reviews_history"]
    monkeypatch.setenv("PEJLEMAERKER_PLAN_HISTORY", str(tmp_path / "elsewhere"))
    assert default_plan_history_dir(db) == tmp_path / "elsewhere"
    assert default_history_dir(db) == tmp_path / "data" / "definitions_history"


def test_the_definitions_keep_their_old_names():
    """The definitions' editor and its tests know the refusal as InvalidDefinitions."""
    from kpis.rules.history import InvalidDefinitions

    assert InvalidDefinitions is InvalidText
    assert Action.RESTORE.label_da == "Gendannet"


def test_a_kpi_the_plan_or_the_programmes_are_tied_to_is_not_removed(tmp_path, monkeypatch):
    """Three files, one app: the definitions' editor refuses to remove a KPI that a plan goal
    or a pre-filled review question names (pages/_workspace.EXTRA_CHECKS)."""
    from kpis.plan.validate import kpis_the_plan_needs
    from kpis.review.validate import kpis_the_programmes_need
    from kpis.rules.blocks import delete_kpi
    from kpis.rules.history import history_for

    plan, reviews = tmp_path / "plan.yaml", tmp_path / "reviews.yaml"
    plan.write_text(PLAN, encoding="utf-8")  # its one goal, "maal", is on underretning_24t
    reviews.write_text(DEFAULT_REVIEWS.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("PEJLEMAERKER_PLAN", str(plan))
    monkeypatch.setenv("PEJLEMAERKER_REVIEWS_CONFIG", str(reviews))
    kpis_file = tmp_path / "kpis.yaml"
    text = kpis.DEFAULT_KPIS.read_text(encoding="utf-8")
    kpis_file.write_text(text, encoding="utf-8")
    hist = history_for(kpis_file, tmp_path / "h", [kpis_the_plan_needs, kpis_the_programmes_need])

    with pytest.raises(InvalidText) as err:
        hist.save(delete_kpi(text, "underretning_24t"), opened_hash=text_hash(text), who="A",
                  reason="bruges ikke")
    assert [(p.kpi, p.field, p.message) for p in err.value.problems] == [
        ("underretning_24t", "id", "udviklingsplanens mål 'maal' bruger nøgletallet"),
        ("underretning_24t", "id", ("spørgsmålet 'underretning_vurderet_24t' i programmet "
                                   "'sagsmaaling' udfyldes fra nøgletallet"))]
    assert kpis_file.read_text(encoding="utf-8") == text
    # A KPI neither file names may go.
    fewer = delete_kpi(text, "underretninger_antal")
    assert hist.save(fewer, opened_hash=text_hash(text), who="A", reason="bruges ikke").seq == 2
