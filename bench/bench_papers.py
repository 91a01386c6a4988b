"""The committee's meeting papers (PDF) for a quarter on the demo municipality: goal < 3 s (issue 12).

    .venv/bin/python bench/bench_papers.py              # builds the demo in a temp folder
    .venv/bin/python bench/bench_papers.py --db data/pejlemaerker.duckdb --runs 5

Times ``build_pdf`` alone, from the overview's result frame (what the download button does when
clicked: the figures are already computed for the page). The first build of a process is reported
apart (fonts parsed, vl-convert's engine started). Writes its section of bench/RESULTS.md between
its own markers (``--no-write`` to only print). Nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kpis import DEFAULT_KPIS
from kpis.present.meeting_papers import MeetingPapers, build_pdf, committee_papers
from kpis.rules.validate import load_and_validate

GOAL_S = 3.0
BEGIN, END = "<!-- bench_papers: begin -->", "<!-- bench_papers: end -->"


def papers_for(db: Path) -> MeetingPapers:
    return committee_papers(db, load_and_validate(DEFAULT_KPIS))


def timed(fn) -> tuple[float, float, object]:
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def write_section(results_md: Path, text: str) -> None:
    old = results_md.read_text() if results_md.exists() else ""
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in old:
        new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, old, flags=re.DOTALL)
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    results_md.write_text(new)


def measure(db: Path, runs: int = 5) -> dict:
    """The first build of a process and ``runs`` later ones (wall and CPU seconds each)."""
    papers = papers_for(db)
    first_wall, first_cpu, pdf = timed(lambda: build_pdf(papers))
    later = [timed(lambda: build_pdf(papers))[:2] for _ in range(runs)]
    return {"period": papers.period.label, "kpis": len(papers.tiles()), "kb": len(pdf) // 1024,
            "first": (first_wall, first_cpu), "later": later,
            "load": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
            "when": time.strftime("%Y-%m-%d %H:%M")}


def goal_row(res: dict) -> list[str]:
    """The goal's row: target, first build and later builds, met."""
    (first_wall, first_cpu), walls = res["first"], [w for w, _ in res["later"]]
    median = statistics.median(walls)
    return ["meeting papers PDF, one quarter", f"< {GOAL_S:.0f} s",
            f"{first_wall:.2f} s ({first_cpu:.2f} s)",
            (f"{median:.2f} s ({min(walls):.2f}–{max(walls):.2f} s), "
             f"{statistics.median(c for _, c in res['later']):.2f} s"),
            "yes" if max(first_wall, median) < GOAL_S else "**no**"]


def section(res: dict, heading: str = "##") -> str:
    return "\n".join([
        f"{heading} Meeting papers (PDF)",
        "",
        (f"`bench/bench_papers.py`, {res['when']}: `build_pdf` for the overview's default quarter "
         f"({res['period']}) on the demo municipality, {res['kpis']} KPIs, {res['kb']} KB. Load "
         f"average {res['load']}."),
        "",
        ("| goal | target | first build of a process: wall (CPU) | later builds: median wall "
         "(range), median CPU | met |"),
        "|---|---|---|---|---|",
        "| " + " | ".join(goal_row(res)) + " |",
    ])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="a database (default: the demo, built in a temp dir)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-papers-") as tmp:
        db = args.db
        if db is None:
            from kpis.access.audit import AUDIT_ENV
            from kpis.data.demo import ensure_demo_db
            from kpis.plan.status_store import STATUS_ENV
            from kpis.review.store import REVIEWS_ENV

            # the demo's own stores (plan status, reviews) beside it, not in the checkout's data/
            for env, name in ((STATUS_ENV, "plan_status.sqlite"), (REVIEWS_ENV, "reviews.sqlite"),
                              (AUDIT_ENV, "audit.sqlite")):
                os.environ[env] = str(Path(tmp) / name)
            db = Path(tmp) / "demo.duckdb"
            ensure_demo_db(db)
        text = section(measure(db, args.runs))
    print(text)
    if not args.no_write:
        write_section(args.out, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
