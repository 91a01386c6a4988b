"""KPI definitions: the typed form of config/kpis.yaml (docs/kpi-definitions.md).

Models forbid unknown keys and are frozen. Structural checks live here (pydantic); checks that need
the data model (sources, columns, expressions) live in ``validate.py`` so that all problems of a
file are collected and reported at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from enum import Enum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from kpis.rules.regime import Regime


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pejlemaerke(str, Enum):
    FAGLIG_UDREDNING = "faglig_udredning"
    VALG_AF_INDSATS = "valg_af_indsats"
    OPFOELGNING = "opfoelgning"
    INDDRAGELSE = "inddragelse"
    STYRING = "styring"  # the fifth, "styring og faglig ledelse": context figures

    @property
    def label_da(self) -> str:
        return PEJLEMAERKE_LABELS[self]


PEJLEMAERKE_LABELS = {
    Pejlemaerke.FAGLIG_UDREDNING: "Faglig udredning",
    Pejlemaerke.VALG_AF_INDSATS: "Valg af indsats",
    Pejlemaerke.OPFOELGNING: "Opfølgning",
    Pejlemaerke.INDDRAGELSE: "Inddragelse",
    Pejlemaerke.STYRING: "Styring og faglig ledelse",
}


class Kind(str, Enum):
    DEADLINE = "deadline"
    SHARE = "share"
    COUNT = "count"
    DURATION = "duration"


class Unit(str, Enum):
    PERCENT = "percent"  # values 0–1, shown as "87,5 %"
    COUNT = "count"
    DAYS = "days"
    RATIO = "ratio"  # e.g. open cases per caseworker

    @property
    def maximum(self) -> float:
        """The largest target, threshold or reference that makes sense in this unit
        (docs/kpi-definitions.md, "Ranges")."""
        return UNIT_MAXIMUM[self]

    def in_range(self, value: float) -> bool:
        return math.isfinite(value) and 0.0 <= value <= self.maximum

    def range_da(self) -> str:
        if self is Unit.PERCENT:
            return "0–1 for procent; skriv 0.95 for 95 %"
        return f"0–{self.maximum:,.0f}".replace(",", ".")


# A share is 0–1; ten years is longer than any case step; no municipality counts ten million.
UNIT_MAXIMUM = {Unit.PERCENT: 1.0, Unit.DAYS: 3660.0, Unit.COUNT: 10_000_000.0,
                Unit.RATIO: 10_000_000.0}

# Due rules, in their own units (docs/kpi-definitions.md, "Ranges"): the law's deadlines are 24
# hours, 6 hverdage and 3-6 months; the limits leave room for a municipality's own standards and
# keep every due date inside the calendar and DuckDB's date range.
MAX_HOURS = 8760  # one year
MAX_MONTHS = 120  # ten years
MAX_HVERDAGE = 260  # about one year of working days


class Direction(str, Enum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class Status(str, Enum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    NONE = "none"


class TargetStep(_Model):
    from_: date = Field(alias="from", ge=date(1900, 1, 1), le=date(2100, 12, 31))
    value: float


class Thresholds(_Model):
    """How far a value may fall short of the target (in the KPI's unit) and still be green/yellow."""

    green: float = 0.0
    yellow: float

    @model_validator(mode="after")
    def _order(self) -> Thresholds:
        if not (math.isfinite(self.green) and math.isfinite(self.yellow)):
            raise ValueError("tærsklerne skal være tal")
        if self.green < 0 or self.yellow < 0:
            raise ValueError("tærsklerne er afstande fra målet og kan ikke være negative")
        if self.green > self.yellow:
            raise ValueError(
                f"tærsklerne står i forkert rækkefølge: grøn ({self.green}) skal være mindre end "
                f"eller lig gul ({self.yellow})"
            )
        return self


class Reference(_Model):
    value: float
    year: str
    source: str


class LegalBasis(_Model):
    barnets_lov: str | None = None
    sel: str | None = None

    def for_regime(self, regime: Regime) -> str | None:
        return self.barnets_lov if regime is Regime.BARNETS_LOV else self.sel


class DueRule(_Model):
    """One way of computing a due moment. Exactly one of hours, months, hverdage, column."""

    hours: int | None = Field(default=None, ge=1, le=MAX_HOURS)
    months: int | None = Field(default=None, ge=0, le=MAX_MONTHS)
    hverdage: int | None = Field(default=None, ge=1, le=MAX_HVERDAGE)
    column: str | None = None  # a recorded due date (e.g. next_due_on) ...
    # ... with a fallback when it is empty
    else_months: int | None = Field(default=None, ge=0, le=MAX_MONTHS)
    or_earlier: str | None = None  # a date column that brings the due date forward
    when: str | None = None  # applies only to units where this expression holds
    label: str | None = None  # Danish, shown as the rule applied

    @model_validator(mode="after")
    def _one_kind(self) -> DueRule:
        chosen = [k for k in ("hours", "months", "hverdage", "column") if getattr(self, k) is not None]
        if len(chosen) != 1:
            raise ValueError(
                "en fristregel skal have præcis én af hours, months, hverdage eller column"
                + (f" (fandt {', '.join(chosen)})" if chosen else "")
            )
        if self.else_months is not None and self.column is None:
            raise ValueError("else_months gælder kun sammen med column")
        if self.hours is not None and self.or_earlier is not None:
            raise ValueError("or_earlier kan ikke bruges med hours")
        return self

    def describe_da(self, name_of: Callable[[str], str] = str) -> str:
        """The rule in words; ``name_of`` turns a column into what the reader calls it."""
        if self.label:
            return self.label
        if self.hours is not None:
            text = f"{self.hours} timer fra modtagelse"
        elif self.hverdage is not None:
            text = f"{self.hverdage} hverdage"
        elif self.months is not None:
            text = "samme dag" if self.months == 0 else f"{self.months} måneder"
        else:
            text = f"registreret frist ({name_of(self.column)})"
            if self.else_months is not None:
                text += f", ellers {self.else_months} måneder"
        if self.or_earlier:
            text += f", eller tidligere ved {name_of(self.or_earlier)}"
        return text


DueRules = DueRule | tuple[DueRule, ...]


class DueByRegime(_Model):
    sel: DueRules
    barnets_lov: DueRules

    def rules(self, regime: Regime) -> tuple[DueRule, ...]:
        r = self.sel if regime is Regime.SEL else self.barnets_lov
        return (r,) if isinstance(r, DueRule) else r


class DeadlineSpec(_Model):
    source: str
    filter: str | None = None
    start: str
    completion: str
    regime_date: str
    due: DueByRegime
    ends_on: str | None = None  # a unit that ended before its due date without completion is dropped
    # After this date nobody can still complete the step (its measure ended): late, never open.
    # ``ends_on`` implies it; ``closes_on`` alone leaves the counting as it is.
    closes_on: str | None = None

    @property
    def closed_by(self) -> str | None:
        return self.closes_on or self.ends_on


class ShareSpec(_Model):
    source: str
    filter: str | None = None
    event_date: str
    condition: str
    regime_date: str | None = None


class CountSpec(_Model):
    source: str
    filter: str | None = None
    event_date: str | None = None  # a flow: rows whose event date is in the period
    open_from: str | None = None  # a stock: rows open on the period's last day ...
    open_until: str | None = None  # ... (open_from <= day < open_until or open_until empty)
    per: str | None = None  # divide by the number of distinct values of this column
    regime_date: str | None = None

    @model_validator(mode="after")
    def _flow_or_stock(self) -> CountSpec:
        if (self.event_date is None) == (self.open_from is None):
            raise ValueError("en optælling skal have enten event_date (flow) eller open_from (bestand)")
        return self


class DurationSpec(_Model):
    source: str
    filter: str | None = None
    start: str
    end: str
    regime_date: str | None = None


class _KpiBase(_Model):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    name: str = Field(min_length=3)
    description: str = Field(min_length=10)
    # The counting rule in plain Danish for the committee (which cases count and, for a share,
    # what meets the requirement): required where the rule uses an expression, which only an
    # analyst reads (validate.py).
    rule_da: str | None = None
    pejlemaerke: Pejlemaerke
    legal_basis: LegalBasis
    unit: Unit
    direction: Direction
    target: tuple[TargetStep, ...] = ()
    thresholds: Thresholds | None = None
    reference: Reference | None = None
    owner: str
    context: bool = False  # a context figure beside the KPIs, not a council target

    @field_validator("target", mode="before")
    @classmethod
    def _scalar_target(cls, v):
        if isinstance(v, (int, float)):
            return ({"from": "2000-01-01", "value": v},)
        return v

    @field_validator("target", mode="after")
    @classmethod
    def _targets(cls, target: tuple[TargetStep, ...], info: ValidationInfo):
        # Checked per field, not after the whole model, so it is reported with other problems.
        unit = info.data.get("unit")
        for step in target:
            if unit is not None and not unit.in_range(step.value):
                raise ValueError(
                    f"målet {step.value} ligger uden for enhedens område ({unit.range_da()})")
        froms = [s.from_ for s in target]
        if froms != sorted(froms) or len(set(froms)) != len(froms):
            raise ValueError("målets datoer (from) skal være stigende og forskellige")
        return target

    @field_validator("thresholds", mode="after")
    @classmethod
    def _thresholds(cls, thresholds: Thresholds | None, info: ValidationInfo):
        # A distance from the target in the KPI's unit: a share cannot fall more than 1 short.
        unit = info.data.get("unit")
        if thresholds and unit is not None and not (
                unit.in_range(thresholds.green) and unit.in_range(thresholds.yellow)):
            raise ValueError(f"tærsklerne ligger uden for enhedens område ({unit.range_da()})")
        return thresholds

    @field_validator("reference", mode="after")
    @classmethod
    def _reference(cls, reference: Reference | None, info: ValidationInfo):
        unit = info.data.get("unit")
        if reference and unit is not None and not unit.in_range(reference.value):
            raise ValueError(f"referenceværdien {reference.value} ligger uden for enhedens område "
                             f"({unit.range_da()})")
        return reference

    def target_on(self, day: date) -> float | None:
        value = None
        for step in self.target:
            if step.from_ <= day:
                value = step.value
        return value

    def status(self, value: float | None, day: date) -> Status:
        target = self.target_on(day)
        if value is None or target is None or self.thresholds is None:
            return Status.NONE
        shortfall = target - value if self.direction is Direction.HIGHER_IS_BETTER else value - target
        eps = 1e-9
        if shortfall <= self.thresholds.green + eps:
            return Status.GREEN
        if shortfall <= self.thresholds.yellow + eps:
            return Status.YELLOW
        return Status.RED


class DeadlineKpi(_KpiBase):
    kind: Literal[Kind.DEADLINE]
    deadline: DeadlineSpec

    @property
    def spec(self) -> DeadlineSpec:
        return self.deadline


class ShareKpi(_KpiBase):
    kind: Literal[Kind.SHARE]
    share: ShareSpec

    @property
    def spec(self) -> ShareSpec:
        return self.share


class CountKpi(_KpiBase):
    kind: Literal[Kind.COUNT]
    count: CountSpec

    @property
    def spec(self) -> CountSpec:
        return self.count


class DurationKpi(_KpiBase):
    kind: Literal[Kind.DURATION]
    duration: DurationSpec

    @property
    def spec(self) -> DurationSpec:
        return self.duration


Kpi = Annotated[
    DeadlineKpi | ShareKpi | CountKpi | DurationKpi, Field(discriminator="kind")
]

KIND_SPEC_FIELD = {Kind.DEADLINE: "deadline", Kind.SHARE: "share", Kind.COUNT: "count",
                   Kind.DURATION: "duration"}


class KpiFile(_Model):
    version: Literal[1] = 1
    kpis: tuple[Kpi, ...]


class KpiSet:
    """The validated definitions, looked up by id, in file order."""

    def __init__(self, kpis: tuple, source_text: str = "", path: str = ""):
        self._kpis = {k.id: k for k in kpis}
        self.source_text = source_text
        self.path = path

    def __iter__(self):
        return iter(self._kpis.values())

    def __len__(self) -> int:
        return len(self._kpis)

    def __contains__(self, kpi_id: str) -> bool:
        return kpi_id in self._kpis

    def __getitem__(self, kpi_id: str):
        try:
            return self._kpis[kpi_id]
        except KeyError:
            raise KeyError(f"ukendt nøgletal {kpi_id!r}") from None

    @property
    def ids(self) -> list[str]:
        return list(self._kpis)

    @property
    def version(self) -> str:
        """A content hash: caches keyed on it are invalidated exactly when definitions change."""
        import hashlib

        return hashlib.sha256(self.source_text.encode("utf-8")).hexdigest()[:16]


def load_kpis(path) -> KpiSet:
    """Load and fully validate a definitions file; raises ``KpiDefinitionError`` listing every problem."""
    from kpis.rules.validate import load_and_validate

    return load_and_validate(path)
