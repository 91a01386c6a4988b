"""A plan — the one in force or an old version — as a readable outline in Danish (markdown): themes,
recommendations, goals with their KPI and target, activities with owner and dates. The plan
editor shows an old version this way, so a revised plan keeps the old one readable (docs/plan.md,
*Versions*). An old version may name a KPI that has since been removed: it is shown by its id and
its target as written."""

from __future__ import annotations

from kpis.plan.model import Goal, Plan
from kpis.present.formatting import format_date_da
from kpis.present.tiles import format_value
from kpis.rules.definitions import KpiSet


def _goal_da(goal: Goal, kpiset: KpiSet) -> str:
    if goal.kpi in kpiset.ids:
        kpi = kpiset[goal.kpi]
        figure = f"{kpi.name}, mål {format_value(goal.target, kpi.unit)}"
    else:
        figure = f"nøgletallet `{goal.kpi}` (findes ikke længere), mål {goal.target:g}"
    return f"Mål: {goal.text} — {figure} senest {format_date_da(goal.by)}"


def outline_da(plan: Plan, kpiset: KpiSet) -> str:
    owners = {o.id: o.label for o in plan.owners}
    lines = [f"**{plan.title}** (start {format_date_da(plan.start)}"
             + (f"; godkendt af {plan.approved}" if plan.approved else "") + ")", ""]
    for theme in plan.themes:
        lines.append(f"- **{theme.title}**")
        for rec in theme.recommendations:
            lines.append(f"    - {rec.title}")
            lines += [f"        - {_goal_da(g, kpiset)}" for g in rec.goals]
            lines += [f"        - Aktivitet: {a.description} — {owners.get(a.owner, a.owner)}, "
                      f"{format_date_da(a.start)} til {format_date_da(a.deadline)}"
                      for a in rec.activities]
    return "\n".join(lines)
