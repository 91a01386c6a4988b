"""The app in a real browser (issue 8): page timings, cold and warm, and the load test.

    /work/venv/bin/python bench/bench_load.py DB [--users 30] [--pages] [--runs 3]

*Load*: one ``streamlit run serve.py`` serves DB; one headless Chromium opens ``--users`` browser
contexts (separate sessions, as separate people) at the same moment. Each opens the overview,
waits until every tile shows a value, then chooses the previous period and waits until the page
has been redrawn. Reported: median and 95th percentile of both times, and the errors (a timeout, a
Streamlit exception on the page, a JavaScript error, a lost connection). The server is warmed by
one session first (``--cold`` skips that: the first committee member after a server start).

*Pages* (``--pages``): overview, KPI detail, team drill-down and worklist, each timed from
``goto`` until its content is shown and the script run has finished. *Cold* is the first view of
that page on a freshly started server; *warm* a later view in a new session.

Both run on this machine's two cores together with the browser, which renders every page too: the
CPU seconds of the server and of the browser are reported beside wall-clock, with the load
average. Timings only; nothing here asserts. ``bench/bench_all.py`` runs this for its report.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bench_pages import _free_port as free_port
from bench_pages import _healthy as healthy

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
WAIT_MS = 900_000  # 30 browsers on a busy 2-core machine: generous, but bounded (15 min)
STARTUP_S = 180
TICK = os.sysconf("SC_CLK_TCK")

# The script run has finished and nothing on the page is stale (Streamlit keeps showing the
# previous run's elements, greyed, until they are redrawn).
IDLE_JS = ("!document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"],"
           " [data-testid=\"stStatusWidgetRunningManIcon\"], [data-stale=\"true\"]')")
TILES_JS = ("[...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
            ".filter(e => e.innerText.trim() !== '').length >= {n}")
ERROR_JS = ("document.querySelectorAll('[data-testid=\"stException\"]').length"
            " + ((document.body?.innerText ?? '').includes('Connection error') ? 1 : 0)")


@dataclass(frozen=True)
class PageSpec:
    """A page, its link, and what shows that its content is there."""

    name: str
    path: str
    ready_js: str


def page_specs(as_of: date, tiles: int) -> list[PageSpec]:
    from kpis.compute.periods import PeriodKind
    from kpis.present.period_choice import latest_complete

    quarter = latest_complete(PeriodKind.QUARTER, as_of).label
    heading = ("[...document.querySelectorAll('h1,h2,h3')].some(h => h.innerText.includes({!r}))"
               .format)
    grid = "document.querySelector('[data-testid=\"stDataFrame\"]')"
    return [
        PageSpec("overview", f"/?periode={quarter}", TILES_JS.format(n=tiles)),
        PageSpec("KPI detail", f"/noegletal?kpi=bfu_4_mdr&periode={quarter}",
                 heading("Sådan tælles det") + " && document.querySelectorAll("
                 "'[data-testid=\"stVegaLiteChart\"]').length >= 2"),
        PageSpec("team drill-down", f"/afdeling?periode={quarter}",
                 heading("Nøgletal pr. team") + f" && {grid}"),
        PageSpec("worklist", "/fristoversigt", heading("sagstrin") + f" && {grid}"),
    ]


# --------------------------------------------------------------------------- the server


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    log: Path


@contextlib.contextmanager
def serve(db: Path, log: Path, port: int | None = None, **env: str) -> Iterator[Server]:
    """``streamlit run serve.py`` over ``db`` on a loopback port, in its own process group; its
    output goes to ``log``. Stopped (the whole group) when the block ends."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env={**os.environ, "PEJLEMAERKER_DB": str(db), **env},
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        deadline = time.monotonic() + STARTUP_S
        share_priority()
        while not healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start for {db}:\n{log.read_text()[-2000:]}")
            time.sleep(0.25)
        yield Server(proc, url, log)
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


# --------------------------------------------------------------------------- CPU and memory


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields from the state on (the name may hold ' ')


def tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (st := _stat(int(entry.name))):
            parents.setdefault(int(st[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += parents.get(p, [])
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the processes, including their children that have been waited for."""
    total = 0
    for pid in pids:
        if st := _stat(pid):
            total += sum(int(x) for x in st[11:15])  # utime stime cutime cstime
    return total / TICK


def peak_rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _autogroup_nice(pid: int | str) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def share_priority() -> None:
    """Give the sessions this benchmark started (the app server and Chromium start sessions of
    their own) the scheduling priority of the benchmark's own session. Under autogroup
    scheduling the kernel weighs sessions, not processes, against each other: without this a
    benchmark run with a raised priority (bench/README.md) would leave the server and the
    browser it measures at the default. Does nothing at the default priority."""
    mine = _autogroup_nice("self")
    if not mine:
        return
    for pid in tree(os.getpid()):
        if _autogroup_nice(pid) not in (None, mine):
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/autogroup").write_text(str(mine))


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


class CpuMeter:
    """CPU seconds of the server's and of the browser's processes while a block runs."""

    def __init__(self, server_pid: int):
        self.server_pid = server_pid

    def __enter__(self) -> Self:
        self._mine = self._cpu()
        self._wall = time.perf_counter()
        return self

    def _cpu(self) -> tuple[float, float]:
        server = cpu_seconds(tree(self.server_pid))
        everything = cpu_seconds([p for p in tree(os.getpid()) if p != os.getpid()])
        return server, everything - server

    def __exit__(self, *exc) -> None:
        server, browser = self._cpu()
        self.wall = time.perf_counter() - self._wall
        self.server = server - self._mine[0]
        self.browser = browser - self._mine[1]  # renderers that exited early are not counted


# --------------------------------------------------------------------------- the browser


async def launch(pw):
    browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    share_priority()
    return browser


async def new_page(browser, errors: list[str]):
    context = await browser.new_context(viewport={"width": 1400, "height": 1000},
                                        locale="da-DK", timezone_id="Europe/Copenhagen")
    # One bound for every step (Playwright's own default is 30 s): on a busy machine a slow
    # answer is a figure, and only one slower than WAIT_MS an error.
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(f"javascript: {exc}"))
    return context, page


# The users the benchmark signs in as (written into a users file of its own: the demo users are
# refused on any database but the demo's). The committee member opens the overview; the analyst
# may open every page.
BENCH_USERS = {"committee": ("bench-udvalg", "bench-udvalg-kode"),
               "analyst": ("bench-analytiker", "bench-analytiker-kode")}
ASKED_JS = ("document.querySelector('input[type=\"password\"]')"
            " || (document.body?.innerText ?? '').includes('Data opgjort pr.')")


def bench_env(folder: Path) -> dict[str, str]:
    """Environment for a benchmark server: its own users file and audit log in ``folder``."""
    try:
        from kpis.access.users import USERS_ENV, add_user, make_user
    except ImportError:  # an app without login
        return {}
    from kpis.access.audit import AUDIT_ENV

    users = folder / "users.toml"
    if not users.exists():
        for role, (name, password) in BENCH_USERS.items():
            add_user(make_user(name, role), password, users)
    env = {USERS_ENV: str(users), AUDIT_ENV: str(folder / "audit.sqlite")}
    try:
        from kpis.access.sessions import SESSIONS_ENV
    except ImportError:  # an app whose sign-in lasts one browser session
        return env
    return {**env, SESSIONS_ENV: str(folder / "sessions.sqlite")}


async def login_if_asked(page, role: str = "committee") -> tuple[float, float] | None:
    """Sign in as the benchmark's user of ``role`` when the app shows its login form: the moments
    the form showed and was sent (None when the app asked for no login). Each timed view is a
    new browser context, so it includes the login form, the sign-in's hand-over of the session
    cookie and the run after it; the typing between the two is not counted."""
    await page.wait_for_function(f"() => {ASKED_JS}", timeout=WAIT_MS)
    shown = time.perf_counter()
    password = page.locator('input[type="password"]')
    if not await password.count():
        return None
    name, secret = BENCH_USERS[role]
    await page.get_by_label("Brugernavn").fill(name)
    await password.first.fill(secret)
    sent = time.perf_counter()
    await page.get_by_role("button", name="Log ind", exact=True).click()
    return shown, sent


async def wait_ready(page, ready_js: str) -> None:
    await page.wait_for_function(f"() => ({ready_js}) && {IDLE_JS}", timeout=WAIT_MS)


async def page_errors(page) -> int:
    return int(await page.evaluate(f"() => {ERROR_JS}"))


async def time_view(browser, base: str, spec: PageSpec,
                    role: str = "analyst") -> tuple[float, list[str]]:
    """Seconds from ``goto`` until the page's content is shown and its run has finished."""
    errors: list[str] = []
    context, page = await new_page(browser, errors)
    try:
        start = time.perf_counter()
        await page.goto(base + spec.path, wait_until="commit")
        login = await login_if_asked(page, role)
        await wait_ready(page, spec.ready_js)
        seconds = time.perf_counter() - start - (login[1] - login[0] if login else 0.0)
        if n := await page_errors(page):
            errors.append(f"{n} error(s) shown on {spec.name}")
        return seconds, errors
    finally:
        await context.close()


# --------------------------------------------------------------------------- page timings


@dataclass
class PageTiming:
    page: str
    cold: float
    warm: list[float]
    errors: list[str] = field(default_factory=list)
    cpu_server: float = 0.0  # CPU seconds over all of this page's views (cold and warm)
    cpu_browser: float = 0.0


def bench_pages(db: Path, runs: int, logdir: Path) -> dict:
    """Each page: its first view on a fresh server (cold), then ``runs`` views (warm)."""
    from playwright.async_api import async_playwright

    specs = page_specs(_as_of(db), _tile_count())
    timings, rss, cpu = [], 0.0, {"server": 0.0, "browser": 0.0, "wall": 0.0}

    async def run() -> None:
        nonlocal rss
        async with async_playwright() as pw:
            browser = await launch(pw)
            try:
                for spec in specs:
                    log = logdir / f"pages-{spec.name.replace(' ', '-')}.log"
                    with serve(db, log, **bench_env(logdir)) as srv:
                        with CpuMeter(srv.proc.pid) as meter:
                            cold, errors = await time_view(browser, srv.url, spec)
                            warm = []
                            for _ in range(runs):
                                seconds, more = await time_view(browser, srv.url, spec)
                                warm.append(seconds)
                                errors += more
                        rss = max(rss, peak_rss_mb(srv.proc.pid))
                    for k in cpu:
                        cpu[k] += getattr(meter, k)
                    timings.append(PageTiming(spec.name, cold, warm, errors, meter.server,
                                              meter.browser))
                    print(f"  {spec.name}: cold {cold:.2f} s, warm median "
                          f"{statistics.median(warm):.2f} s", flush=True)
            finally:
                await browser.close()

    load_before = load_average()
    asyncio.run(run())
    return {"db": str(db), "runs": runs, "timings": timings, "server_peak_rss_mb": rss,
            "cpu": cpu, "load_before": load_before, "load_after": load_average()}


# --------------------------------------------------------------------------- as a person works

# The menu entry of each timed page (its title in pages/_menu.py's PAGES; an icon may stand before it).
MENU_TITLE = {"overview": "Overblik", "KPI detail": "Nøgletal",
              "team drill-down": "Teams og sagsbehandlere", "worklist": "Fristoversigt"}
PERIOD_CHANGE = "period change (overview)"
PAPERS = "meeting papers PDF (overview's button)"
PAPERS_BUTTON = "Hent bilag til udvalgsmøde (PDF)"  # pages/overblik.py


async def _click_and_wait(page, click, ready_js: str) -> float:
    """Seconds from a click until the new content is drawn and the run has finished. The rerun's
    running indicator shows shortly after the click; waiting for the URL or a tick first keeps
    the previous page's content from counting as the new one."""
    start = time.perf_counter()
    await click()
    await page.wait_for_timeout(100)
    await wait_ready(page, ready_js)
    return time.perf_counter() - start


async def _download(page, name: str) -> tuple[float, int]:
    """Seconds from the click on a download button until the whole file is saved, and its size:
    the server makes the file when asked (a callable ``data``)."""
    start = time.perf_counter()
    async with page.expect_download(timeout=WAIT_MS) as info:
        await page.get_by_role("button", name=name).click()
    download = await info.value
    path = await download.path()  # waits until the file has arrived
    seconds = time.perf_counter() - start
    if failure := await download.failure():
        raise RuntimeError(f"download failed: {failure}")
    return seconds, Path(path).stat().st_size


def bench_warm_session(db: Path, rounds: int, logdir: Path) -> dict:
    """One signed-in person in one browser context (JavaScript loaded once, as a person works):
    the overview, then each page by its menu link, round after round; on the overview a change
    of period and the meeting papers' download. Per page the seconds from click to drawn; the
    first round is the warm-up of the server's caches and is not counted. CPU of the server and
    of Chromium over the counted rounds."""
    import re

    from playwright.async_api import async_playwright

    from kpis.compute.periods import PeriodKind
    from kpis.present.period_choice import latest_complete, period_label_da

    as_of, tiles = _as_of(db), _tile_count()
    specs = page_specs(as_of, tiles)
    quarter = latest_complete(PeriodKind.QUARTER, as_of)
    periods = [quarter, quarter.previous()]
    times: dict[str, list[float]] = ({s.name: [] for s in specs}
                                     | {PERIOD_CHANGE: [], PAPERS: []})
    first = {name: 0.0 for name in times}  # the warm-up round: each page's first click
    errors: list[str] = []
    figures: dict = {"pdf_bytes": 0}

    def note(name: str, seconds: float, counted: bool) -> None:
        if counted:
            times[name].append(seconds)
        else:
            first[name] = seconds

    async def round_(page, counted: bool) -> None:
        for spec in [*specs[1:], specs[0]]:
            link = page.get_by_role(
                "link", name=re.compile(re.escape(MENU_TITLE[spec.name]) + "$"))
            note(spec.name, await _click_and_wait(page, link.first.click, spec.ready_js),
                 counted)
        seconds, figures["pdf_bytes"] = await _download(page, PAPERS_BUTTON)
        note(PAPERS, seconds, counted)
        target = periods[1] if page.url.find(f"periode={periods[0].label}") >= 0 else periods[0]

        async def choose():
            await page.get_by_role("combobox", name="Periode", exact=True).click()
            await page.get_by_role("option", name=period_label_da(target), exact=True).click()
            await page.wait_for_url(f"**periode={target.label}**", timeout=WAIT_MS)
        note(PERIOD_CHANGE, await _click_and_wait(page, choose, TILES_JS.format(n=tiles)),
             counted)

    async def run(srv: Server) -> None:
        async with async_playwright() as pw:
            browser = await launch(pw)
            try:
                context, page = await new_page(browser, errors)
                await page.goto(srv.url + specs[0].path, wait_until="commit")
                await login_if_asked(page, "analyst")
                await wait_ready(page, specs[0].ready_js)
                await round_(page, counted=False)  # the server's caches, the browser's
                # CPU while the browser is still running (a renderer's CPU is lost when it exits)
                with CpuMeter(srv.proc.pid) as meter:
                    for _ in range(rounds):
                        await round_(page, counted=True)
                figures["cpu"] = {"server": meter.server, "browser": meter.browser,
                                  "wall": meter.wall}
                if k := await page_errors(page):
                    errors.append(f"{k} error(s) shown")
                await context.close()
            finally:
                await browser.close()

    load_before = load_average()
    with serve(db, logdir / "warm-session.log", **bench_env(logdir)) as srv:
        asyncio.run(run(srv))
    for name, values in times.items():
        print(f"  warm session, {name}: median {statistics.median(values):.2f} s", flush=True)
    return {"rounds": rounds, "times": times, "first": first, "errors": errors,
            "load_before": load_before,
            "load_after": load_average(), "clicks": sum(len(v) for v in times.values()),
            **figures}


# --------------------------------------------------------------------------- the load test


@dataclass
class SessionResult:
    open_s: float | None = None
    signed_in_s: float | None = None
    change_s: float | None = None
    errors: list[str] = field(default_factory=list)


async def _session(browser, base: str, tiles: int, other: str, other_da: str,
                   gate: asyncio.Event, delay: float) -> SessionResult:
    from playwright.async_api import Error as PlaywrightError

    out = SessionResult()
    context, page = await new_page(browser, out.errors)
    try:
        await gate.wait()
        await asyncio.sleep(delay)
        start = time.perf_counter()
        await page.goto(base + "/", wait_until="commit")
        login = await login_if_asked(page, "committee")
        await wait_ready(page, TILES_JS.format(n=tiles))
        now = time.perf_counter()
        out.open_s = now - start - (login[1] - login[0] if login else 0.0)
        out.signed_in_s = now - (login[1] if login else start)
        start = time.perf_counter()
        await page.get_by_role("combobox", name="Periode", exact=True).click()
        await page.get_by_role("option", name=other_da, exact=True).click()
        await page.wait_for_url(f"**periode={other}**", timeout=WAIT_MS)
        await page.wait_for_timeout(100)  # the rerun's status shows shortly after the click
        await wait_ready(page, TILES_JS.format(n=tiles))
        out.change_s = time.perf_counter() - start
        if n := await page_errors(page):
            out.errors.append(f"{n} error(s) shown on the overview")
    except PlaywrightError as exc:  # a timeout or a vanished element: counted, not raised
        out.errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    finally:
        await context.close()
    return out


def bench_load(db: Path, users: int, logdir: Path, warm_first: bool = True,
               ramp: float = 0.0) -> dict:
    """``users`` sessions: open the overview, then choose another period. All at the same
    moment, or (``ramp`` seconds) one after the other at even intervals."""
    from playwright.async_api import async_playwright

    from kpis.compute.periods import PeriodKind
    from kpis.present.period_choice import latest_complete, period_label_da

    as_of, tiles = _as_of(db), _tile_count()
    other = latest_complete(PeriodKind.QUARTER, as_of).previous()
    results: list[SessionResult] = []
    figures: dict = {}

    async def run(srv: Server) -> None:
        async with async_playwright() as pw:
            browser = await launch(pw)
            try:
                if warm_first:
                    figures["warm_up_s"], _ = await time_view(
                        browser, srv.url, PageSpec("overview", "/", TILES_JS.format(n=tiles)),
                        "committee")
                gate = asyncio.Event()
                tasks = [asyncio.create_task(_session(browser, srv.url, tiles, other.label,
                                                      period_label_da(other), gate,
                                                      i * ramp / users))
                         for i in range(users)]
                await asyncio.sleep(0.5)  # every context is open: now all at once
                with CpuMeter(srv.proc.pid) as meter:
                    gate.set()
                    results.extend(await asyncio.gather(*tasks))
                figures["cpu"] = {"server": meter.server, "browser": meter.browser,
                                  "wall": meter.wall}
            finally:
                await browser.close()

    load_before = load_average()
    log_path = logdir / f"load-{users}-ramp{ramp:g}.log"
    with serve(db, log_path, **bench_env(logdir)) as srv:
        asyncio.run(run(srv))
        figures["server_peak_rss_mb"] = peak_rss_mb(srv.proc.pid)
    log = log_path.read_text(errors="replace")
    server_errors = [line for line in log.splitlines() if "Traceback" in line or "ERROR" in line]
    opens = [r.open_s for r in results if r.open_s is not None]
    changes = [r.change_s for r in results if r.change_s is not None]
    signed_in = [r.signed_in_s for r in results if r.signed_in_s is not None]
    errors = [e for r in results for e in r.errors] + [f"server: {e}" for e in server_errors]
    return {"db": str(db), "users": users, "warm_first": warm_first, "ramp": ramp, "open": opens,
            "signed_in": signed_in,
            "change": changes, "errors": errors, "load_before": load_before,
            "load_after": load_average(), **figures}


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 100)) - 1))]


def _as_of(db: Path) -> date:
    from kpis.data.inventory import snapshot_info

    return snapshot_info(db).as_of


def _tile_count() -> int:
    import kpis
    from kpis.rules.definitions import load_kpis

    return len(load_kpis(kpis.DEFAULT_KPIS))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("db", type=Path, help="snapshot database to serve")
    p.add_argument("--users", type=int, default=30)
    p.add_argument("--cold", action="store_true", help="no warming view before the load")
    p.add_argument("--ramp", type=float, default=0.0,
                   help="start the sessions over this many seconds (default: all at once)")
    p.add_argument("--pages", action="store_true", help="also time each page cold and warm")
    p.add_argument("--runs", type=int, default=3, help="warm views per page")
    p.add_argument("--logs", type=Path, default=ROOT / "bench" / "out" / "logs")
    args = p.parse_args(argv)
    args.logs.mkdir(parents=True, exist_ok=True)
    out = {}
    if args.pages:
        out["pages"] = bench_pages(args.db.resolve(), args.runs, args.logs)
        out["warm_session"] = bench_warm_session(args.db.resolve(), args.runs, args.logs)
    out["load"] = bench_load(args.db.resolve(), args.users, args.logs, not args.cold, args.ramp)
    load = out["load"]
    print(f"{args.users} users: open median {statistics.median(load['open'] or [0]):.2f} s, "
          f"p95 {percentile(load['open'], 95) or 0:.2f} s; period change median "
          f"{statistics.median(load['change'] or [0]):.2f} s, p95 "
          f"{percentile(load['change'], 95) or 0:.2f} s; errors {len(load['errors'])}")
    print(json.dumps(out, default=lambda o: o.__dict__, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
