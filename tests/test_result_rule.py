"""Each result row names the rule it was counted by (issue 11 §6): a row of one regime only that
regime's rule, every other row both, and share KPIs theirs too. Expected texts written by hand
from config/kpis.yaml."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from kpis.compute.engine import compute
from kpis.rules.definitions import load_kpis

BOTH_24T = "Barnets Lov § 136: 24 timer fra modtagelse | Serviceloven § 155, stk. 2: 24 timer fra modtagelse"
BL_24T = "Barnets Lov § 136: 24 timer fra modtagelse"
SEL_24T = "Serviceloven § 155, stk. 2: 24 timer fra modtagelse"
INTERVIEW_WHAT = ("Andel af de afsluttede børnefaglige undersøgelser, hvor der blev holdt en samtale "
                  "med barnet, eller hvor det er dokumenteret, hvorfor den ikke blev holdt.")


@pytest.fixture(scope="module")
def kpiset():
    return load_kpis("config/kpis.yaml")


@pytest.fixture(scope="module")
def conn(demo_db):
    c = duckdb.connect(str(demo_db), read_only=True)
    yield c
    c.close()


def _rules(df: pl.DataFrame, kpi: str) -> dict[str | None, set[str]]:
    rows = df.filter(pl.col("kpi") == kpi)
    out: dict[str | None, set[str]] = {}
    for regime, rule in rows.select("regime", "rule").iter_rows():
        out.setdefault(regime, set()).add(rule)
    return out


def test_a_regime_row_names_only_its_own_regimes_rule(conn, kpiset):
    # 2023 is counted under Serviceloven, 2024 under Barnets Lov: both regimes have rows
    df = compute(conn, kpiset, ["2023", "2024"], ("regime",), kpi_ids=["underretning_24t"])
    rules = _rules(df, "underretning_24t")
    assert rules[None] == {BOTH_24T}  # the total row: both regimes' rules
    assert rules["barnets_lov"] == {BL_24T}
    assert rules["sel"] == {SEL_24T}


def test_a_share_kpi_names_its_legal_basis_and_what_it_counts(conn, kpiset):
    df = compute(conn, kpiset, ["2024"], ("regime",), kpi_ids=["boernesamtale_i_bfu"])
    rules = _rules(df, "boernesamtale_i_bfu")
    assert rules[None] == {f"Barnets Lov §§ 20-22 | Serviceloven § 50: {INTERVIEW_WHAT}"}
    assert rules["barnets_lov"] == {f"Barnets Lov §§ 20-22: {INTERVIEW_WHAT}"}


def test_without_a_regime_breakdown_every_row_has_both_rules(conn, kpiset):
    df = compute(conn, kpiset, ["2024-Q1", "2024-Q2"], ("team",), kpi_ids=["underretning_24t"])
    assert set(df["rule"].to_list()) == {BOTH_24T}
