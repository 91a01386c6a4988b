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
