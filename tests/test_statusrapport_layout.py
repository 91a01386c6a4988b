"""The statusrapport's PDF on the demo municipality, as the committee downloads it: every page
rendered with pdftoppm and looked at for ink in the side margins, no heading (theme,
recommendation, goal, "Udestående aktiviteter:") left at the foot of a page, nothing drawn below
the bottom margin, and the same pages' text carrying every goal's figures."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from kpis import DEFAULT_KPIS
from kpis.access.roles import Role, scope_for
from kpis.compute.unit_cache import snapshot_cache
from kpis.plan import status_store as ss
from kpis.plan.progress import progress
from kpis.plan.validate import load_plan, plan_path
from kpis.present import plan_view as pv
from kpis.present import statusrapport as sr
from kpis.review import store
from kpis.review.model import DEFAULT_REVIEWS
from kpis.review.validate import load_and_validate as load_reviews
from kpis.rules.validate import load_and_validate
from tests.test_pdf_layout import A4_MM, headings_left_alone, ink_in_margins, rendered

BOTTOM_MARGIN_MM = 16.0


@pytest.fixture(scope="module")
def report(demo_db: Path):
    kpiset = load_and_validate(DEFAULT_KPIS)
    plan = load_plan(plan_path(), kpiset)
    cache = snapshot_cache(demo_db)
    scope, on = scope_for(Role.COMMITTEE), cache.as_of
    goals = progress(cache, kpiset, plan, on, scope=scope)
    rounds = sr.case_rounds(store.findings(scope), list(load_reviews(DEFAULT_REVIEWS).programmes),
                            on, scope.suppress_below)
    blocks = sr.build(plan, goals, ss.states(plan, on=on), kpiset, on, as_of=on, rounds=rounds,
                      teams=scope.team_list, suppress_below=scope.suppress_below)
    return kpiset, goals, blocks, sr.pdf_layout(blocks)


@pytest.fixture(scope="module")
def pages(report, tmp_path_factory):
    return rendered(report[3][0], tmp_path_factory.mktemp("statusrapport"))


def test_every_page_is_rendered_and_nothing_is_in_the_margins(report, pages):
    assert len(pages) == len(PdfReader(io.BytesIO(report[3][0])).pages) >= 3
    assert ink_in_margins(pages) == []


def test_no_heading_ends_a_page_and_nothing_runs_into_the_bottom_margin(report):
    drawn = report[3][1]
    kinds = {d.kind for d in drawn}
    assert {"heading", "text", "table"} <= kinds
    assert headings_left_alone(drawn) == []
    for d in drawn:
        assert d.bottom <= A4_MM[1] - BOTTOM_MARGIN_MM + 0.01, d


def test_the_pdf_has_every_goals_figures_and_the_rounds(report):
    kpiset, goals, _, (pdf, _) = report
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert len(goals) == 6
    for gp in goals:
        for value in pv.goal_summary(gp, kpiset).values():
            assert value in text, value
    assert "Sagsmåling før og efter" in text and "Nulpunktsmåling" in text
    assert "Statusmåling 1" in text and "95 %-interval" in text
