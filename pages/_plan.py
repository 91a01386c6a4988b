"""The udviklingsplan's goals beside a KPI (the KPI's page): which goals the figure serves."""

from __future__ import annotations

import streamlit as st

from kpis.plan.validate import PlanError, load_plan, plan_path
from kpis.present.plan_view import goals_of_kpi_da


def plan_goals(kpi, kpiset) -> None:
    try:
        plan = load_plan(plan_path(), kpiset)
    except PlanError:
        st.caption("Udviklingsplanen kan ikke læses lige nu; se siden Udviklingsplan.")
        return
    lines = goals_of_kpi_da(plan, kpi.id, kpiset)
    if lines:
        st.subheader("Mål i udviklingsplanen")
        st.markdown("\n".join(f"- {line}" for line in lines))
