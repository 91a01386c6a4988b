"""Version history of the definitions: atomic saves with who and why, diff, restore, conflicts,
invalid texts and edits made outside the app."""

from __future__ import annotations

import os
import threading
from datetime import datetime

import pytest

from kpis.rules import history as h
from kpis.rules.history import (
    Action,
    InvalidDefinitions,
    NothingToSave,
    SaveConflict,
    history_for,
    text_hash,
)
from kpis.rules.templates import placeholder_problems
from tests.test_validation import GOOD

T0 = datetime(2026, 3, 2, 9, 0)
T1 = datetime(2026, 3, 2, 10, 30)
LOWER = GOOD.replace("target: 0.9", "target: 0.8")
BROKEN_YAML = GOOD.replace("kind: deadline", "kind: [deadline")


@pytest.fixture
def setup(tmp_path):
    path = tmp_path / "config" / "kpis.yaml"
    path.parent.mkdir()
    path.write_text(GOOD, encoding="utf-8")
    return path, history_for(path, tmp_path / "history", [placeholder_problems])


def test_save_writes_the_file_and_logs_who_when_and_why(setup):
    path, hist = setup
    version = hist.save(LOWER, opened_hash=text_hash(GOOD), who="Anne Analytiker",
                        reason="Udvalget sænkede målet", now=T1)
    assert path.read_text(encoding="utf-8") == LOWER
    assert (version.seq, version.who, version.reason, version.action) == (
        2, "Anne Analytiker", "Udvalget sænkede målet", Action.SAVE)
    assert version.at == T1 and version.hash == text_hash(LOWER)
    assert version.previous == text_hash(GOOD)
    versions = hist.versions()
    assert [(v.seq, v.action) for v in versions] == [(2, Action.SAVE), (1, Action.FIRST)]
    assert hist.text_of(versions[1]) == GOOD and hist.text_of(versions[0]) == LOWER
    # The log is JSON lines outside the config folder; no temporary file is left behind.
    assert len(hist.log_path.read_text(encoding="utf-8").splitlines()) == 2
    assert sorted(p.name for p in path.parent.iterdir()) == ["kpis.yaml"]


def test_save_is_atomic_a_failed_rename_leaves_the_old_file(setup, monkeypatch):
    path, hist = setup
    os.chmod(path, 0o640)

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(h.os, "replace", fail)
    with pytest.raises(OSError):
        hist.save(LOWER, opened_hash=text_hash(GOOD), who="A", reason="r")
    assert path.read_text(encoding="utf-8") == GOOD
    assert sorted(p.name for p in path.parent.iterdir()) == ["kpis.yaml"]
    monkeypatch.undo()
    hist.save(LOWER, opened_hash=text_hash(GOOD), who="A", reason="r")
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)  # permissions kept


@pytest.mark.parametrize("who, reason", [("", "begrundelse"), ("Anne", "   "), ("Anne", "")])
def test_a_name_and_a_reason_are_required(setup, who, reason):
    path, hist = setup
    with pytest.raises(ValueError):
        hist.save(LOWER, opened_hash=text_hash(GOOD), who=who, reason=reason)
    assert path.read_text(encoding="utf-8") == GOOD


def test_invalid_text_changes_nothing(setup):
    path, hist = setup
    hist.versions()  # the history exists: version 1
    before = (path.read_bytes(), hist.log_path.read_bytes())
    for bad in (BROKEN_YAML, GOOD.replace("source: investigations", "source: nope")):
        with pytest.raises(InvalidDefinitions) as err:
            hist.save(bad, opened_hash=text_hash(GOOD), who="A", reason="r")
        assert err.value.problems and all(p.line for p in err.value.problems)
    assert (path.read_bytes(), hist.log_path.read_bytes()) == before


def test_template_placeholder_id_must_be_changed(setup):
    path, hist = setup
    text = GOOD.replace("id: bfu_4_mdr", "id: nyt_noegletal_frist")
    with pytest.raises(InvalidDefinitions) as err:
        hist.save(text, opened_hash=text_hash(GOOD), who="A", reason="r")
    [problem] = err.value.problems
    assert (problem.kpi, problem.field, problem.line) == ("nyt_noegletal_frist", "id", 3)
    assert path.read_text(encoding="utf-8") == GOOD


def test_saving_the_same_text_is_not_a_new_version(setup):
    _, hist = setup
    with pytest.raises(NothingToSave):
        hist.save(GOOD, opened_hash=text_hash(GOOD), who="A", reason="r")
    assert len(hist.versions()) == 1


def test_diff_between_versions_is_unified(setup):
    _, hist = setup
    hist.save(LOWER, opened_hash=text_hash(GOOD), who="A", reason="r")
    newest, first = hist.versions()
    diff = hist.diff(first, newest)
    assert diff.startswith("--- version 1\n+++ version 2\n@@")
    assert "\n-    target: 0.9\n+    target: 0.8\n" in diff
    assert hist.diff(newest) == ""  # the newest version equals the file now


def test_restore_brings_back_an_earlier_version_the_same_way(setup):
    path, hist = setup
    hist.save(LOWER, opened_hash=text_hash(GOOD), who="A", reason="ned", now=T0)
    restored = hist.restore(1, opened_hash=text_hash(LOWER), who="B", reason="fortrudt", now=T1)
    assert path.read_text(encoding="utf-8") == GOOD
    assert (restored.seq, restored.action, restored.restored_from, restored.who) == (
        3, Action.RESTORE, 1, "B")
    with pytest.raises(SaveConflict):  # a restore too carries the hash of what was on screen
        hist.restore(2, opened_hash=text_hash(LOWER), who="B", reason="igen")


def test_second_analyst_is_told_and_loses_nothing(setup):
    path, hist = setup
    opened = text_hash(GOOD)  # both analysts opened the same file
    hist.save(LOWER, opened_hash=opened, who="Anne", reason="lavere mål")
    mine = GOOD.replace("owner: Analyse", "owner: Bo")
    with pytest.raises(SaveConflict) as err:
        hist.save(mine, opened_hash=opened, who="Bo", reason="ny ejer")
    conflict = err.value
    assert path.read_text(encoding="utf-8") == LOWER  # Anne's save stands
    assert conflict.mine == mine and conflict.current == LOWER  # Bo's text is handed back
    assert "-    target: 0.9\n+    target: 0.8" in conflict.changed_since
    assert "-    owner: Analyse\n+    owner: Bo" in conflict.mine_vs_current
    assert [v.who for v in conflict.versions_since] == ["Anne"]
    # Bo reopens the file and saves again: now it goes through.
    hist.save(LOWER.replace("owner: Analyse", "owner: Bo"), opened_hash=text_hash(LOWER),
              who="Bo", reason="ny ejer")
    assert "owner: Bo" in path.read_text(encoding="utf-8")


def test_simultaneous_saves_exactly_one_wins(setup):
    path, hist = setup
    opened = text_hash(GOOD)
    texts = [GOOD.replace("target: 0.9", f"target: 0.{n}") for n in (5, 6, 7, 8)]
    outcome: list[str] = []
    barrier = threading.Barrier(len(texts))

    def save(text):
        barrier.wait()
        try:
            hist.save(text, opened_hash=opened, who="A", reason="samtidig")
            outcome.append("saved")
        except SaveConflict:
            outcome.append("conflict")

    threads = [threading.Thread(target=save, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcome) == ["conflict"] * 3 + ["saved"]
    assert path.read_text(encoding="utf-8") in texts
    assert [v.action for v in hist.versions()] == [Action.SAVE, Action.FIRST]


def test_an_edit_outside_the_app_appears_in_the_history(setup):
    path, hist = setup
    hist.save(LOWER, opened_hash=text_hash(GOOD), who="A", reason="r")
    by_hand = LOWER.replace("name: BFU inden for 4 måneder", "name: BFU på 4 måneder")
    path.write_text(by_hand, encoding="utf-8")  # git pull, or an editor
    newest = hist.versions()[0]
    assert (newest.seq, newest.action, newest.reason, newest.who) == (
        3, Action.OUTSIDE, "ændret uden for appen", "ukendt")
    assert hist.text_of(newest) == by_hand
    assert len(hist.versions()) == 3  # looking again records nothing new
    # An invalid hand edit is recorded too (it is what the file holds), but never saved over.
    path.write_text(BROKEN_YAML, encoding="utf-8")
    assert hist.versions()[0].action is Action.OUTSIDE
    with pytest.raises(SaveConflict):
        hist.save(GOOD, opened_hash=text_hash(by_hand), who="A", reason="r")


def test_history_folder_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(h.HISTORY_ENV, raising=False)
    assert h.default_history_dir(tmp_path / "db" / "x.duckdb") == (
        tmp_path / "db" / "definitions_history")
    monkeypatch.setenv(h.HISTORY_ENV, str(tmp_path / "elsewhere"))
    assert h.default_history_dir(tmp_path / "db" / "x.duckdb") == tmp_path / "elsewhere"


def test_version_hash_is_checked_before_use(setup):
    _, hist = setup
    with pytest.raises(ValueError):
        hist.text_of("../../etc/passwd")


def test_the_history_starts_with_the_installations_version_not_an_unknown_author(setup):
    _, hist = setup
    first = hist.versions()[0]
    assert (first.seq, first.action, first.who) == (1, Action.FIRST, "installationen")
    assert first.reason.startswith("installationens startversion")
    assert first.action.label_da == "Startversion"


def test_a_log_from_before_reads_its_first_version_the_same_way(setup):
    _, hist = setup
    hist.versions()
    log = hist.log_path.read_text(encoding="utf-8")
    old = log.replace('"who": "installationen"', '"who": "ukendt"').replace(
        h.FIRST_REASON, "første version i historikken")
    assert old != log
    hist.log_path.write_text(old, encoding="utf-8")
    assert [(v.who, v.reason) for v in hist.versions()] == [("installationen", h.FIRST_REASON)]
