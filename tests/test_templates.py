"""New KPIs from templates, one KPI's lines as a block (edit, delete) — the rest of the file
stays exactly as written."""

from __future__ import annotations

import pytest

import kpis
from kpis.rules import blocks
from kpis.rules.definitions import Kind
from kpis.rules.templates import (
    PLACEHOLDER_IDS,
    add_template,
    delete_kpi,
    placeholder_problems,
    template,
)
from kpis.rules.validate import validate_text

STARTER = kpis.DEFAULT_KPIS.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", list(Kind))
def test_each_template_validates_as_it_stands(kind):
    text = add_template(STARTER, kind)
    kpiset, problems = validate_text(text)
    assert problems == []
    kpi = kpiset[PLACEHOLDER_IDS[kind]]
    assert kpi.kind is kind
    assert kpiset.ids[:-1] == validate_text(STARTER)[0].ids  # appended after the last one
    assert text.startswith(STARTER)  # nothing above it moved
    # ... but it cannot be saved before its id is changed.
    [problem] = placeholder_problems(kpiset, text)
    assert problem.kpi == PLACEHOLDER_IDS[kind]
    assert text.splitlines()[problem.line - 1].strip().startswith(f"- id: {PLACEHOLDER_IDS[kind]}")


def test_a_template_twice_is_refused():
    text = add_template(STARTER, Kind.SHARE)
    with pytest.raises(blocks.BlockError):
        add_template(text, Kind.SHARE)
    renamed = text.replace(PLACEHOLDER_IDS[Kind.SHARE], "andel_ny")
    assert validate_text(add_template(renamed, Kind.SHARE))[1] == []


def test_template_alone_in_a_file():
    text = "version: 1\nkpis:\n" + template(Kind.COUNT)
    assert validate_text(text)[1] == []


def test_delete_removes_exactly_that_kpi():
    text = delete_kpi(STARTER, "bfu_4_mdr")
    kpiset, problems = validate_text(text)
    assert problems == []
    ids = validate_text(STARTER)[0].ids
    assert kpiset.ids == [i for i in ids if i != "bfu_4_mdr"]
    assert "bfu_4_mdr" not in text
    # The section comment above the next KPI and every other line are untouched.
    assert "# --- Valg af indsats ---" in text
    lines = STARTER.splitlines(keepends=True)
    first = lines.index("  - id: bfu_4_mdr\n")
    last = next(i for i in range(first, len(lines)) if lines[i].startswith("    owner:"))
    assert not lines[last + 1].strip()  # the blank line after it goes with it
    assert text == "".join(lines[:first] + lines[last + 2:])
    assert "\n\n\n" not in text


def test_delete_first_and_last():
    ids = validate_text(STARTER)[0].ids
    text = delete_kpi(delete_kpi(STARTER, ids[0]), ids[-1])
    assert validate_text(text)[0].ids == ids[1:-1]
    assert text.startswith(STARTER.split("  - id:")[0])  # header comments stay


def test_block_round_trip_and_replace():
    block = blocks.kpi_block(STARTER, "plan_maalbare_maal")
    assert block.startswith("  - id: plan_maalbare_maal\n")
    assert block.endswith("    owner: Myndighedsafdelingen, analyseenheden\n")
    assert blocks.replace_kpi(STARTER, "plan_maalbare_maal", block) == STARTER
    changed = blocks.replace_kpi(STARTER, "plan_maalbare_maal",
                                 block.replace("target: 0.90", "target: 0.85").rstrip("\n"))
    kpiset, problems = validate_text(changed)
    assert problems == [] and kpiset["plan_maalbare_maal"].target[0].value == 0.85
    assert len(changed.splitlines()) == len(STARTER.splitlines())


def test_block_keeps_inner_comments_and_the_last_kpi_reaches_the_end():
    block = blocks.kpi_block(STARTER, "boernesamtale_foer_afgoerelse")
    assert "# Vinduet (6 måneder op til afgørelsen)" in block
    last = validate_text(STARTER)[0].ids[-1]
    assert STARTER.endswith(blocks.kpi_block(STARTER, last))


@pytest.mark.parametrize("text", ["kpis: [", "kpis: [{id: a}]", "version: 1\n"])
def test_unusable_texts_are_refused(text):
    with pytest.raises(blocks.BlockError):
        blocks.kpi_block(text, "a")


def test_unknown_id_is_refused():
    with pytest.raises(blocks.BlockError, match="intet nøgletal"):
        delete_kpi(STARTER, "findes_ikke")


def _target(text, kpi_id, old, new):
    return blocks.replace_kpi(text, kpi_id, blocks.kpi_block(text, kpi_id).replace(old, new))


def test_merge_lays_my_kpis_on_top_of_theirs():
    theirs = _target(STARTER, "boernesamtale_i_bfu", "target: 0.95", "target: 0.50")
    mine = _target(STARTER, "plan_maalbare_maal", "target: 0.90", "target: 0.85")
    mine = add_template(mine, Kind.COUNT).replace(PLACEHOLDER_IDS[Kind.COUNT], "antal_nyt")
    mine = delete_kpi(mine, "bfu_varighed_dage")
    merged = blocks.merge_by_kpi(STARTER, theirs, mine)
    kpiset, problems = validate_text(merged)
    assert problems == []
    assert kpiset["boernesamtale_i_bfu"].target[0].value == 0.5  # theirs stays
    assert kpiset["plan_maalbare_maal"].target[0].value == 0.85  # mine is added
    assert "antal_nyt" in kpiset and "bfu_varighed_dage" not in kpiset
    assert blocks.merge_by_kpi(STARTER, theirs, STARTER) == theirs  # nothing of mine
    assert blocks.merge_by_kpi(STARTER, theirs, theirs) == theirs  # the same change


def test_merge_refuses_when_both_changed_the_same_kpi():
    theirs = _target(STARTER, "bfu_4_mdr", "yellow: 0.15", "yellow: 0.10")
    mine = _target(STARTER, "bfu_4_mdr", "owner: Myndighedsafdelingen, analyseenheden",
                   "owner: Analyse")
    with pytest.raises(blocks.MergeConflict) as err:
        blocks.merge_by_kpi(STARTER, theirs, mine)
    assert err.value.kpis == ["bfu_4_mdr"]
    with pytest.raises(blocks.MergeConflict, match="uden for nøgletallene"):
        blocks.merge_by_kpi(STARTER, theirs, STARTER.replace("version: 1", "version: 1  # x"))
