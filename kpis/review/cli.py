"""``python -m kpis review {validate,sample}``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kpis.review.model import DEFAULT_REVIEWS


def add_parser(sub) -> None:
    from kpis import DEFAULT_DB

    rev = sub.add_parser("review", help="case review: validate the måleskema, draw samples")
    rsub = rev.add_subparsers(dest="review_command", required=True)
    val = rsub.add_parser("validate", help="validate config/reviews.yaml")
    val.add_argument("file", type=Path, nargs="?", default=DEFAULT_REVIEWS)
    smp = rsub.add_parser("sample", help="draw a programme's sample (printed, not stored)")
    smp.add_argument("programme")
    smp.add_argument("--db", type=Path, default=DEFAULT_DB)
    smp.add_argument("--seed", type=int, required=True)
    smp.add_argument("--window", default=None, help="2026-Q3 or 2026-07 (ledelsestilsyn)")
    smp.add_argument("--round", default=None, help="a round of a sagsmåling")
    smp.add_argument("--config", type=Path, default=DEFAULT_REVIEWS)
    smp.add_argument("--format", choices=["table", "json"], default="table")


def cli_review(args: argparse.Namespace) -> int:
    from kpis.review.validate import ReviewConfigError, cli_validate, load_and_validate

    if args.review_command == "validate":
        return cli_validate(args.file)
    from kpis.data.snapshot import SnapshotUnavailable, open_snapshot
    from kpis.review.service import draw_sample

    try:
        config = load_and_validate(args.config)
        programme = config[args.programme]
    except ReviewConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyError:
        print(f"ukendt program {args.programme!r}; kendte: {', '.join(config.ids)}",
              file=sys.stderr)
        return 2
    try:
        conn, meta = open_snapshot(args.db)
    except SnapshotUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        draft = draw_sample(conn, meta.snapshot_id, meta.as_of, programme, args.seed,
                            window_label=args.window, round_=args.round)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    finally:
        conn.close()
    s = draft.sample
    out = {"programme": s.programme_id, "round": s.round, "window": s.window_label,
           "window_start": s.window_start.isoformat(), "window_end": s.window_end.isoformat(),
           "seed": s.seed, "snapshot_id": s.snapshot_id, "rule": s.rule,
           "eligible": len(s.frame_ids),
           "cases": [{"case_id": d.case_id, "team": d.team, "caseworker": d.caseworker}
                     for d in s.cases]}
    if args.format == "json":
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(f"{s.programme_id} ({s.round}), {s.window_label}: {len(s.cases)} af "
              f"{len(s.frame_ids)} sager, frø {s.seed}, snapshot {s.snapshot_id}")
        for d in s.cases:
            print(f"  {d.case_id}  {d.team}  {d.caseworker}")
    return 0
