"""Generate the national-scale demo export (about Denmark: --scale 100, five years) and time it.

    python bench/gen_national.py [--scale 100] [--years 5] [--seed 1] [--out DIR]

Prints the wall time, the peak memory and the rows per file. No assertions: a benchmark, not a
test. The output is large (~200 MB at scale 100); the default folder is a temporary one.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from kpis.data.demo import DEMO_AS_OF, generate, summary_da


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=100.0)
    p.add_argument("--years", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    start = DEMO_AS_OF.replace(year=DEMO_AS_OF.year - args.years)
    with tempfile.TemporaryDirectory(prefix="pejlemaerker-national-") as tmp:
        out = args.out or Path(tmp)
        t0 = time.perf_counter()
        manifest = generate(out, seed=args.seed, scale=args.scale, start=start)
        seconds = time.perf_counter() - t0
        size = sum(f.stat().st_size for f in out.iterdir()) / 1e6
        print(summary_da(manifest))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    rows = sum(manifest.rows.values())
    print(f"\n{rows:,} rows, {size:,.0f} MB in {seconds:.1f} s ({rows / seconds:,.0f} rows/s); "
          f"peak memory {peak_mb:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
