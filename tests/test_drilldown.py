"""Drill-down presentation over hand-made engine output; every expectation worked out by hand.

The KPI definitions are the starter set (config/kpis.yaml): ``bfu_4_mdr`` is a deadline rate,
``underretninger_antal`` a count, ``bfu_varighed_dage`` a duration in days.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

import kpis
from kpis.present import drilldown as dd
from kpis.rules.definitions import Status, load_kpis

AS_OF = date(2025, 6, 30)


@pytest.fixture(scope="module")
def kpiset():
    return load_kpis(kpis.DEFAULT_KPIS)


# --- periods --------------------------------------------------------------------------------


def test_period_choices_default_first_then_newest_first():
    choices = dd.period_choices(AS_OF)
    assert choices[0] == "R12-2025-06"  # holds the as-of date: pending steps are reported there
    assert choices[:3] == ["R12-2025-06", "R12-2025-05", "R12-2025-04"]
    assert choices[12:14] == ["2025-Q2", "2025-Q1"]
    assert choices[20:22] == ["2025-06", "2025-05"]
    assert choices[-5:] == ["2025", "2024", "2023", "2022", "2021"]
    assert len(choices) == 12 + 8 + 24 + 5
    assert len(set(choices)) == len(choices)


def test_a_linked_period_not_offered_is_added():
    assert dd.period_choices(AS_OF, extra="2019-Q1")[-1] == "2019-Q1"
    assert dd.period_choices(AS_OF, extra="2025-Q2").count("2025-Q2") == 1


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("2025-Q2", "2025-Q2"),
        ("2025-q1", "2025-Q1"),  # normalised
        (" 2025-06 ", "2025-06"),
        ("R12-2025-06", "R12-2025-06"),
        ("2025-Q3", None),  # begins after the as-of date: nothing known yet
        ("2025-13", None),
        ("2. kvartal 2025", None),
        ("", None),
        (None, None),
    ],
)
def test_period_from_url(label, expected):
    assert dd.period_from_url(label, AS_OF) == expected


def test_contains_as_of():
    assert dd.contains_as_of("2025-Q2", AS_OF)
    assert dd.contains_as_of("R12-2025-06", AS_OF)
    assert not dd.contains_as_of("2025-Q1", AS_OF)


# --- the KPI × group table --------------------------------------------------------------------


def _row(kpi, level, team, caseworker, num, den, value, status, suppressed=False):
    return {"kpi": kpi, "period": "2025-Q2", "group_level": level, "team": team,
            "caseworker": caseworker, "numerator": num, "denominator": den, "value": value,
            "pending": 0, "overdue_open": 0, "status": status, "suppressed": suppressed,
            "rule": ""}


@pytest.fixture
def results() -> pl.DataFrame:
    """bfu_4_mdr: department 7/10; Nord 3/4 (Åse 2/2, Anne 1/2); Syd 4/6 (Zack 4/6).
    underretninger_antal: department 12; Nord 5; Syd 7. Syd has no BFU duration row."""
    rows = [
        _row("bfu_4_mdr", "", None, None, 7, 10, 0.7, "red"),
        _row("bfu_4_mdr", "team", "Team Nord", None, 3, 4, 0.75, "red"),
        _row("bfu_4_mdr", "team,caseworker", "Team Nord", "Åse", 2, 2, 1.0, "green"),
        _row("bfu_4_mdr", "team,caseworker", "Team Nord", "Anne", 1, 2, 0.5, "red"),
        _row("bfu_4_mdr", "team", "Team Syd", None, 4, 6, 4 / 6, "red"),
        _row("bfu_4_mdr", "team,caseworker", "Team Syd", "Zack", 4, 6, 4 / 6, "red"),
        _row("underretninger_antal", "", None, None, 12, None, 12.0, "none"),
        _row("underretninger_antal", "team", "Team Nord", None, 5, None, 5.0, "none"),
        _row("underretninger_antal", "team", "Team Syd", None, 7, None, 7.0, "none"),
        _row("bfu_varighed_dage", "", None, None, None, 3, 97.0, "green"),
        _row("bfu_varighed_dage", "team", "Team Nord", None, None, 3, 97.0, "green"),
    ]
    return pl.DataFrame(rows)


def test_department_pivot_columns_are_the_total_then_teams(results, kpiset):
    p = dd.pivot(results, kpiset, ["bfu_4_mdr", "underretninger_antal", "bfu_varighed_dage"])
    assert [c.label for c in p.columns] == ["Hele afdelingen", "Team Nord", "Team Syd"]
    assert [(c.team, c.caseworker) for c in p.columns] == [
        (None, None), ("Team Nord", None), ("Team Syd", None)]
    assert p.names[0] == "Børnefaglige undersøgelser afsluttet inden for 4 måneder"
    # The total is the engine's total row (7/10), not a sum or mean of the teams beside it.
    assert p.cell("bfu_4_mdr", "Hele afdelingen").text == "■ 70,0 % (10)"
    assert p.cell("bfu_4_mdr", "Team Syd").text == "■ 66,7 % (6)"
    assert p.cell("underretninger_antal", "Team Syd").text == "7"
    assert p.cell("bfu_varighed_dage", "Team Nord").text == "● 97 dage"
    # A team without a row for a KPI (no completed BFU) says so instead of showing 0.
    assert p.cell("bfu_varighed_dage", "Team Syd").text == "–"
    assert p.cell("bfu_4_mdr", "Team Nord").status is Status.RED
    values = p.values()
    assert list(values.columns) == ["Nøgletal", "Hele afdelingen", "Team Nord", "Team Syd"]
    assert values["Team Nord"].tolist()[:2] == [0.75, 5.0]


def test_team_pivot_columns_are_the_team_then_its_caseworkers_in_danish_order(results, kpiset):
    p = dd.pivot(results, kpiset, ["bfu_4_mdr"], team="Team Nord")
    assert [c.label for c in p.columns] == ["Hele teamet", "Anne", "Åse"]
    assert [(c.team, c.caseworker) for c in p.columns] == [
        ("Team Nord", None), ("Team Nord", "Anne"), ("Team Nord", "Åse")]
    assert p.cell("bfu_4_mdr", "Hele teamet").text == "■ 75,0 % (4)"
    assert p.cell("bfu_4_mdr", "Åse").text == "● 100,0 % (2)"
    assert p.cell("bfu_4_mdr", "Anne").text == "■ 50,0 % (2)"


def test_a_withheld_figure_shows_nothing_of_its_value(results, kpiset):
    hidden = results.with_columns(
        pl.when(pl.col("caseworker") == "Anne").then(True).otherwise(pl.col("suppressed"))
        .alias("suppressed"))
    p = dd.pivot(hidden, kpiset, ["bfu_4_mdr"], team="Team Nord")
    cell = p.cell("bfu_4_mdr", "Anne")
    assert cell.text == "skjult"
    assert cell.value is None  # nothing to sort by, nothing to read off the grid
    assert cell.light is dd.SUPPRESSED_LIGHT
    assert p.values()["Anne"].tolist() == [dd.NO_FIGURE]


@pytest.mark.parametrize(
    ("value", "num", "den", "status", "full", "expected"),
    [
        (0.875, 7, 8, Status.GREEN, False, "● 87,5 % (8)"),
        (0.875, 7, 8, Status.YELLOW, True, "▲ 87,5 % (7 af 8)"),
        (0.0, 0, 1234, Status.RED, True, "■ 0,0 % (0 af 1.234)"),
        (None, 0, 0, Status.NONE, False, "ingen sager"),
    ],
)
def test_cell_text_of_a_rate(kpiset, value, num, den, status, full, expected):
    assert dd.cell_text(kpiset["bfu_4_mdr"], value, num, den, status, False,
                        full=full) == expected


def test_cell_text_of_other_units(kpiset):
    assert dd.cell_text(kpiset["sager_pr_sagsbehandler"], 35.0, 875, 25, Status.RED,
                        False) == "■ 35,0"
    assert dd.cell_text(kpiset["underretninger_antal"], 1457.0, 1457, None, Status.NONE,
                        False) == "1.457"


def test_styled_table_shows_text_and_colours_over_numbers(results, kpiset):
    p = dd.pivot(results, kpiset, ["bfu_4_mdr", "underretninger_antal"])
    html = dd.styled(p).to_html()
    assert "■ 70,0 % (10)" in html
    assert "background-color: #f9d4d2" in html  # red cell
    assert dd.styled(p).data["Hele afdelingen"].tolist() == [0.7, 12.0]  # sorting is by value


def test_legend_says_every_colour_in_words():
    assert dd.legend_da().startswith("● målet er nået · ▲ tæt på målet · ■ langt fra målet")


def test_danish_sort_key():
    names = ["Åse", "Anne", "Ørn", "Æbel", "Zack", "anders", "Team Øst", "Team Vest"]
    assert sorted(names, key=dd.danish_sort_key) == [
        "anders", "Anne", "Team Vest", "Team Øst", "Zack", "Æbel", "Ørn", "Åse"]


# --- the case steps behind one figure ---------------------------------------------------------


def _steps(rows) -> pl.DataFrame:
    cols = ["case_id", "caseworker", "start", "due", "completed", "status", "in_numerator",
            "in_denominator", "days"]
    df = pl.DataFrame([dict(zip(cols, r, strict=True)) for r in rows],
                      schema={"case_id": pl.String, "caseworker": pl.String,
                              "start": pl.Date, "due": pl.Date, "completed": pl.Date,
                              "status": pl.String, "in_numerator": pl.Boolean,
                              "in_denominator": pl.Boolean, "days": pl.Int64})
    return df.with_columns(pl.lit(None, dtype=pl.Float64).alias("metric"),
                           pl.lit("9999999999").alias("cpr"))


D = date.fromisoformat
# A BFU figure for 2025-Q2 with as-of 2025-06-30 (the period holds the as-of date):
#   S1 on time (done 5 days early), S2 late by 12 days, S3 still open 20 days past due (outcome
#   in the period), S4 pending with 10 days left, S5 still open past due from Q1 (listed, not in
#   the rate, but part of the figure's overdue-open count).
STEPS = [
    ("C1", "Anne", D("2025-01-10"), D("2025-05-10"), D("2025-05-05"), "on_time", True, True, -5),
    ("C2", "Anne", D("2025-01-20"), D("2025-05-20"), D("2025-06-01"), "late", False, True, 12),
    ("C3", "Bo", D("2025-02-10"), D("2025-06-10"), None, "late", False, True, 20),
    ("C4", "Bo", D("2025-03-10"), D("2025-07-10"), None, "pending", False, False, -10),
    ("C5", "Anne", D("2024-11-15"), D("2025-03-15"), None, "late", False, False, 107),
]


def test_step_rows_in_danish_most_urgent_first():
    rows = dd.step_rows(_steps(STEPS), {"bfu_4_mdr": "BFU"}, "bfu_4_mdr")
    assert rows.columns == ["Sagsnummer", "Trin", "Sagsbehandler", "Start", "Frist",
                            "Afsluttet", "Status", "Dage for sent", "Dage til fristen",
                            "Tæller med i tallet"]
    assert rows.select("Sagsnummer", "Status", "Dage for sent", "Dage til fristen",
                       "Tæller med i tallet").rows() == [
        ("C5", "Overskredet – stadig åben", 107, None, "Nej, hører til en tidligere periode"),
        ("C3", "Overskredet – stadig åben", 20, None, "Ja, i nævneren"),
        ("C4", "Afventer", None, 10, "Nej, fristen er ikke nået"),
        ("C2", "For sent", 12, None, "Ja, i nævneren"),
        ("C1", "Til tiden", None, None, "Ja, i tæller og nævner"),
    ]
    assert set(rows["Trin"]) == {"BFU"}


def test_step_rows_never_carry_who_the_child_is():
    rows = dd.step_rows(_steps(STEPS), {"bfu_4_mdr": "BFU"}, "bfu_4_mdr")
    assert not dd.FORBIDDEN_STEP_COLUMNS & {c.lower() for c in rows.columns}
    assert "9999999999" not in str(rows.rows())


def test_reconcile_adds_up_to_the_figure(kpiset):
    totals = dd.reconcile(_steps(STEPS), as_of_in_period=True)
    assert totals == dd.StepTotals(rows=5, numerator=1, denominator=3, pending=1,
                                   overdue_open=2, median=None)
    figure = {"numerator": 1, "denominator": 3, "pending": 1, "overdue_open": 2,
              "value": 1 / 3, "suppressed": False}
    assert dd.matches(kpiset["bfu_4_mdr"], totals, figure)
    assert not dd.matches(kpiset["bfu_4_mdr"], totals, {**figure, "denominator": 4})
    assert not dd.matches(kpiset["bfu_4_mdr"], totals, {**figure, "overdue_open": 1})
    assert dd.summary_da(kpiset["bfu_4_mdr"], totals) == "1 af 3 til tiden (33,3 %)"
    assert dd.extras_da(kpiset["bfu_4_mdr"], totals) == (
        "Desuden: 1 afventer (fristen er ikke nået); 1 overskredne fra tidligere perioder er "
        "stadig åbne. De tæller ikke med i andelen.")


def test_overdue_open_is_only_counted_in_the_period_holding_the_as_of_date():
    # An earlier period lists its late steps still open (C3) in the rate, but the figure's
    # overdue-open count is a snapshot of today and belongs to today's period.
    earlier = [s for s in STEPS if s[0] in {"C1", "C2", "C3"}]
    assert dd.reconcile(_steps(earlier), as_of_in_period=False).overdue_open == 0


def test_share_and_duration_summaries(kpiset):
    share = dd.StepTotals(rows=12, numerator=9, denominator=12, pending=0, overdue_open=0)
    assert dd.summary_da(kpiset["bfu_foraeldrekompetence"], share) == (
        "9 af 12 opfylder kravet (75,0 %)")
    assert dd.extras_da(kpiset["bfu_foraeldrekompetence"], share) == ""
    # The same counts from reviewed cases are a sample: with their interval (Wilson 46,8–91,1 %).
    assert dd.summary_da(kpiset["sagsmaaling_foraeldrekompetence"], share) == (
        "9 af 12 opfylder kravet (75,0 %), 95 %-interval 47–91 %")
    duration = _steps([("C1", "Anne", D("2025-01-01"), None, D("2025-04-11"), "completed",
                        False, True, None),
                       ("C2", "Anne", D("2025-01-01"), None, D("2025-05-01"), "completed",
                        False, True, None),
                       ("C3", "Anne", D("2025-01-01"), None, D("2025-06-10"), "completed",
                        False, True, None)]).with_columns(
        pl.Series("metric", [100.0, 120.0, 160.0]))
    totals = dd.reconcile(duration, as_of_in_period=True)
    assert totals.median == 120.0
    assert dd.summary_da(kpiset["bfu_varighed_dage"], totals) == "3 afsluttede, median 120 dage"
    assert dd.matches(kpiset["bfu_varighed_dage"], totals,
                      {"denominator": 3, "value": 120.0, "suppressed": False})


def test_hour_deadlines_show_the_moment():
    steps = _steps(STEPS[:1]).with_columns(
        pl.lit(datetime(2025, 5, 4, 14, 5)).alias("start_at"),
        pl.lit(datetime(2025, 5, 5, 14, 5)).alias("due_at"),
        pl.lit(datetime(2025, 5, 5, 9, 0)).alias("completed_at"))
    assert dd.is_timed(steps)
    rows = dd.step_rows(steps, {"underretning_24t": "24 timer"}, "underretning_24t")
    assert rows.row(0, named=True)["Frist"] == datetime(2025, 5, 5, 14, 5)
    assert not dd.is_timed(_steps(STEPS))


def test_step_kpis_and_groups(kpiset):
    assert dd.step_kpis(kpiset) == [
        "underretning_24t", "kvittering_6_hverdage", "bfu_4_mdr", "bfu_foraeldrekompetence",
        "sagsmaaling_foraeldrekompetence", "plan_rettidig", "plan_maalbare_maal",
        "opfoelgning_foerste_rettidig", "opfoelgning_loebende_rettidig", "tilsyn_2_aarligt",
        "boernesamtale_foer_afgoerelse", "boernesamtale_i_bfu", "tilsyn_barnets_stemme"]
    assert dd.group_of(None, None) == {}
    assert dd.group_of("Team Nord", None) == {"team": "Team Nord"}
    assert dd.group_of("Team Nord", "Anne") == {"team": "Team Nord", "caseworker": "Anne"}
    assert dd.group_of(None, "Anne") == {}  # a caseworker is always within a team


def test_count_summaries_name_what_is_counted(kpiset):
    totals = dd.StepTotals(rows=32, numerator=32, denominator=0, pending=0, overdue_open=0)
    assert dd.summary_da(kpiset["sager_pr_sagsbehandler"], totals) == "32 åbne sager"
    assert dd.summary_da(kpiset["underretninger_antal"], totals) == "32 underretninger i alt"


def test_deadline_columns_are_left_out_only_where_there_are_no_deadlines():
    share = _steps([("C1", "Anne", D("2025-04-01"), None, None, "met", True, True, None)])
    rows = dd.without_empty(dd.step_rows(share, {"k": "K"}, "k"))
    assert rows.columns == ["Sagsnummer", "Trin", "Sagsbehandler", "Start", "Status",
                            "Tæller med i tallet"]
    # A deadline list keeps its day columns even when every step was on time.
    on_time = dd.without_empty(dd.step_rows(_steps(STEPS[:1]), {"k": "K"}, "k"))
    assert {"Frist", "Afsluttet", "Dage for sent", "Dage til fristen"} <= set(on_time.columns)


def test_wide_tables_say_that_they_scroll_sideways():
    # 250 px of names + 118 px per group: five groups fit the page's 940 px, six (958 px) do not
    assert not dd.scrolls_sideways(5) and dd.scrolls_sideways(6)
    assert not dd.rows_scroll_sideways(["Sagsnummer", "Trin", "Status"], timed=False)  # 560 px
    every = [label for _, label in dd.STEP_COLUMNS_DA]  # 1,505 px
    assert dd.rows_scroll_sideways(every, timed=False)


def test_a_sample_based_figure_carries_its_interval_in_the_cell(results, kpiset):
    # The same counts as bfu_4_mdr, read as a case review's estimate. Team Syd: 4 of 6, Wilson
    # 95 % by hand (z = 1.96): centre (4/6 + 3.8416/12) / (1 + 3.8416/6) = 0.6016, half-width
    # 1.96 * sqrt(4/6 * 2/6 / 6 + 3.8416/144) / 1.6403 = 0.3016 → 30–90 %.
    sample = results.with_columns(
        pl.when(pl.col("kpi") == "bfu_4_mdr").then(pl.lit("sagsmaaling_foraeldrekompetence"))
        .otherwise(pl.col("kpi")).alias("kpi"))
    p = dd.pivot(sample, kpiset, ["sagsmaaling_foraeldrekompetence"])
    assert p.cell("sagsmaaling_foraeldrekompetence", "Team Syd").text == "■ 66,7 % (6; 30–90 %)"
    assert p.estimates and p.group_px == dd.ESTIMATE_GROUP_PX
    assert dd.pivot(results, kpiset, ["bfu_4_mdr"]).group_px == dd.GROUP_PX
    assert "95 %-intervallet" in dd.legend_da(estimates=True)
    assert "95 %" not in dd.legend_da()
