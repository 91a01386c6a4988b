"""The KPI catalogue: each key figure as the definitions say it, and its story in the history.

Everything comes from the validated definitions (``kpis.present.counting`` for how it is counted)
and from the version history (``kpis.rules.history``): when the KPI was added or last changed, by
whom and why, and every change of its target. Nothing is written by hand, so the catalogue cannot
disagree with what the engine computes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import yaml

from kpis.present.counting import Line, goal_lines, how_counted, legal_basis_lines
from kpis.present.formatting import format_date_da, format_datetime_da
from kpis.present.tiles import CONTEXT_SECTION_DA, format_value
from kpis.rules import yaml_loader
from kpis.rules.definitions import KIND_SPEC_FIELD, Kind, Unit
from kpis.rules.history import Version

KIND_DA = {Kind.DEADLINE: "frist", Kind.SHARE: "andel", Kind.COUNT: "antal",
           Kind.DURATION: "varighed"}


@dataclass(frozen=True)
class Change:
    """One version in which a KPI's definition changed."""

    version: Version
    what: str  # "tilføjet", "ændret", "fjernet"
    fields: tuple[str, ...]  # the top-level fields that changed
    target_before: str | None
    target_after: str | None

    @property
    def target_changed(self) -> bool:
        return self.target_before != self.target_after

    @property
    def when_da(self) -> str:
        return format_datetime_da(self.version.at)


@dataclass(frozen=True)
class Entry:
    kpi_id: str
    name: str
    section: str  # the pejlemærke, or "Kontekst"
    kind_da: str
    description: str
    legal_basis: list[Line]
    counted: list[Line]  # how it is counted in plain Danish, then its goal and traffic light
    definition: list[Line]  # the same with the columns and expressions, for analysts
    goal: list[Line]
    owner: str
    changes: list[Change]  # oldest first

    @property
    def last_change(self) -> Change | None:
        return self.changes[-1] if self.changes else None

    @property
    def target_changes(self) -> list[Change]:
        return [c for c in self.changes if c.target_changed]


def _raw_kpis(text: str) -> dict[str, dict]:
    """The KPIs of one version as plain mappings (a version that does not parse has none)."""
    try:
        doc = yaml_loader.load(text)
    except yaml.YAMLError:
        return {}
    items = doc.get("kpis") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return {}
    return {i["id"]: i for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)}


def target_text(raw_target, unit: Unit) -> str | None:
    """A raw ``target`` (a number or steps from a date) as a reader sees it."""
    if raw_target is None or raw_target == []:
        return None
    try:
        if isinstance(raw_target, (int, float)):
            return format_value(float(raw_target), unit)
        return "; ".join(
            f"fra {format_date_da(date.fromisoformat(str(s['from'])))}: "
            f"{format_value(float(s['value']), unit)}" for s in raw_target)
    except (TypeError, ValueError, KeyError):
        return str(raw_target)  # an odd old version: shown as written


def changes_of(kpi_id: str, unit: Unit, versions: Sequence[Version],
               text_of: Callable[[Version], str]) -> list[Change]:
    """The versions (oldest first) in which ``kpi_id`` was added, changed or removed."""
    out: list[Change] = []
    before: dict | None = None
    for version in sorted(versions, key=lambda v: v.seq):
        after = _raw_kpis(text_of(version)).get(kpi_id)
        if after == before:
            continue
        if before is None:
            what, fields = "tilføjet", ()
        elif after is None:
            what, fields = "fjernet", ()
        else:
            what = "ændret"
            fields = tuple(k for k in dict.fromkeys([*before, *after])
                           if before.get(k) != after.get(k))
        out.append(Change(version, what, fields,
                          target_text((before or {}).get("target"), unit),
                          target_text((after or {}).get("target"), unit)))
        before = after
    return out


def build_catalogue(kpiset, versions: Sequence[Version] = (),
                    text_of: Callable[[Version], str] | None = None) -> list[Entry]:
    """One entry per KPI in file order; without a history the changes are empty."""
    entries = []
    for kpi in kpiset:
        changes = changes_of(kpi.id, kpi.unit, versions, text_of) if text_of else []
        entries.append(Entry(
            kpi_id=kpi.id, name=kpi.name,
            section=CONTEXT_SECTION_DA if kpi.context else kpi.pejlemaerke.label_da,
            kind_da=KIND_DA[kpi.kind], description=kpi.description,
            legal_basis=legal_basis_lines(kpi), counted=how_counted(kpi, plain=True),
            definition=how_counted(kpi), goal=goal_lines(kpi),
            owner=kpi.owner, changes=changes,
        ))
    return entries


FIELD_DA = {"name": "navn", "description": "beskrivelse", "pejlemaerke": "pejlemærke",
            "legal_basis": "lovgrundlag", "kind": "type", "unit": "enhed",
            "direction": "retning", "target": "mål", "thresholds": "tærskler",
            "reference": "landstal", "owner": "ejer", "context": "kontekst",
            **{f: "opgørelsesregel" for f in KIND_SPEC_FIELD.values()}}


def fields_da(fields: Sequence[str]) -> str:
    return ", ".join(dict.fromkeys(FIELD_DA.get(f, f) for f in fields))
