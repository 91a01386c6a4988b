"""Charts: Danish titles and axes, a colour-blind-safe palette, and no withheld figure in the data."""

from __future__ import annotations

import json
from datetime import date, datetime

import polars as pl

from kpis.compute.periods import parse_period
from kpis.present import charts
from kpis.present.period_choice import trend_periods
from tests.test_tiles import KPIS, frame, row

Q3 = parse_period("2026-Q3")
TREND = trend_periods(Q3)
AS_OF = date(2026, 11, 20)
OKABE_ITO = {charts.BLUE, charts.VERMILLION, charts.ORANGE, charts.BLUISH_GREEN, charts.YELLOW,
             charts.SKY_BLUE, charts.REDDISH_PURPLE, charts.BLACK, charts.GREY}


def trend_frame(hidden_index: int | None = None) -> pl.DataFrame:
    rows = [row("bfu_rate", p.label, 8 + i, 10 + i, (8 + i) / (10 + i))
            for i, p in enumerate(TREND)]
    if hidden_index is not None:
        p = TREND[hidden_index]
        rows[hidden_index] = row("bfu_rate", p.label, 3, 4, 0.75, suppressed=True)
    return frame(*rows)


def spec_of(chart) -> dict:
    return chart.to_dict()  # validates against the Vega-Lite schema


def texts_in(spec: dict) -> str:
    return json.dumps(spec, ensure_ascii=False)


def colours_in(spec) -> set[str]:
    found = set()

    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k in ("color", "fill", "stroke") and isinstance(v, str) and v.startswith("#"):
                    found.add(v.upper())
                if k == "range" and isinstance(v, list):
                    found.update(c.upper() for c in v if isinstance(c, str) and c.startswith("#"))
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(spec)
    return found


def test_trend_chart_is_in_danish_with_target_bands_and_reference():
    spec = spec_of(charts.trend_chart(KPIS["bfu_rate"], trend_frame(), TREND))
    text = texts_in(spec)
    assert spec["title"]["text"] == "Udvikling: Undersøgelser til tiden"
    assert "4. kvartal 2024 – 3. kvartal 2026. Højere er bedre." in spec["title"]["subtitle"]
    assert '"title": "Periode"' in text and '"title": "Andel"' in text
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    # The lines are named beside the chart, not on it, where the names collided with values.
    assert "Stiplet linje: Mål 90,0 %. Prikket linje: Landsplan 50,0 % (2024)." in \
        spec["title"]["subtitle"]
    zones = {r["zone"] for r in spec["datasets"]["bands"]}
    assert zones == {"Grøn: målet er nået", "Gul: tæt på målet", "Rød: langt fra målet"}
    # Band edges for a 90 % target with yellow 15 points: 75 % and 90 %.
    edges = {(r["fra"], r["til"]) for r in spec["datasets"]["bands"]}
    assert {(0.9, 1.0), (0.75, 0.9), (0.0, 0.75)} <= {(round(a, 6), round(b, 6))
                                                      for a, b in edges}
    assert [p["tekst"] for p in spec["datasets"]["points"]][:2] == ["80,0 %", "81,8 %"]


def test_palette_is_okabe_ito():
    for chart in (charts.trend_chart(KPIS["bfu_rate"], trend_frame(), TREND),
                  charts.team_chart(KPIS["bfu_rate"], team_frame(), Q3)):
        assert colours_in(spec_of(chart)) <= {c.upper() for c in OKABE_ITO}


def test_suppressed_points_are_not_in_the_chart_data():
    spec = spec_of(charts.trend_chart(KPIS["bfu_rate"], trend_frame(hidden_index=4), TREND))
    hidden_label = "4. kv. 2025"
    for name, rows in spec["datasets"].items():
        for r in rows:
            assert r.get("vaerdi") != 0.75 and r.get("n") != 4, (name, r)
            if r.get("periode") == hidden_label and name in ("points", "lines") \
                    and r.get("serie") == charts.SERIES_VALUE:
                assert r["vaerdi"] is None  # a gap in the line, not a value
    assert "75,0 %" not in texts_in(spec)
    assert spec["datasets"]["hidden"] == [
        {"periode": hidden_label, "orden": 4, "tekst": "skjult",
         "vaerdi": spec["datasets"]["hidden"][0]["vaerdi"]}]
    assert hidden_label not in {p["periode"] for p in spec["datasets"]["points"]}


def team_frame() -> pl.DataFrame:
    return frame(
        {**row("bfu_rate", "2026-Q3", 9, 10, 0.9), "group_level": "team", "team": "Team Nord"},
        {**row("bfu_rate", "2026-Q3", 3, 4, 0.75, suppressed=True), "group_level": "team",
         "team": "Team Syd"},
    )


def test_team_chart_leaves_a_withheld_team_without_a_bar():
    spec = spec_of(charts.team_chart(KPIS["bfu_rate"], team_frame(), Q3))
    assert spec["title"]["text"] == "Undersøgelser til tiden pr. team"
    assert [r["team"] for r in spec["datasets"]["shown"]] == ["Team Nord"]
    assert {r["team"]: r["tekst"] for r in spec["datasets"]["rows"]} == {
        "Team Nord": "90,0 % (n = 10)", "Team Syd": "skjult"}
    assert "75,0" not in texts_in(spec) and '"title": "Team"' in texts_in(spec)


def test_team_chart_labels_start_clear_of_the_target_line():
    # Team Nord's bar ends at 85 %, just short of the 90 % target: its label starts at the line,
    # not across it. A bar far below (40 %) or over the target (95 %) is labelled at its end.
    near, far, over = (
        {**row("bfu_rate", "2026-Q3", n, 100, n / 100), "group_level": "team", "team": t}
        for n, t in ((85, "Team Nord"), (40, "Team Syd"), (95, "Team Vest")))
    spec = spec_of(charts.team_chart(KPIS["bfu_rate"], frame(near, far, over), Q3))
    assert {r["team"]: r["pos"] for r in spec["datasets"]["rows"]} == {
        "Team Nord": 0.9, "Team Syd": 0.4, "Team Vest": 0.95}


def steps_frame() -> pl.DataFrame:
    # days relative to the due date: two on time (−10, 0), one late (+20), one open and late (+40)
    return pl.DataFrame({
        "unit_id": ["a", "b", "c", "d", "e"], "case_id": ["1", "2", "3", "4", "5"],
        "status": ["on_time", "on_time", "late", "late", "pending"],
        "completed": [date(2026, 7, 1), date(2026, 7, 11), date(2026, 8, 1), None, None],
        "in_denominator": [True, True, True, True, False], "days": [-10, 0, 20, 40, -5],
        "due_at": [None] * 5, "completed_at": [None] * 5,
    }, schema_overrides={"due_at": pl.Datetime("us"), "completed_at": pl.Datetime("us")})


def test_deadline_distribution_holds_counts_per_bin_never_case_rows():
    spec = spec_of(charts.deadline_distribution_chart(KPIS["bfu_rate"], steps_frame(), Q3, AS_OF))
    bins = spec["datasets"]["bins"]
    assert sum(b["antal"] for b in bins) == 4  # the pending step is not in the figure
    assert {b["slags"] for b in bins} == {"Til tiden", "For sent", "Stadig åben efter fristen"}
    assert all(set(b) == {"fra", "til", "slags", "antal"} for b in bins)
    text = texts_in(spec)
    assert spec["title"]["text"] == "Hvornår blev det gjort i forhold til fristen?"
    assert "Dage fra fristen (negativ = før fristen)" in text and "Antal sagstrin" in text
    assert spec["datasets"]["deadline"] == [{"x": 0, "label": "Frist"}]
    assert "case_id" not in text and "unit_id" not in text


def test_deadline_distribution_has_a_text_alternative_with_its_counts():
    # two on time, one late, one still open after its deadline; the pending one is not counted
    assert charts.distribution_alt_text(KPIS["bfu_rate"], steps_frame(), Q3, AS_OF) == (
        "Søjlediagram over 4 sagstrin i 3. kvartal 2026, efter dage fra fristen (til tiden: 2, "
        "for sent: 1, stadig åben efter fristen: 1).")


def test_hour_deadlines_are_binned_in_hours_from_the_due_moment():
    from kpis.rules.validate import validate_text

    kpiset, problems = validate_text("""
version: 1
kpis:
  - id: u24
    name: Vurderet inden for 24 timer
    description: Underretninger vurderet inden for 24 timer.
    pejlemaerke: faglig_udredning
    legal_basis: {}
    kind: deadline
    deadline: {source: notifications, start: received_at, completion: assessed_at,
               regime_date: received_at, due: {sel: {hours: 24}, barnets_lov: {hours: 24}}}
    unit: percent
    direction: higher_is_better
    owner: Analyse
""", "u.yaml")
    assert problems == []
    due = datetime(2026, 8, 2, 9, 0)
    steps = pl.DataFrame({
        "status": ["on_time", "late"], "completed": [date(2026, 8, 1), date(2026, 8, 2)],
        "due": [due.date(), due.date()],
        "in_denominator": [True, True], "days": [0, 0],
        "due_at": [due, due], "completed_at": [datetime(2026, 8, 1, 15, 0),
                                               datetime(2026, 8, 2, 13, 30)],
    })
    data, unit = charts.distribution_data(kpiset["u24"], steps, AS_OF)
    assert unit == "timer"
    assert {(d["slags"], d["fra"]) for d in data} == {("Til tiden", -18), ("For sent", 4)}


def test_charts_render_to_png_offline():
    png = charts.to_png(charts.trend_chart(KPIS["bfu_rate"], trend_frame(), TREND), width=500)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000


def test_trend_in_words_for_screen_readers_withholds_the_same():
    text = charts.trend_alt_text(KPIS["bfu_rate"], trend_frame(hidden_index=4), TREND)
    assert text.startswith("Linjediagram, Undersøgelser til tiden. 4. kvartal 2024: 80,0 %;")
    assert "4. kvartal 2025: skjult;" in text and "75,0" not in text
    assert text.endswith("Mål: 90,0 %.")


def test_sparkline_is_a_small_svg_with_a_floor_under_its_range():
    svg = charts.sparkline_svg([0.80, 0.81, 0.805], min_span=0.10, width=100, height=40)
    assert svg.startswith("<svg") and "polyline" in svg and "<circle" in svg
    ys = [float(p.split(",")[1]) for p in svg.split('points="')[1].split('"')[0].split()]
    assert max(ys) - min(ys) < 40 * 0.2  # one point of wobble is a fifth of the height at most
    assert charts.sparkline_svg([0.8]) is None


def unit_specs(spec: dict):
    """Every single-mark spec inside a layered or faceted chart."""
    if "mark" in spec:
        yield spec
    for child in spec.get("layer", []):
        yield from unit_specs(child)
    if "spec" in spec:
        yield from unit_specs(spec["spec"])


def tooltip_problems(spec: dict) -> list[str]:
    """What a reader would see as code in a tooltip: a mark without its own tooltip (Streamlit
    then lists the raw fields), a field without a Danish title, a number or date without a
    format."""
    problems = []
    for unit in unit_specs(spec):
        mark = unit["mark"]["type"] if isinstance(unit["mark"], dict) else unit["mark"]
        tip = unit.get("encoding", {}).get("tooltip")
        if tip is None:
            problems.append(f"{mark}: no tooltip of its own")
            continue
        if "value" in tip:
            continue  # none at all (null), or a sentence
        for item in tip if isinstance(tip, list) else [tip]:
            title = item.get("title")
            if not title or title == item["field"]:
                problems.append(f"{mark}: {item['field']} has no Danish title")
            if item.get("type") in ("quantitative", "temporal") and not item.get("format"):
                problems.append(f"{mark}: {item['field']} has no format")
    return problems


def test_every_tooltip_has_danish_titles_and_formatted_values():
    from kpis.present import caseload_charts, coverage_charts

    cases = pl.DataFrame({"team": ["Team Nord", "Team Nord"], "caseworker": ["A", "B"],
                          "open_cases": [20, 31]})
    monthly = pl.DataFrame({"month": [date(2026, 1, 1)], "new_cases": [3], "notifications": [9]})
    months = pl.DataFrame({"table": ["cases", "cases"], "label_da": ["Sager", "Sager"],
                           "month": [date(2026, 1, 1), date(2026, 2, 1)], "rows": [4, 0],
                           "order": [0, 0]})
    specs = {
        "trend": charts.trend_chart(KPIS["bfu_rate"], trend_frame(hidden_index=2), TREND),
        "team": charts.team_chart(KPIS["bfu_rate"], team_frame(), Q3),
        "distribution": charts.deadline_distribution_chart(KPIS["bfu_rate"], steps_frame(), Q3,
                                                           AS_OF),
        "open_cases": caseload_charts.open_cases_chart(cases, 25),
        "monthly": caseload_charts.monthly_chart(monthly),
        "spread": caseload_charts.spread_chart(cases, 25),
        "coverage": coverage_charts.months_chart(months),
    }
    found = {name: tooltip_problems(spec_of(chart)) for name, chart in specs.items()}
    assert found == {name: [] for name in specs}


def test_trend_tooltips_read_as_on_the_tiles():
    spec = spec_of(charts.trend_chart(KPIS["bfu_rate"], trend_frame(), TREND))
    tips = {(t["title"], t.get("format")) for u in unit_specs(spec)
            for t in (u["encoding"]["tooltip"] if isinstance(u["encoding"]["tooltip"], list)
                      else [])}
    # the traffic-light band: "Fra 75,0 %" "Til 90,0 %" with the Danish locale's comma
    assert {("Trafiklys", None), ("Fra", ".1%"), ("Til", ".1%"), ("Antal sager (n)", ",d")} <= tips
    assert spec["config"]["locale"]["number"] == charts.DA_LOCALE["number"]
