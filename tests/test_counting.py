""""Sådan tælles det" is generated from the definitions: each part of every KPI's YAML shows up."""

from __future__ import annotations

import re

import pytest

from kpis import DEFAULT_KPIS
from kpis.present.counting import as_plain_text, how_counted, legal_basis_lines
from kpis.rules.definitions import CountKpi, DeadlineKpi, DurationKpi, ShareKpi, load_kpis
from kpis.rules.expressions import Call, ColumnRef, parse, walk
from kpis.rules.regime import Regime

KPIS = load_kpis(DEFAULT_KPIS)


@pytest.mark.parametrize("kpi_id", KPIS.ids)
def test_every_part_of_the_definition_is_in_the_text(kpi_id):
    kpi = KPIS[kpi_id]
    text = as_plain_text(how_counted(kpi))
    spec = kpi.spec
    if spec.filter:
        assert " ".join(spec.filter.split()) in text
    if isinstance(kpi, DeadlineKpi):
        for column in (spec.start, spec.completion, spec.regime_date):
            assert f"({column})" in text
        for regime in (Regime.BARNETS_LOV, Regime.SEL):
            for rule in spec.due.rules(regime):
                assert rule.describe_da() in text
    elif isinstance(kpi, ShareKpi):
        assert " ".join(spec.condition.split()) in text and f"({spec.event_date})" in text
    elif isinstance(kpi, CountKpi):
        assert f"({spec.event_date or spec.open_from})" in text
    elif isinstance(kpi, DurationKpi):
        assert f"({spec.start})" in text and f"({spec.end})" in text
    for basis in legal_basis_lines(kpi):
        assert basis.text in (kpi.legal_basis.barnets_lov, kpi.legal_basis.sel)


def test_a_deadline_kpi_reads_as_plain_danish():
    lines = {ln.label: ln.text for ln in how_counted(KPIS["bfu_4_mdr"])}
    assert lines["Fristen regnes fra"] == "kommunen blev opmærksom (`aware_on`)"
    assert lines["Frist efter Barnets Lov (fra 1. januar 2024)"] == "4 måneder"
    assert lines["Mål"] == "fra 1. januar 2022: 80,0 %; fra 1. januar 2025: 90,0 %"
    assert lines["Trafiklys"].startswith("● Grøn: på eller bedre end målet; ▲ Gul: højst 15,0 "
                                         "procentpoint under målet")


@pytest.mark.parametrize(("kpi_id", "when"), [
    ("opfoelgning_foerste_rettidig", "ligger på eller efter fristen"),
    ("opfoelgning_loebende_rettidig", "ligger på eller efter fristen"),
    ("plan_rettidig", "er passeret, og fristen også"),
])
def test_a_step_of_an_ended_measure_is_late_but_not_open(kpi_id, when):
    for plain in (False, True):
        lines = {ln.label: ln.text for ln in how_counted(KPIS[kpi_id], plain=plain)}
        text = lines["Ikke længere åben"]
        assert when in text and "tæller som for sent" in text
        assert "ikke på fristoversigten" in text


def test_conditional_due_rules_name_their_condition():
    text = as_plain_text(how_counted(KPIS["plan_rettidig"]))
    assert ("hvis measure_type = 'placement_without_consent': anbringelse uden samtykke (§ 47): "
            "senest på afgørelsesdagen; ellers: 3 måneder efter afgørelsen") in text


def test_fields_and_functions_are_explained():
    text = as_plain_text(how_counted(KPIS["boernesamtale_foer_afgoerelse"]))
    assert "interview_between(…) = en børnesamtale afholdt" in text
    assert "add_months(…) = dato plus et antal kalendermåneder" in text
    placement = as_plain_text(how_counted(KPIS["tilsyn_2_aarligt"]))
    assert "anbringelsesårets sidste dag (year_end)" in placement


def _code_words(kpi) -> set[str]:
    """Every column and function name the KPI's definition uses (what a committee must not read)."""
    spec = kpi.spec
    words = {v for v in spec.model_dump().values() if isinstance(v, str) and v != spec.source}
    texts = [t for t in (spec.filter, getattr(spec, "condition", None)) if t]
    if isinstance(kpi, DeadlineKpi):
        for regime in (Regime.BARNETS_LOV, Regime.SEL):
            for rule in spec.due.rules(regime):
                texts += [rule.when] if rule.when else []
                words |= {c for c in (rule.column, rule.or_earlier) if c}
    for text in texts:
        words |= {n.name for n in walk(parse(text)) if isinstance(n, (ColumnRef, Call))}
    return {w for w in words if "_" in w or w.isascii() and w.islower() and " " not in w}


@pytest.mark.parametrize("kpi_id", KPIS.ids)
def test_the_committees_text_has_no_field_names_or_expressions(kpi_id):
    kpi = KPIS[kpi_id]
    text = as_plain_text(how_counted(kpi, plain=True))
    assert "`" not in text and " = " not in text and ">=" not in text
    found = {w for w in _code_words(kpi) if re.search(rf"\b{re.escape(w)}\b", text)}
    assert found == set(), found
    if kpi.rule_da:
        assert " ".join(kpi.rule_da.split()) in text


def test_the_committee_reads_rule_da_where_the_analyst_reads_the_expression():
    kpi = KPIS["bfu_foraeldrekompetence"]
    plain = {ln.label: ln.text for ln in how_counted(kpi, plain=True)}
    assert plain["Hvad tælles"] == (
        "Afsluttede børnefaglige undersøgelser. Kravet er opfyldt, når det er registreret, at "
        "forældrenes kompetencer er vurderet; mangler oplysningen, tæller undersøgelsen som ikke "
        "vurderet.")
    assert plain["Periode"] == "tæller i den periode, hvor »afsluttet« ligger"
    assert "Opfylder kravet, når" not in plain
    analyst = {ln.label: ln.text for ln in how_counted(kpi)}
    assert analyst["Opfylder kravet, når"].startswith(
        "`coalesce(parental_competence_assessed, false)`")


def test_the_committee_reads_conditional_deadlines_by_their_labels():
    text = as_plain_text(how_counted(KPIS["plan_rettidig"], plain=True))
    assert ("Frist efter Barnets Lov (fra 1. januar 2024): anbringelse uden samtykke (§ 47): "
            "senest på afgørelsesdagen; 3 måneder efter afgørelsen") in text
    assert "placement" not in text
