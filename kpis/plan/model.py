"""The typed form of config/plan.yaml (docs/plan.md).

A plan holds themes; a theme holds recommendations; a recommendation holds goals (a KPI, a target
value in the KPI's unit and a target date) and activities (what the department does to get there).
An activity's status is not here: it changes at runtime and lives in ``kpis.plan.status_store``.
Models forbid unknown keys and are frozen, like the KPI definitions; the checks that need more
than one field (dates in order, ids unique, lists not empty) are in ``kpis.plan.validate``.
"""

from __future__ import annotations

from datetime import date
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, field_validator

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _text(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("må ikke være tom")
    return value


class ActivityStatus(str, Enum):
    NOT_STARTED = "ikke_startet"
    IN_PROGRESS = "i_gang"
    DONE = "gennemfoert"
    ABANDONED = "opgivet"

    @property
    def label_da(self) -> str:
        return STATUS_LABELS[self]

    @property
    def closed(self) -> bool:
        """A done or abandoned activity can no longer be overdue."""
        return self in (ActivityStatus.DONE, ActivityStatus.ABANDONED)


STATUS_LABELS = {
    ActivityStatus.NOT_STARTED: "Ikke startet",
    ActivityStatus.IN_PROGRESS: "I gang",
    ActivityStatus.DONE: "Gennemført",
    ActivityStatus.ABANDONED: "Opgivet",
}


class Owner(_Model):
    """Who carries out activities: a role or a team, never a named person (committee views show
    it). ``team`` ties it to a team in the case system's export: that team's leader updates it."""

    id: str = Field(pattern=ID_PATTERN)
    label: str
    team: str | None = None

    _label = field_validator("label")(_text)


class Goal(_Model):
    id: str = Field(pattern=ID_PATTERN)
    text: str  # the goal in the plan's own words
    kpi: str
    target: float
    by: date = Field(ge=FIRST_DAY, le=LAST_DAY)

    _t = field_validator("text")(_text)


class Activity(_Model):
    id: str = Field(pattern=ID_PATTERN)
    description: str
    owner: str
    start: date = Field(ge=FIRST_DAY, le=LAST_DAY)
    deadline: date = Field(ge=FIRST_DAY, le=LAST_DAY)

    _d = field_validator("description")(_text)


class Recommendation(_Model):
    id: str = Field(pattern=ID_PATTERN)
    title: str
    goals: tuple[Goal, ...] = ()
    activities: tuple[Activity, ...] = ()

    _t = field_validator("title")(_text)


class Theme(_Model):
    id: str = Field(pattern=ID_PATTERN)
    title: str
    recommendations: tuple[Recommendation, ...]

    _t = field_validator("title")(_text)


class Plan(_Model):
    id: str = Field(pattern=ID_PATTERN)
    title: str
    start: date = Field(ge=FIRST_DAY, le=LAST_DAY)
    approved: str | None = None  # e.g. "Børne- og Familieudvalget 12-12-2024"
    owners: tuple[Owner, ...]
    themes: tuple[Theme, ...]

    _t = field_validator("title")(_text)

    # --- look-ups --------------------------------------------------------------------------------
    def goals(self) -> list[tuple[Theme, Recommendation, Goal]]:
        return [(t, r, g) for t in self.themes for r in t.recommendations for g in r.goals]

    def activities(self) -> list[tuple[Theme, Recommendation, Activity]]:
        return [(t, r, a) for t in self.themes for r in t.recommendations for a in r.activities]

    def owner(self, owner_id: str) -> Owner:
        return next(o for o in self.owners if o.id == owner_id)

    def activity(self, activity_id: str) -> Activity:
        found = [a for _, _, a in self.activities() if a.id == activity_id]
        if not found:
            raise KeyError(f"planen har ingen aktivitet {activity_id!r}")
        return found[0]

    def goals_for_kpi(self, kpi_id: str) -> list[tuple[Theme, Recommendation, Goal]]:
        """The plan goals a KPI serves (the KPI's detail page lists them)."""
        return [(t, r, g) for t, r, g in self.goals() if g.kpi == kpi_id]
