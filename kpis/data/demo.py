"""The demo municipality: a deterministic, realistic export of a mid-sized Danish municipality's
children's cases, written in the `dubu_dk` dialect so it goes through the real import path.

    python -m kpis demo [--seed N] [--scale X] [--out DIR] [--as-of D] [--import --db FILE]

At scale 1: ~50,000 inhabitants, ~1,400 underretninger, ~400 BFUs, ~600 new support measures and
~35 placements a year, ~130 children in care, 5 teams of 4–6 caseworkers, from 1 January 2022 to
the as-of date. Compliance is near the national figures of domain.md, improves over time and
differs between teams (Team Syd weak, Team Øst strong). `--scale 100` is about Denmark.

The same seed, scale, as-of and start give byte-identical files: every random number comes from
generators seeded here, and nothing reads the clock.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from kpis.data import demo_bad, demo_export
from kpis.data.demo_bad import BadRow
from kpis.data.demo_bfu import investigations
from kpis.data.demo_cases import (
    Children,
    Span,
    legacy_placements,
    notification_outcomes,
    notifications_and_cases,
)
from kpis.data.demo_dist import d64, rng_for
from kpis.data.demo_followups import follow_ups, supervision_visits
from kpis.data.demo_interviews import interviews
from kpis.data.demo_measures import measures, plans
from kpis.data.demo_org import assign_caseworkers, build_org, cpr_numbers
from kpis.data.demo_tables import World, canonical_tables
from kpis.data.schema import TABLE_ORDER, TABLES
from kpis.data.upload import DEMO_SOURCE_PREFIX

DEMO_AS_OF = date(2026, 11, 20)
DEMO_START = date(2022, 1, 1)  # SEL years with Store Bededag (2022, 2023) and Barnets Lov years
DEMO_PROFILE = "dubu_dk"
WARM_UP_DAYS = 730  # simulate two years before `start` so the window opens in a steady state


@dataclass(frozen=True)
class DemoManifest:
    out_dir: Path
    seed: int
    scale: float
    as_of: date
    start: date
    rows: dict[str, int] = field(default_factory=dict)  # rows written per table (bad rows included)
    files: dict[str, str] = field(default_factory=dict)  # file name per table
    bad_rows: tuple[BadRow, ...] = ()  # (file, row number with header = 1, column, reason)


def simulate(seed: int, scale: float, as_of: date, start: date) -> World:
    """The municipality's case history as arrays, step by step in the order a case unfolds."""
    if scale <= 0:
        raise ValueError(f"skalaen skal være større end 0 (fik {scale})")
    if start >= as_of:
        raise ValueError(f"startdatoen {start:%d-%m-%Y} skal ligge før opgørelsesdatoen "
                         f"{as_of:%d-%m-%Y}")
    span = Span(scale, d64(start) - np.timedelta64(WARM_UP_DAYS, "D"), d64(start), d64(as_of))
    org = build_org(rng_for(seed, "org"), scale)
    legacy = legacy_placements(rng_for(seed, "legacy"), span)
    notes, opened, birth = notifications_and_cases(rng_for(seed, "notifications"), span,
                                                   legacy.birth)
    opened = np.concatenate([legacy.opened, opened])
    birth = np.concatenate([legacy.birth, birth])
    age = ((opened - birth) / np.timedelta64(1, "D") / 365.25).astype(int)
    cw = assign_caseworkers(rng_for(seed, "caseworkers"), org, age)
    quality = org.caseworker_quality[cw]
    team = org.caseworker_team[cw]
    notification_outcomes(rng_for(seed, "assessment"), notes, quality, span.as_of)
    bfus = investigations(rng_for(seed, "bfu"), notes, quality, span.as_of)
    m = measures(rng_for(seed, "measures"), bfus, legacy, birth, span.as_of)
    kids = Children(opened, birth, quality, team)
    p = plans(rng_for(seed, "plans"), m, kids, span.as_of)
    fus = follow_ups(rng_for(seed, "follow_ups"), m, bfus, quality, span.as_of)
    visits = supervision_visits(rng_for(seed, "visits"), m, quality, span.sim_start, span.as_of)
    ivs = interviews(rng_for(seed, "interviews"), notes, bfus, m, fus, visits, kids, span.as_of)
    return World(org, opened, birth, cw, cpr_numbers(rng_for(seed, "cpr"), birth), notes, bfus,
                 m, p, fus, visits, ivs)


def generate(
    out_dir: Path,
    *,
    seed: int = 1,
    scale: float = 1.0,
    as_of: date = DEMO_AS_OF,
    start: date | None = None,
) -> DemoManifest:
    """Write the demo export (one CSV per table) into `out_dir` and say what was written."""
    start = start or DEMO_START
    world = simulate(seed, scale, as_of, start)
    span_start = d64(start)
    tables = canonical_tables(world, rng_for(seed, "window"), span_start - WARM_UP_DAYS,
                              span_start, d64(as_of))
    profile = demo_export.load_profile(DEMO_PROFILE)
    text = {t: demo_export.to_text(t, tables[t], profile, rng_for(seed, f"text/{t}"))
            for t in TABLE_ORDER}
    files = {t: demo_export.file_name(profile, t) for t in TABLE_ORDER}
    text, bad = demo_bad.inject(text, rng_for(seed, "bad"), as_of, files)
    out_dir.mkdir(parents=True, exist_ok=True)
    for t in TABLE_ORDER:
        demo_export.write_csv(out_dir, t, text[t], profile)
    return DemoManifest(
        out_dir=out_dir,
        seed=seed,
        scale=scale,
        as_of=as_of,
        start=start,
        rows={t: text[t].height for t in TABLE_ORDER},
        files=files,
        bad_rows=tuple(bad),
    )


def _n(x: int) -> str:
    return f"{x:,}".replace(",", ".")  # Danish thousands separator


def summary_da(manifest: DemoManifest) -> str:
    scale = str(manifest.scale).replace(".", ",")
    period = f"{manifest.start:%d-%m-%Y} til {manifest.as_of:%d-%m-%Y}"
    head = f"Demodata skrevet til {manifest.out_dir} (frø {manifest.seed}, skala {scale}, {period}):"
    lines = [head]
    for t in TABLE_ORDER:
        lines.append(f"  {TABLES[t].label_da}: {_n(manifest.rows[t])} rækker "
                     f"({manifest.files[t]})")
    lines.append(f"{len(manifest.bad_rows)} fejlbehæftede rækker er lagt ind med vilje; "
                 "importen sætter dem i karantæne eller viser dem som fejl.")
    return "\n".join(lines)


def _import(out: Path, db: Path, as_of: date):
    # Imported lazily: the importer is a heavier module, and the generator must work without it.
    from kpis.data.importer import run_import
    from kpis.data.pseudonym import DEMO_KEY

    return run_import(out, db, profile=DEMO_PROFILE, as_of=as_of, pseudonym_key=DEMO_KEY)


def cli_demo(out: Path, seed: int, scale: float, as_of: date | None, db: Path | None) -> int:
    """`python -m kpis demo`: generate, summarise in Danish, and import when `db` is given."""
    from kpis.data.errors import ImportRefused

    as_of = as_of or DEMO_AS_OF
    try:
        manifest = generate(out, seed=seed, scale=scale, as_of=as_of)
    except ValueError as exc:
        print(f"Demodata kan ikke laves: {exc}", file=sys.stderr)
        return 2
    print(summary_da(manifest))
    if db is not None:
        try:
            result = _import(out, db, as_of)
        except ImportRefused as exc:
            print(f"Importen er afvist: {exc.message}", file=sys.stderr)
            return 2
        print()
        print(result.summary_text())
        _seed_plan()
    return 0


def ensure_demo_db(db: Path) -> None:
    """Build the demo database when there is none (the app's first start)."""
    if db.exists():
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=DEMO_SOURCE_PREFIX) as tmp:
        generate(Path(tmp), as_of=DEMO_AS_OF)
        _import(Path(tmp), db, DEMO_AS_OF)
    _seed_plan()
    # A newcomer sees case review working too: the demo's own sagsmåling (kpis/review/demo.py).
    from kpis.review.demo import seed_demo_reviews

    seed_demo_reviews(db)


def _seed_plan() -> None:
    """The demo udviklingsplan's activity statuses (config/plan.yaml), once."""
    from kpis.plan.demo_status import seed_demo_status

    seed_demo_status()
