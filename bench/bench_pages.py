"""The committee overview in Chromium (issue 4 "Benchmark"): from opening the page to every tile
visible, with a cold and a warm cache.

    /work/venv/bin/python bench/bench_pages.py DB [DB ...] [--runs N]

For each database: a fresh ``streamlit run serve.py`` serves it (started and stopped here; its
start-up is not timed) with a users file of its own holding one committee member, who signs in on
each view (the app asks on every new browser session). *Cold* is the first view of that server —
empty Streamlit and engine caches (unless the app's background warm-up finished while the form
was filled in). *Warm* is each later view, in a new browser context (a new session) — the results
come from ``st.cache_data``. The clock runs from the click on "Log ind" (the overview is the page
behind the form) to the moment the page shows a value in every tile of the starter set; beside it, the time until the app's frame (the sidebar's as-of date) shows, which is what
any page costs in the browser before its own content. The goal (issue 4) is warm under 1 s.
Prints a Markdown table; no assertions.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
TIMEOUT_MS = 600_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


USER, PASSWORD = "benchmark", "udvalg-benchmark-2026"


def _users_file(folder: Path) -> Path:
    from kpis.access.users import add_user, make_user

    path = folder / "users.toml"
    add_user(make_user(USER, "committee"), PASSWORD, path)
    return path


def _serve(db: Path, users: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, "PEJLEMAERKER_DB": str(db), "PEJLEMAERKER_USERS": str(users),
                       "PEJLEMAERKER_SESSIONS": str(users.with_name("sessions.sqlite"))},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 180
    while not _healthy(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            raise SystemExit(f"streamlit did not start for {db}")
        time.sleep(0.25)
    return proc, url


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _time_overview(browser, url: str, tiles: int) -> tuple[float, float]:
    """Seconds until the app's frame shows (the sidebar's as-of date) and until every tile does."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="da-DK")
    page = context.new_page()
    try:
        page.goto(url)
        page.get_by_label("Brugernavn").fill(USER)
        page.get_by_label("Adgangskode").fill(PASSWORD)
        start = time.perf_counter()
        page.get_by_role("button", name="Log ind", exact=True).click()
        page.get_by_text("Data opgjort pr.").first.wait_for(timeout=TIMEOUT_MS)
        frame = time.perf_counter() - start
        page.wait_for_function(
            "n => [...document.querySelectorAll('[data-testid=\"stMetricValue\"]')]"
            ".filter(e => e.innerText.trim() !== '').length >= n", arg=tiles, timeout=TIMEOUT_MS)
        return frame, time.perf_counter() - start
    finally:
        context.close()


def bench(db: Path, runs: int) -> list[tuple[str, list[tuple[float, float]]]]:

    import kpis
    from kpis.rules.definitions import load_kpis

    tiles = len(load_kpis(kpis.DEFAULT_KPIS))
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as tmp:
        return _bench(db, runs, tiles, _users_file(Path(tmp)))


def _bench(db: Path, runs: int, tiles: int, users: Path):
    from playwright.sync_api import sync_playwright

    proc, url = _serve(db, users)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                cold = [_time_overview(browser, url, tiles)]
                warm = [_time_overview(browser, url, tiles) for _ in range(runs)]
            finally:
                browser.close()
    finally:
        _stop(proc)
    return [("cold (first view of a new server)", cold), ("warm (new session, cached)", warm)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("db", nargs="+", type=Path, help="snapshot database(s) to serve")
    p.add_argument("--runs", type=int, default=5, help="warm views per database (default 5)")
    args = p.parse_args(argv)
    print(f"Load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n")
    print("| database | case | views | frame shown, median s | all tiles, median s | "
          "all tiles, min s | all tiles, max s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for db in args.db:
        if not db.is_file():
            print(f"| {db} | missing | | | | |")
            continue
        for case, views in bench(db.resolve(), args.runs):
            frames, tiles = [v[0] for v in views], [v[1] for v in views]
            print(f"| {db.name} ({db.stat().st_size / 1e6:.0f} MB) | {case} | {len(views)} | "
                  f"{statistics.median(frames):.2f} | {statistics.median(tiles):.2f} | "
                  f"{min(tiles):.2f} | {max(tiles):.2f} |", flush=True)
    print(f"\nLoad average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
