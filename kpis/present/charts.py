"""Altair charts of the committee pages and meeting papers, in Danish.

- ``trend_chart``: a KPI over periods with its target line, the traffic-light bands and the
  national reference line.
- ``team_chart``: the chosen period by team, with the target line.
- ``deadline_distribution_chart``: for deadline KPIs, how many case steps were done how long before
  or after their deadline (the deadline marked).

Colours are the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies),
and no meaning rests on colour alone: series differ in dash pattern too, and bands and bars are
named in the legend. A withheld figure ("skjult") never enters a chart's data — only the word
"skjult" at its place — and the distribution holds counts per bin, never case rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import altair as alt
import polars as pl

from kpis.compute.periods import Period
from kpis.present.period_choice import period_label_da, period_short_da
from kpis.present.tiles import (
    SUPPRESSION_THRESHOLD,
    format_value,
    rounded,
    suppressed_text,
)
from kpis.rules.definitions import DeadlineKpi, Direction, Unit
from kpis.rules.regime import Regime

# Okabe & Ito (2008), "Color Universal Design".
BLUE = "#0072B2"
VERMILLION = "#D55E00"
ORANGE = "#E69F00"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
SKY_BLUE = "#56B4E9"
REDDISH_PURPLE = "#CC79A7"
BLACK = "#000000"
GREY = "#6b6b6b"

# Danish number formatting inside Vega (axes, tooltips): 1.234,5 and "87 %".
DA_LOCALE = {"number": {"decimal": ",", "thousands": ".", "grouping": [3],
                        "currency": ["", " kr."], "percent": "\u202f%"}}

# Streamlit gives every mark a tooltip of its encoding (field names, raw values): a layer that
# explains itself (a label, the deadline's line) has none, every other a Danish one.
NO_TOOLTIP = alt.value(None)

SERIES_VALUE, SERIES_TARGET, SERIES_REFERENCE = "Kommunens tal", "Mål", "Landsplan"
ZONES = (("Grøn: målet er nået", BLUISH_GREEN), ("Gul: tæt på målet", YELLOW),
         ("Rød: langt fra målet", VERMILLION))


def _y_title(kpi) -> str:
    return {Unit.PERCENT: "Andel", Unit.COUNT: "Antal", Unit.DAYS: "Dage",
            Unit.RATIO: "Sager pr. sagsbehandler"}[kpi.unit]


def _tooltip_format(kpi) -> str:
    """A KPI's value in a tooltip as on the tiles: "85,0 %", "25,0"."""
    return ".1%" if kpi.unit is Unit.PERCENT else ",.1f"


def _y_axis(kpi, values: list[float] | None = None) -> alt.Axis:
    fmt = ".0%" if kpi.unit is Unit.PERCENT else ",.0f"
    extra = {"values": values} if values else {}
    return alt.Axis(title=_y_title(kpi), format=fmt, grid=True, **extra)


def _finish(layers: list, title: str, subtitle: str | Sequence[str] | None,
            datasets: dict[str, list[dict]], *, width: int | str, height: int,
            independent_colors: bool = False) -> alt.LayerChart:
    """One layered chart with its data as named datasets.

    Layers refer to their data by name: Altair deep-copies every layer while combining them, and
    inline rows made that the slowest part of a page (about a second per chart).
    """
    chart = alt.layer(*layers)
    chart.width, chart.height = width, height
    # Width fits the container (or the given width); the height is the plot's own, with title,
    # axes and legend added on top — the default "fit" squeezed the plot on the page.
    chart.autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
    params = {"text": title, "anchor": "start", "fontSize": 15}
    if subtitle:
        params.update(subtitle=subtitle, subtitleColor=GREY)
    chart.title = alt.TitleParams(**params)
    if independent_colors:
        chart.resolve = alt.Resolve(scale=alt.ScaleResolveMap(color="independent"))
    chart.config = alt.Config(
        locale=DA_LOCALE, font="DejaVu Sans, Helvetica, Arial, sans-serif",
        legend=alt.LegendConfig(orient="bottom", titleFontSize=11, labelFontSize=11,
                                labelLimit=320),
        view=alt.ViewConfig(strokeWidth=0),
    )
    chart.datasets = datasets
    return chart


def _named(name: str) -> alt.Chart:
    return alt.Chart(alt.NamedData(name))


def _totals_for(kpi, results: pl.DataFrame) -> dict[str, dict]:
    rows = results.filter(pl.col("kpi") == kpi.id)
    if "group_level" in rows.columns:
        rows = rows.filter(pl.col("group_level") == "")
    return {r["period"]: r for r in rows.iter_rows(named=True)}


def _zones(kpi, target: float, top: float) -> list[tuple[str, float, float]]:
    t = kpi.thresholds
    if kpi.direction is Direction.HIGHER_IS_BETTER:
        bounds = [(target - t.green, top), (target - t.yellow, target - t.green),
                  (0.0, target - t.yellow)]
    else:
        bounds = [(0.0, target + t.green), (target + t.green, target + t.yellow),
                  (target + t.yellow, top)]
    return [(name, max(lo, 0.0), min(hi, top)) for (name, _), (lo, hi) in zip(ZONES, bounds)]


def trend_data(kpi, results: pl.DataFrame, periods: Sequence[Period],
               threshold: int = SUPPRESSION_THRESHOLD) -> dict[str, list[dict]]:
    """The rows the trend chart draws: points, lines, bands and withheld markers.

    Exposed for tests: a suppressed period contributes only its label and "skjult".
    """
    totals = _totals_for(kpi, results)
    points, lines, hidden, bands = [], [], [], []
    values = []
    for i, p in enumerate(periods):
        label = period_short_da(p)
        row = totals.get(p.label)
        target = kpi.target_on(p.end)
        if target is not None:
            lines.append({"periode": label, "orden": i, "serie": SERIES_TARGET,
                          "vaerdi": target, "tekst": format_value(rounded(target, kpi.unit),
                                                                   kpi.unit)})
        if kpi.reference is not None:
            lines.append({"periode": label, "orden": i, "serie": SERIES_REFERENCE,
                          "vaerdi": kpi.reference.value,
                          "tekst": format_value(rounded(kpi.reference.value, kpi.unit), kpi.unit)})
        gap = {"periode": label, "orden": i, "serie": SERIES_VALUE, "vaerdi": None}
        if row is not None and row.get("suppressed"):
            hidden.append({"periode": label, "orden": i, "tekst": suppressed_text()})
            lines.append(gap)
            continue
        value = rounded(row.get("value"), kpi.unit) if row is not None else None
        if value is None:
            lines.append(gap)
            continue
        values.append(value)
        n = row.get("denominator") if kpi.unit is not Unit.COUNT else row.get("numerator")
        line = target if target is not None else (
            kpi.reference.value if kpi.reference is not None else None)
        point = {"periode": label, "orden": i, "serie": SERIES_VALUE, "vaerdi": value,
                 "tekst": format_value(value, kpi.unit), "periode_lang": period_label_da(p),
                 "n": int(n or 0),
                 # its label goes on the side away from the target line, never across it
                 "under": line is not None and value < line}
        points.append(point)
        lines.append(point)
    top = _top(kpi, values + [r["vaerdi"] for r in lines if r["vaerdi"] is not None])
    for h in hidden:  # the marker's height is a fixed share of the axis, never the hidden value
        h["vaerdi"] = top * 0.04
    if kpi.thresholds is not None:
        for i, p in enumerate(periods):
            target = kpi.target_on(p.end)
            if target is None:
                continue
            for name, lo, hi in _zones(kpi, target, top):
                if hi > lo:
                    bands.append({"periode": period_short_da(p), "orden": i, "zone": name,
                                  "fra": lo, "til": hi})
    labels = []
    if periods:
        # Labelled at the newest period: the target that applies now.
        last = period_short_da(periods[-1])
        target = kpi.target_on(periods[-1].end)
        if target is not None:
            labels.append({"periode": last, "serie": SERIES_TARGET, "vaerdi": target,
                           "tekst": f"Mål {format_value(rounded(target, kpi.unit), kpi.unit)}"})
        if kpi.reference is not None:
            ref = kpi.reference
            labels.append({"periode": last, "serie": SERIES_REFERENCE, "vaerdi": ref.value,
                           "tekst": f"Landsplan {format_value(rounded(ref.value, kpi.unit), kpi.unit)}"
                                    f" ({ref.year})"})
    return {"points": points, "lines": lines, "hidden": hidden, "bands": bands,
            "labels": labels, "top": [{"top": top}]}


def _top(kpi, values: list[float]) -> float:
    if kpi.unit is Unit.PERCENT:
        return 1.0
    return max([1.0, *values]) * 1.15


def trend_chart(kpi, results: pl.DataFrame, periods: Sequence[Period], *,
                width: int | str = "container", height: int = 300,
                threshold: int = SUPPRESSION_THRESHOLD):
    """The KPI over ``periods`` (oldest first) with target, traffic-light bands and reference."""
    data = trend_data(kpi, results, periods, threshold)
    order = [period_short_da(p) for p in periods]
    x = alt.X("periode:O", sort=order, scale=alt.Scale(domain=order, paddingInner=0,
                                                       paddingOuter=0),
              axis=alt.Axis(title="Periode", labelAngle=0 if len(order) <= 8 else -40))
    y_scale = alt.Scale(domain=[0, data["top"][0]["top"]], nice=kpi.unit is not Unit.PERCENT)
    layers = []
    if data["bands"]:
        layers.append(_named("bands").mark_bar(opacity=0.16, strokeWidth=0,
                                               width=alt.RelativeBandSize(1)).encode(
            x=x, y=alt.Y("fra:Q", scale=y_scale, axis=_y_axis(kpi)), y2=alt.Y2("til:Q"),
            color=alt.Color("zone:N", title="Trafiklys",
                            scale=alt.Scale(domain=[z for z, _ in ZONES],
                                            range=[c for _, c in ZONES])),
            tooltip=[alt.Tooltip("zone:N", title="Trafiklys"),
                     alt.Tooltip("fra:Q", title="Fra", format=_tooltip_format(kpi)),
                     alt.Tooltip("til:Q", title="Til", format=_tooltip_format(kpi))],
        ))
    # Series are labelled on the chart itself (no legend to decode): the kommune's points carry
    # their values, the target and reference lines their names.
    series = [SERIES_VALUE, SERIES_TARGET, SERIES_REFERENCE]
    line_enc = {
        "x": x, "y": alt.Y("vaerdi:Q", scale=y_scale, axis=_y_axis(kpi)),
        "color": alt.Color("serie:N", legend=None, scale=alt.Scale(
            domain=series, range=[BLUE, BLACK, REDDISH_PURPLE])),
        "strokeDash": alt.StrokeDash("serie:N", legend=None, scale=alt.Scale(
            domain=series, range=[[1, 0], [6, 4], [2, 3]])),
        "detail": alt.Detail("serie:N"),
        "tooltip": [alt.Tooltip("serie:N", title="Linje"), alt.Tooltip("periode:N", title="Periode"),
                    alt.Tooltip("tekst:N", title="Værdi")],
    }
    lines = _named("lines")
    # The target changes on a date: drawn as steps. The kommune's line breaks at a withheld or
    # empty period (a null row) instead of bridging it.
    layers += [
        lines.mark_line(strokeWidth=2, interpolate="step").encode(**line_enc)
        .transform_filter(alt.datum.serie == SERIES_TARGET),
        lines.mark_line(strokeWidth=2).encode(**line_enc)
        .transform_filter(alt.datum.serie != SERIES_TARGET),
    ]
    tooltip = [alt.Tooltip("periode_lang:N", title="Periode"),
               alt.Tooltip("tekst:N", title="Værdi"),
               alt.Tooltip("n:Q", title="Antal sager (n)", format=",d")]
    points = _named("points")
    layers.append(points.mark_point(filled=True, size=60, color=BLUE).encode(
        x=x, y=alt.Y("vaerdi:Q", scale=y_scale), tooltip=tooltip))
    # A value's label sits above its point, or below it when the point is under the target
    # line, so it never lands on the line. The lines are named in the subtitle, not on the plot,
    # where their names collided with the values near them.
    for under, dy, baseline in ((False, -8, "bottom"), (True, 8, "top")):
        layers.append(points.mark_text(dy=dy, baseline=baseline, fontSize=11, color=BLACK)
                      .encode(x=x, y=alt.Y("vaerdi:Q", scale=y_scale), text=alt.Text("tekst:N"),
                              tooltip=NO_TOOLTIP)
                      .transform_filter(alt.datum.under == under))
    if data["hidden"]:
        layers.append(_named("hidden").mark_text(
            fontSize=11, color=GREY, fontStyle="italic", baseline="bottom",
        ).encode(x=x, y=alt.Y("vaerdi:Q", scale=y_scale), text=alt.Text("tekst:N"),
                 tooltip=[alt.Tooltip("periode:N", title="Periode"),
                          alt.Tooltip("tekst:N", title="Værdi")]))
    # The bands' colours are their own scale (with the legend); the series' are another.
    return _finish(layers, f"Udvikling: {kpi.name}", trend_subtitle(kpi, periods, data["labels"]),
                   {k: v for k, v in data.items() if k not in ("top", "labels")}, width=width,
                   height=height, independent_colors=True)


LINE_NAMES_DA = {SERIES_TARGET: "stiplet linje", SERIES_REFERENCE: "prikket linje"}


def trend_subtitle(kpi, periods: Sequence[Period], labels: Sequence[dict] = ()) -> list[str]:
    """The span and direction, then what the target and reference lines are (with their values:
    "Stiplet linje: Mål 95,0 %")."""
    if not periods:
        return []
    span = f"{period_label_da(periods[0])} – {period_label_da(periods[-1])}"
    better = "Højere er bedre" if kpi.direction is Direction.HIGHER_IS_BETTER else \
        "Lavere er bedre"
    lines = [f"{span}. {better}." if kpi.target else f"{span}."]
    named = [f"{LINE_NAMES_DA[r['serie']].capitalize()}: {r['tekst']}." for r in labels]
    return lines + ([" ".join(named)] if named else [])


def team_data(kpi, results: pl.DataFrame, period: Period,
              threshold: int = SUPPRESSION_THRESHOLD) -> list[dict]:
    rows = results.filter((pl.col("kpi") == kpi.id) & (pl.col("period") == period.label)
                          & (pl.col("group_level") == "team"))
    out = []
    for r in rows.sort("team").iter_rows(named=True):
        if r.get("suppressed"):
            out.append({"team": r["team"], "tekst": suppressed_text(), "skjult": True})
            continue
        value = rounded(r.get("value"), kpi.unit)
        if value is None:
            out.append({"team": r["team"], "tekst": "ingen sager", "skjult": True})
            continue
        n = r.get("numerator") if kpi.unit is Unit.COUNT else r.get("denominator")
        out.append({"team": r["team"], "vaerdi": value, "skjult": False,
                    "tekst": f"{format_value(value, kpi.unit)} (n = {int(n or 0)})"})
    return out


def team_chart(kpi, results: pl.DataFrame, period: Period, *, width: int | str = "container",
               threshold: int = SUPPRESSION_THRESHOLD):
    """One bar per team for ``period``; a withheld team has no bar, only "skjult"."""
    rows = team_data(kpi, results, period, threshold)
    teams = [r["team"] for r in rows]
    target = kpi.target_on(period.end)
    top = _top(kpi, [r["vaerdi"] for r in rows if not r["skjult"]] + ([target] if target else []))
    # Room to the right of the longest bar for its label; the axis still ends at the top value.
    x_scale = alt.Scale(domain=[0, top * 1.22], nice=False)
    ticks = [i / 10 * top for i in range(11)] if kpi.unit is Unit.PERCENT else None
    y = alt.Y("team:N", sort=teams, title="Team")
    # A label that would start on the target line (a bar ending just short of it) starts right
    # after the line instead; a withheld or empty team's words stand at the start.
    near = 0.25 * top
    labelled = [{**r, "pos": target if target is not None and not r["skjult"]
                 and target - near < r["vaerdi"] < target else r.get("vaerdi", 0.0)}
                for r in rows]
    datasets = {"shown": [r for r in rows if not r["skjult"]], "rows": labelled}
    layers = [
        _named("shown").mark_bar(color=BLUE, height={"band": 0.6}).encode(
            y=y, x=alt.X("vaerdi:Q", scale=x_scale, axis=_y_axis(kpi, ticks)),
            tooltip=[alt.Tooltip("team:N", title="Team"), alt.Tooltip("tekst:N", title="Værdi")],
        ),
        _named("rows").mark_text(align="left", dx=4, fontSize=11).encode(
            y=y, x=alt.X("pos:Q", scale=x_scale), text=alt.Text("tekst:N"), tooltip=NO_TOOLTIP,
        ),
    ]
    if target is not None:
        datasets["target"] = [{"mål": target}]
        layers.append(_named("target").mark_rule(
            color=BLACK, strokeDash=[6, 4], strokeWidth=2).encode(
            x=alt.X("mål:Q", scale=x_scale),
            tooltip=[alt.Tooltip("mål:Q", title="Mål", format=_tooltip_format(kpi))]))
    subtitle = f"{period_label_da(period)}. Stiplet linje: målet." if target is not None else \
        period_label_da(period)
    return _finish(layers, f"{kpi.name} pr. team", subtitle, datasets, width=width,
                   height=max(120, 34 * len(rows)))


def _bin_width(span: int, choices: Sequence[int]) -> int:
    for width in choices:
        if span / width <= 40:
            return width
    return choices[-1]


def distribution_data(kpi: DeadlineKpi, steps: pl.DataFrame, as_of: date) -> tuple[list[dict], str]:
    """Counts of case steps per bin of time relative to the deadline, and the unit's name.

    Only steps counted in the figure (on time or late, including still open after the deadline).
    Hour deadlines are binned in hours from the due moment, the others in days from the due date.
    """
    counted = steps.filter(pl.col("in_denominator"))
    if counted.is_empty():
        return [], "dage"
    hours = any(r.hours is not None for reg in Regime for r in kpi.spec.due.rules(reg))
    if hours and "due_at" in counted.columns:
        now = datetime.combine(as_of, datetime.min.time())
        # A value recorded without a time of day has no moment: its date (midnight) stands in.
        done = pl.coalesce(pl.col("completed_at"), pl.col("completed").cast(pl.Datetime("us")),
                           pl.lit(now).cast(pl.Datetime("us")))
        due = pl.coalesce(pl.col("due_at"), pl.col("due").cast(pl.Datetime("us")))
        rel = counted.with_columns(
            rel=((done - due).dt.total_minutes() / 60).floor().cast(pl.Int64))
        unit, choices = "timer", (1, 2, 6, 12, 24, 48)
    else:
        rel = counted.with_columns(rel=pl.col("days"))
        unit, choices = "dage", (1, 7, 14, 30, 61, 91)
    rel = rel.filter(pl.col("rel").is_not_null())
    if rel.is_empty():
        return [], unit
    # A few extreme steps (a notification assessed after months) would squash the rest into one
    # bar: the outermost 2 % on each side are gathered in the edge bins.
    lo = min(int(rel["rel"].quantile(0.02, "lower")), 0)
    hi = max(int(rel["rel"].quantile(0.98, "higher")), 0)
    width = _bin_width(hi - lo + 1, choices)
    rel = rel.with_columns(rel=pl.col("rel").clip(lo, hi))
    kind = (pl.when(pl.col("status") == "on_time").then(pl.lit("Til tiden"))
            .when(pl.col("completed").is_null()).then(pl.lit("Stadig åben efter fristen"))
            .otherwise(pl.lit("For sent")))
    binned = (rel.with_columns(fra=(pl.col("rel") // width) * width, slags=kind)
              .group_by("fra", "slags").len("antal").sort("fra", "slags"))
    return [{"fra": int(r["fra"]), "til": int(r["fra"]) + width, "slags": r["slags"],
             "antal": int(r["antal"])} for r in binned.iter_rows(named=True)], unit


def distribution_alt_text(kpi: DeadlineKpi, steps: pl.DataFrame, period: Period,
                          as_of: date) -> str:
    """The distribution chart in words for screen readers: how many steps of each kind."""
    data, unit = distribution_data(kpi, steps, as_of)
    per_kind = {k: sum(r["antal"] for r in data if r["slags"] == k) for k, _ in DISTRIBUTION_KINDS}
    kinds = ", ".join(f"{k.lower()}: {n}" for k, n in per_kind.items() if n)
    return (f"Søjlediagram over {sum(per_kind.values())} sagstrin i {period_label_da(period)}, "
            f"efter {unit} fra fristen" + (f" ({kinds})." if kinds else "."))


DISTRIBUTION_KINDS = (("Til tiden", BLUE), ("For sent", VERMILLION),
                      ("Stadig åben efter fristen", REDDISH_PURPLE))


def deadline_distribution_chart(kpi: DeadlineKpi, steps: pl.DataFrame, period: Period,
                                as_of: date, *, width: int | str = "container",
                                height: int = 260):
    """How long before or after the deadline the steps of ``period`` were done (0 = the deadline)."""
    data, unit = distribution_data(kpi, steps, as_of)
    total = sum(r["antal"] for r in data)
    bars = _named("bins").mark_bar(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("fra:Q", title=f"{unit.capitalize()} fra fristen (negativ = før fristen)",
                axis=alt.Axis(format=",.0f")),
        x2=alt.X2("til:Q"),
        y=alt.Y("sum(antal):Q", title="Antal sagstrin", stack=True),
        color=alt.Color("slags:N", title=None, scale=alt.Scale(
            domain=[k for k, _ in DISTRIBUTION_KINDS], range=[c for _, c in DISTRIBUTION_KINDS])),
        order=alt.Order("slags:N"),
        tooltip=[alt.Tooltip("slags:N", title="Udfald"),
                 alt.Tooltip("fra:Q", title=f"Fra ({unit})", format=",d"),
                 alt.Tooltip("til:Q", title=f"Til ({unit})", format=",d"),
                 alt.Tooltip("antal:Q", title="Antal sagstrin", format=",d")],
    )
    deadline = _named("deadline")
    layers = [bars, deadline.mark_rule(color=BLACK, strokeWidth=2, strokeDash=[6, 4]).encode(
        x=alt.X("x:Q"), tooltip=NO_TOOLTIP), deadline.mark_text(
        align="left", dx=4, dy=-4, fontWeight="bold").encode(
        x=alt.X("x:Q"), y=alt.YValue(0), text=alt.Text("label:N"), tooltip=NO_TOOLTIP)]
    subtitle = [(f"{period_label_da(period)}: {total} sagstrin. Stiplet linje: fristen; til "
                "venstre for den er gjort før fristen."),
                "De yderste søjler samler de 2 % tidligste og seneste."]
    return _finish(layers, "Hvornår blev det gjort i forhold til fristen?", subtitle,
                   {"bins": data, "deadline": [{"x": 0, "label": "Frist"}]}, width=width,
                   height=height)


def to_png(chart, scale: float = 2.0, width: int | None = None) -> bytes:
    """The chart as PNG, rendered offline by vl-convert (for the PDF)."""
    import vl_convert as vlc

    spec = chart.to_dict(validate=False)  # validated where the charts are tested; saves ~0.2 s
    if width is not None:
        spec["width"] = width
    return vlc.vegalite_to_png(spec, scale=scale)


def trend_alt_text(kpi, results: pl.DataFrame, periods: Sequence[Period],
                   threshold: int = SUPPRESSION_THRESHOLD) -> str:
    """The trend chart in words, for screen readers (withheld periods say so, nothing more)."""
    data = trend_data(kpi, results, periods, threshold)
    by_label = {r["periode"]: r["tekst"] for r in data["points"]}
    by_label.update({r["periode"]: r["tekst"] for r in data["hidden"]})
    values = "; ".join(f"{period_label_da(p)}: {by_label.get(period_short_da(p), 'ingen sager')}"
                       for p in periods)
    target = kpi.target_on(periods[-1].end) if periods else None
    goal = f" Mål: {format_value(rounded(target, kpi.unit), kpi.unit)}." if target else ""
    return f"Linjediagram, {kpi.name}. {values}.{goal}"


def sparkline_svg(values: Sequence[float], *, min_span: float = 0.0, width: int = 240,
                  height: int = 40, color: str = BLUE) -> str | None:
    """The tile's small trend line as a static SVG: a picture costs the browser far less than
    fourteen chart views. The newest point is marked. None with fewer than two points.

    The vertical range is at least ``min_span`` (e.g. 10 percentage points), so that a wobble of
    one point does not look like a landslide on a line without an axis."""
    if len(values) < 2:
        return None
    lo, hi = min(values), max(values)
    if hi - lo < min_span:
        middle = (hi + lo) / 2
        lo, hi = middle - min_span / 2, middle + min_span / 2
    span = (hi - lo) or 1.0
    pad = 4
    step = (width - 2 * pad) / (len(values) - 1)
    pts = [(pad + i * step, pad + (height - 2 * pad) * (1 - (v - lo) / span))
           for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    last_x, last_y = pts[-1]
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><polyline points="{path}" fill="none" '
            f'stroke="{color}" stroke-width="2" stroke-linejoin="round"/>'
            f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="3" fill="{color}"/></svg>')
