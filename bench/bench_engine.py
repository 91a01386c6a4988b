"""The engine benchmark (issue 3): import, every KPI × every quarter by team, floor, baseline, memory.

    /work/venv/bin/python bench/bench_engine.py [--national] [--out bench/RESULTS.md]
                                                [--runs N] [--national-runs N] [--reuse-import]

Data: the demo municipality (scale 1) and, with ``--national``, a national-scale set (scale 105
over the five years before the as-of date: about 150,000 underretninger a year). Exports are
generated once and cached under ``bench/out/`` (gitignored); each run imports them again into a
fresh snapshot (``--reuse-import`` keeps the last snapshot and its import figures). Generation and
import run in a child process, so the peak memory reported for computing is the engine's own.

What is timed (medians; wall-clock and the process's CPU time, since this machine may be shared:
the load average is printed beside the figures):
  - import throughput (rows read per second, CSV → validated snapshot);
  - ``compute(source, kpiset, every quarter, by=("team",))`` for the whole starter set, cold (a
    fresh source per run) and warm (repeat on one), and each KPI alone (warm), for each way of
    driving the engine: ``direct`` (a snapshot connection) and, where the engine has it,
    ``cached`` (``kpis.compute.unit_cache.SnapshotCache``); DuckDB's profiler splits each direct
    query into planning and execution;
  - the floor of the three headline KPIs: DuckDB scanning, from memory, just the columns they
    read (copied into in-memory tables; ``max()`` of every column) — and the engine's ratio to it;
  - a straightforward polars implementation of the same three (bench/baseline_polars.py),
    checked to give identical numerators, denominators, pending and overdue counts;
  - peak memory (RSS high-water mark) of the import child and of each engine mode.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import baseline_polars as bp
import duckdb
import polars as pl

from kpis import DEFAULT_KPIS
from kpis.compute.compile import compile_aggregate
from kpis.compute.engine import compute
from kpis.compute.periods import Period
from kpis.data.snapshot import DUCKDB_CONFIG
from kpis.rules.calendar_sql import install_calendar
from kpis.rules.validate import load_and_validate
from kpis.settings import default_settings

try:  # the per-snapshot units cache (the app's fast path), where the engine has one
    from kpis.compute.unit_cache import SnapshotCache
except ImportError:  # pragma: no cover - older engines
    SnapshotCache = None

GOALS = {"municipality": 0.2, "national": 1.0}  # seconds for the whole starter set
FLOOR_GOAL = 3.0  # headline KPIs within 3× the in-memory scan floor


@dataclass(frozen=True)
class Dataset:
    name: str
    scale: float
    start: str | None  # ISO date; None = the generator's default window
    seed: int = 1

    @property
    def dir(self) -> Path:
        return OUT / f"{self.name}-s{self.scale:g}-seed{self.seed}"

    @property
    def db(self) -> Path:
        return self.dir / "snapshot.duckdb"


def datasets(national: bool, national_scale: float) -> list[Dataset]:
    from kpis.data.demo import DEMO_AS_OF

    five_years = DEMO_AS_OF.replace(year=DEMO_AS_OF.year - 5).isoformat()
    out = [Dataset("municipality", 1.0, None)]
    if national:
        out.append(Dataset("national", national_scale, five_years))
    return out


# --------------------------------------------------------------------------- memory


def reset_peak_rss() -> None:
    """Reset this process's RSS high-water mark (Linux: clear_refs 5), where allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- generate and import


def _child(ds_json: str) -> None:
    """Child process: generate the export if the cache lacks it, then import it, print JSON."""
    from kpis.data.demo import DEMO_AS_OF, generate
    from kpis.data.importer import run_import
    from kpis.data.pseudonym import DEMO_KEY

    ds = Dataset(**json.loads(ds_json))
    export, stamp = ds.dir / "export", ds.dir / "export.json"
    generated = None
    if not stamp.exists():
        t = time.perf_counter()
        manifest = generate(export, seed=ds.seed, scale=ds.scale, as_of=DEMO_AS_OF,
                            start=date.fromisoformat(ds.start) if ds.start else None)
        generated = time.perf_counter() - t
        stamp.write_text(json.dumps({"rows": manifest.rows, "seconds": generated}))
    ds.db.unlink(missing_ok=True)
    reset_peak_rss()
    t = time.perf_counter()
    result = run_import(export, ds.db, profile="dubu_dk", as_of=DEMO_AS_OF,
                        pseudonym_key=DEMO_KEY)
    seconds = time.perf_counter() - t
    print(json.dumps({
        "generated_seconds": generated, "import_seconds": seconds,
        "rows_read": result.rows_read, "rows_loaded": result.rows_loaded,
        "csv_mb": sum(f.stat().st_size for f in export.iterdir()) / 2**20,
        "import_peak_rss_mb": peak_rss_mb(),
        "tables": {f.table: f.rows_loaded for f in result.files},
    }))


def prepare(ds: Dataset, reuse: bool) -> dict:
    """Generate (cached) and import; the import's figures, also kept beside the snapshot."""
    ds.dir.mkdir(parents=True, exist_ok=True)
    figures = ds.dir / "import.json"
    if reuse and ds.db.exists() and figures.exists():
        return {**json.loads(figures.read_text()), "cached": True}
    print(f"[{ds.name}] generating (if not cached) and importing ...", flush=True)
    run = subprocess.run([sys.executable, __file__, "--child", json.dumps(asdict(ds))],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    data = json.loads(run.stdout.strip().splitlines()[-1])
    figures.write_text(json.dumps(data))
    return {**data, "cached": False}


# --------------------------------------------------------------------------- timing helpers


class Sample(NamedTuple):
    """One timing: wall-clock seconds and this process's CPU seconds (all its threads). On a
    busy machine wall-clock grows with the other load; CPU time much less."""

    wall: float
    cpu: float

    def __add__(self, other):  # type: ignore[override]
        return Sample(self.wall + other.wall, self.cpu + other.cpu)


ZERO = Sample(0.0, 0.0)


def timed(fn: Callable[[], object]) -> Sample:
    w, c = time.perf_counter(), time.process_time()
    fn()
    return Sample(time.perf_counter() - w, time.process_time() - c)


def median_of(runs: int, fn: Callable[[], object], warmup: int = 1) -> Sample:
    for _ in range(warmup):
        fn()
    return _median([timed(fn) for _ in range(runs)])


def _median(samples: list[Sample]) -> Sample:
    return Sample(statistics.median(s.wall for s in samples),
                  statistics.median(s.cpu for s in samples))


def open_db(db: Path) -> duckdb.DuckDBPyConnection:
    """A fresh DuckDB instance on the snapshot file: nothing of it in DuckDB's buffers yet."""
    return duckdb.connect(str(db), read_only=True, config=DUCKDB_CONFIG)


# --------------------------------------------------------------------------- the measurements


@dataclass(frozen=True)
class Mode:
    """How the engine is driven: straight SQL on a snapshot connection, or the units cache."""

    name: str
    open: Callable[[Path], object]

    @staticmethod
    def close(source) -> None:
        source.close()


def modes() -> list[Mode]:
    out = [Mode("direct", open_db)]
    if SnapshotCache is not None:
        out.append(Mode("cached", SnapshotCache))
    return out


def bench_mode(mode: Mode, db: Path, kpiset, quarters: list[Period], runs: int,
               kpi_runs: int) -> dict:
    """Cold (a fresh source per run) and warm (repeat on one) for the whole set and per KPI."""
    by = ("team",)
    cold = []
    for _ in range(max(1, runs - 1)):  # a cold national run is long: one fewer than warm
        source = mode.open(db)
        cold.append(timed(lambda s=source: compute(s, kpiset, quarters, by=by)))
        mode.close(source)
    source = mode.open(db)
    result = compute(source, kpiset, quarters, by=by)
    warm = median_of(runs, lambda: compute(source, kpiset, quarters, by=by), warmup=0)
    per_kpi = {k: median_of(kpi_runs, lambda k=k: compute(source, kpiset, quarters, by=by,
                                                           kpi_ids=[k]), warmup=0)
               for k in kpiset.ids}
    split = duckdb_split(source, kpiset, quarters) if mode.name == "direct" else None
    mode.close(source)
    return {"cold": _median(cold), "warm": warm, "rows": result.height,
            "per_kpi": per_kpi, "result": result, "split": split}


def duckdb_split(conn: duckdb.DuckDBPyConnection, kpiset,
                 quarters: list[Period]) -> dict[str, dict[str, float]]:
    """DuckDB's profiler on each KPI's compiled query, on a connection the direct engine has
    just used (warm): its total time and the part spent binding, optimising and planning."""
    install_calendar(conn, default_settings())
    as_of = conn.execute("SELECT as_of FROM snapshot_meta").fetchall()[0][0]
    path = OUT / "profile.json"
    out = {}
    for kpi_id in kpiset.ids:
        q = compile_aggregate(kpiset[kpi_id], quarters, ("team",), as_of)
        conn.execute("SET enable_profiling = 'json'")
        conn.execute(f"SET profiling_output = '{path}'")
        conn.execute("SET profiling_mode = 'detailed'")
        try:
            conn.execute(q.sql, q.params).fetchall()
        finally:
            conn.execute("SET enable_profiling = 'no_output'")
        prof = json.loads(path.read_text())
        plan = sum(prof.get(part, {}).get("total_time", 0.0)
                   for part in ("planner", "optimizer", "physical_planner"))
        query = prof.get("query", {})
        out[kpi_id] = {"duckdb": query.get("total_time", 0.0), "plan": plan,
                       "cpu": query.get("cpu_time", 0.0)}
    return out


def bench_floor(db: Path, runs: int) -> dict[str, Sample]:
    """Per headline KPI: scanning, from memory, the columns it reads (sum over its tables)."""
    mem = duckdb.connect(":memory:", config=DUCKDB_CONFIG)
    mem.execute("ATTACH ? AS snap (READ_ONLY)", [str(db)])
    per_table = {}
    for table, cols in bp.COLUMNS.items():
        mem.execute(f'CREATE TABLE "{table}" AS SELECT {", ".join(cols)} FROM snap."{table}"')
        scan = "SELECT " + ", ".join(f"max({c})" for c in cols) + f' FROM "{table}"'
        per_table[table] = median_of(runs, lambda s=scan: mem.execute(s).fetchall())
    mem.close()
    return {k: sum((per_table[t] for t in tables), ZERO) for k, tables in bp.TABLES_READ.items()}


def bench_baseline(db: Path, quarters: list[Period], runs: int,
                   results: dict[str, pl.DataFrame]) -> dict:
    """Time the polars baseline and compare its counts with each engine mode's result."""
    conn = open_db(db)
    read = timed(lambda: bp.read_snapshot(conn))
    snap = bp.read_snapshot(conn)
    conn.close()
    total = median_of(runs, lambda: bp.compute_baseline(snap, quarters))
    per_kpi = {k: median_of(runs, lambda k=k: bp.compute_baseline(snap, quarters, kpis=[k]),
                            warmup=0)
               for k in bp.HEADLINE}
    base = bp.compute_baseline(snap, quarters)
    diffs = {name: bp.differences(base, bp.engine_counts(result))
             for name, result in results.items()}
    return {"read": read, "polars": total, "per_kpi": per_kpi, "rows": base.height,
            "differences": diffs}


def bench_headline_cold(db: Path, kpiset, quarters: list[Period], runs: int) -> dict[str, Sample]:
    """The three headline KPIs from the snapshot file, nothing kept between runs: each engine
    mode on a fresh source, and polars reading the columns it needs and computing."""
    out = {}
    for mode in modes():
        samples = []
        for _ in range(runs):
            def once(mode=mode):
                source = mode.open(db)
                try:
                    compute(source, kpiset, quarters, by=("team",), kpi_ids=list(bp.HEADLINE))
                finally:
                    mode.close(source)
            samples.append(timed(once))
        out[mode.name] = _median(samples)

    def polars_once():
        conn = open_db(db)
        try:
            bp.compute_baseline(bp.read_snapshot(conn), quarters)
        finally:
            conn.close()
    out["polars"] = _median([timed(polars_once) for _ in range(runs)])
    return out


def run_dataset(ds: Dataset, kpiset, runs: int, reuse: bool) -> dict:
    imp = prepare(ds, reuse)
    conn = open_db(ds.db)
    quarters = bp.quarters_of(conn)
    counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]
              for t in ("notifications", "investigations", "measures", "follow_ups")}
    conn.close()
    kpi_runs = max(1, runs - 2)
    engine, peaks = {}, {}
    for mode in modes():
        print(f"[{ds.name}] {mode.name}: {len(kpiset.ids)} KPIs × {len(quarters)} quarters "
              f"by team ...", flush=True)
        reset_peak_rss()
        engine[mode.name] = bench_mode(mode, ds.db, kpiset, quarters, runs, kpi_runs)
        peaks[mode.name] = peak_rss_mb()
    print(f"[{ds.name}] floor and polars baseline ...", flush=True)
    floor = bench_floor(ds.db, runs)
    base = bench_baseline(ds.db, quarters, runs,
                          {name: e.pop("result") for name, e in engine.items()})
    base["cold"] = bench_headline_cold(ds.db, kpiset, quarters, runs)
    return {"dataset": ds, "import": imp, "quarters": quarters, "counts": counts, "runs": runs,
            "kpi_runs": kpi_runs, "engine": engine, "split": engine["direct"]["split"],
            "floor": floor,
            "baseline": base, "peak_rss_mb": peaks, "process_peak_mb": _max_rss_mb()}


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- the report


def machine() -> dict[str, str]:
    import numpy
    import pyarrow

    mem = next(line for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal"))
    cpu = next((line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], check=False,
                            capture_output=True,
                            text=True, cwd=ROOT).stdout.strip()
    return {
        "cpus (nproc)": str(os.cpu_count()), "cpu": cpu,
        "RAM": f"{int(mem.split()[1]) / 2**20:.1f} GiB",
        "python": platform.python_version(), "duckdb": duckdb.__version__,
        "polars": pl.__version__, "pyarrow": pyarrow.__version__, "numpy": numpy.__version__,
        "commit": commit or "?",
        "engine modes": ", ".join(m.name for m in modes()),
        "load average at start (1, 5, 15 min)": _load(),
    }


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _ms(s: float) -> str:
    if s >= 10:
        return f"{s:,.1f} s"
    return f"{s * 1000:,.0f} ms" if s >= 0.1 else f"{s * 1000:,.1f} ms"


def _ok(flag: bool) -> str:
    return "yes" if flag else "**no**"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head),
            *["| " + " | ".join(r) + " |" for r in rows]]


def _import_section(results: list[dict]) -> list[str]:
    rows = []
    for r in results:
        ds, imp, c = r["dataset"], r["import"], r["counts"]
        secs = imp["import_seconds"]
        rows.append([
            ds.name, f"{ds.scale:g}", f"{c['notifications']:,}", f"{c['investigations']:,}",
            f"{c['measures']:,}", f"{c['follow_ups']:,}",
            f"{len(r['quarters'])} ({r['quarters'][0].label} – {r['quarters'][-1].label})",
            f"{imp['rows_read']:,}", f"{secs:.1f} s" + (" (cached)" if imp["cached"] else ""),
            f"{imp['rows_read'] / secs:,.0f}", f"{imp['csv_mb'] / secs:.1f}",
            f"{imp['import_peak_rss_mb']:,.0f} MB"])
    return ["## Data and import", "", *_table(
        ["data set", "scale", "underretninger", "BFUs", "measures", "follow-ups", "quarters",
         "rows imported", "import", "rows/s", "CSV MB/s", "import peak RSS"], rows), ""]


def _t(x: Sample) -> str:
    return f"{_ms(x.wall)} ({_ms(x.cpu)})"


def _whole_section(results: list[dict]) -> list[str]:
    rows = []
    for r in results:
        goal = GOALS[r["dataset"].name]
        for name, e in r["engine"].items():
            rows.append([r["dataset"].name, name, str(len(e["per_kpi"])), f"{e['rows']:,}",
                         _t(e["cold"]), _t(e["warm"]), f"< {_ms(goal)}",
                         _ok(e["warm"].wall < goal), f"{r['peak_rss_mb'][name]:,.0f} MB"])
    return ["## Whole starter set: every KPI × every quarter, by team", "",
            ("Wall-clock, with the process's CPU time in brackets. `direct`: `compute(conn, …)` "
            "on a snapshot connection; cold = a fresh DuckDB instance per run. `cached`: "
            "`compute(SnapshotCache(db), …)`, the per-snapshot units cache; cold = a fresh cache "
            "(building every KPI's units table), warm = aggregating the cached units. Peak RSS: "
            "the high-water mark while that mode ran."), "",
            *_table(["data set", "engine", "KPIs", "result rows", "cold", "warm", "goal",
                     "met (warm)", "peak RSS"], rows), ""]


def _per_kpi_section(results: list[dict]) -> list[str]:
    head, rows = ["KPI"], []
    for r in results:
        n = r["dataset"].name
        head += [f"{n} {m}" for m in r["engine"]] + [f"{n} DuckDB (plan)"]
    for kpi_id in results[0]["split"]:
        row = [f"`{kpi_id}`"]
        for r in results:
            row += [_t(e["per_kpi"][kpi_id]) for e in r["engine"].values()]
            s = r["split"][kpi_id]
            row += [f"{_ms(s['duckdb'])} ({_ms(s['plan'])})"]
        rows.append(row)
    return ["## Each KPI alone (warm)", "",
            ("Wall-clock (CPU) of `compute(…, kpi_ids=[id])`. `DuckDB (plan)`: the profiler's "
            "total for the direct engine's compiled query, and in brackets the part of it spent "
            "binding, optimising and planning; the rest of a direct time is Python and the "
            "client API (compiling, installing the calendar, binding parameters, shaping the "
            "result)."), "", *_table(head, rows), ""]


def _floor_section(results: list[dict]) -> list[str]:
    rows = []
    for r in results:
        b = r["baseline"]
        for kpi_id in (*bp.HEADLINE, None):
            floor = r["floor"][kpi_id] if kpi_id else sum(r["floor"].values(), ZERO)
            pol = b["per_kpi"][kpi_id] if kpi_id else b["polars"]
            for name, e in r["engine"].items():
                eng = (e["per_kpi"][kpi_id] if kpi_id
                       else sum((e["per_kpi"][k] for k in bp.HEADLINE), ZERO))
                ratio = eng.wall / floor.wall
                rows.append([r["dataset"].name, f"`{kpi_id}`" if kpi_id else "all three", name,
                             _t(eng), _t(floor),
                             f"{ratio:,.1f}× ({eng.cpu / floor.cpu:,.1f}×)",
                             _ok(ratio <= FLOOR_GOAL), _t(pol),
                             f"{eng.wall / pol.wall:.2f}× ({eng.cpu / pol.cpu:.2f}×)"])
    for r in results:
        cold = r["baseline"].get("cold")
        if not cold:
            continue
        pol = cold["polars"]
        for name in (n for n in cold if n != "polars"):
            eng = cold[name]
            rows.append([r["dataset"].name, "all three, **cold**", name, _t(eng), "–", "–", "–",
                         _t(pol), f"{eng.wall / pol.wall:.2f}× ({eng.cpu / pol.cpu:.2f}×)"])
    return ["## Headline KPIs against the scan floor and the polars baseline", "",
            ("Wall-clock (CPU). Floor: DuckDB scanning from memory just the columns the KPI reads "
            "(copied into in-memory tables; `max()` of each column; summed over the tables it "
            "reads). Polars: bench/baseline_polars.py (each KPI's steps one lazy query, the three "
            "collected together, then one group_by each) on frames already in memory. "
            "Engine: warm, by team, every quarter. The *cold* rows start from the snapshot file "
            "with nothing kept: the engine on a fresh connection (direct) or a fresh units cache "
            "(cached), polars reading the columns it needs from the snapshot and computing."), "",
            *_table(["data set", "KPI", "engine", "time", "floor", "÷ floor", "≤ 3×",
                     "polars", "÷ polars"], rows), ""]


def _check_section(results: list[dict]) -> list[str]:
    rows = []
    for r in results:
        b = r["baseline"]
        for name, d in b["differences"].items():
            rows.append([r["dataset"].name, name, f"{b['rows']:,}", str(d.height),
                         _ms(b["read"].wall)])
    out = ["## Baseline ≡ engine (numerator, denominator, pending, overdue per quarter × team)",
           "", *_table(["data set", "engine", "figures compared", "differing",
                        "polars read from snapshot"], rows), ""]
    for r in results:
        for name, d in r["baseline"]["differences"].items():
            if d.height:
                with pl.Config(tbl_rows=12, tbl_cols=12, tbl_width_chars=140):
                    out += [f"First differences ({r['dataset'].name}, {name}):", "", "```",
                            str(d.head(12)), "```", ""]
    return out


def report(results: list[dict], info: dict[str, str], started: str) -> str:
    runs = ", ".join(f"{r['dataset'].name}: warm {r['runs']}, cold {max(1, r['runs'] - 1)}, "
                     f"each KPI {r['kpi_runs']}"
                     for r in results)
    lines = ["# Engine benchmark", "",
             (f"Written by `bench/bench_engine.py` on {started}. Medians of runs ({runs}). "
             "Wall-clock on a possibly shared machine: the load averages say how busy it was. "
             "What each figure means: bench/README.md."), "",
             *_table(["machine", ""], [[k, v] for k, v in info.items()]), ""]
    lines += _import_section(results)
    lines += _whole_section(results)
    lines += _per_kpi_section(results)
    lines += _floor_section(results)
    lines += _check_section(results)
    peak = max(r["process_peak_mb"] for r in results)
    lines += [(f"Peak RSS of the benchmark process over the whole run: {peak:,.0f} MB. "
              f"Load average at the end: {_load()}."), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--national", action="store_true", help="also the national-scale set")
    p.add_argument("--national-scale", type=float, default=105.0)
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    p.add_argument("--runs", type=int, default=5, help="runs per figure (municipality)")
    p.add_argument("--national-runs", type=int, default=3, help="runs per figure (national)")
    p.add_argument("--reuse-import", action="store_true",
                   help="keep the last snapshot and its import figures")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        _child(args.child)
        return 0
    started = datetime.now().strftime("%Y-%m-%d %H:%M")
    info = machine()
    kpiset = load_and_validate(DEFAULT_KPIS)
    results = []
    for ds in datasets(args.national, args.national_scale):
        runs = args.national_runs if ds.name == "national" else args.runs
        results.append(run_dataset(ds, kpiset, runs, args.reuse_import))
    text = report(results, info, started)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
