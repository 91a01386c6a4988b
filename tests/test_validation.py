"""Validation reports every problem of a definitions file at once, with line, KPI and field."""

import subprocess
import sys
from pathlib import Path

import pytest

from kpis import DEFAULT_KPIS
from kpis.rules.validate import validate_text

GOOD = """\
version: 1
kpis:
  - id: bfu_4_mdr
    name: BFU inden for 4 måneder
    description: Andel af undersøgelser afsluttet til tiden.
    pejlemaerke: faglig_udredning
    legal_basis: {barnets_lov: "Barnets Lov § 20, stk. 3", sel: "Serviceloven § 50"}
    kind: deadline
    deadline:
      source: investigations
      start: aware_on
      completion: completed_on
      regime_date: aware_on
      due:
        sel: {months: 4}
        barnets_lov: {months: 4}
    unit: percent
    direction: higher_is_better
    target: 0.9
    thresholds: {green: 0.0, yellow: 0.1}
    owner: Analyse
"""

BROKEN = """\
version: 1
kpis:
  - id: bfu_4_mdr
    name: BFU inden for 4 måneder
    description: Andel af undersøgelser afsluttet til tiden.
    pejlemaerke: faglig_udredning
    legal_basis: {sel: "Serviceloven § 50"}
    kind: deadline
    deadline:
      source: investigations
      start: awareon
      completion: completed_on
      regime_date: aware_on
      due:
        sel: {months: 4}
        barnets_lov: {months: 4}
    unit: percent
    direction: higher_is_better
    target: 95
    thresholds: {green: 0.1, yellow: 0.0}
    owner: Analyse
    tagret: 1
  - id: bfu_4_mdr
    name: Dublet
    description: Samme id som ovenfor, og en ukendt kilde.
    pejlemaerke: faglig_udredning
    legal_basis: {}
    kind: share
    share:
      source: investigation
      event_date: completed_on
      condition: parental_competence_assessed = true
    unit: percent
    direction: higher_is_better
    owner: Analyse
  - id: count_wo_param
    name: Mangler parameter
    description: Optælling uden kilde, og en funktion der ikke er tilladt.
    pejlemaerke: styring
    legal_basis: {}
    kind: deadline
    deadline:
      start: received_at
      completion: assessed_at
      regime_date: received_at
      due: {sel: {hours: 24}, barnets_lov: {hours: 24}}
    unit: percent
    direction: higher_is_better
    owner: Analyse
  - id: bad_expr
    name: Ulovlig funktion
    description: Et filter med en funktion uden for tilladelseslisten.
    pejlemaerke: inddragelse
    legal_basis: {}
    kind: share
    share:
      source: investigations
      event_date: completed_on
      condition: read_csv('/etc/passwd') IS NULL
    unit: percent
    direction: higher_is_better
    owner: Analyse
"""


def test_good_file_validates():
    kpiset, problems = validate_text(GOOD)
    assert problems == []
    assert kpiset.ids == ["bfu_4_mdr"]


def test_starter_set_validates():
    kpiset, problems = validate_text(DEFAULT_KPIS.read_text(encoding="utf-8"))
    assert problems == []
    assert {"underretning_24t", "kvittering_6_hverdage", "bfu_4_mdr", "bfu_foraeldrekompetence",
            "plan_rettidig", "plan_maalbare_maal", "opfoelgning_foerste_rettidig",
            "opfoelgning_loebende_rettidig", "tilsyn_2_aarligt", "boernesamtale_foer_afgoerelse",
            "boernesamtale_i_bfu"} <= set(kpiset.ids)


def test_all_problems_at_once_with_line_kpi_and_field():
    kpiset, problems = validate_text(BROKEN, "kpis.yaml")
    assert kpiset is None
    found = {(p.line, p.kpi, p.field) for p in problems}
    by_field = {(p.kpi, p.field): p for p in problems}
    # 1) unknown field with the nearest valid name
    p = by_field[("bfu_4_mdr", "tagret")]
    assert p.line == 22 and "ukendt felt 'tagret'" in p.message and "target" in p.hint
    # 2) a target outside the unit's range (95 instead of 0.95) and 3) thresholds in wrong order
    assert any(p.kpi == "bfu_4_mdr" and "uden for enhedens område" in p.message
               for p in problems)
    assert any("forkert rækkefølge" in p.message for p in problems)
    # 4) duplicate id, on the second KPI's id line
    assert (23, "bfu_4_mdr", "id") in found
    # 5) unknown source with a hint
    src = by_field[("bfu_4_mdr", "share.source")]
    assert src.line == 30 and "ukendt kilde 'investigation'" in src.message
    assert "investigations" in src.hint
    # 6) a kind's missing parameter
    assert any(p.kpi == "count_wo_param" and p.field == "deadline.source" and p.message == "mangler"
               for p in problems)
    # 7) a function outside the allowlist
    assert any(p.kpi == "bad_expr" and "read_csv" in p.message and p.line == 59
               for p in problems)


def test_unknown_column_in_first_kpi_is_reported_with_hint():
    text = GOOD.replace("start: aware_on", "start: awareon")
    _, problems = validate_text(text)
    assert len(problems) == 1
    p = problems[0]
    assert (p.line, p.kpi, p.field) == (11, "bfu_4_mdr", "deadline.start")
    assert "ukendt kolonne 'awareon'" in p.message and p.hint == "mente du 'aware_on'?"


def test_wrong_type():
    _, problems = validate_text(GOOD.replace("target: 0.9", "target: høj"))
    assert any(p.field.startswith("target") for p in problems)


def test_yaml_syntax_error_has_line():
    _, problems = validate_text(GOOD.replace("    unit: percent", "    unit: [percent"))
    assert len(problems) == 1 and problems[0].line is not None
    assert "YAML" in problems[0].message


def test_hours_rule_needs_a_timestamp():
    text = GOOD.replace("sel: {months: 4}", "sel: {hours: 24}")
    _, problems = validate_text(text)
    assert any("kræver et tidspunkt" in p.message for p in problems)


def test_cli_validate_exit_codes(tmp_path: Path):
    bad = tmp_path / "kpis.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "kpis", "validate", str(bad)],
                         check=False, capture_output=True, text=True)
    assert run.returncode == 1
    assert "linje 22" in run.stdout and "tagret" in run.stdout
    ok = subprocess.run([sys.executable, "-m", "kpis", "validate", str(DEFAULT_KPIS)],
                        check=False, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_cli_validate_refuses_a_folder_and_a_binary_file(tmp_path: Path):
    from kpis.cli import main

    binary = tmp_path / "kpis.yaml"
    binary.write_bytes(b"\xff\xfe\x00kpis")
    for path, message in ((tmp_path, "er en mappe; angiv definitionsfilen"),
                          (binary, "kan ikke læses som UTF-8-tekst")):
        run = subprocess.run([sys.executable, "-m", "kpis", "validate", str(path)],
                             check=False, capture_output=True, text=True)
        assert run.returncode == 2, run.stderr
        assert message in run.stderr and str(path) in run.stderr
        assert "Traceback" not in run.stderr and run.stdout == ""
    assert main(["validate", str(tmp_path)]) == 2


def test_a_filter_needs_its_rule_in_plain_danish():
    text = GOOD.replace("      source: investigations\n",
                        "      source: investigations\n      filter: coalesce(acute, false)\n")
    text = text.replace("coalesce(acute, false)", "coalesce(parental_competence_assessed, false)")
    _, problems = validate_text(text)
    assert [(p.line, p.kpi, p.field) for p in problems] == [(3, "bfu_4_mdr", "rule_da")]
    assert problems[0].message.startswith("mangler: reglen bruger et udtryk")
    fixed = text.replace("    pejlemaerke:", "    rule_da: Undersøgelser med vurderede forældre.\n"
                         "    pejlemaerke:", 1)
    kpiset, problems = validate_text(fixed)
    assert problems == [] and kpiset["bfu_4_mdr"].rule_da == "Undersøgelser med vurderede forældre."


def test_rule_da_holds_no_field_names_or_operators():
    text = GOOD.replace("    pejlemaerke:", "    rule_da: Undersøgelser, hvor aware_on >= 1.\n"
                        "    pejlemaerke:", 1)
    _, problems = validate_text(text)
    assert [(p.line, p.field) for p in problems] == [(6, "rule_da")]
    assert "'>', 'aware_on'" in problems[0].message


def test_a_conditional_deadline_needs_a_label():
    text = GOOD.replace("barnets_lov: {months: 4}",
                        "barnets_lov:\n          - {when: \"regime = 'sel'\", months: 3}\n"
                        "          - {months: 4}")
    text = text.replace("    pejlemaerke:", "    rule_da: Alle undersøgelser.\n    pejlemaerke:", 1)
    _, problems = validate_text(text)
    assert [p.field for p in problems] == ["deadline.due.barnets_lov[0].label"]
    assert "label på almindeligt dansk" in problems[0].message


# --- ranges: every number in a definition (issue 11 §4) -----------------------------------------


def _line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_hours_far_beyond_a_year_is_a_problem_not_a_crash(tmp_path: Path):
    text = DEFAULT_KPIS.read_text(encoding="utf-8")
    assert "sel: {hours: 24}" in text
    bad = text.replace("sel: {hours: 24}", "sel: {hours: 3000000000}", 1)
    _, problems = validate_text(bad, "kpis.yaml")
    assert [(p.line, p.kpi, p.field, p.message) for p in problems] == [
        (_line_of(bad, "3000000000"), "underretning_24t", "deadline.due.sel.hours",
         "3000000000 er for stort; højst 8760")]
    path = tmp_path / "kpis.yaml"
    path.write_text(bad, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "kpis", "validate", str(path)],
                         check=False, capture_output=True, text=True)
    assert run.returncode == 1 and "3000000000 er for stort; højst 8760" in run.stdout
    assert "ingen problemer" not in run.stdout and "Traceback" not in run.stderr


GOOD_WITH_RULE = GOOD.replace("    owner: Analyse\n",
                              "    owner: Analyse\n    rule_da: Alle undersøgelser med et team.\n")


@pytest.mark.parametrize(("old", "new", "field", "message"), [
    ("sel: {months: 4}", "sel: {months: 121}", "deadline.due.sel.months",
     "121 er for stort; højst 120"),
    ("sel: {months: 4}", "sel: {months: -1}", "deadline.due.sel.months",
     "-1 er for lille; mindst 0"),
    ("sel: {months: 4}", "sel: {hverdage: 261}", "deadline.due.sel.hverdage",
     "261 er for stort; højst 260"),
    ("sel: {months: 4}", "sel: {hverdage: 0}", "deadline.due.sel.hverdage",
     "0 er for lille; mindst 1"),
    ("sel: {months: 4}", "sel: {column: aware_on, else_months: 1000}",
     "deadline.due.sel.else_months", "1000 er for stort; højst 120"),
    ("target: 0.9", "target: 1.5", "target", "målet 1.5 ligger uden for enhedens område"),
    ("target: 0.9", "target: .inf", "target", "målet inf ligger uden for enhedens område"),
    ("target: 0.9", "target: [{from: 0001-01-01, value: 0.9}]", "target[0].from",
     "0001-01-01 er for lille; mindst 1900-01-01"),
    ("yellow: 0.1}", "yellow: 2}", "thresholds",
     "tærsklerne ligger uden for enhedens område (0–1 for procent; skriv 0.95 for 95 %)"),
    ("green: 0.0,", "green: .nan,", "thresholds", "tærsklerne skal være tal"),
    ("      regime_date: aware_on\n",
     "      regime_date: aware_on\n      filter: add_months(aware_on, -6000) < completed_on\n",
     "deadline.filter", "add_months(): -6000 måneder er uden for området -120..120"),
    ("      regime_date: aware_on\n",
     "      regime_date: aware_on\n      filter: add_days(aware_on, 4000) > completed_on\n",
     "deadline.filter", "add_days(): 4000 dage er uden for området -3660..3660"),
])
def test_numbers_outside_their_range(old, new, field, message):
    assert old in GOOD_WITH_RULE
    text = GOOD_WITH_RULE.replace(old, new, 1)
    _, problems = validate_text(text)
    assert [p.field for p in problems] == [field], problems
    assert message in problems[0].message
    assert problems[0].line == _line_of(text, new.strip().splitlines()[-1])


def test_numbers_at_the_edges_of_their_range_validate():
    for new in ("sel: {months: 120}", "sel: {months: 0}", "sel: {hverdage: 260}"):
        kpiset, problems = validate_text(GOOD_WITH_RULE.replace("sel: {months: 4}", new))
        assert problems == [] and kpiset is not None, new
    window = GOOD_WITH_RULE.replace(
        "      regime_date: aware_on\n",
        "      regime_date: aware_on\n      filter: add_months(aware_on, -120) < completed_on\n")
    assert validate_text(window)[1] == []


def test_dry_run_evaluates_every_expression_on_sample_rows():
    # Valid to every static check, but no team name can be read as a date: on an empty table
    # the query ran without evaluating it, and compute then crashed on real data.
    text = GOOD_WITH_RULE.replace(
        "      regime_date: aware_on\n",
        "      regime_date: aware_on\n      filter: to_date(team) IS NOT NULL\n")
    _, problems = validate_text(text)
    assert len(problems) == 1
    p = problems[0]
    assert (p.kpi, p.field, p.line) == ("bfu_4_mdr", "deadline", _line_of(text, "deadline:"))
    assert p.message.startswith("prøvekørsel på eksempeldata fejlede: Conversion Error")
    assert "\n" not in p.message


def test_settings_out_of_range_name_file_line_and_field(tmp_path: Path):
    from kpis import CONFIG_DIR
    from kpis.settings import SettingsError, load_settings

    text = (CONFIG_DIR / "settings.yaml").read_text(encoding="utf-8")
    path = tmp_path / "settings.yaml"
    for old, new, message in (
            ("suppression_threshold: 5", "suppression_threshold: 0",
             "privacy.suppression_threshold: 0 er for lille; mindst 1"),
            ("cache_memory_mb: 768", "cache_memory_mb: 3000000000",
             "performance.cache_memory_mb: 3000000000 er for stort; højst 262144")):
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")
        with pytest.raises(SettingsError) as err:
            load_settings(path)
        assert str(err.value) == f"{path}, linje {_line_of(text, old)} {message}"
