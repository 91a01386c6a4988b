"""Validation of config/plan.yaml: every problem at once, each with file, line and field.

Two passes over the same document, like the KPI definitions (kpis/rules/validate.py): the
structure (pydantic), and the meaning, read from the raw document so that a structural problem in
one goal does not hide another goal's unknown KPI: every goal's KPI is one of config/kpis.yaml, its
target lies in that KPI's unit range, its target date after the plan's start; every activity's
owner is one of the plan's owners and its deadline not before its start; ids are unique across
the plan; no list of owners, themes or recommendations is empty.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import yaml
from pydantic import ValidationError

from kpis import CONFIG_DIR
from kpis.plan.model import Plan
from kpis.rules import expressions as ex
from kpis.rules import yaml_loader
from kpis.rules.definitions import KpiSet
from kpis.rules.validate import (
    Problem,
    check_top_keys,
    field_path,
    parse_yaml,
    pydantic_problems,
)

TOP_KEYS = ("version", "plan")
PLAN_ENV = "PEJLEMAERKER_PLAN"
DEFAULT_PLAN = CONFIG_DIR / "plan.yaml"


def plan_path() -> Path:
    """The plan the app reads: ``$PEJLEMAERKER_PLAN``, else ``config/plan.yaml``."""
    return Path(os.environ.get(PLAN_ENV) or DEFAULT_PLAN)


class PlanError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class _Collector:
    """The interface of kpis.rules.validate's collector, for its pydantic translation."""

    def __init__(self, file: str, doc):
        self.file, self.doc = file, doc
        self.problems: list[Problem] = []

    def add(self, path: tuple, item: str | None, message: str, hint: str = "") -> None:
        line = yaml_loader.line_of(self.doc, path) if self.doc is not None else None
        self.problems.append(Problem(self.file, line, item, field_path(path), message, hint))


def _items(node, key: str):
    value = node.get(key) if isinstance(node, dict) else None
    return [(i, x) for i, x in enumerate(value) if isinstance(x, dict)] \
        if isinstance(value, list) else []


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _check_meaning(col: _Collector, raw: dict, kpiset: KpiSet) -> None:
    base = ("plan",)
    seen: dict[str, tuple] = {}
    owners = {o.get("id") for _, o in _items(raw, "owners")}
    start = _date(raw.get("start"))

    def unique(path: tuple, node: dict) -> None:
        node_id = node.get("id")
        if not isinstance(node_id, str):
            return
        if node_id in seen:
            col.add(path + ("id",), node_id, f"id'et {node_id!r} findes allerede i planen",
                    f"første gang i {field_path(seen[node_id])}")
        seen.setdefault(node_id, path)

    for key in ("owners", "themes"):
        if raw.get(key) == []:
            col.add(base + (key,), None, "listen må ikke være tom")
    for i, owner in _items(raw, "owners"):
        unique(base + ("owners", i), owner)
    for ti, theme in _items(raw, "themes"):
        tp = base + ("themes", ti)
        unique(tp, theme)
        if theme.get("recommendations") == []:
            col.add(tp + ("recommendations",), theme.get("id"), "et tema skal have mindst én "
                    "anbefaling")
        for ri, rec in _items(theme, "recommendations"):
            rp = tp + ("recommendations", ri)
            unique(rp, rec)
            for gi, goal in _items(rec, "goals"):
                gp = rp + ("goals", gi)
                unique(gp, goal)
                _check_goal(col, gp, goal, kpiset, start)
            for ai, act in _items(rec, "activities"):
                ap = rp + ("activities", ai)
                unique(ap, act)
                first, last = _date(act.get("start")), _date(act.get("deadline"))
                if first and last and last < first:
                    col.add(ap + ("deadline",), act.get("id"), f"fristen ({last.isoformat()}) "
                            f"ligger før starten ({first.isoformat()})")
                owner = act.get("owner")
                if isinstance(owner, str) and owner not in owners:
                    near = ex.nearest(owner, {o for o in owners if isinstance(o, str)})
                    col.add(ap + ("owner",), act.get("id"), f"ukendt ansvarlig {owner!r}",
                            f"mente du {near!r}?" if near else
                            "en ansvarlig er en rolle eller et team fra listen 'owners'")


def _check_goal(col: _Collector, path: tuple, goal: dict, kpiset: KpiSet, start) -> None:
    goal_id = goal.get("id")
    kpi_id = goal.get("kpi")
    if isinstance(kpi_id, str):
        if kpi_id not in kpiset.ids:
            near = ex.nearest(kpi_id, kpiset.ids)
            col.add(path + ("kpi",), goal_id, f"ukendt nøgletal {kpi_id!r}",
                    f"mente du {near!r}?" if near else "se id'erne i config/kpis.yaml")
        else:
            unit = kpiset[kpi_id].unit
            target = goal.get("target")
            if isinstance(target, (int, float)) and not isinstance(target, bool) \
                    and not unit.in_range(float(target)):
                col.add(path + ("target",), goal_id,
                        f"målet {target} ligger uden for nøgletallets område",
                        f"{kpi_id} måles i {unit.range_da()}")
    by = _date(goal.get("by"))
    if by is not None and start is not None and by <= start:
        col.add(path + ("by",), goal_id, f"måldatoen {by.isoformat()} ligger ikke efter planens "
                f"start ({start.isoformat()})")


def validate_text(text: str, kpiset: KpiSet, file: str = "plan.yaml"
                  ) -> tuple[Plan | None, list[Problem]]:
    """(Plan or None, problems). The plan is returned only when there are no problems."""
    doc, problems = parse_yaml(text, file)
    if problems:
        return None, problems
    col = _Collector(file, doc)
    if not isinstance(doc, dict) or not isinstance(doc.get("plan"), dict):
        col.add((), None, "filen skal have en samling 'plan:'")
        return None, col.problems
    check_top_keys(col, doc, TOP_KEYS)
    plan = None
    try:
        plan = Plan.model_validate(doc["plan"])
    except ValidationError as err:
        pydantic_problems(col, err, ("plan",), None, Plan)
    _check_meaning(col, doc["plan"], kpiset)
    if col.problems:
        return None, col.problems
    return plan, []


def goal_kpis(path: Path) -> list[tuple[str, str]]:
    """(goal id, KPI id) of every goal in the plan file, read from its raw YAML (a plan that
    does not validate still names its KPIs); none when the file cannot be read."""
    try:
        doc = yaml_loader.load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    raw = doc.get("plan") if isinstance(doc, dict) else None
    return [(str(goal.get("id")), goal["kpi"])
            for _, theme in _items(raw, "themes") for _, rec in _items(theme, "recommendations")
            for _, goal in _items(rec, "goals") if isinstance(goal.get("kpi"), str)]


def kpis_the_plan_needs(kpiset: KpiSet, text: str) -> list[Problem]:
    """An extra check of the KPI definitions' editor (pages/_workspace.py): a KPI that a goal of
    the udviklingsplan the app reads is tied to is not removed or renamed while the goal names
    it — the plan would stop validating and the Udviklingsplan page stop showing."""
    return [Problem(kpiset.path or "kpis.yaml", None, kpi_id, "id",
                    f"udviklingsplanens mål {goal_id!r} bruger nøgletallet",
                    "ret eller fjern målet under Redigér udviklingsplan først")
            for goal_id, kpi_id in goal_kpis(plan_path()) if kpi_id not in kpiset.ids]


def load_plan(path: Path, kpiset: KpiSet) -> Plan:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError([Problem(str(path), None, None, "", f"kan ikke læses: {exc}")]) from exc
    plan, problems = validate_text(text, kpiset, str(path))
    if problems:
        raise PlanError(problems)
    return plan


def cli_validate_plan(path: Path, kpis_path: Path) -> int:
    from kpis.rules.validate import KpiDefinitionError, load_and_validate

    path = Path(path)
    if not path.is_file():
        print(f"{path}: filen findes ikke", file=sys.stderr)
        return 2
    try:
        kpiset = load_and_validate(kpis_path)
    except KpiDefinitionError as exc:
        print(f"nøgletallene i {kpis_path} er ugyldige, så planens mål kan ikke kontrolleres:\n"
              f"{exc}", file=sys.stderr)
        return 2
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{path} kan ikke læses som UTF-8-tekst: {exc}", file=sys.stderr)
        return 2
    plan, problems = validate_text(text, kpiset, str(path))
    if problems:
        print(f"{len(problems)} problem(er) i {path}:")
        for p in problems:
            print(f"  - {p}")
        return 1
    print(f"{path}: {len(plan.themes)} temaer, {len(plan.goals())} mål, "
          f"{len(plan.activities())} aktiviteter, ingen problemer.")
    return 0
