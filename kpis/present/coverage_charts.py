"""Coverage of a snapshot as a chart: rows per month, one small panel per table, months without a
row marked — so a hole in an export is seen at a glance (``kpis.data.coverage`` holds the data).

Each panel has its own scale (underretninger and tilsynsbesøg differ tenfold). An empty month is
marked by a symbol and a word in the legend, not by colour alone.
"""

from __future__ import annotations

from datetime import date

import altair as alt
import polars as pl

from kpis.present.caseload_charts import configured
from kpis.present.charts import BLUE, VERMILLION
from kpis.present.formatting import format_month_da

ROWS, GAP = "Rækker i måneden", "Måned uden rækker"


def since(months: pl.DataFrame, first: date | None) -> pl.DataFrame:
    """The months from ``first`` on (None: all)."""
    return months if first is None else months.filter(pl.col("month") >= first)


def months_chart(months: pl.DataFrame, width: int = 900, panel_height: int = 70):
    """Bars per month per table, with a marker under each empty month."""
    data = months.with_columns(
        pl.col("month").cast(pl.String),
        pl.when(pl.col("rows") == 0).then(pl.lit(GAP)).otherwise(pl.lit(ROWS)).alias("kind"),
    ).to_dicts()
    # yearmonth: each bar fills its month, so a missing month is a visible hole.
    x = alt.X("yearmonth(month):T", title=None, axis=alt.Axis(format="%b %Y", labelAngle=-40,
                                                   tickCount={"interval": "month", "step": 6}))
    tooltip = [alt.Tooltip("label_da:N", title="Tabel"),
               alt.Tooltip("yearmonth(month):T", title="Måned", format="%B %Y"),
               alt.Tooltip("rows:Q", title="Rækker", format=",d")]
    color = alt.Color("kind:N", scale=alt.Scale(domain=[ROWS, GAP], range=[BLUE, VERMILLION]),
                      legend=alt.Legend(title=None))
    bars = alt.Chart().mark_bar(width={"band": 0.85}).encode(
        x=x, y=alt.Y("rows:Q", title=None, axis=alt.Axis(format=",d", tickCount=3)),
        color=color, tooltip=tooltip).transform_filter(alt.datum.rows > 0)
    # The markers are named by the chart's text alternative (``months_alt_text``), and a panel
    # without gaps has an empty group of them that a screen reader would announce unnamed.
    gaps = alt.Chart().mark_point(shape="triangle-up", filled=True, size=90, yOffset=5,
                                  aria=False).encode(
        x=alt.X("yearmonth(month):T", bandPosition=0.5), y=alt.datum(0), color=color,
        tooltip=tooltip).transform_filter(alt.datum.rows == 0)
    chart = alt.layer(bars, gaps, data=alt.Data(values=data)).properties(
        width=width, height=panel_height).facet(
        row=alt.Row("label_da:N", title=None, sort=alt.SortField("order"),
                    header=alt.Header(labelAngle=0, labelAlign="left", labelAnchor="start",
                                      labelFontWeight="bold",
                                      labelFontSize=13, labelOrient="top")),
        spacing=10,
    ).resolve_scale(y="independent")
    return configured(chart)


def months_alt_text(months: pl.DataFrame) -> str:
    """The chart in words for screen readers: which months of which tables have no rows."""
    gaps = months.filter(pl.col("rows") == 0).sort("label_da", "month")
    holes = "; ".join(
        f"{label}: " + ", ".join(format_month_da(m.year, m.month) for m in g["month"])
        for (label,), g in gaps.group_by("label_da", maintain_order=True))
    return ("Søjlediagram med antal rækker pr. måned, ét felt pr. tabel. Måneder uden rækker: "
            + (holes if holes else "ingen") + ".")


def with_order(months: pl.DataFrame, tables: list[str]) -> pl.DataFrame:
    """Add the tables' load order, so the panels keep the data model's order."""
    order = {t: i for i, t in enumerate(tables)}
    return months.with_columns(pl.col("table").replace_strict(order, return_dtype=pl.Int64)
                               .alias("order"))
