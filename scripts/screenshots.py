"""Screenshots of every page for every role, on the demo municipality: docs/screenshots/<role>-<page>.png.

    .venv/bin/python scripts/screenshots.py              # build the demo in a temp folder, serve it
    .venv/bin/python scripts/screenshots.py --out /tmp/s --role analyst --page noegletal

It builds the demo database and the demo users in a folder of its own (data/ is never touched),
starts ``streamlit run serve.py`` on a free loopback port, opens Debian's chromium at 1400 px wide,
signs in as each demo user and visits each entry of that user's menu (read from the page itself,
so a new page is photographed without editing this script). Each shot is the whole page: Streamlit
scrolls inside its own container, so the window is made as tall as the page first.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from chromium import CHROMIUM, CHROMIUM_ARGS
from servers import free_port, healthy

from kpis.access.audit import AUDIT_ENV
from kpis.access.demo_users import DEMO_USERS, write_demo_users
from kpis.access.sessions import SESSIONS_ENV
from kpis.access.users import USERS_ENV
from kpis.plan.status_store import STATUS_ENV
from kpis.plan.versions import PLAN_HISTORY_ENV
from kpis.review.store import REVIEWS_ENV

WIDTH = 1400
WAIT_MS = 120_000
MAX_HEIGHT = 12_000  # a page taller than this is cut in the shot (and says something is wrong)


def stores(workdir: Path) -> dict[str, str]:
    """Every file the app writes, in the script's own folder, none in data/. The demo's reviews
    and activity statuses are seeded by ``ensure_demo_db`` in this process, so this process
    must point at the same files as the server (else they land in data/ and the server shows
    none)."""
    return {AUDIT_ENV: str(workdir / "audit.sqlite"),
            SESSIONS_ENV: str(workdir / "sessions.sqlite"),
            REVIEWS_ENV: str(workdir / "reviews.sqlite"),
            STATUS_ENV: str(workdir / "plan_status.sqlite"),
            PLAN_HISTORY_ENV: str(workdir / "plan_history")}


def serve(db: Path, workdir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PEJLEMAERKER_DB": str(db),
           USERS_ENV: str(write_demo_users(workdir / "users.toml")), **stores(workdir)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    deadline = time.monotonic() + 300
    while not healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            sys.exit(f"streamlit did not start:\n{log.read_text()}")
        time.sleep(0.5)
    return proc, url


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def settle(page) -> None:
    """Wait until the script run is over and charts and tables have painted."""
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=WAIT_MS)
    page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=WAIT_MS)
    page.wait_for_timeout(2500)


def full_height(page) -> int:
    """The height the window needs to show the whole page without Streamlit's inner scrolling."""
    return page.evaluate(
        """() => {
            const main = document.querySelector('[data-testid="stMain"]');
            const side = document.querySelector('[data-testid="stSidebarContent"]');
            return Math.max(main ? main.scrollHeight : 0, side ? side.scrollHeight : 0);
        }""")


def shoot(page, path: Path) -> None:
    page.set_viewport_size({"width": WIDTH, "height": min(max(full_height(page), 1000),
                                                          MAX_HEIGHT)})
    page.wait_for_timeout(800)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": WIDTH, "height": 1000})


def sign_in(page, username: str, password: str) -> None:
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind", exact=True).click()
    page.get_by_role("button", name="Log ud").wait_for(timeout=WAIT_MS)


def menu(page) -> list[tuple[str, str]]:
    """(label, address) of each entry of the sidebar's menu, in order."""
    links = page.locator('[data-testid="stSidebarNav"] a')
    links.first.wait_for(timeout=WAIT_MS)
    return [(a.inner_text().split()[-1], a.get_attribute("href")) for a in links.all()]


def slug(href: str, url: str) -> str:
    path = href.removeprefix(url).strip("/")
    return path or "overblik"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    ap.add_argument("--url", help="an app already running (signed in with the demo users)")
    ap.add_argument("--role", action="append", help="only these roles (e.g. analyst)")
    ap.add_argument("--page", action="append", help="only these pages (e.g. noegletal)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="pejlemaerker-shots-") as tmp:
        work = Path(tmp)
        proc = None
        url = args.url
        if url is None:
            from kpis.data.demo import ensure_demo_db

            db = work / "pejlemaerker.duckdb"
            print("Bygger demodata ...", flush=True)
            os.environ.update(stores(work))
            ensure_demo_db(db)
            proc, url = serve(db, work, work / "streamlit.log")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                for who in DEMO_USERS:
                    role = who.user.role.value
                    if args.role and role not in args.role:
                        continue
                    context = browser.new_context(viewport={"width": WIDTH, "height": 1000},
                                                  locale="da-DK", timezone_id="Europe/Copenhagen")
                    # a machine busy with other work answers slowly; slow is not wrong here
                    context.set_default_timeout(WAIT_MS)
                    context.set_default_navigation_timeout(WAIT_MS)
                    page = context.new_page()
                    page.goto(url, wait_until="domcontentloaded")
                    page.get_by_label("Brugernavn").wait_for(timeout=WAIT_MS)
                    if not args.role and not args.page and who is DEMO_USERS[0]:
                        page.wait_for_timeout(1500)
                        shoot(page, args.out / "login.png")  # what everyone meets first
                    sign_in(page, who.user.username, who.password)
                    for label, href in menu(page):
                        name = slug(href, url)
                        if args.page and name not in args.page:
                            continue
                        # By the menu, as a person works (a new page load would stay signed in too).
                        page.locator(f'[data-testid="stSidebarNav"] a[href="{href}"]').click()
                        page.wait_for_function("h => location.pathname === new URL(h).pathname", arg=href,
                                               timeout=WAIT_MS)
                        settle(page)
                        path = args.out / f"{role}-{name}.png"
                        shoot(page, path)
                        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path,
                              flush=True)
                    context.close()
                browser.close()
        finally:
            if proc is not None:
                stop(proc)


if __name__ == "__main__":
    main()
