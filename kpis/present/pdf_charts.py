"""The trend chart of the meeting papers, drawn straight onto the PDF page.

The same picture as the screen's ``charts.trend_chart`` and from the same rows
(``charts.trend_data``): traffic-light bands, the target as a dashed step line, the national
reference dotted, the municipality's values as a line with labelled points, "skjult" where a
figure is withheld. Drawn with fpdf's own lines and text it costs milliseconds and stays sharp;
rendering fourteen Vega charts to images was most of the papers' eleven seconds.

A value's label sits above its point, or below it when the point is under the target line
(``under`` in the rows), so no label lands on the line; the lines are named in the text above the
chart, not on it.
"""

from __future__ import annotations

from collections.abc import Sequence

from kpis.compute.periods import Period
from kpis.present.charts import BLUE, GREY, REDDISH_PURPLE, SERIES_REFERENCE, SERIES_TARGET, ZONES
from kpis.present.formatting import format_int_da, format_number_da
from kpis.present.period_choice import period_short_da
from kpis.rules.definitions import Unit

PLOT_MM = 42.0  # the plot's height
AXIS_MM = 13.0  # room left of the plot for the value axis
BAND_OPACITY = 0.16  # as on the screen


def _rgb(hex_colour: str, opacity: float = 1.0) -> tuple[int, int, int]:
    """The colour, laid over white paper at ``opacity``."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return tuple(round(255 - (255 - c) * opacity) for c in (r, g, b))  # type: ignore[return-value]


def _ticks(unit: Unit, top: float) -> list[float]:
    if unit is Unit.PERCENT:
        return [i / 5 for i in range(6)]
    step = next(s * 10 ** e for e in range(7) for s in (1, 2, 5) if top / (s * 10 ** e) <= 6)
    return [i * step for i in range(int(top // step) + 1)]


def _tick_text(unit: Unit, v: float) -> str:
    return f"{round(v * 100)} %" if unit is Unit.PERCENT else format_int_da(v) if v >= 10 else \
        format_number_da(v, 1 if v % 1 else 0)


def chart_height(data: dict) -> float:
    """The chart's height in mm: the plot, the period labels and the bands' legend."""
    return PLOT_MM + 6 + (6 if data["bands"] else 0)


def draw_trend(pdf, font: str, unit: Unit, periods: Sequence[Period], data: dict,
               text=lambda s: s) -> None:
    """Draw at the current position, across the page's text width, and move below the chart."""
    x0, y0 = pdf.l_margin + AXIS_MM, pdf.get_y() + 1
    width = pdf.epw - AXIS_MM - 2
    top = data["top"][0]["top"]
    n = max(len(periods), 1)
    band = width / n

    def x_of(i: int) -> float:
        return x0 + band * (i + 0.5)

    def y_of(v: float) -> float:
        return y0 + PLOT_MM * (1 - min(max(v / top, 0.0), 1.0))

    colours = dict(ZONES)
    for b in data["bands"]:
        pdf.set_fill_color(*_rgb(colours[b["zone"]], BAND_OPACITY))
        pdf.rect(x0 + band * b["orden"], y_of(b["til"]), band, y_of(b["fra"]) - y_of(b["til"]),
                 style="F")

    pdf.set_font(font, "", 6.5)
    pdf.set_text_color(80, 80, 80)
    pdf.set_line_width(0.1)
    pdf.set_draw_color(200, 200, 200)
    for v in _ticks(unit, top):
        y = y_of(v)
        pdf.line(x0, y, x0 + width, y)
        label = text(_tick_text(unit, v))
        pdf.text(x0 - 1.2 - pdf.get_string_width(label), y + 0.9, label)
    for i, p in enumerate(periods):
        label = text(period_short_da(p))
        pdf.text(x_of(i) - pdf.get_string_width(label) / 2, y0 + PLOT_MM + 3.6, label)

    pdf.set_line_width(0.45)
    for serie, colour, dash in ((SERIES_TARGET, (0, 0, 0), (1.6, 1.1)),
                                (SERIES_REFERENCE, _rgb(REDDISH_PURPLE), (0.5, 0.8))):
        rows = {r["orden"]: r["vaerdi"] for r in data["lines"] if r["serie"] == serie}
        pdf.set_draw_color(*colour)
        with pdf.local_context():
            pdf.set_dash_pattern(dash=dash[0], gap=dash[1])
            previous = None
            for i in range(n):
                v = rows.get(i)
                if v is None:
                    previous = None
                    continue
                pdf.line(x0 + band * i, y_of(v), x0 + band * (i + 1), y_of(v))  # a step per period
                if previous is not None and previous != v:
                    pdf.line(x0 + band * i, y_of(previous), x0 + band * i, y_of(v))
                previous = v

    values = {r["orden"]: r for r in data["lines"]
              if r.get("serie") not in (SERIES_TARGET, SERIES_REFERENCE)}
    pdf.set_draw_color(*_rgb(BLUE))
    pdf.set_fill_color(*_rgb(BLUE))
    pdf.set_line_width(0.5)
    for i in range(n - 1):
        a, b = values.get(i), values.get(i + 1)
        if a and b and a["vaerdi"] is not None and b["vaerdi"] is not None:
            pdf.line(x_of(i), y_of(a["vaerdi"]), x_of(i + 1), y_of(b["vaerdi"]))
    pdf.set_font(font, "", 7)
    pdf.set_text_color(0, 0, 0)
    for p in data["points"]:
        x, y = x_of(p["orden"]), y_of(p["vaerdi"])
        pdf.circle(x, y, 0.8, style="F")
        label = text(p["tekst"])
        # Above the point, or below it when it is under the target line; always inside the plot.
        y_text = y + 3.4 if p.get("under") else y - 1.4
        y_text = min(max(y_text, y0 + 2.5), y0 + PLOT_MM - 0.6)
        pdf.text(x - pdf.get_string_width(label) / 2, y_text, label)
    pdf.set_font(font, "", 6.5)
    pdf.set_text_color(*_rgb(GREY))
    for h in data["hidden"]:
        label = text(h["tekst"])
        pdf.text(x_of(h["orden"]) - pdf.get_string_width(label) / 2, y0 + PLOT_MM - 1.5, label)

    y = y0 + PLOT_MM + 6
    if data["bands"]:
        pdf.set_text_color(60, 60, 60)
        x = x0
        for name, colour in ZONES:
            pdf.set_fill_color(*_rgb(colour, BAND_OPACITY * 2))
            pdf.rect(x, y - 0.4, 3, 3, style="F")
            label = text(name)
            pdf.text(x + 4, y + 2.2, label)
            x += 4 + pdf.get_string_width(label) + 6
        y += 6
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    pdf.set_y(y)


# --- estimates with their intervals (the sagsmåling report) ----------------------------------

INTERVAL_ROW_MM = 9.0  # one figure: two rounds, each a line from low to high with a dot
INTERVAL_LABEL_MM = 62.0  # room for the label left of the plot
INTERVAL_LEGEND_MM = 7.0
INTERVAL_AXIS_MM = 6.0

Estimate = tuple[float, float, float] | str  # (share, low, high), or what to write instead


def interval_chart_height(items: Sequence) -> float:
    return INTERVAL_LEGEND_MM + INTERVAL_ROW_MM * len(items) + INTERVAL_AXIS_MM


def draw_intervals(pdf, font: str, items: Sequence[tuple[str, Estimate, Estimate]],
                   rounds: tuple[str, str], text=lambda s: s) -> None:
    """Each item's share in two rounds as a dot on a 0–100 % axis, its 95 % interval as the line
    through it (the earlier round grey above, the later blue below), so a reader sees at once
    whether the intervals overlap. An item without a figure says so (``"skjult"``) in the plot.
    Drawn at the current position across the text width; moves below the chart."""
    x_label, y0 = pdf.l_margin, pdf.get_y() + 1
    x0 = x_label + INTERVAL_LABEL_MM
    width = pdf.epw - INTERVAL_LABEL_MM - 12  # room right of 100 % for a value label
    colours = (_rgb(GREY), _rgb(BLUE))

    def x_of(v: float) -> float:
        return x0 + width * min(max(v, 0.0), 1.0)

    pdf.set_font(font, "", 7)
    x = x0
    for name, colour in zip(rounds, colours, strict=True):
        pdf.set_fill_color(*colour)
        pdf.circle(x + 1, y0 + 2, 0.9, style="F")
        pdf.set_text_color(0, 0, 0)
        label = text(name)
        pdf.text(x + 3, y0 + 3, label)
        x += 3 + pdf.get_string_width(label) + 6
    pdf.set_text_color(80, 80, 80)
    pdf.text(x, y0 + 3, text("– linjen er 95 %-intervallet"))

    top = y0 + INTERVAL_LEGEND_MM
    bottom = top + INTERVAL_ROW_MM * len(items)
    pdf.set_draw_color(215, 215, 215)
    pdf.set_line_width(0.1)
    pdf.set_font(font, "", 6.5)
    for i in range(6):
        v = i / 5
        pdf.line(x_of(v), top, x_of(v), bottom)
        label = text(f"{round(v * 100)} %")
        pdf.text(x_of(v) - pdf.get_string_width(label) / 2, bottom + 3.6, label)

    for k, (label, *estimates) in enumerate(items):
        y = top + INTERVAL_ROW_MM * k
        pdf.set_font(font, "", 7)
        pdf.set_text_color(0, 0, 0)
        for j, line in enumerate(_two_lines(pdf, label, INTERVAL_LABEL_MM - 3)):
            pdf.text(x_label, y + 3.4 + 3 * j, text(line))
        for j, (est, colour) in enumerate(zip(estimates, colours, strict=True)):
            ym = y + 2.6 + 3.6 * j
            pdf.set_font(font, "", 6.5)
            if isinstance(est, str):
                pdf.set_text_color(*_rgb(GREY))
                pdf.text(x0 + 1, ym + 1, text(est))
                continue
            share, low, high = est
            pdf.set_draw_color(*colour)
            pdf.set_fill_color(*colour)
            pdf.set_line_width(0.6)
            pdf.line(x_of(low), ym, x_of(high), ym)
            pdf.circle(x_of(share), ym, 1.0, style="F")
            pdf.set_text_color(*colour)
            pdf.text(x_of(high) + 1.5, ym + 1, text(f"{round(share * 100)} %"))
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_fill_color(255, 255, 255)  # a table drawn next would take the last fill colour
    pdf.set_line_width(0.2)
    pdf.set_y(bottom + INTERVAL_AXIS_MM)


def _two_lines(pdf, label: str, room: float) -> list[str]:
    """The label in at most two lines of ``room`` mm, the second cut with … if it must be."""
    lines, line = [], ""
    for word in label.split():
        trial = f"{line} {word}".strip()
        if line and pdf.get_string_width(trial) > room:
            lines.append(line)
            line = word
        else:
            line = trial
    lines.append(line)
    if len(lines) > 2:
        second = " ".join(lines[1:])
        while pdf.get_string_width(second + "…") > room and " " in second:
            second = second.rsplit(" ", 1)[0]
        lines = [lines[0], second + "…"]
    return lines
