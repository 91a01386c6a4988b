"""Altair charts of the caseload page, in Danish: open cases per caseworker against the norm,
new cases and notifications per month, and the spread of the load within each team.

Built from ``kpis.compute.caseload`` frames; no streamlit. Colours are the Okabe–Ito palette
(readable with colour blindness), and a bar's colour is never the only carrier: the norm is a
labelled line and each bar carries its number.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from kpis.compute.compile import UNKNOWN
from kpis.present.formatting import MONTHS_DA, WEEKDAYS_DA

BLUE = "#0072B2"
VERMILLION = "#D55E00"
SKY_BLUE = "#56B4E9"
BLACK = "#000000"
GREY = "#6b6b6b"

WITHIN_NORM, ABOVE_NORM = "Inden for normen", "Over normen"
NEW_CASES, NOTIFICATIONS = "Nye sager", "Underretninger"

# Danish numbers and dates inside Vega (axes, tooltips): 1.234 and "jan. 2026".
DA_LOCALE = {
    "number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", " kr."]},
    "time": {
        "dateTime": "%A den %d. %B %Y %X", "date": "%d.%m.%Y", "time": "%H.%M.%S",
        "periods": ["", ""],
        "days": [WEEKDAYS_DA[6], *WEEKDAYS_DA[:6]],  # Vega's weeks start on Sunday
        "shortDays": [d[:3] + "." for d in (WEEKDAYS_DA[6], *WEEKDAYS_DA[:6])],
        "months": list(MONTHS_DA),
        "shortMonths": [m if len(m) <= 4 else m[:3] + "." for m in MONTHS_DA],
    },
}


def configured(chart):
    """The chart in the Danish locale and house font; the coverage charts use it too."""
    return chart.configure(
        locale=DA_LOCALE, font="DejaVu Sans, Helvetica, Arial, sans-serif",
    ).configure_legend(orient="top", title=None, labelFontSize=12).configure_view(strokeWidth=0)


def caseworker_data(open_cases: pl.DataFrame, norm: int) -> pl.DataFrame:
    """Rows for the per-caseworker chart: a label per bar and whether it is above the norm."""
    above = (pl.col("open_cases") > norm) & (pl.col("caseworker") != UNKNOWN)
    return open_cases.with_columns(
        pl.when(above).then(pl.lit(ABOVE_NORM)).otherwise(pl.lit(WITHIN_NORM)).alias("load"),
    )


def open_cases_chart(open_cases: pl.DataFrame, norm: int, width: int = 640):
    """Horizontal bars per caseworker, grouped by team, with the norm as a dashed line."""
    data = caseworker_data(open_cases, norm)
    top = max([norm, *data["open_cases"].to_list()]) * 1.12
    x = alt.X("open_cases:Q", title="Åbne sager", scale=alt.Scale(domain=[0, top]),
              axis=alt.Axis(format="d"))
    base = alt.Chart()
    # Most cases first, as an explicit list: Vega-Lite drops a sort by field in a layered chart
    # (the norm line has no y) and the bars came out alphabetical.
    order = data.sort(["open_cases", "caseworker"], descending=[True, False])["caseworker"]
    bars = base.mark_bar(height={"band": 0.75}).encode(
        y=alt.Y("caseworker:N", title=None, axis=alt.Axis(labelLimit=220),
                sort=order.unique(maintain_order=True).to_list()),
        x=x,
        color=alt.Color("load:N", scale=alt.Scale(domain=[WITHIN_NORM, ABOVE_NORM],
                                                  range=[BLUE, VERMILLION])),
        tooltip=[alt.Tooltip("team:N", title="Team"),
                 alt.Tooltip("caseworker:N", title="Sagsbehandler"),
                 alt.Tooltip("open_cases:Q", title="Åbne sager", format="d")],
    )
    labels = bars.mark_text(align="left", dx=3, color=BLACK).encode(
        text=alt.Text("open_cases:Q", format="d"), color=alt.value(BLACK))
    # The norm is named in the title: the line itself is decoration for a screen reader.
    rule = base.mark_rule(color=BLACK, strokeDash=[5, 3], strokeWidth=1.5, aria=False).encode(
        x=alt.datum(norm), tooltip=alt.value(f"Normen: {norm} åbne sager"))
    chart = alt.layer(bars, labels, rule, data=alt.Data(values=data.to_dicts())).properties(
        width=width, height=alt.Step(20)).facet(
        row=alt.Row("team:N", title=None,
                    header=alt.Header(labelAngle=0, labelAlign="left", labelFontWeight="bold",
                                      labelFontSize=13, labelOrient="top")),
        spacing=14,
    ).resolve_scale(y="independent").properties(
        title=alt.TitleParams(f"Åbne sager pr. sagsbehandler · stiplet linje: normen på {norm}",
                              anchor="start", fontSize=14))
    return configured(chart)


def monthly_chart(monthly: pl.DataFrame, width: int | str = "container", height: int = 260):
    """New cases and notifications per month as two labelled lines."""
    long = monthly.unpivot(index="month", on=["new_cases", "notifications"],
                           variable_name="series", value_name="count").with_columns(
        pl.col("series").replace_strict({"new_cases": NEW_CASES, "notifications": NOTIFICATIONS}),
        pl.col("month").cast(pl.String),
    )
    chart = alt.Chart(alt.Data(values=long.to_dicts())).mark_line(point=True).encode(
        x=alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=-40,
                                                      tickCount={"interval": "month", "step": 3})),
        y=alt.Y("count:Q", title="Antal pr. måned", axis=alt.Axis(format="d")),
        color=alt.Color("series:N", scale=alt.Scale(domain=[NOTIFICATIONS, NEW_CASES],
                                                    range=[BLUE, VERMILLION])),
        strokeDash=alt.StrokeDash("series:N", scale=alt.Scale(
            domain=[NOTIFICATIONS, NEW_CASES], range=[[1, 0], [6, 3]])),
        tooltip=[alt.Tooltip("month:T", title="Måned", format="%B %Y"),
                 alt.Tooltip("series:N", title="Hvad"),
                 alt.Tooltip("count:Q", title="Antal", format="d")],
    ).properties(width=width, height=height, title=alt.TitleParams(
        "Nye sager og underretninger pr. måned", anchor="start", fontSize=14))
    return configured(chart)


def spread_chart(open_cases: pl.DataFrame, norm: int, width: int = 640):
    """Each caseworker as a dot on the team's line: how even the load is within each team."""
    data = caseworker_data(open_cases.filter(pl.col("caseworker") != UNKNOWN), norm)
    top = max([norm, *data["open_cases"].to_list()]) * 1.08
    base = alt.Chart()
    dots = base.mark_point(size=110, opacity=0.85, filled=True).encode(
        x=alt.X("open_cases:Q", title="Åbne sager pr. sagsbehandler",
                scale=alt.Scale(domain=[0, top]), axis=alt.Axis(format="d")),
        y=alt.Y("team:N", title=None, axis=alt.Axis(labelFontWeight="bold")),
        color=alt.Color("load:N", scale=alt.Scale(domain=[WITHIN_NORM, ABOVE_NORM],
                                                  range=[BLUE, VERMILLION])),
        shape=alt.Shape("load:N", scale=alt.Scale(domain=[WITHIN_NORM, ABOVE_NORM],
                                                  range=["circle", "triangle-up"])),
        tooltip=[alt.Tooltip("team:N", title="Team"),
                 alt.Tooltip("caseworker:N", title="Sagsbehandler"),
                 alt.Tooltip("open_cases:Q", title="Åbne sager", format="d")],
    )
    # The norm is named in the title: the line itself is decoration for a screen reader.
    rule = base.mark_rule(color=BLACK, strokeDash=[5, 3], strokeWidth=1.5, aria=False).encode(
        x=alt.datum(norm), tooltip=alt.value(f"Normen: {norm} åbne sager"))
    chart = alt.layer(dots, rule, data=alt.Data(values=data.to_dicts())).properties(
        width=width, height=alt.Step(34),
        title=alt.TitleParams("Spredning i hvert team · stiplet linje: normen", anchor="start",
                              fontSize=14))
    return configured(chart)
