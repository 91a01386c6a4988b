"""The typed form of config/reviews.yaml: review programmes, their sampling rule and questions.

Structural checks live here (pydantic); checks against the data model (the case frame's columns
in ``applies_when`` and ``criteria``, KPI ids in ``prefill``) live in ``validate.py`` so that
every problem of a file is reported at once, with its line.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kpis import CONFIG_DIR
from kpis.rules.definitions import Pejlemaerke

DEFAULT_REVIEWS = CONFIG_DIR / "reviews.yaml"
REVIEWS_CONFIG_ENV = "PEJLEMAERKER_REVIEWS_CONFIG"  # not $PEJLEMAERKER_REVIEWS: that is the store


def reviews_config_path() -> Path:
    """The programmes the app reads: ``$PEJLEMAERKER_REVIEWS_CONFIG``, else config/reviews.yaml."""
    return Path(os.environ.get(REVIEWS_CONFIG_ENV) or DEFAULT_REVIEWS)

ID = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", min_length=2, max_length=60)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Purpose(str, Enum):
    LEDELSESTILSYN = "ledelsestilsyn"
    SAGSMAALING = "sagsmaaling"


class QuestionKind(str, Enum):
    LOVMEDHOLDELIGHED = "lovmedholdelighed"
    FAGLIG_KVALITET = "faglig_kvalitet"


class Answer(str, Enum):
    JA = "ja"
    DELVIST = "delvist"
    NEJ = "nej"
    IKKE_RELEVANT = "ikke_relevant"

    @property
    def label_da(self) -> str:
        return ANSWER_LABELS[self]


ANSWER_LABELS = {Answer.JA: "Ja", Answer.DELVIST: "Delvist", Answer.NEJ: "Nej",
                 Answer.IKKE_RELEVANT: "Ikke relevant"}
# Every question offers these; a programme may not drop one (the share's denominator needs them).
REQUIRED_ANSWERS = frozenset(Answer)
# A mangel may follow these answers only.
MANGEL_ANSWERS = frozenset({Answer.NEJ, Answer.DELVIST})


def round_label_da(round_id: str) -> str:
    """``statusmaaling_1`` → ``Statusmåling 1``; a ledelsestilsyn's round (its window) as it is."""
    text = round_id.replace("maaling", "måling").replace("_", " ")
    return text[:1].upper() + text[1:]


class CaseStep(str, Enum):
    UNDERRETNING = "underretning"
    BFU = "boernefaglig_undersoegelse"
    AFGOERELSE = "afgoerelse"
    PLAN = "plan"
    OPFOELGNING = "opfoelgning"
    BOERNESAMTALE = "boernesamtale"
    TILSYN = "tilsyn"


class LegalBasis(_Model):
    sel: str = Field(min_length=3)
    barnets_lov: str = Field(min_length=3)


class Prefill(_Model):
    """The engine's answer that pre-fills a question: the case's units of a deadline or share
    KPI in the review window (all met → ja, some → delvist, none → nej)."""

    kpi: ID


class Question(_Model):
    id: ID
    text: str = Field(min_length=5)
    guidance: str = Field(min_length=5)
    pejlemaerke: Pejlemaerke
    step: CaseStep
    legal_basis: LegalBasis
    kind: QuestionKind
    answers: tuple[Answer, ...] = tuple(Answer)
    applies_when: str | None = None
    prefill: Prefill | None = None

    @model_validator(mode="after")
    def _all_answers(self) -> Question:
        missing = REQUIRED_ANSWERS - set(self.answers)
        if missing:
            raise ValueError("svarmulighederne skal mindst være ja, delvist, nej og "
                             "ikke_relevant (mangler: " + ", ".join(sorted(a.value for a in missing))
                             + ")")
        if len(set(self.answers)) != len(self.answers):
            raise ValueError("en svarmulighed står to gange")
        return self


class PerCaseworker(_Model):
    """Ledelsestilsyn: ``n`` cases per caseworker per window, from their cases active in it,
    not a case reviewed within the last ``exclude_months`` months."""

    method: Literal["per_caseworker"]
    n: int = Field(ge=1, le=20)
    window: Literal["month", "quarter"]
    exclude_months: int = Field(default=6, ge=0, le=36)
    criteria: str | None = None


class RandomSample(_Model):
    """Sagsmåling: ``n`` cases at random (``simple``) or spread over the teams in proportion to
    their eligible cases (``team_stratified``), from the cases meeting ``criteria`` in the
    ``lookback_months`` before the snapshot date."""

    method: Literal["simple", "team_stratified"]
    n: int = Field(ge=1, le=1000)
    lookback_months: int = Field(default=12, ge=1, le=60)
    criteria: str | None = None


Sampling = Annotated[PerCaseworker | RandomSample, Field(discriminator="method")]


class Programme(_Model):
    id: ID
    name: str = Field(min_length=3)
    purpose: Purpose
    description: str = ""
    sampling: Sampling
    rounds: tuple[ID, ...] = ()
    questions: tuple[Question, ...] = Field(min_length=1)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)


class ReviewConfig(_Model):
    version: Literal[1] = 1
    programmes: tuple[Programme, ...]

    def __getitem__(self, programme_id: str) -> Programme:
        for p in self.programmes:
            if p.id == programme_id:
                return p
        raise KeyError(programme_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.programmes)
