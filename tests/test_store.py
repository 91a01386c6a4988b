"""An invalid definitions file never replaces the last valid definitions."""

from kpis.rules.store import DefinitionsStore
from tests.test_validation import GOOD


def test_invalid_edit_keeps_last_valid(tmp_path):
    path = tmp_path / "kpis.yaml"
    path.write_text(GOOD, encoding="utf-8")
    store = DefinitionsStore(path)
    first = store.get()
    assert first.problems == () and first.kpis.ids == ["bfu_4_mdr"]

    path.write_text(GOOD.replace("source: investigations", "source: nope"), encoding="utf-8")
    broken = store.get()
    assert broken.kpis is first.kpis  # still the last valid definitions
    assert len(broken.problems) == 1 and "ukendt kilde 'nope'" in broken.problems[0].message

    path.write_text(GOOD.replace("target: 0.9", "target: 0.8"), encoding="utf-8")
    fixed = store.get()
    assert fixed.problems == ()
    assert fixed.kpis["bfu_4_mdr"].target[0].value == 0.8
    assert fixed.kpis.version != first.kpis.version


def test_never_valid_file_gives_no_definitions(tmp_path):
    path = tmp_path / "kpis.yaml"
    path.write_text("kpis: [", encoding="utf-8")
    loaded = DefinitionsStore(path).get()
    assert loaded.kpis is None and loaded.problems


def test_a_deleted_or_garbled_file_is_a_problem_beside_the_last_valid_definitions(tmp_path):
    path = tmp_path / "kpis.yaml"
    path.write_text(GOOD, encoding="utf-8")
    store = DefinitionsStore(path)
    first = store.get()
    path.unlink()
    gone = store.get()
    assert gone.kpis is first.kpis
    assert [p.message for p in gone.problems] == ["filen findes ikke"]
    path.write_bytes(GOOD.replace("# ", "# æ ").encode("cp1252") + "æ".encode("cp1252"))
    garbled = store.get()
    assert garbled.kpis is first.kpis
    assert [p.message for p in garbled.problems] == ["filen er ikke gemt som UTF-8"]
    path.write_text(GOOD, encoding="utf-8")
    back = store.get()
    assert back.problems == () and back.kpis.ids == first.kpis.ids


def test_a_file_missing_from_the_start_gives_no_definitions_and_says_why(tmp_path):
    loaded = DefinitionsStore(tmp_path / "kpis.yaml").get()
    assert loaded.kpis is None and "filen findes ikke" in str(loaded.problems[0])
