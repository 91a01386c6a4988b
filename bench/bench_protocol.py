"""The app server's capacity without a browser (issue 8): sessions that speak Streamlit's protocol.

    /work/venv/bin/python bench/bench_protocol.py DB [--users 30] [--ramp 0]

``bench_load.py`` drives real Chromium contexts, but Chromium shares this machine's two cores with
the app server and costs it about ten times the server's CPU per session: thirty browsers at once
measure mostly the browser. The committee's members each have a PC of their own, so this client
does what their browsers do on the wire and nothing else:

1. fetch the app page, the JavaScript and CSS it names, ``/_stcore/health`` (which sets the
   ``_streamlit_xsrf`` cookie) and ``/_stcore/host-config``;
2. open ``/_stcore/stream`` as Streamlit's frontend does (subprotocols ``streamlit`` and the XSRF
   token, the cookies, an ``Origin`` header) and send a ``rerun_script`` BackMsg;
3. read the ForwardMsgs (resolving ``ref_hash`` references from its own message cache, whose
   hashes it reports on each rerun, like the browser) until the run's ``script_finished``; keep
   the elements by delta path, so an element replaced within the run counts once;
4. sign in as the committee member: fill the login form's text inputs (``auth_username``,
   ``auth_password``) and trigger its submit button, as one form submission; then, as the
   browser does, follow the sign-in's hand-over to ``/auth/session`` (which sets the session
   cookie, ``serve.py``) and open the page again with that cookie;
5. wait until the overview's run has finished with every tile's value (*opened*; *after login*
   from sending the form), then choose the previous quarter in the "Periode" selectbox and wait
   for the run that redraws the tiles (*period changed*).

Errors: an exception element (or an ``st.error``) on the page, a run without every tile or with
another period than asked for, a step slower than 15 minutes, a dropped socket, tile values that
differ from what the engine computes for the same snapshot, and any ``Traceback``/``ERROR`` line in
the server's log. Timings only; nothing here asserts. ``bench/bench_all.py`` runs it for its report.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import importlib.util
import json
import re
import statistics
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import bench_load as bl

if importlib.util.find_spec("sniffio") is None:
    # httpcore imports sniffio on every request and, when it is missing, searches sys.path each
    # time (0.2 s of CPU per session here, taken from the cores the server needs). None in
    # sys.modules makes the failed import immediate.
    sys.modules["sniffio"] = None

STEP_S = bl.WAIT_MS / 1000  # the same bound per step as the browser run: slow is a figure
# What a browser's page load accepts: serve.py gives such a request the browser's id cookie, which
# the sign-in's hand-over is bound to (kpis/access/session_http.py).
PAGE_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
ASSET_RE = re.compile(r'(?:src|href)="\./(static/[^"]+)"')
FINISHED = 0  # ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY
EARLY_FOR_RERUN = 2
ALERT_ERROR = 1  # Alert.Format.ERROR
HANDOVER_RE = re.compile(r'window\.location\.replace\("([^"]+)"\)')  # pages/_auth.py
CONTEXT = {"timezone": "Europe/Copenhagen", "timezone_offset": -60, "locale": "da-DK"}


class SessionError(Exception):
    """Something a person at the screen would see as broken: counted, never raised out."""


@dataclass
class Page:
    """One finished script run as the browser shows it: the last element at each delta path."""

    status: int
    elements: dict[tuple[int, ...], tuple[str, object]] = field(default_factory=dict)

    def of(self, kind: str) -> list:
        return [e for t, e in self.elements.values() if t == kind]

    def types(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t, _ in self.elements.values():
            out[t] = out.get(t, 0) + 1
        return out

    def tiles(self) -> list[str]:
        return [m.body for m in self.of("metric")]

    def texts(self) -> str:
        return "\n".join(m.body for m in self.of("markdown"))


class Tab:
    """One browser tab on the app: its own cookies, socket and message cache."""

    def __init__(self, base: str, assets: bool = True):
        import httpx

        self.base, self.assets = base, assets
        # verify=False: plain HTTP on loopback, and loading the CA bundle costs CPU per session.
        self.http = httpx.AsyncClient(base_url=base, timeout=STEP_S, verify=False,
                                      headers={"Accept-Encoding": "gzip, deflate"})
        self.ws = None
        self.cache: dict[str, object] = {}  # hash → ForwardMsg, as the frontend's ForwardMsgCache
        self.page_script_hash = ""
        self.query_string = ""
        self.bytes_in = 0
        self.retried: list[str] = []  # GETs sent twice (see _get)
        self.step = "starting"  # what the tab was doing, for an error's message

    async def open(self, path: str = "/") -> None:
        """What the browser fetches before its first rerun, then the socket."""
        from websockets.asyncio.client import connect

        index = await self._get(path, accept=PAGE_ACCEPT)
        if self.assets:
            # A browser loads them over at most six connections at a time (HTTP/1.1).
            limit = asyncio.Semaphore(6)

            async def fetch(asset: str) -> None:
                async with limit:
                    await self._get("/" + asset)

            await asyncio.gather(*(fetch(a) for a in dict.fromkeys(ASSET_RE.findall(index))))
        await self._get("/_stcore/health")
        await self._get("/_stcore/host-config")
        xsrf = self.http.cookies.get("_streamlit_xsrf")
        self.step = "opening the socket"
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.ws = await connect(
            self.base.replace("http", "ws", 1) + "/_stcore/stream",
            subprotocols=["streamlit", xsrf] if xsrf else ["streamlit"], origin=self.base,
            additional_headers={"Cookie": cookie} if cookie else None,
            # A browser sends no pings; a server busy for longer than a ping timeout is slow, not
            # gone. Streamlit's own limit on a message (server.maxMessageSize) is 200 MB.
            ping_interval=None, max_size=200 * 2**20, open_timeout=STEP_S)
        self.query_string = path.partition("?")[2]

    async def reopen_through(self, target: str) -> None:
        """What the browser does with the sign-in's hand-over: the route sets the cookie and
        sends it back to the page, which it loads again (its assets are cached by then)."""
        self.step = f"GET {target}"
        response = await self.http.get(target)
        if response.status_code != 303:
            raise SessionError(f"GET {target}: HTTP {response.status_code}")
        await self.ws.close()
        self.page_script_hash, assets, self.assets = "", self.assets, False
        try:
            await self.open(response.headers["location"])
        finally:
            self.assets = assets

    async def _get(self, path: str, accept: str | None = None) -> str:
        """The body as text; the bytes are counted as sent. The JavaScript and CSS are not
        unpacked: that is the browser's work, and here it would only load the server's cores."""
        import httpx

        try:
            response, body = await self._fetch(path, accept)
        except httpx.RemoteProtocolError:
            # The server closed a kept-alive connection as the request went out (uvicorn closes
            # them after 5 s idle, late when it is busy). A browser sends such a GET again; so
            # does this tab, once, and says so.
            self.retried.append(path)
            response, body = await self._fetch(path, accept)
        if response.status_code != 200:
            raise SessionError(f"GET {path}: HTTP {response.status_code}")
        self.bytes_in += len(body)
        if path.endswith((".js", ".css")):
            return ""
        if response.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return body.decode(errors="replace")

    async def _fetch(self, path: str, accept: str | None = None):
        self.step = f"GET {path}"
        headers = {"Accept": accept} if accept else None
        async with self.http.stream("GET", path, headers=headers) as response:
            return response, b"".join([chunk async for chunk in response.aiter_raw()])

    async def rerun(self, widgets: Iterable = ()) -> None:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.page_script_hash
        state.widget_states.widgets.extend(widgets)
        state.cached_message_hashes.extend(self.cache)
        for k, v in CONTEXT.items():
            setattr(state.context_info, k, v)
        state.context_info.url = f"{self.base}/?{self.query_string}".rstrip("?")
        await self.ws.send(msg.SerializeToString())

    async def page(self) -> Page:
        """The next run that finishes other than by a rerun the script asked for (``st.rerun``,
        as after the login); the elements of runs cut short are checked for errors too."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        from websockets.exceptions import ConnectionClosed

        self.step = "waiting for the run"
        run = Page(-1)
        while True:
            try:
                data = await asyncio.wait_for(self.ws.recv(), STEP_S)
            except ConnectionClosed as exc:
                raise SessionError(f"socket closed by the server: {exc}") from None
            except TimeoutError:
                raise SessionError(f"no message for {STEP_S:.0f} s") from None
            self.bytes_in += len(data)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "ref_hash":  # a message this tab reported as cached: use its copy
                cached = self.cache.get(msg.ref_hash)
                if cached is None:
                    raise SessionError(f"reference to a message not cached: {msg.ref_hash}")
                metadata = msg.metadata
                msg = ForwardMsg()
                msg.CopyFrom(cached)
                msg.metadata.CopyFrom(metadata)
                kind = msg.WhichOneof("type")
            elif msg.metadata.cacheable:
                self.cache[msg.hash] = msg
            if kind == "new_session":
                self.page_script_hash = msg.new_session.page_script_hash
            elif kind == "navigation":
                self.page_script_hash = msg.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                etype = element.WhichOneof("type")
                body = getattr(element, etype)
                if etype == "exception":
                    raise SessionError(f"exception on the page: {body.type}: {body.message}")
                if etype == "alert" and body.format == ALERT_ERROR:
                    raise SessionError(f"error on the page: {body.body[:200]}")
                run.elements[tuple(msg.metadata.delta_path)] = (etype, body)
            elif kind == "script_finished":
                if msg.script_finished == EARLY_FOR_RERUN:
                    run = Page(-1)
                    continue
                run.status = msg.script_finished
                return run

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        await self.http.aclose()


# --------------------------------------------------------------------------- a person's session

LOGIN_KEYS = ("auth_username", "auth_password")  # pages/_login.py


def _widget(page: Page, kind: str, key: str):
    """The widget of ``kind`` whose user key is ``key`` (Streamlit ends the element id with it)."""
    found = [e for e in page.of(kind) if e.id.endswith("-" + key)]
    if len(found) != 1:
        raise SessionError(f"{len(found)} {kind} widgets with the key {key!r} on the page")
    return found[0]


def login_states(page: Page, name: str, secret: str) -> list | None:
    """The widget states of the login form sent with its button, as the browser sends them on a
    click: the form's text values and the submit button's trigger. None when there is no form."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    if not any(e.id.endswith("-" + LOGIN_KEYS[1]) for e in page.of("text_input")):
        return None
    user, password = (_widget(page, "text_input", k) for k in LOGIN_KEYS)
    submit = [b for b in page.of("button") if b.is_form_submitter and b.form_id == user.form_id]
    if len(submit) != 1 or password.form_id != user.form_id:
        raise SessionError("the login form has no single submit button")
    return [WidgetState(id=user.id, string_value=name),
            WidgetState(id=password.id, string_value=secret),
            WidgetState(id=submit[0].id, trigger_value=True)]


def handover(page: Page) -> str | None:
    """The address the sign-in sends the browser to for its cookie, if this run does."""
    found = [m.group(1) for e in page.of("html") if (m := HANDOVER_RE.search(e.body))]
    return found[0] if found else None


def period_state(page: Page, option: str):
    """The "Periode" selectbox set to ``option`` (its text as shown, which is the value a
    selectbox sends)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    from pages._committee import KEY_PERIOD

    box = _widget(page, "selectbox", KEY_PERIOD)
    if option not in box.options:
        raise SessionError(f"{option!r} is not among the periods {list(box.options)}")
    return WidgetState(id=box.id, string_value=option)


@dataclass(frozen=True)
class Expect:
    """What the overview must show: every tile, for the period asked for."""

    tiles: int
    period_da: str  # the default: the latest complete quarter
    other_da: str  # the one the session changes to


def check(page: Page, tiles: int, period_da: str) -> list[str]:
    if page.status != FINISHED:
        raise SessionError(f"the run finished with status {page.status}")
    values = [v for v in page.tiles() if v.strip()]
    if len(values) < tiles:
        raise SessionError(f"{len(values)} of {tiles} tiles have a value")
    if f"**{period_da}** (" not in page.texts():
        raise SessionError(f"the overview does not show {period_da}")
    return page.tiles()


@dataclass
class SessionResult(bl.SessionResult):
    tiles_open: list[str] = field(default_factory=list)  # the tiles' values, in page order
    tiles_change: list[str] = field(default_factory=list)
    types: dict[str, int] = field(default_factory=dict)  # element types of the opened overview
    bytes_in: int = 0
    retried: list[str] = field(default_factory=list)


async def session(base: str, expect: Expect, gate: asyncio.Event | None = None,
                  delay: float = 0.0, change: bool = True, assets: bool = True) -> SessionResult:
    """A committee member: opens the app, signs in, waits for every tile, then (``change``)
    chooses the previous quarter and waits for the redrawn tiles."""
    import httpx
    from websockets.exceptions import WebSocketException

    # What the network may do to a session (a refused handshake, a reset connection): counted.
    failures = (OSError, TimeoutError, httpx.HTTPError, WebSocketException)
    out = SessionResult()
    tab = Tab(base, assets)
    try:
        if gate is not None:
            await gate.wait()
        await asyncio.sleep(delay)
        start = time.perf_counter()
        await tab.open("/")
        await tab.rerun()
        page = await tab.page()
        sent = None
        if (states := login_states(page, *bl.BENCH_USERS["committee"])) is not None:
            sent = time.perf_counter()
            await tab.rerun(states)
            page = await tab.page()
            if (target := handover(page)) is not None:
                await tab.reopen_through(target)
                await tab.rerun()
                page = await tab.page()
        out.tiles_open = check(page, expect.tiles, expect.period_da)
        now = time.perf_counter()
        out.open_s, out.signed_in_s = now - start, now - (sent or start)
        out.types = page.types()
        if change:
            start = time.perf_counter()
            await tab.rerun([period_state(page, expect.other_da)])
            out.tiles_change = check(await tab.page(), expect.tiles, expect.other_da)
            out.change_s = time.perf_counter() - start
    except SessionError as exc:
        out.errors.append(str(exc))
    except failures as exc:
        out.errors.append(f"{type(exc).__name__}: {str(exc)[:200]} ({tab.step})")
    finally:
        out.bytes_in, out.retried = tab.bytes_in, tab.retried
        try:
            await tab.close()
        except failures as exc:
            out.errors.append(f"closing: {type(exc).__name__}: {str(exc)[:200]}")
    return out


# --------------------------------------------------------------------------- the engine's answer


def engine_tiles(db: Path, periods: Iterable) -> dict[str, list[str]]:
    """The overview's tile values for the committee, computed here by the engine exactly as the
    page does (pages/overblik.py): what every session must have been shown."""
    import kpis
    from kpis.access.roles import Role, scope_for
    from kpis.compute.engine import compute
    from kpis.compute.unit_cache import SnapshotCache
    from kpis.present.period_choice import periods_needed, resolve_comparison, trend_periods
    from kpis.present.tiles import SUPPRESSION_THRESHOLD, build_tiles, sections
    from kpis.rules.definitions import load_kpis

    kpiset, as_of = load_kpis(kpis.DEFAULT_KPIS), bl._as_of(db)
    scope, comparison = scope_for(Role.COMMITTEE), resolve_comparison(None)
    cache = SnapshotCache(db)
    try:
        out = {}
        for period in periods:
            needed = [p.label for p in periods_needed(period, comparison, as_of)]
            results = compute(cache, kpiset, needed, (), scope=scope)
            tiles = build_tiles(kpiset, results, period, comparison, trend_periods(period), as_of,
                                threshold=scope.suppress_below or SUPPRESSION_THRESHOLD)
            out[period.label] = [t.value_text for _, group in sections(tiles) for t in group]
        return out
    finally:
        cache.close()


# --------------------------------------------------------------------------- the load run


def bench_protocol(db: Path, users: int, logdir: Path, warm_first: bool = True,
                   ramp: float = 0.0, verify: bool = True, assets: bool = True) -> dict:
    """``users`` protocol-level sessions against one server, all released at the same moment (or
    spread evenly over ``ramp`` seconds). The figures have the keys of ``bench_load.bench_load``
    and, besides, the client's own CPU and the warming session's element types. ``assets``:
    each session fetches the JavaScript and CSS the page names (a first visit; without, a
    browser that has them cached: Streamlit serves them as immutable)."""
    from kpis.compute.periods import PeriodKind
    from kpis.present.period_choice import latest_complete, period_label_da

    as_of = bl._as_of(db)
    first = latest_complete(PeriodKind.QUARTER, as_of)
    other = first.previous()
    expect = Expect(bl._tile_count(), period_label_da(first), period_label_da(other))
    results: list[SessionResult] = []
    figures: dict = {}

    async def run(srv: bl.Server) -> None:
        if warm_first:  # open only, as bench_load's warming view
            with bl.CpuMeter(srv.proc.pid) as meter:
                warm = await session(srv.url, expect, change=False, assets=assets)
            figures["warm_up"] = {"opened_s": warm.open_s, "server_cpu_s": meter.server,
                                  "errors": warm.errors, "types": warm.types,
                                  "bytes_in": warm.bytes_in}
        gate = asyncio.Event()
        tasks = [asyncio.create_task(session(srv.url, expect, gate, i * ramp / users,
                                             assets=assets))
                 for i in range(users)]
        await asyncio.sleep(0.5)  # every task waits at the gate: now all at once
        client = time.process_time()
        with bl.CpuMeter(srv.proc.pid) as meter:
            gate.set()
            results.extend(await asyncio.gather(*tasks))
        figures["cpu"] = {"server": meter.server, "client": time.process_time() - client,
                          "wall": meter.wall}

    load_before = bl.load_average()
    log_path = logdir / f"protocol-{users}-ramp{ramp:g}.log"
    with bl.serve(db, log_path, **bl.bench_env(logdir)) as srv:
        asyncio.run(run(srv))
        figures["server_peak_rss_mb"] = bl.peak_rss_mb(srv.proc.pid)
    load_after = bl.load_average()
    log = log_path.read_text(errors="replace")
    server_errors = [line for line in log.splitlines() if "Traceback" in line or "ERROR" in line]
    errors = [e for r in results for e in r.errors] + [f"server: {e}" for e in server_errors]
    if verify:  # after the server has stopped: the check's CPU is not the server's
        expected = engine_tiles(db, [first, other])
        figures["engine_tiles"] = expected
        for i, r in enumerate(results):
            for seen, period in ((r.tiles_open, first), (r.tiles_change, other)):
                if seen and seen != expected[period.label]:
                    errors.append(f"session {i}: tiles of {period.label} {seen} differ from the "
                                  f"engine's {expected[period.label]}")
    figures["sample_tiles"] = next((r.tiles_open for r in results if r.tiles_open), [])
    return {"db": str(db), "users": users, "warm_first": warm_first, "ramp": ramp,
            "assets": assets,
            "open": [r.open_s for r in results if r.open_s is not None],
            "signed_in": [r.signed_in_s for r in results if r.signed_in_s is not None],
            "change": [r.change_s for r in results if r.change_s is not None],
            "errors": errors, "bytes_in": sum(r.bytes_in for r in results),
            "retried": [path for r in results for path in r.retried],
            "load_before": load_before, "load_after": load_after, **figures}


def summary(res: dict) -> list[str]:
    """The figures as lines of text (the CLI prints them; bench_all writes its own table)."""
    def mp(values: list[float]) -> str:
        median = statistics.median(values) if values else None
        return (f"median {median or 0:.2f} s, p95 {bl.percentile(values, 95) or 0:.2f} s "
                f"({len(values)} of {res['users']})")

    cpu = res["cpu"]
    lines = [f"{res['users']} protocol sessions"
             + (f" over {res['ramp']:g} s" if res["ramp"] else ", all at once"),
             f"  opened:         {mp(res['open'])}",
             f"  after login:    {mp(res['signed_in'])}",
             f"  period changed: {mp(res['change'])}",
             (f"  errors: {len(res['errors'])}; GETs sent again after the server closed a "
              f"kept-alive connection: {len(res['retried'])}"),
             (f"  wall {cpu['wall']:.1f} s; server CPU {cpu['server']:.1f} s "
              f"({cpu['server'] / res['users']:.2f} s per session); client CPU "
              f"{cpu['client']:.1f} s ({cpu['client'] / res['users']:.3f} s per session); "
              f"{res['bytes_in'] / res['users'] / 2**20:.1f} MB received per session"),
             (f"  server peak RSS {res['server_peak_rss_mb']:,.0f} MB; load average "
              f"{res['load_before']} → {res['load_after']}")]
    if warm := res.get("warm_up"):
        lines.append(f"  warming session (alone, open only): opened {warm['opened_s'] or 0:.2f} s, "
                     f"server CPU {warm['server_cpu_s']:.2f} s, errors {len(warm['errors'])}")
        lines.append("  its overview's elements: "
                     + ", ".join(f"{k} {v}" for k, v in sorted(warm["types"].items())))
    if res.get("sample_tiles"):
        lines.append(f"  tiles (one session): {res['sample_tiles']}")
    if "engine_tiles" in res:
        lines.append(f"  the engine's tiles: {res['engine_tiles']}")
    lines += [f"  error: {e}" for e in res["errors"][:20]]
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("db", type=Path, help="snapshot database to serve")
    p.add_argument("--users", type=int, default=30)
    p.add_argument("--ramp", type=float, default=0.0,
                   help="start the sessions over this many seconds (default: all at once)")
    p.add_argument("--cold", action="store_true", help="no warming session before the load")
    p.add_argument("--no-verify", dest="verify", action="store_false",
                   help="do not compare the tiles with the engine's own computation")
    p.add_argument("--no-assets", dest="assets", action="store_false",
                   help="sessions do not fetch the JavaScript and CSS (a browser that has them)")
    p.add_argument("--logs", type=Path, default=ROOT / "bench" / "out" / "logs")
    p.add_argument("--json", action="store_true", help="also print every figure as JSON")
    args = p.parse_args(argv)
    args.logs.mkdir(parents=True, exist_ok=True)
    res = bench_protocol(args.db.resolve(), args.users, args.logs, not args.cold, args.ramp,
                         args.verify, args.assets)
    print("\n".join(summary(res)))
    if args.json:
        print(json.dumps(res, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
