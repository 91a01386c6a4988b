"""The demo's own case reviews, built with the demo data so a newcomer sees the feature working
on first start: a completed nulpunktsmåling and, a year later, a half-done
statusmåling, with a few mangler. Deterministic (a fixed seed); not audited (no person did
them); built only when the reviews file has no sagsmåling yet, so real reviews are never touched.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from kpis.data.snapshot import hold_snapshot
from kpis.review import store
from kpis.review.model import DEFAULT_REVIEWS, Answer
from kpis.review.service import applicability, draw_sample
from kpis.review.validate import load_and_validate

DEMO_SEED = 2026
PROGRAMME = "sagsmaaling"
DEMO_ACTOR = store.Actor("demo", "analyst", audited=False)
# How the demo municipality answers: better in the statusmåling than in the nulpunktsmåling.
ODDS = {"nulpunktsmaaling": (0.55, 0.20, 0.20, 0.05), "statusmaaling_1": (0.75, 0.12, 0.08, 0.05)}


def _answer(rng: random.Random, round_: str) -> str:
    ja, delvist, nej, _ = ODDS[round_]
    x = rng.random()
    if x < ja:
        return Answer.JA.value
    if x < ja + delvist:
        return Answer.DELVIST.value
    if x < ja + delvist + nej:
        return Answer.NEJ.value
    return Answer.IKKE_RELEVANT.value


def seed_demo_reviews(db: Path, config_file: Path = DEFAULT_REVIEWS, *,
                      path: Path | None = None) -> int:
    """Build the demo reviews over the demo snapshot ``db``; returns the reviews completed
    (0 when the reviews file already has a sagsmåling)."""
    if not store.samples(PROGRAMME, path=path).is_empty():
        return 0
    programme = load_and_validate(config_file)[PROGRAMME]
    held = hold_snapshot(db)
    conn = held.connect()
    completed = 0
    try:
        as_of = held.meta.as_of
        # Both drawn about eleven weeks before the export, a year apart, and reviewed in the
        # following weeks: the latest complete quarter shows the statusmåling, a year earlier
        # the nulpunktsmåling.
        status_drawn = as_of - timedelta(days=80)
        rounds = (("nulpunktsmaaling", status_drawn - timedelta(days=364), 1.0),
                  ("statusmaaling_1", status_drawn, 0.5))
        for round_, drawn_on, share_done in rounds:
            draft = draw_sample(conn, held.meta.snapshot_id, drawn_on, programme, DEMO_SEED,
                                round_=round_, reviews_db=path)
            sample_id = store.save_sample(draft.sample, DEMO_ACTOR, path=path)
            applies = applicability(conn, programme, draft.window)
            rng = random.Random(f"{DEMO_SEED}:{round_}")
            cases = draft.sample.cases[:round(len(draft.sample.cases) * share_done)]
            for i, case in enumerate(cases):
                review_id = store.open_review(sample_id, case.case_id, DEMO_ACTOR, path=path)
                questions = applies.get(case.case_id, list(programme.questions))
                answers = {q.id: (_answer(rng, round_), None) for q in questions}
                store.save_answers(review_id, answers, DEMO_ACTOR, path=path)
                done_on = drawn_on + timedelta(days=5 + i)
                store.complete(review_id, DEMO_ACTOR, on=done_on, path=path)
                completed += 1
                weak = [q for q, (a, _) in answers.items() if a == Answer.NEJ.value]
                if round_ == "statusmaaling_1" and weak and i % 3 == 0:
                    store.add_mangel(review_id, weak[0], "Ret det, gennemgangen fandt",
                                     case.caseworker, done_on + timedelta(days=30),
                                     DEMO_ACTOR, path=path)
            # The other half of the statusmåling: drawn, one started, the rest not yet.
            rest = draft.sample.cases[len(cases):]
            if rest:
                review_id = store.open_review(sample_id, rest[0].case_id, DEMO_ACTOR, path=path)
                first = applies.get(rest[0].case_id, list(programme.questions))[0]
                store.save_answers(review_id, {first.id: (Answer.JA.value, None)}, DEMO_ACTOR,
                                   path=path)
    finally:
        conn.close()
    return completed


