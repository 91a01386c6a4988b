"""The demo plan's activity status history, seeded when the demo is built (kpis/data/demo.py),
so that a newcomer sees activities in every state on first start: done on time, done late, in
progress, overdue, abandoned and not started."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from kpis import DEFAULT_KPIS
from kpis.compute.engine import ALL
from kpis.plan.validate import plan_path

DEMO_ACTOR = "demodata"
# (activity, status, day, note), in the order they happened.
DEMO_CHANGES = (
    ("underretning_procedure", "i_gang", date(2025, 1, 20), "Arbejdsgruppe nedsat"),
    ("bfu_skabelon", "i_gang", date(2025, 1, 20), "Udkast til skabelon drøftet på fagmøde"),
    ("boernesamtale_tjekliste", "i_gang", date(2025, 1, 20), "Tjeklisten er skrevet"),
    ("underretning_vagtplan", "i_gang", date(2025, 2, 3), "Vagtplan sendt i høring"),
    ("ics_uddannelse", "i_gang", date(2025, 2, 10), "Første hold på kursus"),
    ("underretning_ugentligt_tilsyn", "i_gang", date(2025, 3, 3), "Fast punkt på teammødet"),
    ("bfu_gamle_undersoegelser", "i_gang", date(2025, 3, 10), "Liste over gamle undersøgelser"),
    ("boernesamtale_tjekliste", "gennemfoert", date(2025, 3, 28), "Tjeklisten bruges i alle teams"),
    ("handleplan_skabelon", "i_gang", date(2025, 4, 7), "Skabelonen afprøves i Team Øst"),
    ("handleplan_ledelsestilsyn", "i_gang", date(2025, 4, 15), "Første kvartalstilsyn holdt"),
    ("underretning_procedure", "gennemfoert", date(2025, 4, 25), "Proceduren er godkendt"),
    ("bfu_skabelon", "gennemfoert", date(2025, 5, 28), "Skabelonen er i fagsystemet"),
    ("boernesamtale_app", "i_gang", date(2025, 6, 10), "Leverandør valgt"),
    ("underretning_vagtplan", "gennemfoert", date(2025, 7, 10), "Vagtplanen gælder fra august"),
    ("boernesamtale_unge", "i_gang", date(2025, 9, 8), "Kursus bestilt"),
    ("ics_uddannelse", "gennemfoert", date(2025, 10, 15), "Alle rådgivere har gennemført"),
    ("boernesamtale_unge", "opgivet", date(2026, 1, 15),
     "Erstattet af det fælles kursus for hele afdelingen"),
)


def seed_demo_status(plan_file: Path | None = None, kpis_file: Path = DEFAULT_KPIS, *,
                     path: Path | None = None, audit_path: Path | None = None) -> int:
    """Record the demo's changes once (none when the plan already has a history); how many."""
    from kpis.access.roles import Role
    from kpis.plan import status_store as ss
    from kpis.plan.validate import PlanError, load_plan
    from kpis.rules.validate import KpiDefinitionError, load_and_validate

    try:
        plan = load_plan(plan_file or plan_path(), load_and_validate(kpis_file))
    except (PlanError, KpiDefinitionError) as exc:
        print(f"udviklingsplanens demo-status er ikke lagt ind: {exc}", file=sys.stderr)
        return 0
    if ss.history(plan.id, path=path):
        return 0
    known = {a.id for _, _, a in plan.activities()}
    changes = [c for c in DEMO_CHANGES if c[0] in known]  # a plan edited before the demo is built
    for activity, status, day, note in changes:
        ss.record_change(plan, activity, status, day, note, actor=DEMO_ACTOR, role=Role.ANALYST,
                         scope=ALL, path=path, audit_path=audit_path)
    return len(changes)
