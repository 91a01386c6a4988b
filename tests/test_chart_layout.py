"""Charts' order, width and text alternatives (issue 12): hand-made frames, expectations by hand."""

from __future__ import annotations

import json
from datetime import date

import polars as pl

from kpis.present import caseload_charts, coverage_charts


def _spec(chart) -> dict:
    return chart.to_dict(validate=False)


def _open_cases() -> pl.DataFrame:
    return pl.DataFrame({"team": ["Team A", "Team A", "Team A", "Team B"],
                         "caseworker": ["Anna", "Bo", "Carl", "Dina"],
                         "open_cases": [12, 30, 21, 5]})


def test_caseworker_bars_are_ordered_by_load_not_by_name():
    spec = _spec(caseload_charts.open_cases_chart(_open_cases(), norm=25))
    bars = spec["spec"]["layer"][0]
    # An explicit list, most cases first: Vega-Lite dropped the sort by field ("Dropping sort
    # property") in this layered chart and drew the bars alphabetically.
    assert bars["encoding"]["y"]["sort"] == ["Bo", "Carl", "Anna", "Dina"]


def test_the_norm_lines_are_hidden_from_screen_readers():
    for chart in (caseload_charts.open_cases_chart(_open_cases(), norm=25),
                  caseload_charts.spread_chart(_open_cases(), norm=25)):
        text = json.dumps(_spec(chart))
        rules = [m for m in json.loads(text).get("spec", json.loads(text))["layer"]
                 if (m["mark"] if isinstance(m["mark"], str) else m["mark"]["type"]) == "rule"]
        assert rules and all(r["mark"]["aria"] is False for r in rules)


def test_the_monthly_chart_takes_the_page_width():
    monthly = pl.DataFrame({"month": [date(2026, 1, 1), date(2026, 2, 1)],
                            "new_cases": [3, 4], "notifications": [10, 12]})
    assert _spec(caseload_charts.monthly_chart(monthly))["width"] == "container"


def test_coverage_chart_names_its_empty_months_in_words_and_hides_the_markers():
    months = pl.DataFrame({
        "table": ["cases", "cases", "visits", "visits"],
        "label_da": ["Sager", "Sager", "Tilsynsbesøg", "Tilsynsbesøg"],
        "month": [date(2026, 1, 1), date(2026, 2, 1), date(2026, 1, 1), date(2026, 2, 1)],
        "rows": [10, 0, 0, 0],
        "order": [0, 0, 1, 1],
    })
    assert coverage_charts.months_alt_text(months) == (
        "Søjlediagram med antal rækker pr. måned, ét felt pr. tabel. Måneder uden rækker: "
        "Sager: februar 2026; Tilsynsbesøg: januar 2026, februar 2026.")
    points = _spec(coverage_charts.months_chart(months))["spec"]["layer"][1]
    assert points["mark"]["aria"] is False
    full = months.with_columns(rows=pl.lit(7))
    assert coverage_charts.months_alt_text(full).endswith("Måneder uden rækker: ingen.")
