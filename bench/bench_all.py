"""Every benchmark of issue 8 in one command: import, engine, pages and load, against the goals.

    /work/venv/bin/python bench/bench_all.py                    # municipality + national
    /work/venv/bin/python bench/bench_all.py --reuse-import     # keep the national snapshot
    /work/venv/bin/python bench/bench_all.py --no-national      # municipality only (~10 min)

Writes ``bench/RESULTS.md`` (``--out``) and prints the summary against the goals. Steps:

1. *Import and engine* — ``bench_engine.py`` (import throughput, the whole starter set cold and
   warm on the direct and the cached path, each KPI, the scan floor, the polars baseline, peak
   memory). The national export is generated once into ``bench/out/`` (gitignored; 5–10 min);
   ``--reuse-import`` keeps its last snapshot and import figures (the municipality is always
   imported again: two seconds).
2. *Pages in Chromium* — ``bench_load.bench_pages``: overview, KPI detail, team drill-down and
   worklist, each cold (first view of a fresh server) and warm (later sessions).
3. *Load* — ``bench_load.bench_load``: ``--users`` browser sessions opening the overview and
   changing the period, all at once and spread over ``--ramp`` seconds.
4. *Load at protocol level* — ``bench_protocol.bench_protocol``: the same sessions without a
   browser (Streamlit's WebSocket protocol), so the two cores serve only the app: the server's
   capacity. ``--protocol-only`` skips steps 2 and 3.
5. *Meeting papers* — ``bench_papers.measure``: the PDF for a quarter on the municipality (issue
   12), beside its download in the browser (step 2, as a person works).

The machine is shared: every section gives wall-clock beside CPU time and the load average, and
the header what the other processes on the machine used while the benchmark ran (by nice value)
and the benchmark's own scheduling priority. Nothing here asserts; the figures are what they are.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import baseline_polars as bp
import bench_engine as be
import bench_load as bl
import bench_papers as bpp
import bench_protocol as bpr

from kpis import DEFAULT_KPIS
from kpis.rules.validate import load_and_validate

GIB = 1024.0  # MB
STATE = ROOT / "bench" / "out" / "bench_all.pickle"  # the last run's figures, for --resume


def _s(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.2f} s"


def _mp(values: list[float]) -> str:
    """Median / 95th percentile."""
    median = statistics.median(values) if values else None
    return f"{_s(median)} / {_s(bl.percentile(values, 95))}"


def _cpu_now() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class OtherProcesses:
    """CPU seconds the machine's other processes (outside this benchmark's tree) used while the
    benchmark ran, by their nice value: sampled every few seconds from /proc, so a process that
    lived shorter than that is missed. Says whether the other work yielded to the benchmark."""

    def __init__(self, every: float = 3.0):
        self.every = every
        self.first: dict[int, float] = {}
        self.last: dict[int, tuple[float, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self) -> None:
        mine = set(bl.tree(os.getpid()))
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) in mine:
                continue
            if (st := bl._stat(int(entry.name))) is None:
                continue
            pid, cpu, nice = int(entry.name), sum(int(x) for x in st[11:13]) / bl.TICK, int(st[16])
            self.first.setdefault(pid, cpu)
            self.last[pid] = (cpu, nice)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def start(self) -> None:
        self._sample()
        self._thread.start()

    def by_nice(self) -> dict[int, float]:
        out: dict[int, float] = {}
        for pid, (cpu, nice) in self.last.items():
            out[nice] = out.get(nice, 0.0) + cpu - self.first[pid]
        return out


def own_priority() -> str:
    """This process's nice value and, under autogroup scheduling, its session's autogroup nice
    (which weighs the whole session against the other sessions: a process's own nice counts only
    within its session)."""
    text = f"nice {os.nice(0)}"
    try:
        group = Path("/proc/self/autogroup").read_text().split()
        enabled = Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() == "1"
    except OSError:
        return text
    return text + (f"; autogroup scheduling on, this session's autogroup nice {group[-1]}"
                   if enabled else "; autogroup scheduling off")


def own_session(autogroup_nice: int) -> None:
    """Run in a session of one's own whose autogroup has ``autogroup_nice``: with autogroup
    scheduling the kernel shares the CPU between sessions first, so other sessions' nice 19
    yields nothing to a benchmark at nice 0. (A process-group leader cannot start a session:
    then this starts the benchmark again under ``setsid``.)"""
    if os.getsid(0) != os.getpid():
        try:
            os.setsid()
        except PermissionError:
            os.execvp("setsid", ["setsid", sys.executable, *sys.argv])
    Path("/proc/self/autogroup").write_text(str(autogroup_nice))


def run(args: argparse.Namespace) -> dict:
    """Every step; the report is written again after each one, so a run that is stopped still
    leaves what it measured."""
    started = datetime.now().strftime("%Y-%m-%d %H:%M")
    wall, cpu = time.perf_counter(), _cpu_now()
    info = be.machine()
    kpiset = load_and_validate(DEFAULT_KPIS)
    engine: list[dict] = []
    browser: dict[str, dict] = {}
    papers: dict = {}
    before = {"wall": 0.0, "cpu": 0.0}
    others_before: dict[int, float] = {}
    if args.resume and STATE.exists():  # what an interrupted run measured
        with STATE.open("rb") as f:
            old = pickle.load(f)
        started, info, engine, browser = (old["started"], old["info"], old["engine"],
                                          old["browser"])
        papers, others_before = old.get("papers", {}), old.get("others", {})
        before = {"wall": old["wall"], "cpu": old["cpu"]}
    info["priority"] = own_priority()
    others = OtherProcesses()
    others.start()

    def so_far() -> dict:
        now = others.by_nice()
        return {"started": started, "info": info, "engine": engine, "browser": browser,
                "papers": papers,
                "others": {n: others_before.get(n, 0.0) + now.get(n, 0.0)
                           for n in {*others_before, *now}},
                "wall": before["wall"] + time.perf_counter() - wall,
                "cpu": before["cpu"] + _cpu_now() - cpu, "load_end": bl.load_average()}

    def save() -> None:
        res = so_far()
        with STATE.open("wb") as f:
            pickle.dump(res, f)
        args.out.write_text(report(res), encoding="utf-8")

    done = {r["dataset"].name for r in engine}
    for ds in be.datasets(args.national, args.national_scale):
        if ds.name in done:
            continue
        national = ds.name == "national"
        runs = args.national_runs if national else args.runs
        print(f"== import and engine: {ds.name}", flush=True)
        engine.append(be.run_dataset(ds, kpiset, runs, args.reuse_import and national))
        save()
        if not national and not papers:
            print("== meeting papers (PDF)", flush=True)
            papers.update(bpp.measure(ds.db, args.runs))
            save()
    for r in engine:
        ds = r["dataset"]
        logs = ROOT / "bench" / "out" / "logs" / ds.name
        logs.mkdir(parents=True, exist_ok=True)
        done_here = browser.setdefault(ds.name, {})
        for key in ("loads", "protocol"):  # a run from before the protocol step has no list
            done_here.setdefault(key, [])
        if "pages" not in done_here and not args.protocol_only:
            print(f"== pages in Chromium: {ds.name}", flush=True)
            done_here["pages"] = bl.bench_pages(ds.db, args.page_runs, logs)
            save()
        if "warm_session" not in done_here and not args.protocol_only:
            print(f"== pages as a person works (one signed-in session): {ds.name}", flush=True)
            done_here["warm_session"] = bl.bench_warm_session(ds.db, args.page_runs, logs)
            save()
        ramps = {0.0, args.ramp}
        in_browser = set() if args.protocol_only else ramps
        for ramp in sorted(in_browser - {ld["ramp"] for ld in done_here["loads"]}):
            print(f"== load: {args.users} sessions on {ds.name}, {_how(ramp)}", flush=True)
            done_here["loads"].append(bl.bench_load(ds.db, args.users, logs, ramp=ramp))
            _progress(done_here["loads"][-1])
            save()
        for ramp in sorted(ramps - {ld["ramp"] for ld in done_here["protocol"]}):
            print(f"== load: protocol-level sessions (no browser): {args.users} on {ds.name}, "
                  f"{_how(ramp)}", flush=True)
            done_here["protocol"].append(bpr.bench_protocol(ds.db, args.users, logs, ramp=ramp))
            _progress(done_here["protocol"][-1])
            save()
    return so_far()


def _how(ramp: float) -> str:
    return "all at once" if not ramp else f"over {ramp:g} s"


def _progress(load: dict) -> None:
    print(f"   open p95 {_s(bl.percentile(load['open'], 95))}, errors {len(load['errors'])}",
          flush=True)


# --------------------------------------------------------------------------- the report


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return be._table(head, rows)


def _ok(flag: bool | None) -> str:
    return "–" if flag is None else be._ok(flag)


def _goals(res: dict) -> list[list[str]]:
    rows = []
    by_name = {r["dataset"].name: r for r in res["engine"]}
    nat = by_name.get("national")
    if nat:
        warm = nat["engine"]["cached"]["warm"]
        rows.append([(f"national starter set ({len(nat['engine']['cached']['per_kpi'])} KPIs × "
                     f"{len(nat['quarters'])} quarters by team, cached, warm)"),
                     "< 1 s", be._t(warm), _ok(warm.wall < 1.0)])
        eng = sum((nat["engine"]["cached"]["per_kpi"][k] for k in bp.HEADLINE), be.ZERO)
        floor = sum(nat["floor"].values(), be.ZERO)
        polars = nat["baseline"]["polars"]
        rows.append([("three headline KPIs, national, warm: engine (cached) ÷ polars peer "
                     "(frames in memory)"), "< 1×",
                     (f"{be._t(eng)} ÷ {be._t(polars)} = {eng.wall / polars.wall:.2f}× "
                     f"(CPU {eng.cpu / polars.cpu:.2f}×)"),
                     _ok(eng.wall < polars.wall)])
        cold = nat["baseline"].get("cold")
        if cold:
            for mode in ("direct", "cached"):
                e, p = cold[mode], cold["polars"]
                what = f"three headline KPIs, national, cold from the snapshot ({mode}): "
                ratio = f"{e.wall / p.wall:.2f}× (CPU {e.cpu / p.cpu:.2f}×)"
                rows.append([what + "engine ÷ polars", "reported",
                             f"{be._t(e)} ÷ {be._t(p)} = {ratio}", "–"])
        rows.append([("three headline KPIs, national: engine (cached, warm) ÷ in-memory scan "
                     "floor"), "≤ 3×",
                     (f"{be._t(eng)} ÷ {be._t(floor)} = {eng.wall / floor.wall:.1f}× "
                     f"(CPU {eng.cpu / floor.cpu:.1f}×)"),
                     _ok(eng.wall <= 3 * floor.wall)])
        direct = sum((nat["engine"]["direct"]["per_kpi"][k] for k in bp.HEADLINE), be.ZERO)
        rows.append([("three headline KPIs, national: engine (direct: every step derived on each "
                     "call) ÷ in-memory scan floor"), "reported",
                     (f"{be._t(direct)} = {direct.wall / floor.wall:.1f}× "
                     f"(CPU {direct.cpu / floor.cpu:.1f}×)"), "–"])
        diffs = sum(d.height for d in nat["baseline"]["differences"].values())
        rows.append(["baseline ≡ engine (national)", "0 differ", f"{diffs} differ",
                     _ok(diffs == 0)])
    for name, b in res["browser"].items():
        if "pages" not in b:
            continue
        overview = next(t for t in b["pages"]["timings"] if t.page == "overview")
        warm = statistics.median(overview.warm)
        rows.append([f"warm overview, {name} (median of {len(overview.warm)})", "< 1 s",
                     _s(warm), _ok(warm < 1.0)])
    for name, b in res["browser"].items():
        session = b.get("warm_session")
        if not session:
            continue
        for page, values in session["times"].items():
            if page == bl.PAPERS:  # a file, not a page: its own goal below
                continue
            median = statistics.median(values)
            what = f"signed in, browser warm, {name}: {page}, click to drawn"
            rows.append([f"{what} (median of {len(values)})", "< 1 s", _s(median),
                         _ok(median < 1.0)])
    if res.get("papers"):
        row = bpp.goal_row(res["papers"])
        rows.append([f"{row[0]} (municipality; first build of a process / later builds)", row[1],
                     f"{row[2]} / {row[3]}", row[4]])
    for name, b in res["browser"].items():
        session = b.get("warm_session")
        if session and session["times"].get(bl.PAPERS):
            values = session["times"][bl.PAPERS]
            median = statistics.median(values)
            rows.append([(f"meeting papers PDF in the browser, {name}: click to file saved "
                         f"(median of {len(values)}; first {_s(session['first'][bl.PAPERS])})"),
                         "< 3 s", _s(median), _ok(median < 3.0)])
    for key, kind in (("loads", ""), ("protocol", ", protocol level (server only)")):
        for name, b in res["browser"].items():
            for load in b.get(key, []):
                p95 = bl.percentile(load["open"], 95)
                p95c = bl.percentile(load["change"], 95)
                met = (p95 is not None and p95c is not None and max(p95, p95c) < 3.0
                       and not load["errors"] and len(load["open"]) == load["users"])
                what = (f"{load['users']} sessions{kind}, {name}, {_how(load['ramp'])}: p95 "
                        "overview opened / period changed, errors")
                rows.append([what, "< 3 s, 0",
                             f"{_s(p95)} / {_s(p95c)}, {len(load['errors'])}", _ok(met)])
    if nat:
        engine_peak = nat["peak_rss_mb"]["cached"]
        served = res["browser"].get("national")
        runs = ([served.get("pages", {}), *served.get("loads", []), *served.get("protocol", [])]
                if served else [])
        server_peak = max((r.get("server_peak_rss_mb", 0.0) for r in runs), default=0.0)
        peak = max(engine_peak, server_peak)
        rows.append(["memory at national scale (engine process; app server under load)",
                     "< 2 GiB", f"{engine_peak:,.0f} MB; {server_peak:,.0f} MB",
                     _ok(peak < 2 * GIB)])
    return rows


def _pages_section(res: dict) -> list[str]:
    rows, notes = [], []
    for name, b in res["browser"].items():
        if "pages" not in b:
            continue
        p = b["pages"]
        for t in p["timings"]:
            views = 1 + len(t.warm)
            rows.append([name, t.page, _s(t.cold), _s(statistics.median(t.warm)),
                         f"{min(t.warm):.2f}–{max(t.warm):.2f} s",
                         f"{t.cpu_server / views:.2f} s / {t.cpu_browser / views:.2f} s",
                         str(len(t.errors))])
        cpu = p["cpu"]
        notes.append(f"- {name}: {cpu['wall']:.0f} s wall for all views; CPU: app server "
                     f"{cpu['server']:.1f} s, Chromium {cpu['browser']:.1f} s; app server peak "
                     f"RSS {p['server_peak_rss_mb']:,.0f} MB; load average "
                     f"{p['load_before']} → {p['load_after']}.")
    for name, b in res["browser"].items():
        session = b.get("warm_session")
        if not session:
            continue
        cold = {t.page: t.cold for t in b.get("pages", {}).get("timings", [])}
        for page, values in session["times"].items():
            rows.append([name, f"{page}: as a person works", _s(cold[page]) if page in cold
                         else "–", "**" + _s(statistics.median(values)) + "**",
                         f"{min(values):.2f}–{max(values):.2f} s", "–",
                         str(len(session["errors"]))])
        cpu, clicks = session["cpu"], session.get("clicks") or 1
        first = session.get("first", {})
        notes.append(f"- {name}, as a person works: one signed-in browser context, each page by "
                     f"its menu link, the overview's period and its PDF button, "
                     f"{session['rounds']} rounds after one warm-up round (its times, each "
                     "page's first click after the server started: "
                     + ", ".join(f"{k} {_s(v)}" for k, v in first.items()) + "); "
                     f"{clicks} clicks in {cpu['wall']:.1f} s, CPU app server {cpu['server']:.1f} s "
                     f"({cpu['server'] / clicks:.2f} s a click), Chromium {cpu['browser']:.1f} s "
                     f"({cpu['browser'] / clicks:.2f} s a click); load average "
                     f"{session['load_before']} → {session['load_after']}.")
    return ["## Pages in Chromium", "",
            ("From `goto` until the page's content is shown and its script run has finished, "
             "signed in (the local login form is answered on each load; the typing is not "
             "counted, the login's run is). Cold: the first view of that page on a freshly "
             "started server (its caches empty, the warm-up thread just started). Warm: later "
             "views, each a new browser session. *As a person works*: one signed-in session "
             "with Streamlit's JavaScript loaded once, from the click on a menu link (or a new "
             "period) until the page is drawn and its run finished; beside it the page's cold "
             "figure."), "",
            *_table(["data set", "page", "cold", "warm (median)", "warm (range)",
                     "CPU per view: server / Chromium", "errors"], rows), "", *notes, ""]


BROWSER_LOAD = ("Each session is a new Chromium context (its own cookies: a new person) in one "
                "headless Chromium on this machine: it opens the overview, signs in as a "
                "committee member, waits until every tile shows a value (*opened*; the part after "
                "the login form was sent: *after login*), then chooses the previous quarter and "
                "waits until the page is redrawn (*period changed*). One session warms the server "
                "first. Times are median / 95th percentile. CPU: the app server's process and "
                "Chromium's (all sessions) while the sessions ran; both share the machine's two "
                "cores.")
PROTOCOL_LOAD = ("The same sessions without a browser (`bench/bench_protocol.py`): each fetches "
                 "what the page loads (the page, its JavaScript and CSS, health, host config), "
                 "opens Streamlit's WebSocket as the frontend does and sends the frontend's own "
                 "messages (Streamlit's protobuf classes): the first run, the login form's "
                 "submission, the \"Periode\" selectbox set to the previous quarter. *Opened* ends "
                 "with the overview run's `script_finished` holding every tile's value; each "
                 "session's tiles are compared with the engine's own computation afterwards (a "
                 "difference is an error). The two cores serve only the app, so these figures are "
                 "the server's capacity, as the committee meets it with a PC each. CPU client: "
                 "this benchmark's own process.")


def _load_section(res: dict, key: str = "loads") -> list[str]:
    """The browser load runs (``loads``) or the protocol-level ones (``protocol``)."""
    browser = key == "loads"
    rows, notes, errors = [], [], []
    for name, b in res["browser"].items():
        for ld in b.get(key, []):
            how, cpu, users = _how(ld["ramp"]), ld["cpu"], ld["users"]
            other = (f"{cpu['browser']:.0f} s ({cpu['browser'] / users:.1f} s each)" if browser
                     else f"{cpu['client']:.1f} s ({cpu['client'] / users:.2f} s each)")
            rows.append([
                name, f"{users} ({how})", str(len(ld["open"])), _mp(ld["open"]),
                _mp(ld["signed_in"]), _mp(ld["change"]), str(len(ld["errors"])),
                f"{cpu['wall']:.0f} s",
                f"{cpu['server']:.0f} s ({cpu['server'] / users:.2f} s each)", other,
                f"{ld['server_peak_rss_mb']:,.0f} MB",
                f"{ld['load_before']} → {ld['load_after']}"])
            errors += [f"- {name}, {how}: {e}" for e in ld["errors"][:10]]
            if warm := ld.get("warm_up"):
                notes.append(f"- {name}, {how}: the warming session alone opened the overview in "
                             f"{_s(warm['opened_s'])} with {warm['server_cpu_s']:.2f} s of server "
                             f"CPU; {len(ld['retried'])} GETs sent again after the server closed a "
                             "kept-alive connection.")
    if not rows:
        return []
    title = ("## Load: concurrent browser sessions" if browser
             else "## Load: protocol-level sessions (no browser)")
    out = [title, "", BROWSER_LOAD if browser else PROTOCOL_LOAD, "",
           *_table(["data set", "sessions", "completed", "opened", "after login",
                    "period changed", "errors", "wall", "CPU server",
                    "CPU Chromium" if browser else "CPU client", "server peak RSS",
                    "load average"], rows), ""]
    if notes:
        out += [*notes, ""]
    if errors:
        out += ["Errors (first ten per run):", "", *errors, ""]
    return out


GOALS_NOTE = (
    "The engine's warm figures are its app path: `SnapshotCache` derives each KPI's steps and "
    "their counts by month once per snapshot (its *cold* figures, which the app's warm-up thread "
    "pays after an import), and a warm call sums those counts, so it can be faster than scanning "
    "the columns at all. The *direct* row derives every step on each call. The polars peer "
    "derives every step on each call too; *cold* starts both from the snapshot file with nothing "
    "kept. *Signed in, browser warm*: one browser session as a person works (step 5 of "
    "bench/README.md); *warm overview*: a new browser session (a new person) each time.")


def _others_text(res: dict) -> str:
    """What the rest of the machine did meanwhile, and the benchmark's own priority."""
    others = res.get("others") or {}
    used = ", ".join(f"{cpu / 60:.1f} min at nice {nice}"
                     for nice, cpu in sorted(others.items(), key=lambda x: -x[1]) if cpu >= 1)
    return (f"Other processes on the machine (outside this benchmark's own tree; sampled every "
            f"3 s) used {sum(others.values()) / 60:.1f} min of CPU while it ran: "
            f"{used or 'none'} (each process at the nice it had; Chromium sets its own "
            "processes' priority — its browser process −8, renderers 0 or 5 — whatever nice it "
            f"was started with). This benchmark: {res['info'].get('priority', '?')}.")


def report(res: dict) -> str:
    engine_md = be.report(res["engine"], res["info"], res["started"])
    engine_md = engine_md.split("\n", 1)[1]  # drop its title: it becomes a section here
    engine_md = engine_md.replace("\n## ", "\n### ")
    lines = ["# Benchmarks (issues 8 and 12)", "",
             (f"Written by `bench/bench_all.py` on {res['started']}; the whole run took "
              f"{res['wall'] / 60:.0f} min wall and {res['cpu'] / 60:.0f} min CPU of this "
              f"process and its children (the browser and the app servers included). Load "
              f"average at the start {res['info']['load average at start (1, 5, 15 min)']}, at "
              f"the end {res['load_end']}: the machine is shared, so compare CPU times where "
              "the load was high. What each figure means: bench/README.md."), "",
             _others_text(res), "",
             "## Goals", "",
             *_table(["goal", "target", "measured: wall (CPU)", "met"], _goals(res)), "",
             GOALS_NOTE, ""]
    lines += _pages_section(res)
    if res.get("papers"):
        lines += [bpp.section(res["papers"]), ""]
    lines += _load_section(res)
    lines += _load_section(res, "protocol")
    lines += ["## Import and engine", "", engine_md]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--no-national", dest="national", action="store_false",
                   help="the municipality only")
    p.add_argument("--reuse-import", action="store_true",
                   help="keep the national snapshot and its import figures from the last run")
    p.add_argument("--national-scale", type=float, default=105.0)
    p.add_argument("--runs", type=int, default=5, help="engine runs per figure (municipality)")
    p.add_argument("--national-runs", type=int, default=3, help="engine runs (national)")
    p.add_argument("--page-runs", type=int, default=3, help="warm views per page")
    p.add_argument("--users", type=int, default=30, help="concurrent browser sessions")
    p.add_argument("--ramp", type=float, default=60.0,
                   help="the second load run starts its sessions over this many seconds "
                        "(0: only the run with all sessions at once)")
    p.add_argument("--protocol-only", action="store_true",
                   help="no Chromium: skip the page timings and the browser load runs")
    p.add_argument("--resume", action="store_true",
                   help="keep what the last (interrupted) run measured; run only the rest")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    p.add_argument("--autogroup-nice", type=int, metavar="N",
                   help="run in a session of its own with this autogroup nice (e.g. -15), so "
                        "that other sessions' niced work yields to the benchmark (as root)")
    p.add_argument("--report-only", action="store_true",
                   help="write the report again from the last run's figures; measure nothing")
    args = p.parse_args(argv)
    if args.report_only:
        with STATE.open("rb") as f:
            res = pickle.load(f)
    else:
        if args.autogroup_nice is not None:
            own_session(args.autogroup_nice)
        res = run(args)
    text = report(res)
    args.out.write_text(text, encoding="utf-8")
    goals = text.split("## Goals", 1)[1].split("\n## ", 1)[0]
    print(f"\nWritten to {args.out}.\n\nGoals:{goals}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
