"""Versions of the udviklingsplan: a revised plan (new themes when goals are met) keeps the old one
readable. The history is the one every edited file has (kpis/rules/history.py: every text stored
once, a log of who saved what and why, atomic saves, restore), in a folder of its own
(``$PEJLEMAERKER_PLAN_HISTORY``, else ``plan_history/`` beside the database); a save is checked
with the plan's validation against the KPI definitions in force."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from kpis.plan.model import Plan
from kpis.plan.validate import validate_text
from kpis.rules import yaml_loader
from kpis.rules.definitions import KpiSet
from kpis.rules.history import ConfigHistory, Version, default_history_dir

PLAN_HISTORY_ENV = "PEJLEMAERKER_PLAN_HISTORY"


def default_plan_history_dir(db: Path) -> Path:
    return default_history_dir(db, PLAN_HISTORY_ENV, "plan_history")


@dataclass
class PlanHistory(ConfigHistory):
    def plan_of(self, version: Version) -> Plan:
        """An old version as a plan, read for its structure only: a KPI it names may have been
        removed from the definitions since, and the old plan must stay readable. ``ValueError``
        for a version that was never a plan (an invalid edit made outside the app)."""
        try:
            return Plan.model_validate(yaml_loader.load(self.text_of(version))["plan"])
        except (yaml.YAMLError, KeyError, TypeError) as exc:
            raise ValueError(f"version {version.seq} kan ikke læses som en plan") from exc


def plan_history_for(plan_path: Path, history_dir: Path, kpiset: KpiSet) -> PlanHistory:
    """The plan's history; a save must validate against ``kpiset`` (the definitions in force)."""
    return PlanHistory(Path(plan_path), Path(history_dir),
                       lambda text, file: validate_text(text, kpiset, file)[1])
