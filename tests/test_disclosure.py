"""The disclosure check plays the attacker against every committee view (issue 11, section 1).

Done when it recovers 0 withheld small counts from every committee view of the demo and of a
second, smaller demo, for every period kind the committee can choose. To show the attacker is not
toothless, the same check against primary suppression only (no complementary cells) must find the
issue's kind of leak.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kpis import DEFAULT_KPIS
from kpis.access import suppression
from kpis.access.disclosure import check, committee_views
from kpis.compute.unit_cache import snapshot_cache
from kpis.data.demo import DEMO_AS_OF
from kpis.present.period_choice import COMMITTEE_KINDS
from kpis.rules.definitions import load_kpis

KPIS = load_kpis(DEFAULT_KPIS)


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory) -> Path:
    """A second demo municipality, about a third of the first: more small counts."""
    from kpis.data.demo import _import, generate

    tmp = tmp_path_factory.mktemp("small_demo")
    generate(tmp / "export", scale=0.3, as_of=DEMO_AS_OF)
    _import(tmp / "export", tmp / "small.duckdb", DEMO_AS_OF)
    return tmp / "small.duckdb"


def test_the_views_cover_every_period_kind_the_committee_can_choose():
    views = committee_views(DEMO_AS_OF)
    kinds = {p.kind for v in views for p in v.periods}
    assert set(COMMITTEE_KINDS) <= kinds
    assert any(v.by == ("team",) for v in views) and any(v.by == () for v in views)


@pytest.mark.parametrize("which", ["demo", "small"])
def test_nothing_withheld_can_be_recovered(which, demo_db, small_demo):
    db = demo_db if which == "demo" else small_demo
    report = check(snapshot_cache(db), KPIS, 5)
    assert report.withheld > 0, "the demo has small counts to withhold"
    assert report.recovered == [], report.text_da()
    assert report.inconsistent == [], report.text_da()


def test_the_attacker_finds_what_primary_suppression_alone_leaves(small_demo, monkeypatch):
    # Withholding only the small cells themselves (today's per-cell rule, no partner cells):
    # teams add up to the department and quarters to years, so small counts come back.
    monkeypatch.setattr(suppression, "protect", lambda pr: pr.primary.copy())
    monkeypatch.setattr(suppression, "_decisions", type(suppression._decisions)())
    report = check(snapshot_cache(small_demo), KPIS, 5)
    assert report.recovered, "primary suppression alone must leak"
    for f in report.recovered:
        assert f.recovered == pytest.approx(f.true)  # what the attacker computes is the truth


def test_the_command_line_check(small_demo, capsys):
    from kpis.cli import main

    assert main(["disclosure-check", "--db", str(small_demo), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is True and out["recovered"] == [] and out["withheld"] > 0
    assert main(["disclosure-check", "--db", str(small_demo.parent / "nope.duckdb")]) == 2
    assert "findes ikke" in capsys.readouterr().err
