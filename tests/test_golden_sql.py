"""Golden files: each starter KPI's compiled SQL is stored as reviewed text and diffed on change.

Regenerate after an intended change with ``UPDATE_GOLDEN=1 pytest tests/test_golden_sql.py`` and
review the diff like any other code change.
"""

import json
import os
from datetime import date
from pathlib import Path

import pytest

from kpis import DEFAULT_KPIS
from kpis.compute.compile import compile_aggregate, units_relation
from kpis.compute.periods import parse_period
from kpis.rules.definitions import load_kpis
from kpis.rules.sources import base_ctes

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
KPIS = load_kpis(DEFAULT_KPIS)


def _check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} mangler: kør med UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} har ændret sig (UPDATE_GOLDEN=1)"


@pytest.mark.parametrize("kpi_id", KPIS.ids)
def test_units_sql_matches_golden(kpi_id):
    q = units_relation(KPIS[kpi_id])
    header = "-- params: " + json.dumps(q.params, ensure_ascii=False, default=str) + "\n"
    _check(f"{kpi_id}.sql", header + q.sql + "\n")


def test_base_views_match_golden():
    _check("_base_views.sql", "\n\n".join(f"-- {n}\n{sql}" for n, sql in base_ctes()) + "\n")


def test_aggregate_wrapper_matches_golden():
    q = compile_aggregate(KPIS["bfu_4_mdr"], [parse_period("2025-Q1")], ("team",),
                          date(2025, 6, 30))
    wrapper = q.sql[q.sql.index("r0 AS ("):]
    header = "-- params: " + json.dumps(q.params, ensure_ascii=False, default=str) + "\n"
    _check("_aggregate_bfu_4_mdr_by_team.sql", header + wrapper + "\n")


def test_no_value_is_inlined():
    """Every literal from the YAML reaches SQL as a bound parameter."""
    q = units_relation(KPIS["kvittering_6_hverdage"])
    assert "'professional'" not in q.sql
    assert "professional" in q.params.values()
