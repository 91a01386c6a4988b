"""The structured forms of the plan editor: *Tilføj mål* and *Tilføj aktivitet* (docs/plan.md).

A form never writes the plan by itself: it inserts one goal or activity into the text of
config/plan.yaml and saves that text through the plan's history (``kpis.plan.versions``), so it
passes the same validation, needs the same reason and lands in the same log as an edit of the
YAML. The insertion works on the text, like the KPI editor's blocks (``kpis.rules.blocks``):
comments, blank lines and quoting stay as a person wrote them, and the diff shows the new lines
only.

A goal's baseline is not in the form: it is computed (``kpis.plan.progress.baseline``). Its
target is typed in the KPI's unit as people say it — a share as a percentage (90), stored as the
definitions store shares (0.9).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import yaml

from kpis.access.roles import Role, require_configure
from kpis.plan.versions import PlanHistory
from kpis.rules import yaml_loader
from kpis.rules.blocks import indent, item_span
from kpis.rules.definitions import KpiSet, Unit
from kpis.rules.history import Version

ASCII_DA = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})
MAX_ID_WORDS = 4


class EditError(ValueError):
    """The form's input cannot be placed in the plan (nothing was written)."""


# --- values from the form ------------------------------------------------------------------------

def target_of_input(value: float, unit: Unit) -> float:
    """A target as typed in the form, in the file's unit: a share typed in percent (90 → 0.9)."""
    return round(value / 100, 6) if unit is Unit.PERCENT else float(value)


@dataclass(frozen=True)
class TargetField:
    """How the form asks for a target in a unit: label, largest value, a first value, step."""

    label: str
    maximum: float
    default: float
    step: float


def target_field(unit: Unit) -> TargetField:
    if unit is Unit.PERCENT:
        return TargetField("Mål (procent, 0–100)", 100.0, 90.0, 1.0)
    label = {Unit.DAYS: "Mål (dage)", Unit.COUNT: "Mål (antal)",
             Unit.RATIO: "Mål (forholdstal)"}[unit]
    return TargetField(label, unit.maximum, 0.0, 1.0)


def slug(text: str) -> str:
    """A snake_case id from Danish text: "Ny procedure for underretninger" → ny_procedure_for_…"""
    text = unicodedata.normalize("NFKD", text.translate(ASCII_DA))
    words = re.findall(r"[a-z0-9]+", text.encode("ascii", "ignore").decode().lower())
    out = "_".join(words[:MAX_ID_WORDS]) or "punkt"
    return out if out[0].isalpha() else f"p_{out}"


def unique_id(base: str, taken: set[str]) -> str:
    """``base``, or ``base_2``, ``base_3`` … when it is taken (ids are unique across the plan)."""
    if base not in taken:
        return base
    n = 2
    while f"{base}_{n}" in taken:
        n += 1
    return f"{base}_{n}"


def goal_id(kpi_id: str, target: float, unit: Unit, taken: set[str]) -> str:
    """As the shipped plan names its goals: the KPI and the target (bfu_4_mdr_90)."""
    tail = f"{round(target * 100):d}" if unit is Unit.PERCENT else "maal"
    return unique_id(f"{kpi_id}_{tail}", taken)


# --- the text ------------------------------------------------------------------------------------

def ids_in(text: str) -> set[str]:
    """Every id of the plan's owners, themes, recommendations, goals and activities."""
    found: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("id"), str):
                found.add(node["id"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(_load(text).get("plan"))
    return found


def _load(text: str) -> dict:
    try:
        doc = yaml_loader.load(text)
    except yaml.YAMLError as exc:
        raise EditError(f"planen kan ikke læses som YAML ({exc}); ret den under YAML") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("plan"), dict):
        raise EditError("filen har ingen samling 'plan:'; ret den under YAML")
    return doc


def _find(items, item_id: str, what: str):
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("id") == item_id:
            return item
    raise EditError(f"planen har ikke {what} {item_id!r}")


def _key_column(lines: list[str], node: yaml_loader.LineDict) -> int:
    """The column of a mapping's keys (the item's '- ' counted on its first line)."""
    first = lines[min(node.key_lines.values()) - 1]
    stripped = first.lstrip(" ")
    if stripped.startswith("-"):
        rest = stripped[1:]
        return indent(first) + 1 + len(rest) - len(rest.lstrip(" "))
    return indent(first)


def _render(item: dict, column: int) -> list[str]:
    """One list item in block style, its dash at ``column``."""
    dumped = yaml.safe_dump([item], allow_unicode=True, sort_keys=False, width=10_000,
                            default_flow_style=False)
    return [" " * column + line + "\n" for line in dumped.splitlines()]


def insert_item(text: str, theme_id: str, recommendation_id: str, key: str, item: dict) -> str:
    """``text`` with ``item`` appended to the recommendation's list ``key`` (goals or
    activities); the list is made when the recommendation has none. Validation is the caller's
    next step (the history's save)."""
    doc = _load(text)
    theme = _find(doc["plan"].get("themes"), theme_id, "temaet")
    rec = _find(theme.get("recommendations"), recommendation_id, "anbefalingen")
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    column = _key_column(lines, rec)
    current = rec.get(key)
    if isinstance(current, yaml_loader.LineList) and current:
        first = lines[current.item_lines[0] - 1]
        if not first.lstrip(" ").startswith("-"):
            raise EditError(f"listen {key!r} står i én linje; skriv den i blokform under YAML")
        end = item_span(lines, current.item_lines[-1] - 1, "et punkt").end
        new = _render(item, indent(first))
    elif key in rec:  # "goals: []" or "goals:" with nothing: the key's line starts the list
        at = rec.key_lines[key] - 1
        if not re.fullmatch(r"\s*" + re.escape(key) + r":\s*(\[\s*\])?\s*(#.*)?\n?", lines[at]):
            raise EditError(f"listen {key!r} kan ikke læses; ret den under YAML")
        lines[at] = " " * column + f"{key}:\n"
        end, new = at + 1, _render(item, column + 2)
    else:
        # goals before activities, as in the shipped plan; otherwise after the recommendation
        if key == "goals" and "activities" in rec:
            end = rec.key_lines["activities"] - 1
        else:
            end = item_span(lines, rec.line - 1, "en anbefaling").end
        new = [" " * column + f"{key}:\n", *_render(item, column + 2)]
    return "".join(lines[:end] + new + lines[end:])


# --- the forms -----------------------------------------------------------------------------------

def add_goal(hist: PlanHistory, kpiset: KpiSet, *, role: Role, who: str, reason: str,
             theme_id: str, recommendation_id: str, text: str, kpi_id: str,
             target_input: float, by: date) -> tuple[Version, str]:
    """Add a goal tied to ``kpi_id`` and save it as a new version of the plan; (version, the
    goal's id). Raises ``PermissionError`` for a role that does not edit the plan, ``EditError``
    or the history's errors (``InvalidText`` with every problem, ``SaveConflict``, ``ValueError``
    without a reason) — in every case without writing."""
    require_configure(role)
    if kpi_id not in kpiset.ids:
        raise EditError(f"ukendt nøgletal {kpi_id!r}")
    unit = kpiset[kpi_id].unit
    target = target_of_input(target_input, unit)
    current, digest = hist.current()
    new_id = goal_id(kpi_id, target, unit, ids_in(current))
    item = {"id": new_id, "text": " ".join(text.split()), "kpi": kpi_id, "target": target,
            "by": by}
    new_text = insert_item(current, theme_id, recommendation_id, "goals", item)
    return hist.save(new_text, opened_hash=digest, who=who, reason=reason), new_id


def add_activity(hist: PlanHistory, *, role: Role, who: str, reason: str, theme_id: str,
                 recommendation_id: str, description: str, owner: str, start: date,
                 deadline: date) -> tuple[Version, str]:
    """Add an activity (its owner a role or team from the plan's owners) and save it as a new
    version of the plan; (version, the activity's id). Raises as ``add_goal``."""
    require_configure(role)
    description = " ".join(description.split())
    current, digest = hist.current()
    new_id = unique_id(slug(description), ids_in(current))
    item = {"id": new_id, "description": description, "owner": owner, "start": start,
            "deadline": deadline}
    new_text = insert_item(current, theme_id, recommendation_id, "activities", item)
    return hist.save(new_text, opened_hash=digest, who=who, reason=reason), new_id
