"""Catalogue: each KPI's entry from the definitions, and its changes from the version history."""

from __future__ import annotations

from datetime import datetime

from kpis.present.catalogue import build_catalogue, fields_da, target_text
from kpis.rules.definitions import Unit
from kpis.rules.history import history_for, text_hash
from kpis.rules.validate import validate_text
from tests.test_validation import GOOD

STEPS = GOOD.replace("target: 0.9", 'target:\n      - {from: "2022-01-01", value: 0.8}\n'
                     '      - {from: "2025-01-01", value: 0.9}')


def test_target_text():
    assert target_text(0.9, Unit.PERCENT) == "90,0 %"
    assert target_text([{"from": "2025-01-01", "value": 120}], Unit.DAYS) == (
        "fra 1. januar 2025: 120,0 dage")
    assert target_text(None, Unit.PERCENT) is None


def test_entry_carries_definition_and_history(tmp_path):
    path = tmp_path / "kpis.yaml"
    path.write_text(GOOD, encoding="utf-8")
    hist = history_for(path, tmp_path / "h")
    hist.versions(now=datetime(2026, 1, 5, 8, 0))
    hist.save(STEPS, opened_hash=text_hash(GOOD), who="Anne", reason="trappemål",
              now=datetime(2026, 2, 1, 9, 15))
    renamed = STEPS.replace("owner: Analyse", "owner: Analyseenheden")
    hist.save(renamed, opened_hash=text_hash(STEPS), who="Bo", reason="ny ejer",
              now=datetime(2026, 3, 1, 10, 0))
    kpiset = validate_text(renamed)[0]
    [entry] = build_catalogue(kpiset, hist.versions(), hist.text_of)

    assert (entry.kpi_id, entry.section, entry.kind_da, entry.owner) == (
        "bfu_4_mdr", "Faglig udredning", "frist", "Analyseenheden")
    assert [ln.label for ln in entry.legal_basis] == [
        "Barnets Lov (fra 1. januar 2024)", "Serviceloven (før 2024)"]
    assert entry.counted[0].label == "Hvad tælles"
    assert [(c.what, c.version.who) for c in entry.changes] == [
        ("tilføjet", "installationen"), ("ændret", "Anne"), ("ændret", "Bo")]
    assert entry.last_change.version.reason == "ny ejer"
    assert fields_da(entry.last_change.fields) == "ejer"
    [target] = entry.target_changes[1:]
    assert (target.target_before, target.target_after) == (
        "90,0 %", "fra 1. januar 2022: 80,0 %; fra 1. januar 2025: 90,0 %")
    assert target.when_da == "1. februar 2026 kl. 10.15"  # saved at 09.15 UTC


def test_without_history_no_changes():
    [entry] = build_catalogue(validate_text(GOOD)[0])
    assert entry.changes == [] and entry.last_change is None
