"""Versions of the udviklingsplan: a revised plan (new themes when goals are met) keeps the old one
readable. The same history as the KPI definitions (kpis/rules/history.py: every text stored once,
a log of who saved what and why, atomic saves, restore), in a folder of its own
(``$PEJLEMAERKER_PLAN_HISTORY``, else ``plan_history/`` beside the database); a save is checked
with the plan's validation instead of the definitions'."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kpis.plan.model import Plan
from kpis.plan.validate import validate_text
from kpis.rules import yaml_loader
from kpis.rules.definitions import KpiSet
from kpis.rules.history import DefinitionsHistory, Version
from kpis.rules.validate import Problem

PLAN_HISTORY_ENV = "PEJLEMAERKER_PLAN_HISTORY"


def default_plan_history_dir(db: Path) -> Path:
    return Path(os.environ.get(PLAN_HISTORY_ENV) or Path(db).parent / "plan_history")


@dataclass
class PlanHistory(DefinitionsHistory):
    kpiset: KpiSet | None = None

    def problems_of(self, text: str) -> list[Problem]:
        return validate_text(text, self.kpiset, self.kpis_path.name)[1]

    def plan_of(self, version: Version) -> Plan:
        """An old version as a plan, read for its structure only: a KPI it names may have been
        removed from the definitions since, and the old plan must stay readable."""
        return Plan.model_validate(yaml_loader.load(self.text_of(version))["plan"])


def plan_history_for(plan_path: Path, history_dir: Path, kpiset: KpiSet) -> PlanHistory:
    return PlanHistory(Path(plan_path), Path(history_dir), kpiset=kpiset)
