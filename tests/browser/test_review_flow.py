"""Case review in a real browser, end to end (issue 13's done-when): a team leader draws this
period's ledelsestilsyn sample for their own teams, completes a review with one 'nej' and raises
a mangel; the review figure on their overview moves, the mangel is on their worklist, and a
committee member sees the figure — with its interval — but no case anywhere on their pages.

The snapshot is the demo municipality taken today (Danish time), so a review completed now
counts in the running month and quarter, which the overview can show. Its own reviews file holds
six reviews other teams completed this quarter (all 'ja'), so the committee's quarter rests on 5
or more cases and is shown, not withheld. The shipped ledelsestilsyn draws per quarter
(config/reviews.yaml), so "this period's sample" is this quarter's.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from signing_in import signs_in_on_every_load

import kpis
from kpis.access.demo_users import demo_user
from kpis.access.roles import Role
from kpis.compute.periods import PeriodKind, period_of
from kpis.data.demo import DEMO_PROFILE, generate
from kpis.data.importer import run_import
from kpis.data.pseudonym import DEMO_KEY
from kpis.data.snapshot import hold_snapshot
from kpis.data.upload import DEMO_SOURCE_PREFIX
from kpis.present.formatting import danish_today
from kpis.review import store
from kpis.review.model import DEFAULT_REVIEWS
from kpis.review.service import draw_sample
from kpis.review.validate import load_and_validate
from kpis.rules.definitions import load_kpis

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

WAIT_MS = 120_000
KPI = "tilsyn_barnets_stemme"
QUESTION = "Er barnets synspunkter beskrevet i sagens seneste skridt?"
OWN_TEAMS = demo_user(Role.DEPARTMENT_HEAD).user.teams
EARLIER = 6  # reviews of other teams done earlier this quarter, all 'ja'
CASE_ID = re.compile(r"\b\d{4}-\d{5}\b")  # the demo's case numbers, e.g. 2025-00275
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MANGEL = "Beskriv barnets synspunkter fra den seneste opfølgning"


@pytest.fixture(scope="module")
def today_db(tmp_path_factory) -> Iterator[tuple[Path, Path]]:
    """The demo municipality as exported today, and a reviews file of its own."""
    folder = tmp_path_factory.mktemp("review-browser")
    today = danish_today()
    with tempfile.TemporaryDirectory(prefix=DEMO_SOURCE_PREFIX) as export:
        generate(Path(export), as_of=today)
        db = folder / "pejlemaerker.duckdb"
        run_import(Path(export), db, profile=DEMO_PROFILE, as_of=today, pseudonym_key=DEMO_KEY)
    reviews = folder / "reviews.sqlite"
    _earlier_reviews(db, reviews)
    yield db, reviews


def _earlier_reviews(db: Path, reviews: Path) -> None:
    programme = load_and_validate(DEFAULT_REVIEWS)["ledelsestilsyn"]
    held = hold_snapshot(db)
    conn = held.connect()
    try:
        teams = {t for (t,) in conn.sql("SELECT DISTINCT team FROM cases").fetchall()}
        others = frozenset(teams - OWN_TEAMS)
        draft = draw_sample(conn, held.meta.snapshot_id, held.meta.as_of, programme, 7,
                            teams=others, reviews_db=reviews)
    finally:
        conn.close()
    other_head = store.Actor("andenleder", "department_head", audited=False)
    sample_id = store.save_sample(draft.sample, other_head, path=reviews)
    assert len(draft.sample.cases) >= EARLIER
    for case in draft.sample.cases[:EARLIER]:
        rid = store.open_review(sample_id, case.case_id, other_head, path=reviews)
        answers = {q.id: ("ja", None) for q in programme.questions}
        store.save_answers(rid, answers, other_head, path=reviews)
        store.complete(rid, other_head, on=held.meta.as_of, path=reviews)


@pytest.fixture(scope="module")
def review_url(today_db, app_server, artifacts) -> Iterator[str]:
    db, reviews = today_db
    with app_server(db, artifacts, "streamlit-review.log",
                    PEJLEMAERKER_REVIEWS=str(reviews)) as url:
        yield url


@pytest.fixture
def signed_in(browser, outside_requests):
    """A browser page signed in as the demo user of ``role`` on every load."""
    contexts = []

    def open_as(role: Role):
        context = browser.new_context(viewport={"width": 1400, "height": 1400}, locale="da-DK",
                                      timezone_id="Europe/Copenhagen")
        contexts.append(context)
        page = context.new_page()
        # A table's CSV comes as a plain download when the browser offers no file picker.
        page.add_init_script("delete window.showSaveFilePicker; "
                             "window.showSaveFilePicker = undefined;")
        signs_in_on_every_load(page, demo_user(role))
        return page

    yield open_as
    for context in contexts:
        context.close()


def _idle(page) -> None:
    """Wait until the run a click started has finished and nothing on the page is stale."""
    page.wait_for_timeout(400)
    try:
        _wait_idle(page)
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "review-not-idle.png"), full_page=True)
        raise


def _wait_idle(page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"],"
        " [data-testid=\"stStatusWidgetRunningManIcon\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')", timeout=WAIT_MS)


def _tile(page, url: str, period: str) -> tuple[str, str]:
    """The review figure's tile on the overview for ``period``: its value and its words."""
    page.goto(f"{url}/?periode={period}", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Overblik", exact=True).wait_for(timeout=WAIT_MS)
    tile = page.locator(f".st-key-tile_{KPI}")
    tile.locator('[data-testid="stMetricValue"]').wait_for(timeout=WAIT_MS)
    _idle(page)
    return (tile.locator('[data-testid="stMetricValue"]').inner_text().strip(),
            " ".join(tile.inner_text().split()))


def _grid_csv(page, grid) -> list[dict[str, str]]:
    """Everything a table holds, through its own "Download as CSV" (the grid is a canvas)."""
    grid.wait_for(timeout=WAIT_MS)
    grid.hover()
    container = grid.locator("xpath=ancestor::*[@data-testid='stElementContainer'][1]")
    with page.expect_download(timeout=WAIT_MS) as download:
        container.get_by_role("button", name="Download as CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def _pick(page, key: str, option: str | re.Pattern) -> None:
    page.locator(f".st-key-{key}").get_by_role("button", name="Open").click()
    page.get_by_role("option", name=option).first.click()
    _idle(page)


def test_a_team_leader_reviews_and_the_committee_sees_the_figure_not_the_case(
        today_db, review_url, signed_in, artifacts, outside_requests):
    _, reviews = today_db
    today = danish_today()
    month = period_of(PeriodKind.MONTH, today).label
    quarter = period_of(PeriodKind.QUARTER, today).label
    name = load_kpis(kpis.DEFAULT_KPIS)[KPI].name

    head = signed_in(Role.DEPARTMENT_HEAD)
    # Before: no review of the leader's own teams this month.
    before, _ = _tile(head, review_url, month)
    assert before == "–"

    # Draw this quarter's sample: one case per caseworker of the leader's own teams.
    head.goto(f"{review_url}/sagsgennemgang", wait_until="domcontentloaded")
    head.get_by_role("heading", name="Sagsgennemgang").wait_for(timeout=WAIT_MS)
    head.get_by_role("tab", name="Udtræk sager").click()
    _pick(head, "program", "Ledelsestilsyn")
    expect(head.locator(".st-key-vindue input")).to_have_value(quarter, timeout=WAIT_MS)
    head.locator(".st-key-udtraek button").click()
    head.get_by_text(re.compile(r"\d+ sager udtrukket blandt \d+ mulige")).wait_for(
        timeout=WAIT_MS)
    _idle(head)
    drawn = store.drawn_cases(path=reviews)
    own = drawn.filter(drawn["team"].is_in(list(OWN_TEAMS)))
    assert own.height > 0 and set(own["round"]) == {quarter}

    # Review the first case: 'nej' to the child's views, 'ja' to the rest.
    head.get_by_role("tab", name="Mine gennemgange").click()
    _pick(head, "valgt", re.compile(r"\d+ \(" + quarter))
    form = head.locator('[data-testid="stForm"]')
    form.wait_for(timeout=WAIT_MS)
    title = head.get_by_role("heading", name=re.compile(r"^Sag \S+: Kladde$"))
    case_id = re.match(r"Sag (\S+):", title.inner_text()).group(1)
    applies = head.get_by_text(re.compile(r"\d+ af \d+ spørgsmål gælder for sagen"))
    count = int(re.search(r"(\d+) af \d+ spørgsmål", applies.inner_text(timeout=WAIT_MS))
                .group(1))
    groups = form.locator('[data-testid="stRadio"]')
    expect(groups).to_have_count(count, timeout=WAIT_MS)
    asked = []
    for i in range(groups.count()):
        group = groups.nth(i)
        text = group.inner_text()
        asked.append(QUESTION in text)
        group.get_by_text("Nej" if QUESTION in text else "Ja", exact=True).click()
    assert any(asked), "the child's views are asked of every case"
    form.get_by_role("button", name="Afslut gennemgang").click()
    head.get_by_role("heading", name=f"Sag {case_id}: Afsluttet").wait_for(timeout=WAIT_MS)
    _idle(head)

    # The 'nej' raises a mangel for the caseworker to correct.
    head.get_by_text("Opret mangel", exact=True).first.click()
    what = head.locator(".st-key-mangel_hvad input")
    what.fill(MANGEL)
    what.press("Enter")  # the text is the app's once the field says so (a rerun)
    _idle(head)
    button = head.locator(".st-key-mangel_opret button")
    if not button.is_visible():  # the rerun may fold the expander again
        head.get_by_text("Opret mangel", exact=True).first.click()
    expect(what).to_have_value(MANGEL)
    button.click()
    head.get_by_text("Manglen er oprettet").wait_for(timeout=WAIT_MS)
    opened = store.mangler(path=reviews)
    assert opened["case_id"].to_list() == [case_id] and opened["what"].to_list() == [MANGEL]

    # The figure on the leader's overview moved: 0 of 1, with its interval and its one case.
    after, words = _tile(head, review_url, month)
    assert after == "0,0 %"
    assert "95 %-interval 0–79 %" in words and "n = 1 sag" in words, words
    head.screenshot(path=str(artifacts / "review-head-overblik.png"), full_page=True)

    # The mangel is on the worklist until it is closed.
    head.goto(f"{review_url}/fristoversigt", wait_until="domcontentloaded")
    head.get_by_role("heading", name="Åbne mangler fra sagsgennemgang: 1").wait_for(
        timeout=WAIT_MS)
    rows = _grid_csv(head, head.locator('[data-testid="stDataFrame"]').last)
    assert [(r["Sag"], r["Hvad skal rettes"]) for r in rows] == [(case_id, MANGEL)], rows

    # The committee: the quarter's figure (6 'ja' of others, 1 'nej' now: 6 of 7), shown with
    # its interval, and no case number on any of its pages.
    committee = signed_in(Role.COMMITTEE)
    value, words = _tile(committee, review_url, quarter)
    assert value == "85,7 %", words
    # 6 of 7: Wilson 48,7–97,4 %.
    assert "95 %-interval 49–97 %" in words and "n = 7 sager" in words, words
    committee.screenshot(path=str(artifacts / "review-committee-overblik.png"), full_page=True)
    pages = {"Overblik": f"/?periode={quarter}", name: f"/noegletal?kpi={KPI}&periode={quarter}",
             "Katalog": "/katalog"}
    for heading, path in pages.items():
        committee.goto(f"{review_url}{path}", wait_until="domcontentloaded")
        committee.get_by_role("heading", name=heading).first.wait_for(timeout=WAIT_MS)
        _idle(committee)
        text = committee.locator("body").inner_text()
        assert case_id not in text, path
        assert not CASE_ID.search(text), (path, CASE_ID.search(text))
    # The committee has no way to the reviews at all.
    committee.goto(f"{review_url}/sagsgennemgang", wait_until="domcontentloaded")
    committee.get_by_role("heading", name="Overblik", exact=True).wait_for(timeout=WAIT_MS)
    _idle(committee)
    assert committee.get_by_role("heading", name="Sagsgennemgang").count() == 0
    assert case_id not in committee.locator("body").inner_text()
    assert outside_requests == []
