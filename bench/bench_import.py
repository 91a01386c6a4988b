"""Import throughput (rows/s) of one or more exports; prints a markdown table. No assertions.

    python bench/bench_import.py EXPORT_DIR [EXPORT_DIR ...] [--repeat N]
    python bench/bench_import.py --demo-scale 1 --demo-scale 10     # generates the demo exports

``--demo-scale X`` writes the demo export with ``python -m kpis demo --out TMP --scale X`` first.
Each export is imported ``--repeat`` times into a fresh database (the best run is reported, so a
cold disk cache does not count), with the demo key and a fixed as-of date so that no import is
skipped as unchanged.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from kpis.data.importer import run_import
from kpis.data.pseudonym import DEMO_KEY


def _demo_export(scale: float, root: Path) -> Path:
    out = root / f"demo_scale_{scale:g}"
    subprocess.run([sys.executable, "-m", "kpis", "demo", "--out", str(out), "--scale", str(scale)],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def _bench(export: Path, repeat: int, root: Path, as_of: date | None) -> tuple[int, int, float]:
    best = float("inf")
    rows = files = 0
    for run in range(repeat):
        db = root / f"{export.name}-{run}.duckdb"
        start = time.perf_counter()
        result = run_import(export, db, as_of=as_of, pseudonym_key=DEMO_KEY)
        best = min(best, time.perf_counter() - start)
        rows, files = result.rows_read, len(result.files)
        db.unlink()
    return files, rows, best


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("exports", nargs="*", type=Path, help="export folders (or .xlsx workbooks)")
    p.add_argument("--demo-scale", type=float, action="append", default=[],
                   help="generate and measure the demo export at this scale (repeatable)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--as-of", type=date.fromisoformat, default=None,
                   help="as-of date of the import (default: today)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        exports = [*args.exports, *(_demo_export(s, root) for s in args.demo_scale)]
        if not exports:
            p.error("give an export folder or --demo-scale")
        print("| export | files | rows | seconds | rows/s |")
        print("|---|---:|---:|---:|---:|")
        for export in exports:
            files, rows, seconds = _bench(export, args.repeat, root, args.as_of)
            print(f"| {export.name} | {files} | {rows:,} | {seconds:.2f} | {rows / seconds:,.0f} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
