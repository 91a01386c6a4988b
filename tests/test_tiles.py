"""Tiles and period choice, on hand-made result frames with hand-computed expectations.

The definitions are written out here (not read from config/kpis.yaml) so that a change of the
council's targets does not change what these tests mean.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import polars as pl
import pytest

from kpis.compute.periods import PeriodKind, parse_period
from kpis.present.period_choice import (
    Comparison,
    choices,
    latest_complete,
    period_label_da,
    period_short_da,
    periods_needed,
    resolve,
    resolve_comparison,
    trend_periods,
)
from kpis.present.tiles import (
    build_tile,
    build_tiles,
    change_between,
    estimate_interval,
    group_rows,
    is_estimate,
    rounded,
    sections,
)
from kpis.rules.definitions import Unit
from kpis.rules.validate import validate_text

DEFINITIONS = """
version: 1
kpis:
  - id: bfu_rate
    name: Undersøgelser til tiden
    description: Andel af undersøgelserne, der blev afsluttet til tiden.
    pejlemaerke: faglig_udredning
    legal_basis: {barnets_lov: "Barnets Lov § 20, stk. 3", sel: "Serviceloven § 50"}
    kind: deadline
    deadline:
      source: investigations
      start: aware_on
      completion: completed_on
      regime_date: aware_on
      due: {sel: {months: 4}, barnets_lov: {months: 4}}
    unit: percent
    direction: higher_is_better
    target: 0.90
    thresholds: {green: 0.0, yellow: 0.15}
    reference: {value: 0.50, year: "2024", source: "Ankestyrelsen"}
    owner: Analyse
  - id: late_share
    name: Andel for sent
    description: Andel af undersøgelserne, der ikke var afsluttet til tiden.
    pejlemaerke: opfoelgning
    legal_basis: {}
    kind: share
    share:
      source: investigations
      event_date: completed_on
      condition: coalesce(parental_competence_assessed, false)
    rule_da: Afsluttede undersøgelser, hvor forældrenes kompetencer er vurderet.
    unit: percent
    direction: lower_is_better
    target: 0.10
    thresholds: {green: 0.0, yellow: 0.05}
    owner: Analyse
  - id: notes
    name: Antal underretninger
    description: Antal underretninger modtaget i perioden.
    pejlemaerke: styring
    context: true
    legal_basis: {}
    kind: count
    count: {source: notifications, event_date: received_at}
    unit: count
    direction: lower_is_better
    owner: Analyse
"""

KPIS, PROBLEMS = validate_text(DEFINITIONS, "test.yaml")
AS_OF = date(2026, 11, 20)
Q3, Q2 = parse_period("2026-Q3"), parse_period("2026-Q2")
TREND = trend_periods(Q3)


def row(kpi: str, period: str, num=None, den=None, value=None, *, status="none", pending=0,
        overdue=0, suppressed=False, **extra) -> dict:
    return {"kpi": kpi, "period": period, "group_level": "", "numerator": num,
            "denominator": den, "value": value, "p90": None, "pending": pending,
            "overdue_open": overdue, "status": status, "target": 0.9, "suppressed": suppressed,
            "rule": "", **extra}


def frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), infer_schema_length=None)


def tile(rows, kpi="bfu_rate", comparison=Comparison.PREVIOUS):
    return build_tile(KPIS[kpi], frame(*rows), Q3, comparison, TREND, AS_OF)


def all_text(t) -> str:
    return " | ".join(str(v) for v in dataclasses.asdict(t).values())


def test_definitions_are_valid():
    assert PROBLEMS == [] and KPIS is not None


def test_value_target_n_status_and_reference_as_a_committee_member_reads_them():
    t = tile([row("bfu_rate", "2026-Q3", 35, 40, 0.875, status="yellow"),
              row("bfu_rate", "2026-Q2", 32, 40, 0.80, status="red"),
              row("bfu_rate", "2026-Q4", 10, 12, 0.83, overdue=3)])
    assert t.value_text == "87,5 %"
    assert t.target_text == "Mål: 90,0 %"
    assert t.status_text == "▲ Gul – tæt på målet"
    assert t.n_text == "n = 40"
    assert t.numerator_text == "35 af 40 til tiden"
    assert t.reference_text == "Landsplan: 50,0 % (2024)"
    assert t.period_da == "3. kvartal 2026" and t.comparison_da == "2. kvartal 2026"
    assert t.comparison_value_text == "80,0 %"
    assert t.overdue_text == "Åbne efter fristen: 3"


def test_change_in_percentage_points_knows_higher_is_better():
    t = tile([row("bfu_rate", "2026-Q3", 35, 40, 0.875), row("bfu_rate", "2026-Q2", 32, 40, 0.80)])
    assert t.change.text == "+7,5 procentpoint"
    assert (t.change.arrow, t.change.verdict, t.change.tone) == ("↑", "bedre", "better")
    assert t.change_text == "+7,5 procentpoint ↑ bedre"
    down = change_between(KPIS["bfu_rate"], 0.80, 0.875)
    assert down.summary == "−7,5 procentpoint ↓ dårligere"  # a real minus sign, U+2212


def test_lower_is_better_flips_better_and_worse_but_not_the_arrow():
    up = change_between(KPIS["late_share"], 0.30, 0.25)
    assert (up.text, up.arrow, up.verdict, up.tone) == ("+5,0 procentpoint", "↑", "dårligere",
                                                        "worse")
    down = change_between(KPIS["late_share"], 0.20, 0.25)
    assert (down.text, down.arrow, down.verdict) == ("−5,0 procentpoint", "↓", "bedre")


def test_change_is_the_difference_of_the_figures_shown():
    # 87,549 % shows as 87,5 % and 80,051 % as 80,1 %: the reader subtracts 87,5 − 80,1 = 7,4.
    t = tile([row("bfu_rate", "2026-Q3", value=0.87549, den=1000, num=875),
              row("bfu_rate", "2026-Q2", value=0.80051, den=1000, num=801)])
    assert t.change.text == "+7,4 procentpoint"
    same = change_between(KPIS["bfu_rate"], rounded(0.8751, Unit.PERCENT),
                          rounded(0.8749, Unit.PERCENT))
    assert same.summary == "±0,0 procentpoint → uændret"


def test_a_count_without_a_goal_is_higher_or_lower_never_better_or_worse():
    t = tile([row("notes", "2026-Q3", 1438, None, 1438.0), row("notes", "2026-Q2", 1400, None,
                                                                1400.0)], kpi="notes")
    assert t.value_text == "1.438" and t.n_text == "n = 1.438"
    assert t.change_text == "+38 ↑ højere" and t.change.tone == "neutral"
    assert t.status_text == "Intet mål" and t.target_text is None
    assert t.overdue_text is None and t.pending_text is None  # not a deadline KPI


@pytest.mark.parametrize("status, text", [
    ("green", "● Grøn – målet er nået"), ("yellow", "▲ Gul – tæt på målet"),
    ("red", "■ Rød – langt fra målet"),
])
def test_every_colour_has_a_symbol_and_a_word(status, text):
    assert tile([row("bfu_rate", "2026-Q3", 1, 1, 1.0, status=status)]).status_text == text


def test_a_suppressed_figure_shows_faerre_end_5_and_nothing_derived_from_it():
    # The frame still holds the figures (as if suppression forgot to blank them): none may leak.
    t = tile([row("bfu_rate", "2026-Q3", 3, 4, 0.75, status="red", suppressed=True),
              row("bfu_rate", "2026-Q2", 32, 40, 0.80),
              row("bfu_rate", "2026-Q4", 2, 3, 0.67, overdue=2, suppressed=True)])
    assert t.suppressed
    assert t.value_text == "skjult" and t.value is None
    assert t.n_text == "n: skjult" and t.n is None and t.numerator_text is None
    assert t.status == "none" and t.status_text == "Ikke vurderet (tallet er skjult)"
    assert t.change is None and t.change_text == "Ingen sammenligning (tallet er skjult)"
    assert t.overdue_text == "Åbne efter fristen: skjult"
    text = all_text(t)
    assert "75,0" not in text and "3 af 4" not in text and "n = 4" not in text
    assert "−5,0" not in text  # the change would give the hidden value away


def test_a_suppressed_comparison_hides_the_change_but_not_the_figure():
    t = tile([row("bfu_rate", "2026-Q3", 35, 40, 0.875),
              row("bfu_rate", "2026-Q2", 2, 3, 0.667, suppressed=True)])
    assert t.value_text == "87,5 %"
    assert t.comparison_value_text == "skjult"
    assert t.change is None and "skjult" in t.change_text


def test_the_suppression_module_flags_pending_and_overdue_on_their_own():
    # kpis.access.suppression marks each count; a hidden count is None with its flag set.
    t = tile([row("bfu_rate", "2026-Q3", 35, 40, 0.875, overdue=9, overdue_suppressed=False,
                  pending_suppressed=False),
              row("bfu_rate", "2026-Q4", 10, 12, 0.83, pending=None, pending_suppressed=True,
                  overdue=None, overdue_suppressed=True)])
    assert t.overdue_text == "Åbne efter fristen: skjult" and t.overdue_open is None
    assert t.pending_text == "Afventer, frist ikke nået: skjult (pr. 20. november 2026)"


def test_pending_and_overdue_come_from_the_period_holding_the_as_of_date():
    # The chosen period is 3rd quarter; both counts are states on 20 November (4th quarter), so a
    # past period must not show the engine's zero for them.
    t = tile([row("bfu_rate", "2026-Q3", 35, 40, 0.875, pending=0, overdue=0),
              row("bfu_rate", "2026-Q4", 10, 12, 0.83, pending=122, overdue=7)])
    assert (t.pending, t.overdue_open) == (122, 7)
    assert t.pending_text == "Afventer, frist ikke nået: 122 (pr. 20. november 2026)"
    assert t.overdue_text == "Åbne efter fristen: 7"


def test_trend_drops_suppressed_and_empty_periods():
    rows = [row("bfu_rate", p.label, 8, 10, 0.8) for p in TREND]
    rows[3] = row("bfu_rate", TREND[3].label, 3, 4, 0.75, suppressed=True)
    rows[5] = row("bfu_rate", TREND[5].label, 0, 0, None)
    t = tile(rows)
    assert [p.period for p in t.trend] == [p.label for i, p in enumerate(TREND) if i not in (3, 5)]
    assert 0.75 not in [p.value for p in t.trend]
    assert t.trend_hidden == (period_short_da(TREND[3]),)


def test_no_cases_in_the_period():
    t = tile([row("bfu_rate", "2026-Q3", 0, 0, None)])
    assert t.value_text == "–" and t.n_text == "n = 0"
    assert t.status_text == "Ingen sager i perioden"
    assert t.change_text == "Ingen sammenligning (ingen sager)"


def test_tiles_are_grouped_under_the_pejlemaerker_and_context_last():
    df = frame(row("bfu_rate", "2026-Q3", 1, 2, 0.5), row("late_share", "2026-Q3", 1, 2, 0.5),
               row("notes", "2026-Q3", 3, None, 3.0))
    tiles = build_tiles(KPIS, df, Q3, Comparison.PREVIOUS, TREND, AS_OF)
    assert [(title, [t.kpi_id for t in group]) for title, group in sections(tiles)] == [
        ("Faglig udredning", ["bfu_rate"]), ("Opfølgning", ["late_share"]),
        ("Kontekst", ["notes"])]


def test_team_rows_use_the_same_texts_and_suppression():
    df = frame({**row("bfu_rate", "2026-Q3", 9, 10, 0.9, status="green"), "group_level": "team",
                "team": "Team Nord"},
               {**row("bfu_rate", "2026-Q3", 2, 3, 0.667, suppressed=True),
                "group_level": "team", "team": "Team Syd"})
    assert group_rows(KPIS["bfu_rate"], df, Q3, "team") == [
        {"gruppe": "Team Nord", "værdi": "90,0 %", "n": "10", "heraf": "9 af 10 til tiden",
         "status": "● Grøn – målet er nået"},
        {"gruppe": "Team Syd", "værdi": "skjult", "n": "skjult", "heraf": "",
         "status": "Ikke vurderet (tallet er skjult)"},
    ]


# --- periods ------------------------------------------------------------------------------------


@pytest.mark.parametrize("label, text", [
    ("2025-Q2", "2. kvartal 2025"), ("2025-06", "juni 2025"), ("2025", "2025"),
    ("R12-2025-06", "12 måneder til og med juni 2025"),
])
def test_period_labels_in_danish(label, text):
    assert period_label_da(parse_period(label)) == text


@pytest.mark.parametrize("as_of, expected", [
    (date(2026, 11, 20), "2026-Q3"),
    (date(2026, 10, 1), "2026-Q3"),   # 30 September is before the as-of day: Q3 is complete
    (date(2026, 9, 30), "2026-Q2"),   # the as-of day itself is only partly known
])
def test_default_is_the_latest_complete_quarter(as_of, expected):
    assert latest_complete(PeriodKind.QUARTER, as_of).label == expected
    assert resolve(None, as_of).label == expected


def test_a_link_may_ask_for_any_begun_period_and_nothing_else():
    assert resolve("2019-Q1", AS_OF).label == "2019-Q1"
    assert resolve("R12-2026-10", AS_OF).label == "R12-2026-10"
    assert resolve("2027-Q1", AS_OF).label == "2026-Q3"  # in the future
    assert resolve("kvartal", AS_OF).label == "2026-Q3"
    assert resolve_comparison("sidste_aar") is Comparison.LAST_YEAR
    assert resolve_comparison("noget andet") is Comparison.PREVIOUS


def test_choices_start_with_the_running_period():
    months = choices(PeriodKind.MONTH, AS_OF)
    assert months[0].label == "2026-11" and months[1].label == "2026-10"
    assert months[-1].label == "2022-01"


def test_one_engine_call_holds_trend_comparison_and_as_of_period():
    labels = [p.label for p in periods_needed(Q3, Comparison.LAST_YEAR, AS_OF)]
    assert labels == ["2024-Q4", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1",
                      "2026-Q2", "2026-Q3", "2026-Q4"]
    month = parse_period("2026-03")
    labels = [p.label for p in periods_needed(month, Comparison.LAST_YEAR, AS_OF)]
    assert "2025-03" in labels and "2026-11" in labels and labels[-1] == "2026-11"


def test_a_past_quarters_tile_counts_the_steps_open_today_as_the_worklist_does(demo_db):
    """On the demo municipality: the tile of a past quarter shows the overdue and pending steps of
    the as-of date — the same steps the department heads' worklist lists — not zero."""
    import kpis
    from kpis.compute.engine import compute, open_steps
    from kpis.data.snapshot import connect
    from kpis.present.period_choice import periods_needed
    from kpis.rules.definitions import load_kpis

    kpiset = load_kpis(kpis.DEFAULT_KPIS)
    q3 = parse_period("2026-Q3")  # the demo's as-of date, 20 November 2026, lies in the 4th
    with connect(demo_db) as conn:
        results = compute(conn, kpiset, periods_needed(q3, Comparison.PREVIOUS, AS_OF),
                          as_of=AS_OF)
        worklist = open_steps(conn, kpiset, as_of=AS_OF)
    tiles = {t.kpi_id: t for t in build_tiles(kpiset, results, q3, Comparison.PREVIOUS,
                                              trend_periods(q3), AS_OF)}
    by_kpi = worklist.group_by("kpi", "status").len()
    checked = 0
    for kpi_id, t in tiles.items():
        if t.overdue_open is None and t.pending is None:
            continue  # not a deadline KPI
        counts = {s: n for k, s, n in by_kpi.iter_rows() if k == kpi_id}
        assert (t.overdue_open, t.pending) == (counts.get("late", 0), counts.get("pending", 0)), \
            kpi_id
        checked += 1
    assert checked >= 3
    assert sum(t.overdue_open or 0 for t in tiles.values()) > 0  # the demo has overdue steps


def test_n_says_what_it_counts_so_neighbouring_tiles_do_not_seem_to_disagree():
    # A deadline's n counts steps by the date their outcome was known; a count by its event date.
    deadline = tile([row("bfu_rate", "2026-Q3", 35, 40, 0.875, status="yellow")])
    assert deadline.n_explained == "n = 40 (afsluttet til tiden eller fristen udløb i perioden)"
    count = tile([row("notes", "2026-Q3", 1438, None, 1438.0)], kpi="notes")
    assert count.n_explained == "n = 1.438 (modtaget i perioden)"
    hidden = tile([row("bfu_rate", "2026-Q3", 3, 4, 0.75, suppressed=True)])
    assert hidden.n_explained == "n: skjult"


# --- figures from a sample: case reviews ------------------------------------------------------

REVIEW_KPIS, REVIEW_PROBLEMS = validate_text("version: 1\nkpis:\n" + """  - id: reviewed
    name: Forældrekompetencer belyst (sagsmåling)
    description: Andel af de gennemgåede undersøgelser, hvor forældrenes kompetencer er belyst.
    pejlemaerke: faglig_udredning
    legal_basis: {}
    kind: share
    share:
      source: review_findings
      event_date: review_date
      filter: question_id = 'bfu_foraeldrekompetence' AND counted
      condition: answer = 'ja'
    rule_da: Gennemgåede sager; kravet er opfyldt, når svaret er ja.
    unit: percent
    direction: higher_is_better
    target: 0.90
    thresholds: {green: 0.0, yellow: 0.15}
    owner: Analyse
""", "r.yaml")


def review_tile(rows):
    assert REVIEW_PROBLEMS == []
    return build_tile(REVIEW_KPIS["reviewed"], frame(*rows), Q3, Comparison.PREVIOUS, TREND,
                      AS_OF)


def test_a_figure_from_a_sample_shows_its_wilson_interval_and_its_cases():
    # 11 of 13 = 84,6 %. Wilson, z = 1,96: centre (11/13 + 1,96²/26) / (1 + 1,96²/13) = 0,7672,
    # half width 1,96 · √(11·2/13³ + 1,96²/(4·13²)) / 1,2955 = 0,1896: 57,8–95,7 %.
    t = review_tile([row("reviewed", "2026-Q3", 11, 13, 11 / 13, status="yellow"),
                     row("reviewed", "2026-Q2", 9, 15, 0.6)])
    assert is_estimate(REVIEW_KPIS["reviewed"]) and not is_estimate(KPIS["bfu_rate"])
    assert t.value_text == "84,6 %"
    assert t.interval == pytest.approx((0.5776, 0.9567), abs=1e-4)
    assert t.interval_text == "95 %-interval 58–96 %"
    assert t.value_with_interval == "84,6 % (95 %-interval 58–96 %)"
    assert t.n_text == "n = 13 sager" and t.numerator_text == "11 af 13 opfylder kravet"
    assert t.n_explained == "n = 13 sager (gennemgået i perioden)"
    # Figures over all the cases are no estimate: no interval, n as before.
    full = tile([row("bfu_rate", "2026-Q3", 35, 40, 0.875)])
    assert full.interval is None and full.interval_text is None
    assert full.value_with_interval == "87,5 %" and full.n_text == "n = 40"


def test_a_withheld_estimate_withholds_its_interval_too():
    # The ends of an interval give the count away (1 of 3: 6–79 %), so they go with the figure.
    t = review_tile([row("reviewed", "2026-Q3", 1, 3, 1 / 3, suppressed=True)])
    assert t.value_text == "skjult" and t.n_text == "n: skjult"
    assert t.interval is None and t.interval_text == "95 %-interval: skjult"
    assert t.value_with_interval == "skjult (95 %-interval: skjult)"
    text = all_text(t)
    assert "6–79" not in text and "33,3" not in text and "n = 3" not in text


def test_an_estimate_without_cases_has_no_interval():
    t = review_tile([row("reviewed", "2026-Q3", 0, 0, None)])
    assert t.value_text == "–" and t.interval is None and t.interval_text is None
    assert t.n_text == "n = 0 sager"
    assert estimate_interval(REVIEW_KPIS["reviewed"], None) == (None, None)


def test_team_rows_of_an_estimate_carry_their_interval():
    res = frame(
        {**row("reviewed", "2026-Q3", 6, 8, 0.75), "group_level": "team", "team": "Nord"},
        {**row("reviewed", "2026-Q3", 2, 3, 2 / 3, suppressed=True), "group_level": "team",
         "team": "Syd"})
    rows = group_rows(REVIEW_KPIS["reviewed"], res, Q3, "team")
    # 6 of 8: Wilson 40,9–92,9 %.
    assert rows[0]["værdi"] == "75,0 % (95 %-interval 41–93 %)" and rows[0]["n"] == "8 sager"
    assert rows[1]["værdi"] == "skjult" and rows[1]["n"] == "skjult"
