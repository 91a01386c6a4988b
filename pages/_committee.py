"""Shared by the committee's pages (Overblik, Nøgletal): the period and comparison controls, kept
in the link, and the tile. Streamlit glue only; the rules are in ``kpis.present``.

Not a page (app.py lists the pages explicitly).
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from kpis.compute.periods import Period, PeriodKind, parse_period
from kpis.present.charts import sparkline_svg
from kpis.present.period_choice import (
    KIND_LABELS_DA,
    KIND_ORDER,
    Comparison,
    choices,
    is_complete,
    latest_complete,
    linked_period,
    period_label_da,
    resolve,
    resolve_comparison,
)
from kpis.present.tiles import Tile, format_value
from kpis.rules.definitions import Unit

QP_PERIOD, QP_COMPARISON, QP_KPI = "periode", "sammenlign", "kpi"
KEY_KIND, KEY_PERIOD, KEY_COMPARISON = "udvalg_periodetype", "udvalg_periode", "udvalg_sammenlign"
# Widget state is dropped when another page runs; these plain keys carry the choice across pages.
REMEMBER = {KEY_PERIOD: "_udvalg_periode", KEY_COMPARISON: "_udvalg_sammenlign"}
URL_WRITTEN = "_udvalg_url"  # what the pages last wrote to the link: anything else is a new link
DETAIL_PAGE = "pages/noegletal.py"

STATUS_BADGE = {"green": "green", "yellow": "yellow", "red": "red", "none": "gray"}
CHANGE_COLOR = {"better": "blue", "worse": "orange", "neutral": "gray"}


def _init(as_of: date, kinds: tuple[PeriodKind, ...]) -> None:
    """Fill the widgets' state from the link, else from this session's last choice, else the
    default (the latest complete quarter; compared with the previous period)."""
    state, qp = st.session_state, st.query_params
    written = state.get(URL_WRITTEN, {})
    for param, key in ((QP_PERIOD, KEY_PERIOD), (QP_COMPARISON, KEY_COMPARISON)):
        if qp.get(param) is not None and qp.get(param) != written.get(param):
            state.pop(key, None)  # a link (not this page's own URL) asks for another choice
    for key in (KEY_KIND, KEY_PERIOD, KEY_COMPARISON):
        if key in state:  # claimed as ours, so a widget on another page takes the value over
            state[key] = state[key]
    if KEY_PERIOD not in state:
        asked = qp.get(QP_PERIOD)
        p = resolve(asked or state.get(REMEMBER[KEY_PERIOD]), as_of, kinds)
        state[KEY_KIND] = p.kind.value
        state[KEY_PERIOD] = p.label
        if (asked and asked != written.get(QP_PERIOD)
                and linked_period(asked, as_of, kinds) is None):
            unknown_period_in_link(asked, period_label_da(p))
    if KEY_COMPARISON not in state:
        state[KEY_COMPARISON] = resolve_comparison(
            qp.get(QP_COMPARISON) or state.get(REMEMBER[KEY_COMPARISON])).value


def unknown_period_in_link(asked: str, shown_da: str) -> None:
    """One line when a link's ``periode=`` names no period, one not begun yet, or one this page
    does not offer."""
    from pages._access import shown_in_text

    st.info(f"Perioden »{shown_in_text(asked)}« i linket findes ikke eller kan ikke vises her "
            f"– du ser {shown_da}.")


def _kind_changed(as_of: date) -> None:
    kind = PeriodKind(st.session_state[KEY_KIND])
    st.session_state[KEY_PERIOD] = latest_complete(kind, as_of).label


def _period_text(label: str, as_of: date) -> str:
    p = parse_period(label)
    return period_label_da(p) + ("" if is_complete(p, as_of) else " (til dato)")


def period_controls(as_of: date, kinds: tuple[PeriodKind, ...] = KIND_ORDER
                    ) -> tuple[Period, Comparison]:
    """Period type, period and comparison, as widgets; the choice is written to the link.
    ``kinds``: the period kinds the reader may pick (``period_choice.kinds_for``)."""
    _init(as_of, kinds)
    kind = PeriodKind(st.session_state[KEY_KIND])
    options = [p.label for p in choices(kind, as_of)]
    current = st.session_state[KEY_PERIOD]
    if current not in options:  # an older period from a link stays selectable
        options.append(current)
    # wide enough for "12 måneder til og med september 2026 (til dato)"
    c1, c2, c3 = st.columns([1, 1.7, 1.6])
    c1.selectbox("Periodetype", [k.value for k in kinds], key=KEY_KIND,
                 format_func=lambda v: KIND_LABELS_DA[PeriodKind(v)],
                 on_change=_kind_changed, args=(as_of,))
    c2.selectbox("Periode", options, key=KEY_PERIOD, format_func=lambda v: _period_text(v, as_of))
    c3.radio("Sammenlign med", [c.value for c in Comparison], key=KEY_COMPARISON,
             format_func=lambda v: Comparison(v).label_da, horizontal=True)
    period = parse_period(st.session_state[KEY_PERIOD])
    comparison = Comparison(st.session_state[KEY_COMPARISON])
    for key, value in ((KEY_PERIOD, period.label), (KEY_COMPARISON, comparison.value)):
        st.session_state[REMEMBER[key]] = value
    st.query_params[QP_PERIOD] = period.label
    st.query_params[QP_COMPARISON] = comparison.value
    st.session_state[URL_WRITTEN] = {QP_PERIOD: period.label, QP_COMPARISON: comparison.value}
    return period, comparison


def link_params(period: Period, comparison: Comparison, **extra: str) -> dict[str, str]:
    return {QP_PERIOD: period.label, QP_COMPARISON: comparison.value, **extra}


def render_tile(tile: Tile, period: Period, comparison: Comparison, link: bool = True) -> None:
    """One KPI as a bordered tile: never colour alone — every colour is repeated in words."""
    with st.container(border=True, key=f"tile_{tile.kpi_id}"):
        st.markdown(f"**{tile.name}**")  # in full: a metric's own label is cut to one line
        change = tile.change
        st.metric(
            tile.name, tile.value_text, label_visibility="collapsed",
            delta=change.summary if change else None,
            delta_color=CHANGE_COLOR[change.tone] if change else "off",
            delta_arrow="off",  # the arrow is in the text, next to the word that explains it
        )
        values = [p.value for p in tile.trend]
        spark = sparkline_svg(values, min_span=0.10 if tile.unit is Unit.PERCENT
                              else 0.10 * max(values, default=0))
        if spark:
            st.image(spark, alt="Udvikling: " + ", ".join(
                f"{p.label} {format_value(p.value, tile.unit)}" for p in tile.trend))
        st.badge(tile.status_text, color=STATUS_BADGE.get(tile.status, "gray"))
        compared = f"{tile.comparison_da}: {tile.comparison_value_text}"
        lines = [tile.interval_text,  # a figure from a sample is an estimate: say how sure
                 f"Sammenlignet med {compared}" if change else f"{tile.change_text}. {compared}",
                 " · ".join(x for x in (tile.target_text, tile.n_explained, tile.numerator_text,
                                         tile.p90_text, tile.reference_text) if x),
                 " · ".join(x for x in (tile.overdue_text, tile.pending_text) if x)]
        if tile.trend_hidden:
            lines.append(f"Ikke vist i kurven ({tile.withheld_text}): "
                         f"{', '.join(tile.trend_hidden)}")
        # One caption, not five: every element is work for the browser, fourteen times over.
        st.caption("  \n".join(x for x in lines if x))
        if link:
            st.page_link(DETAIL_PAGE, label="Definition, udvikling og teams →",
                         query_params=link_params(period, comparison, **{QP_KPI: tile.kpi_id}))
