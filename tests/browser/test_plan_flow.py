"""Issue 14 in Chromium, on a server of its own over copies of config/plan.yaml, the plan's
history and an empty activity-status store (the repository's files are never touched):

- an analyst adds a goal tied to a KPI on *Redigér udviklingsplan* (Tilføj mål, with a reason);
- a department head marks an activity done on *Udviklingsplan*;
- the committee member sees both on *Udviklingsplan* and downloads the statusrapport; its PDF and
  Word open and show the same figures as the page — and those are the engine's, computed here
  directly with the committee's scope.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader
from signing_in import signs_in_on_every_load

import kpis
from kpis.access.demo_users import demo_user
from kpis.access.roles import Role, scope_for
from kpis.data.demo import DEMO_AS_OF
from kpis.data.snapshot import connect
from kpis.plan import status_store as ss
from kpis.plan.model import ActivityStatus
from kpis.plan.progress import progress
from kpis.plan.validate import load_plan
from kpis.plan.versions import plan_history_for
from kpis.present import plan_view as pv
from kpis.rules.definitions import load_kpis

pytestmark = pytest.mark.browser

WAIT_MS = 120_000
THEME, KPI_ID, TARGET = "Børnesamtaler", "boernesamtale_i_bfu", "95"
GOAL_TEXT = "Børnesamtale under mindst 95 % af de børnefaglige undersøgelser"
GOAL_ID = "boernesamtale_i_bfu_95"
ACTIVITY = "ics_uddannelse"  # the faglige koordinatorer's: no team, so a department head's
NO_FILE_PICKER = "delete window.showSaveFilePicker; window.showSaveFilePicker = undefined;"


@pytest.fixture(scope="module")
def plan_server(demo_db: Path, artifacts: Path, tmp_path_factory, app_server):
    folder = tmp_path_factory.mktemp("plan")
    plan_file = folder / "plan.yaml"
    shutil.copyfile(kpis.CONFIG_DIR / "plan.yaml", plan_file)
    env = {"PEJLEMAERKER_PLAN": str(plan_file),
           "PEJLEMAERKER_PLAN_HISTORY": str(folder / "plan_history"),
           "PEJLEMAERKER_PLAN_STATUS": str(folder / "plan_status.sqlite")}
    with app_server(demo_db, artifacts, "streamlit-plan.log", **env) as url:
        yield {"url": url, "plan": plan_file, "folder": folder, **env}


def idle(page) -> None:
    """Until the run a click started has finished and nothing on the page is stale."""
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"],"
        " [data-testid=\"stStatusWidgetRunningManIcon\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')", timeout=WAIT_MS)


def choose(page, label: str, option: str) -> None:
    """A selectbox's option, typed to filter the list (a long list is drawn in part only)."""
    box = page.get_by_role("combobox", name=label)
    box.click()
    box.press_sequentially(option)
    page.get_by_role("option", name=option, exact=True).click()
    idle(page)


@contextlib.contextmanager
def signed_in_page(browser, role: Role, artifacts: Path):
    """A browser of the role's own (signed in on every load); on a failure its screen is kept
    in test-artifacts/."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="da-DK",
                                  timezone_id="Europe/Copenhagen", accept_downloads=True)
    page = context.new_page()
    page.add_init_script(NO_FILE_PICKER)
    signs_in_on_every_load(page, demo_user(role))
    try:
        yield page
    except BaseException:
        with contextlib.suppress(Exception):  # the test's own error is the one to see
            page.screenshot(path=str(artifacts / f"plan-failed-{role.value}.png"),
                            timeout=15_000)
        raise
    finally:
        context.close()


def set_date(page, key: str, day) -> None:
    """A Streamlit date field is three spin buttons (day, month, year); typing moves on."""
    page.locator(f".st-key-{key}").get_by_role("spinbutton").first.click()
    page.keyboard.type(day.strftime("%d%m%Y"))
    page.keyboard.press("Tab")
    idle(page)


def summary_line(page, kpi_name: str) -> dict[str, str]:
    """The goal's »Nøgletal: … · Udgangspunkt: … · …« line as the page shows it."""
    line = page.locator('[data-testid="stMarkdownContainer"]').filter(
        has_text=re.compile(rf"^Nøgletal: {re.escape(kpi_name)} · ")).first
    line.wait_for(timeout=WAIT_MS)
    return dict(part.split(": ", 1) for part in line.inner_text().split(" · "))


def activity_rows(page, recommendation: str) -> list[dict[str, str]]:
    """The recommendation's activity table, as the page shows it (header cells as keys)."""
    heading = page.get_by_role("heading", name=recommendation, exact=True)
    table = heading.locator("xpath=following::*[@data-testid='stTable'][1]//table")
    table.scroll_into_view_if_needed()
    header = [normalised(t) for t in table.locator("thead th").all_inner_texts()]
    return [dict(zip(header, (normalised(t) for t in row.locator("td").all_inner_texts())))
            for row in table.locator("tbody tr").all()]


def download(page, button: str, path: Path) -> Path:
    with page.expect_download(timeout=WAIT_MS) as file:
        page.get_by_role("button", name=button).click()
    file.value.save_as(path)
    return path


def normalised(text: str) -> str:
    return " ".join(text.split())


def add_goal(page, url: str, kpi_name: str) -> None:
    """Tilføj mål on Redigér udviklingsplan, with a reason."""
    page.goto(f"{url}/planredigering", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Redigér udviklingsplan").wait_for(timeout=WAIT_MS)
    idle(page)
    choose(page, "Tema", THEME)
    choose(page, "Nøgletal", kpi_name)
    baseline = page.get_by_text("Udgangspunkt (beregnes):")
    baseline.wait_for(timeout=WAIT_MS)
    assert "4. kvartal 2024" in baseline.locator("xpath=..").inner_text()
    target = page.locator(".st-key-planedit_goal_target_percent input")
    target.fill(TARGET)
    target.press("Tab")
    page.locator(".st-key-planedit_goal_text input").fill(GOAL_TEXT)
    page.locator(".st-key-planedit_goal_reason input").fill("Vedtaget af udvalget")
    page.locator(".st-key-planedit_goal_reason input").press("Tab")
    idle(page)
    page.get_by_role("button", name="Tilføj mål").click()
    page.get_by_text(f"Mål {GOAL_ID} tilføjet som version 2.").wait_for(timeout=WAIT_MS)


def test_goal_added_activity_done_and_the_committees_statusrapport(browser, plan_server,
                                                                    demo_db, tmp_path,
                                                                    artifacts):
    url, plan_file = plan_server["url"], plan_server["plan"]
    kpiset = load_kpis(kpis.DEFAULT_KPIS)
    kpi_name = kpiset[KPI_ID].name
    original = load_plan(plan_file, kpiset)
    activity = original.activity(ACTIVITY)
    recommendation = next(r.title for t, r, a in original.activities() if a.id == ACTIVITY)

    # --- the analyst adds a goal tied to a KPI --------------------------------------------------
    with signed_in_page(browser, Role.ANALYST, artifacts) as page:
        add_goal(page, url, kpi_name)
    plan = load_plan(plan_file, kpiset)
    goal = next(g for _, _, g in plan.goals() if g.id == GOAL_ID)
    assert (goal.kpi, goal.target, goal.text) == (KPI_ID, 0.95, GOAL_TEXT)
    hist = plan_history_for(plan_file, Path(plan_server["PEJLEMAERKER_PLAN_HISTORY"]), kpiset)
    newest = hist.versions()[0]
    assert (newest.seq, newest.reason, newest.who) == (
        2, "Vedtaget af udvalget", demo_user(Role.ANALYST).user.display_name)

    # --- a department head marks an activity done ------------------------------------------------
    with signed_in_page(browser, Role.DEPARTMENT_HEAD, artifacts) as page:
        page.goto(f"{url}/udviklingsplan", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Opdatér en aktivitet").wait_for(timeout=WAIT_MS)
        idle(page)
        choose(page, "Aktivitet", activity.description)
        choose(page, "Ny status", "Gennemført")
        set_date(page, "plan_dato", DEMO_AS_OF)  # done on the data's date: the report date
        page.locator(".st-key-plan_note input").fill("Alle rådgivere har gennemført kurset")
        page.get_by_role("button", name="Gem status").click()
        page.get_by_text(f"»{activity.description}« er nu gennemført.").wait_for(
            timeout=WAIT_MS)
    store = Path(plan_server["PEJLEMAERKER_PLAN_STATUS"])
    last = ss.history(plan.id, path=store)[ACTIVITY][-1]
    assert (last.status, last.changed_on, last.actor) == (ActivityStatus.DONE, DEMO_AS_OF,
                                                          "afdeling")

    # --- the committee member sees both and downloads the statusrapport -------------------------
    with signed_in_page(browser, Role.COMMITTEE, artifacts) as page:
        page.goto(f"{url}/udviklingsplan", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Udviklingsplan", exact=True).wait_for(timeout=WAIT_MS)
        idle(page)
        page.get_by_text(GOAL_TEXT).first.wait_for(timeout=WAIT_MS)
        shown = summary_line(page, kpi_name)
        rows = {r["Aktivitet"]: r for r in activity_rows(page, recommendation)}
        pdf = download(page, "Hent statusrapport (PDF)", tmp_path / "statusrapport.pdf")
        word = download(page, "Hent statusrapport (Word)", tmp_path / "statusrapport.docx")
    assert rows[activity.description]["Status"] == "Gennemført"
    # The page's figures are the engine's for the committee (its suppression), computed here.
    conn = connect(demo_db, read_only=True)
    try:
        goals = progress(conn, kpiset, plan, DEMO_AS_OF, scope=scope_for(Role.COMMITTEE))
    finally:
        conn.close()
    expected = pv.goal_summary(next(gp for gp in goals if gp.goal.id == GOAL_ID), kpiset)
    assert shown == expected
    assert expected["Mål"] == "95,0 % senest 31. december 2027"

    pdf_text = normalised(" ".join(p.extract_text() for p in PdfReader(pdf).pages))
    assert normalised(GOAL_TEXT) in pdf_text
    for value in shown.values():
        assert normalised(value) in pdf_text, value
    carried_out = pdf_text.split("Gennemførte aktiviteter:", 1)[1]
    assert normalised(activity.description) in carried_out

    document = docx.Document(str(word))
    paragraphs = [p.text for p in document.paragraphs]
    assert any(GOAL_TEXT in p for p in paragraphs)  # its heading: "Mål: …"
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    goal_table = next(t for t in tables if ["Nøgletal", kpi_name] in t)
    assert dict(row for row in goal_table[1:]) == shown  # the same words, cell for cell
    done = [row for t in tables if t[0][:2] == ["Aktivitet", "Ansvarlig"] for row in t[1:]
            if row[0] == activity.description]
    assert done and done[0][3].startswith("Gennemført")
