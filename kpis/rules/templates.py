"""A new KPI from a template, one per kind, and the delete that the editor offers.

Each template validates as it stands (a test guards that), so an analyst starts from something
that runs and changes it step by step. Its id is a placeholder: saving is refused until the id is
changed (``placeholder_problems``), because reports and history refer to KPIs by id for good.
"""

from __future__ import annotations

import re

from kpis.rules import blocks
from kpis.rules.definitions import Kind, KpiSet
from kpis.rules.validate import Problem

PLACEHOLDER_PREFIX = "nyt_noegletal"
PLACEHOLDER_IDS = {
    Kind.DEADLINE: f"{PLACEHOLDER_PREFIX}_frist",
    Kind.SHARE: f"{PLACEHOLDER_PREFIX}_andel",
    Kind.COUNT: f"{PLACEHOLDER_PREFIX}_antal",
    Kind.DURATION: f"{PLACEHOLDER_PREFIX}_varighed",
}
KIND_LABELS_DA = {
    Kind.DEADLINE: "Frist (andel gjort til tiden)",
    Kind.SHARE: "Andel (der opfylder et krav)",
    Kind.COUNT: "Antal (flow eller bestand)",
    Kind.DURATION: "Varighed (dage mellem to datoer)",
}

_COMMON_HEAD = """\
  - id: {id}   # skift id: små bogstaver, tal og _ (det kan ikke ændres senere)
    name: Nyt nøgletal (skriv navnet)
    description: >-
      Skriv her på almindeligt dansk, hvad nøgletallet viser, så et udvalgsmedlem kan forstå det.
"""

_BODIES = {
    Kind.DEADLINE: """\
    pejlemaerke: faglig_udredning
    legal_basis:
      barnets_lov: Barnets Lov § 20, stk. 3
      sel: Serviceloven § 50
    kind: deadline
    deadline:
      source: investigations
      start: aware_on
      completion: completed_on
      regime_date: aware_on
      due:
        sel: {months: 4}
        barnets_lov: {months: 4}
    unit: percent
    direction: higher_is_better
    target: 0.90
    thresholds: {green: 0.0, yellow: 0.10}
""",
    Kind.SHARE: """\
    pejlemaerke: valg_af_indsats
    legal_basis:
      barnets_lov: Barnets Lov § 91
      sel: Serviceloven § 140
    kind: share
    share:
      source: plans
      event_date: prepared_on
      condition: coalesce(goals_total, 0) >= 1
      regime_date: prepared_on
    rule_da: >-
      Skriv reglen på almindeligt dansk: hvad der tælles, og hvornår kravet er opfyldt (fx
      Planer udarbejdet i perioden. Kravet er opfyldt, når planen har mindst ét mål).
    unit: percent
    direction: higher_is_better
    target: 0.90
    thresholds: {green: 0.0, yellow: 0.10}
""",
    Kind.COUNT: """\
    pejlemaerke: styring
    context: true
    legal_basis: {}
    kind: count
    count:
      source: notifications
      event_date: received_at
      regime_date: received_at
    unit: count
    direction: lower_is_better
""",
    Kind.DURATION: """\
    pejlemaerke: styring
    context: true
    legal_basis: {}
    kind: duration
    duration:
      source: investigations
      start: aware_on
      end: completed_on
      regime_date: aware_on
    unit: days
    direction: lower_is_better
    target: 120
    thresholds: {green: 0, yellow: 30}
""",
}

_OWNER = "    owner: Skriv hvem der ejer definitionen\n"


def template(kind: Kind) -> str:
    """The YAML block of a new KPI of ``kind``, indented for the ``kpis:`` list."""
    return _COMMON_HEAD.format(id=PLACEHOLDER_IDS[kind]) + _BODIES[kind] + _OWNER


def add_template(text: str, kind: Kind) -> str:
    """The file with a new KPI of ``kind`` after the last one."""
    if PLACEHOLDER_IDS[kind] in blocks.kpi_ids(text):
        raise blocks.BlockError(
            f"der står allerede en skabelon med id'et {PLACEHOLDER_IDS[kind]!r}: skift dens id "
            "først")
    return blocks.append_kpi(text, template(kind))


def delete_kpi(text: str, kpi_id: str) -> str:
    """The file without ``kpi_id`` (the page asks for confirmation and a reason when saving)."""
    return blocks.delete_kpi(text, kpi_id)


def placeholder_problems(kpiset: KpiSet, text: str) -> list[Problem]:
    """A template whose id was not changed: reported like any validation problem."""
    out = []
    for kpi_id in kpiset.ids:
        if kpi_id.startswith(PLACEHOLDER_PREFIX):
            match = re.search(rf"^[ \t]*-[ \t]*id:[ \t]*{re.escape(kpi_id)}\b", text, re.MULTILINE)
            line = text.count("\n", 0, match.start()) + 1 if match else None
            out.append(Problem(kpiset.path or "kpis.yaml", line, kpi_id, "id",
                               "skabelonens id er ikke skiftet",
                               "giv nøgletallet sit eget id, fx bfu_3_mdr"))
    return out
