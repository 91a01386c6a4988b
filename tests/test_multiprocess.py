"""Two app processes on one snapshot behind nginx, with an import into that snapshot meanwhile.

The installation of docs/deployment.md, on loopback: two ``streamlit run serve.py`` on the same
database, nginx in front of them (deploy/nginx.conf.template: WebSocket upgrade, sticky route
cookie), real browser sessions through nginx, and ``python -m kpis import`` of a slightly
different export into the same database path while they run. Every session must show a whole
snapshot — the old one or the new one, never an error, never the figures of one under the
dates of the other — and after the import a reload shows the new as-of date, on both processes.
A local user's sign-in (its session cookie) holds in either process, and logout through one ends
it in the other.
About a minute or two; no timings are asserted.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from servers import free_port, healthy

import kpis
from kpis.access import sessions
from kpis.compute.engine import compute
from kpis.compute.periods import PeriodKind
from kpis.data.demo import DEMO_AS_OF, DEMO_PROFILE, generate
from kpis.data.importer import run_import
from kpis.data.inventory import snapshot_info
from kpis.data.pseudonym import DEMO_KEY
from kpis.data.snapshot import connect
from kpis.present.formatting import format_date_da
from kpis.present.period_choice import (
    Comparison,
    latest_complete,
    periods_needed,
    trend_periods,
)
from kpis.present.tiles import build_tiles
from kpis.rules.definitions import load_kpis

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parent.parent
NGINX = Path("/usr/sbin/nginx")
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
WAIT_MS = 240_000
USER, PASSWORD = "multi-analytiker", "multi-analytiker-kode"
KPIS = load_kpis(kpis.DEFAULT_KPIS)
NEW_AS_OF = DEMO_AS_OF + timedelta(days=7)
MAX_SESSIONS = 24  # bounded: sessions during the import, then until both processes were seen


def stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


@contextlib.contextmanager
def running(argv: list[str], url: str, log: Path, env: dict[str, str],
            what: str) -> Iterator[str]:
    """A server process in its own process group, until the block ends; ``url`` once it
    answers its health check."""
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env},
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while not healthy(url):
            assert proc.poll() is None, f"{what} exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"{what} did not answer:\n{log.read_text()}"
            time.sleep(0.25)
        yield url
    finally:
        stop(proc)


def app(db: Path, log: Path, env: dict[str, str]) -> contextlib.AbstractContextManager[str]:
    port = free_port()
    return running([sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port",
                    str(port), "--server.address", "127.0.0.1", "--server.headless", "true"],
                   f"http://127.0.0.1:{port}", log, {"PEJLEMAERKER_DB": str(db), **env},
                   "streamlit")


@pytest.fixture(scope="module")
def work() -> Iterator[Path]:
    """A folder nginx's worker processes may enter (pytest's own are private to their owner)."""
    if not NGINX.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{NGINX} is missing; scripts/test installs it")
        pytest.skip(f"{NGINX} is not installed (run scripts/test to install it)")
    folder = Path(tempfile.mkdtemp(prefix="pejlemaerker-multi-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def snapshots(work: Path) -> dict[str, Path]:
    """The served database (the old snapshot), a copy of it, and the slightly different export
    the import will bring in: a week later, with the last notification left out."""
    old_export, new_export = work / "export-old", work / "export-new"
    generate(old_export, as_of=DEMO_AS_OF)
    shutil.copytree(old_export, new_export)
    notifications = next(new_export.glob("*nderretning*"))
    lines = notifications.read_text(encoding="utf-8").splitlines(keepends=True)
    notifications.write_text("".join(lines[:-1]), encoding="utf-8")
    db = work / "db" / "pejlemaerker.duckdb"
    run_import(old_export, db, profile=DEMO_PROFILE, as_of=DEMO_AS_OF, pseudonym_key=DEMO_KEY)
    old_copy = work / "old.duckdb"
    shutil.copyfile(db, old_copy)
    # The apps' own case reviews (a completed nulpunktsmåling, a half-done statusmåling): the
    # review figures then have values, which both processes must show alike, before and after
    # the import (the reviews are not in the snapshot and survive it).
    from kpis.review.demo import seed_demo_reviews

    seed_demo_reviews(db, path=reviews_file(work))
    return {"db": db, "old": old_copy, "new_export": new_export}


def reviews_file(work: Path) -> Path:
    return work / "reviews.sqlite"


@contextlib.contextmanager
def reading_reviews(path: Path) -> Iterator[None]:
    """This process reads the apps' reviews file (not the test run's), as the apps do."""
    from kpis.review.store import REVIEWS_ENV

    previous = os.environ.get(REVIEWS_ENV)
    os.environ[REVIEWS_ENV] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(REVIEWS_ENV, None)
        else:
            os.environ[REVIEWS_ENV] = previous


def _app_env(work: Path) -> dict[str, str]:
    from kpis.access.audit import AUDIT_ENV
    from kpis.access.users import USERS_ENV, add_user, make_user
    from kpis.review.store import REVIEWS_ENV

    users = work / "users.toml"
    if not users.exists():
        add_user(make_user(USER, "analyst"), PASSWORD, users)
    return {USERS_ENV: str(users), AUDIT_ENV: str(work / "audit.sqlite"),
            # one reviews file for every process, and for the expectations (expected_values)
            REVIEWS_ENV: str(reviews_file(work)),
            # one secret for every process: XSRF tokens and login cookies are valid on each
            "STREAMLIT_SERVER_COOKIE_SECRET": "multiprocess-test-secret-not-for-production",
            # and one store and key for the local users' sessions (docs/deployment.md)
            sessions.SESSIONS_ENV: str(work / "sessions.sqlite"),
            sessions.SECRET_ENV: "multiprocess-session-secret-not-for-production"}


def nginx_conf(work: Path, listen: str, upstreams: list[str]) -> Path:
    text = TEMPLATE.read_text(encoding="utf-8")
    values = {
        "PID_FILE": str(work / "nginx.pid"), "ERROR_LOG": str(work / "nginx-error.log"),
        "ACCESS_LOG": str(work / "nginx-access.log"), "TEMP_DIR": str(work / "nginx-tmp"),
        "LISTEN": listen, "SERVER_NAME": "_", "TLS": "", "COOKIE_FLAGS": "",
        "UPSTREAMS": "\n        ".join(f"server {u};" for u in upstreams),
    }
    lines = []
    for line in text.splitlines():
        if not line.lstrip().startswith("#"):  # the comments name the placeholders
            for name, value in values.items():
                line = line.replace(f"@@{name}@@", value)
            assert "@@" not in line, f"a placeholder of the template is not filled: {line}"
        lines.append(line)
    text = "\n".join(lines) + "\n"
    if os.geteuid() == 0:  # the master runs as root, its workers as an unprivileged user
        text = "user nobody nogroup;\n" + text
    (work / "nginx-tmp").mkdir(exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(text, encoding="utf-8")
    return conf


def nginx(work: Path, upstreams: list[str]) -> contextlib.AbstractContextManager[str]:
    """nginx in the foreground, as a child with its own prefix, pid file, logs and temp files."""
    port = free_port()
    conf = nginx_conf(work, f"127.0.0.1:{port}", upstreams)
    base = [str(NGINX), "-p", str(work), "-c", str(conf), "-e", str(work / "nginx-error.log")]
    check = subprocess.run([*base, "-t"], check=False, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    return running([*base, "-g", "daemon off;"], f"http://127.0.0.1:{port}",
                   work / "nginx-output.log", {}, "nginx")


def expected_values(db: Path, reviews: Path) -> dict[str, str]:
    """What the overview's tiles show for the default period of the snapshot in ``db``, with
    the case reviews in ``reviews`` (the apps' file: the test run's own would give the review
    figures of other reviews)."""
    as_of = snapshot_info(db).as_of
    period = latest_complete(PeriodKind.QUARTER, as_of)
    conn = connect(db)
    try:
        with reading_reviews(reviews):
            df = compute(conn, KPIS, periods_needed(period, Comparison.PREVIOUS, as_of))
    finally:
        conn.close()
    tiles = build_tiles(KPIS, df, period, Comparison.PREVIOUS, trend_periods(period), as_of)
    return {t.kpi_id: t.value_text for t in tiles}


def open_overview(browser, url: str):
    """A new browser session through nginx, signed in, with every tile showing a value."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="da-DK",
                                  timezone_id="Europe/Copenhagen")
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    sign_in(page)
    return context, page


def sign_in(page) -> None:
    page.get_by_label("Brugernavn").fill(USER)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind", exact=True).click()
    wait_for_overview(page)


def wait_for_overview(page) -> None:
    page.get_by_role("heading", name="Overblik", exact=True).wait_for(timeout=WAIT_MS)
    page.wait_for_function(
        "n => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
        ".filter(e => e.innerText.trim() !== '').length >= n"
        " && !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"],"
        " [data-stale=\"true\"]')", arg=len(KPIS), timeout=WAIT_MS)


def what_it_shows(page) -> tuple[str, str, dict[str, str]]:
    """The as-of date in the sidebar, the one in the overview's text, and every tile's value."""
    assert page.locator('[data-testid="stException"]').count() == 0
    sidebar = page.locator('[data-testid="stSidebar"]').get_by_text("Data opgjort pr.")
    side = re.search(r"Data opgjort pr\. (.+)", sidebar.first.inner_text()).group(1).strip()
    main = page.locator('[data-testid="stMain"]').get_by_text("Data opgjort pr.").first
    body = re.search(r"Data opgjort pr\. (.+?),", main.inner_text()).group(1).strip()
    values = {}
    for kpi_id in KPIS.ids:
        tile = page.locator(f".st-key-tile_{kpi_id} [data-testid='stMetricValue']")
        values[kpi_id] = tile.inner_text().strip()
    return side, body, values


def signed_in_anywhere_until_logout(browser, signed_in, apps: list[str]) -> None:
    """The session cookie a browser got through nginx signs it in at each app process directly
    (no route cookie: whichever process it reaches); logout through nginx ends it at both."""
    context, page = signed_in
    cookie = next(c for c in context.cookies() if c["name"] == sessions.COOKIE_NAME)
    elsewhere = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="da-DK",
                                    timezone_id="Europe/Copenhagen")
    try:
        elsewhere.add_cookies([cookie])
        tab = elsewhere.new_page()
        for url in apps:
            tab.goto(url, wait_until="domcontentloaded")
            wait_for_overview(tab)
        page.get_by_role("button", name="Log ud").click()
        page.get_by_label("Brugernavn").wait_for(timeout=WAIT_MS)
        for url in apps:
            tab.goto(url, wait_until="domcontentloaded")
            tab.get_by_label("Brugernavn").wait_for(timeout=WAIT_MS)
            assert tab.get_by_role("button", name="Log ud").count() == 0
    finally:
        elsewhere.close()


def upstreams_by_route(log: Path) -> dict[str, set[str]]:
    """For each route cookie seen on a WebSocket, the app processes that served it."""
    out: dict[str, set[str]] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        match = re.search(r"/_stcore/stream .* upstream=(\S+) route=(\S+)", line)
        if match:
            out.setdefault(match.group(2), set()).add(match.group(1))
    return out


def test_two_processes_behind_nginx_survive_an_import(work, snapshots, tmp_path, browser):
    db, env = snapshots["db"], _app_env(work)
    old_date, new_date = format_date_da(DEMO_AS_OF), format_date_da(NEW_AS_OF)
    expected = {old_date: expected_values(snapshots["old"], reviews_file(work))}
    with contextlib.ExitStack() as stack:
        apps = [stack.enter_context(app(db, tmp_path / f"app-{i}.log", env)) for i in range(2)]
        url = stack.enter_context(nginx(work, [a.removeprefix("http://") for a in apps]))

        seen: list[tuple[str, str, dict[str, str]]] = []
        before = [open_overview(browser, url) for _ in range(2)]
        seen += [what_it_shows(page) for _, page in before]

        importer = subprocess.Popen(
            [sys.executable, "-m", "kpis", "import", str(snapshots["new_export"]), "--db",
             str(db), "--profile", DEMO_PROFILE, "--as-of", NEW_AS_OF.isoformat()],
            cwd=ROOT, env={**os.environ, "PEJLEMAERKER_PSEUDONYM_KEY": DEMO_KEY.decode(), **env},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        during = 0
        # Sessions while the import runs, then until both processes have served one.
        while during < MAX_SESSIONS and (
                importer.poll() is None or during < 2
                or len(set().union(*upstreams_by_route(work / "nginx-access.log").values())) < 2):
            context, page = open_overview(browser, url)
            seen.append(what_it_shows(page))
            context.close()
            during += 1
        output, _ = importer.communicate(timeout=300)
        assert importer.returncode == 0, output
        assert snapshot_info(db).as_of == NEW_AS_OF
        expected[new_date] = expected_values(db, reviews_file(work))

        # The sessions opened before the import: a reload, still signed in, shows the new
        # snapshot.
        for _, page in before:
            page.reload(wait_until="domcontentloaded")
            wait_for_overview(page)
            side, body, values = what_it_shows(page)
            assert (side, body) == (new_date, new_date)
            assert values == expected[new_date]
        signed_in_anywhere_until_logout(browser, before[0], apps)
        for context, _ in before:
            context.close()

    # Every session showed one whole snapshot: its two dates agree, and its figures are that
    # snapshot's figures.
    review_figures = [k.id for k in KPIS if k.spec.source == "review_findings"]
    # the demo's sagsmåling gives its figure a value, on either snapshot
    assert all(any(expected[d][k] != "–" for k in review_figures) for d in expected)
    for side, body, values in seen:
        assert side == body, (side, body)
        assert side in expected, side
        assert values == expected[side], side
    routes = upstreams_by_route(work / "nginx-access.log")
    print(f"{during} sessions while and after the import; dates shown: "
          f"{Counter(side for side, _, _ in seen)}; WebSockets by process: "
          f"{Counter(u for served in routes.values() for u in served)}")
    assert all(len(served) == 1 for served in routes.values()), routes  # sticky
    assert len(set().union(*routes.values())) == 2, routes  # both processes served sessions
    for app_log in tmp_path.glob("app-*.log"):
        assert "Traceback" not in app_log.read_text(encoding="utf-8", errors="replace")
