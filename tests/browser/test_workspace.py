"""The analysts' workspace in Chromium, on its own server over copies of the database and of
config/kpis.yaml (the repository's file is never touched):

- change a target, preview it, save it with a reason, see it on Overblik, restore the old version;
- a broken YAML shows its problems and changes nothing;
- upload the demo export (zipped) with three added bad rows: exactly the known bad rows are
  quarantined;
- the catalogue shows the change.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from pathlib import Path

import pytest
from signing_in import sign_in
from workspace_data import add_bad_rows, zip_folder

import kpis
from kpis.access.demo_users import demo_user
from kpis.access.roles import Role
from kpis.data.demo import DEMO_AS_OF, generate
from kpis.data.inventory import load_inventory
from kpis.data.upload import source_label
from kpis.rules.blocks import kpi_block, replace_kpi
from kpis.rules.history import history_for
from pages._auth import DEMO_GONE_AFTER_IMPORT

pytestmark = pytest.mark.browser
README_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

WAIT_MS = 120_000
KPI_ID, KPI_NAME = "boernesamtale_i_bfu", "Børnesamtale under den børnefaglige undersøgelse"
OLD_TARGET, NEW_TARGET = "target: 0.95", "target: 0.50"
ANALYST = demo_user(Role.ANALYST).user.display_name  # the page fixture signs in as the analyst


@pytest.fixture(scope="module")
def workspace(demo_db: Path, artifacts: Path, tmp_path_factory, app_server):
    """A server of its own: a copy of the demo database, of the definitions and a history."""
    folder = tmp_path_factory.mktemp("workspace")
    db = folder / "pejlemaerker.duckdb"
    shutil.copyfile(demo_db, db)
    kpis_file = folder / "kpis.yaml"
    shutil.copyfile(kpis.DEFAULT_KPIS, kpis_file)
    history = folder / "historik"
    with app_server(db, artifacts, "streamlit-workspace.log", PEJLEMAERKER_KPIS=str(kpis_file),
                   PEJLEMAERKER_HISTORY=str(history),
                   PEJLEMAERKER_PSEUDONYM_KEY="") as url:
        yield {"url": url, "db": db, "kpis": kpis_file, "history": history, "folder": folder}


REAL_ADMIN = ("kirsten", "kirstens-kode-1")


@pytest.fixture(scope="module")
def upload_server(demo_db: Path, artifacts: Path, tmp_path_factory, app_server):
    """A server over a database of its own: an upload replaces the snapshot (and demo users sign
    in on demo data only), so the other tests must not share it."""
    from kpis.access.demo_users import write_demo_users
    from kpis.access.users import add_user, make_user

    folder = tmp_path_factory.mktemp("upload")
    db = folder / "pejlemaerker.duckdb"
    shutil.copyfile(demo_db, db)
    # A real administrator besides the demo's users: without one the page holds an upload back.
    users = write_demo_users(folder / "users.toml")
    add_user(make_user(REAL_ADMIN[0], "admin"), REAL_ADMIN[1], users)
    with app_server(db, artifacts, "streamlit-upload.log", PEJLEMAERKER_PSEUDONYM_KEY="",
                    PEJLEMAERKER_HISTORY=str(folder / "historik"),
                    PEJLEMAERKER_USERS=str(users)) as url:
        yield {"url": url, "db": db}


def idle(page) -> None:
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=WAIT_MS)
    page.wait_for_timeout(600)


def shot(page, artifacts: Path, name: str, height: int = 2600, readme: str | None = None) -> None:
    """The page in a tall window (Streamlit scrolls inside it); with
    PEJLEMAERKER_UPDATE_SCREENSHOTS=1 also copied to docs/screenshots/ for the README."""
    idle(page)
    size = page.viewport_size
    page.set_viewport_size({"width": 1400, "height": height})
    page.wait_for_timeout(1200)
    page.screenshot(path=str(artifacts / f"{name}.png"))
    page.set_viewport_size(size)
    if readme and os.environ.get("PEJLEMAERKER_UPDATE_SCREENSHOTS"):
        shutil.copyfile(artifacts / f"{name}.png", README_SCREENSHOTS / readme)


def open_editor(page, url: str) -> None:
    page.goto(f"{url}/definitioner", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Nøgletalsdefinitioner").wait_for(timeout=WAIT_MS)
    page.get_by_label("Definitioner (YAML)").wait_for(timeout=WAIT_MS)
    idle(page)


def edit(page, change) -> None:
    editor = page.get_by_label("Definitioner (YAML)")
    editor.fill(change(editor.input_value()))


def lower_target(text: str) -> str:
    """The file with one KPI's target changed, everything else as it was."""
    block = kpi_block(text, KPI_ID)
    return replace_kpi(text, KPI_ID, block.replace(OLD_TARGET, NEW_TARGET))


def tile_target(page, url: str) -> str:
    page.goto(url, wait_until="domcontentloaded")
    tile = page.locator(f".st-key-tile_{KPI_ID}")
    tile.wait_for(timeout=WAIT_MS)
    idle(page)
    return tile.inner_text()


def test_change_preview_save_overview_restore(page, workspace, artifacts, outside_requests):
    url, kpis_file = workspace["url"], workspace["kpis"]
    original = kpis_file.read_text(encoding="utf-8")
    assert "Mål: 95,0 %" in tile_target(page, url)

    open_editor(page, url)
    edit(page, lower_target)
    page.get_by_role("button", name="Forhåndsvis").click()
    page.get_by_role("heading", name=re.compile("^Forhåndsvisning")).wait_for(timeout=WAIT_MS)
    change = page.locator("li").filter(has_text=f"Ændret: {KPI_NAME}")
    change.wait_for(timeout=WAIT_MS)
    assert change.inner_text().endswith("— mål 95,0 % → 50,0 %")  # the value stays
    assert kpis_file.read_text(encoding="utf-8") == original  # a preview writes nothing
    shot(page, artifacts, "workspace-preview", height=1900, readme="definitions.png")

    page.get_by_label("Begrundelse (kræves)").fill("Udvalget sænkede målet midlertidigt")
    page.get_by_role("button", name="Gem", exact=True).click()
    page.get_by_text("Gemt som version 2").wait_for(timeout=WAIT_MS)
    assert kpis_file.read_text(encoding="utf-8") == lower_target(original) != original

    # The overview uses the new target at once, without a restart.
    assert "Mål: 50,0 %" in tile_target(page, url)

    # The catalogue tells who changed the target, when and why.
    page.goto(f"{url}/katalog", wait_until="domcontentloaded")
    entry = page.locator(f".st-key-katalog_{KPI_ID}")
    entry.wait_for(timeout=WAIT_MS)
    idle(page)
    text = entry.inner_text()
    assert ANALYST in text and "Udvalget sænkede målet midlertidigt" in text
    shot(page, artifacts, "workspace-catalogue", height=3000)

    # Restore version 1 from the history.
    open_editor(page, url)
    page.get_by_role("tab", name="Historik").click()
    page.get_by_role("combobox", name="Version").click()
    page.get_by_role("option", name=re.compile(r"^Nr\. 1 ·")).click()
    idle(page)
    page.get_by_text("filen nu", exact=True).click()
    idle(page)
    diff = page.locator('[data-testid="stCode"]').last.inner_text()
    assert "-    target: 0.95" in diff and "+    target: 0.50" in diff  # version 1 → the file now
    page.get_by_label("Begrundelse for at gendanne (kræves)").fill("Tilbage til det vedtagne")
    page.get_by_role("button", name="Gendan version 1").click()
    page.get_by_text("Version 1 er gendannet som version 3").wait_for(timeout=WAIT_MS)
    shot(page, artifacts, "workspace-history")
    assert kpis_file.read_text(encoding="utf-8") == original
    assert "Mål: 95,0 %" in tile_target(page, url)

    hist = history_for(kpis_file, workspace["history"])
    assert [(v.seq, v.action.value, v.who) for v in hist.versions()] == [
        (3, "restore", ANALYST), (2, "save", ANALYST), (1, "first", "installationen")]
    assert outside_requests == []


def test_broken_yaml_shows_problems_and_changes_nothing(page, workspace, artifacts,
                                                        outside_requests):
    url, kpis_file = workspace["url"], workspace["kpis"]
    before = kpis_file.read_bytes()
    open_editor(page, url)
    edit(page, lambda text: text.replace("source: investigations", "source: investigation", 1))
    page.get_by_role("button", name="Valider").click()
    problem = page.locator("li").filter(has_text="ukendt kilde 'investigation'")
    problem.wait_for(timeout=WAIT_MS)
    line = next(i for i, ln in enumerate(before.decode().splitlines(), 1)
                if "source: investigations" in ln)
    assert f"Linje {line} · bfu_4_mdr · deadline.source" in problem.inner_text()
    assert "mente du 'investigations'" in problem.inner_text()
    shot(page, artifacts, "workspace-problems")

    page.get_by_label("Begrundelse (kræves)").fill("prøver at gemme")
    page.get_by_role("button", name="Gem", exact=True).click()
    page.get_by_text("Intet er gemt: definitionerne har problemer").wait_for(timeout=WAIT_MS)
    assert kpis_file.read_bytes() == before

    # Not even valid YAML: the parser's line is shown, and still nothing is written.
    edit(page, lambda text: text.replace("kind: deadline", "kind: [deadline", 1))
    page.get_by_role("button", name="Valider").click()
    page.get_by_text(re.compile("YAML kan ikke læses")).wait_for(timeout=WAIT_MS)
    page.get_by_role("button", name="Gem", exact=True).click()
    page.get_by_text("Intet er gemt: definitionerne har problemer").wait_for(timeout=WAIT_MS)
    assert kpis_file.read_bytes() == before
    assert outside_requests == []


def test_upload_demo_export_quarantines_exactly_the_bad_rows(page, upload_server, artifacts,
                                                             outside_requests, tmp_path):
    export = tmp_path / "export"
    manifest = generate(export, as_of=DEMO_AS_OF)
    added = add_bad_rows(export)
    archive = zip_folder(export, tmp_path / "udtraek-november.zip")
    expected_rows = {(b.file, b.row) for b in manifest.bad_rows} | {(f, r) for f, r, _, _ in added}

    page.goto(f"{upload_server['url']}/oversigt_data", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Indlæs et nyt udtræk").wait_for(timeout=WAIT_MS)
    idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(archive))
    page.get_by_text("udtraek-november.zip").wait_for(timeout=WAIT_MS)
    # The date field is three spin buttons (day, month, year); typing moves on by itself.
    page.get_by_role("spinbutton", name=re.compile("^day, Opgjort pr")).click()
    page.keyboard.type(DEMO_AS_OF.strftime("%d%m%Y"))
    page.keyboard.press("Tab")
    idle(page)
    page.get_by_text("Brug demokommunens offentlige nøgle").click()
    page.get_by_text(re.compile("Pseudonymnøgle: demokommunens offentlige nøgle")).wait_for(
        timeout=WAIT_MS)
    idle(page)
    # Over the demo: the page says the demo users stop working, and waits for an answer.
    page.get_by_text(re.compile("demobrugerne .* kan ikke længere logge ind")).wait_for(
        timeout=WAIT_MS)
    assert page.get_by_role("button", name="Indlæs udtrækket").is_disabled()
    page.get_by_text("Jeg forstår, at demobrugerne holder op med at virke").click()
    idle(page)
    shot(page, artifacts, "workspace-upload", height=1200)
    page.get_by_role("button", name="Indlæs udtrækket").click()
    # As said before the import: the demo analyst is signed out once the data are real, and the
    # login form says that the import went through.
    page.get_by_text(DEMO_GONE_AFTER_IMPORT).wait_for(timeout=240_000)
    shot(page, artifacts, "workspace-upload-signed-out", height=900)
    assert page.get_by_role("button", name="Log ud").count() == 0
    inv = load_inventory(upload_server["db"])
    assert inv.meta.as_of == DEMO_AS_OF
    assert inv.history.height >= 2  # the demo import and this one
    assert source_label(inv.meta.source).startswith("upload: udtraek-november/")
    # Nor does the demo analyst's cookie sign a new tab in.
    tab = page.context.new_page()
    tab.goto(upload_server["url"], wait_until="domcontentloaded")
    tab.get_by_label("Brugernavn").wait_for(timeout=WAIT_MS)
    assert tab.get_by_role("button", name="Log ud").count() == 0
    tab.close()

    sign_in(page, *REAL_ADMIN)  # the page asked for is still the Data page
    page.get_by_role("heading", name="Indlæs et nyt udtræk").wait_for(timeout=WAIT_MS)
    idle(page)

    with page.expect_download(timeout=WAIT_MS) as download:
        page.get_by_role("button", name="Hent hele karantænen som CSV").click()
    data = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    records = list(csv.DictReader(io.StringIO(data), delimiter=";"))
    assert {(r["Fil"], int(r["Række"])) for r in records} == expected_rows
    got_added = {(r["Fil"], int(r["Række"]), r["Kolonne"], r["Årsag"]) for r in records
                 if (r["Fil"], int(r["Række"])) in {(f, n) for f, n, _, _ in added}}
    assert got_added == added
    assert not any(re.search(r"\d{6}-?\d{4}", r["Værdi"]) for r in records)  # never a CPR
    shot(page, artifacts, "workspace-data", height=4200)
    assert outside_requests == []


@pytest.mark.signed_in_as(None)  # after the upload above the demo's users no longer sign in
def test_upload_of_a_zip_with_lying_headers_is_refused_on_the_page(page, upload_server, artifacts,
                                                                   outside_requests):
    from tests.test_upload import lying_zip

    rows = b"sag_id;modtaget\n" + b"S1;2025-01-02\n" * 500
    archive = Path(upload_server["db"]).parent / "beskadiget.zip"
    archive.write_bytes(lying_zip({"sager.csv": rows}, "sager.csv"))
    before = Path(upload_server["db"]).read_bytes()
    page.goto(f"{upload_server['url']}/oversigt_data", wait_until="domcontentloaded")
    sign_in(page, *REAL_ADMIN)
    page.get_by_role("heading", name="Indlæs et nyt udtræk").wait_for(timeout=WAIT_MS)
    idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(archive))
    page.get_by_text("beskadiget.zip").wait_for(timeout=WAIT_MS)
    idle(page)
    demo_left = page.get_by_text("Jeg forstår, at demobrugerne holder op med at virke")
    if demo_left.count():  # this test alone: the database is still the demo
        demo_left.click()
        idle(page)
    page.get_by_role("button", name="Indlæs udtrækket").click()
    refusal = page.get_by_text(re.compile("Importen er afvist: beskadiget.zip er beskadiget"))
    refusal.wait_for(timeout=WAIT_MS)
    assert "filen 'sager.csv' kan ikke pakkes ud" in refusal.inner_text()
    assert "Databasen er ikke ændret" in refusal.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0  # no traceback on the page
    shot(page, artifacts, "workspace-upload-damaged-zip", height=1200)
    assert Path(upload_server["db"]).read_bytes() == before
    assert outside_requests == []


def signed_in_page(browser, url: str, role: Role):
    """A second person in a browser of their own, signed in through the login form."""
    who = demo_user(role)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="da-DK")
    other = context.new_page()
    other.goto(f"{url}/definitioner", wait_until="domcontentloaded")
    other.get_by_label("Brugernavn").fill(who.user.username)
    other.get_by_label("Adgangskode").fill(who.password)
    other.get_by_role("button", name="Log ind", exact=True).click()
    other.get_by_role("heading", name="Nøgletalsdefinitioner").wait_for(timeout=WAIT_MS)
    other.get_by_label("Definitioner (YAML)").wait_for(timeout=WAIT_MS)
    idle(other)
    return context, other


def test_two_analysts_save_at_once_nothing_is_lost(page, browser, workspace, artifacts,
                                                   outside_requests):
    url, kpis_file = workspace["url"], workspace["kpis"]
    original = kpis_file.read_text(encoding="utf-8")
    open_editor(page, url)  # the analyst opens the file ...
    context, colleague = signed_in_page(browser, url, Role.ADMINISTRATOR)
    try:
        # ... and a colleague saves a lower target meanwhile.
        edit(colleague, lower_target)
        colleague.get_by_label("Begrundelse (kræves)").fill("Kollegaens ændring")
        colleague.get_by_role("button", name="Gem", exact=True).click()
        colleague.get_by_text(re.compile(r"Gemt som version \d+")).wait_for(timeout=WAIT_MS)
    finally:
        context.close()
    theirs = kpis_file.read_text(encoding="utf-8")
    assert theirs == lower_target(original)

    def new_owner(text: str) -> str:
        return text.replace("owner: Afdelingsledelsen", "owner: Familieafdelingen")

    edit(page, new_owner)
    page.get_by_label("Begrundelse (kræves)").fill("Ny ejer")
    page.get_by_role("button", name="Gem", exact=True).click()
    administrator = demo_user(Role.ADMINISTRATOR).user.display_name
    page.get_by_text(f"Filen er ændret, siden du åbnede den — af {administrator}").wait_for(
        timeout=WAIT_MS)
    diffs = " ".join(page.locator('[data-testid="stCode"]').all_inner_texts())
    assert "+    target: 0.50" in diffs
    assert kpis_file.read_text(encoding="utf-8") == theirs  # their save stands
    mine = new_owner(original)
    assert page.get_by_label("Definitioner (YAML)").input_value() == mine  # kept in the editor
    with page.expect_download(timeout=WAIT_MS) as download:
        page.get_by_role("button", name="Hent din tekst").click()
    assert Path(download.value.path()).read_text(encoding="utf-8") == mine
    shot(page, artifacts, "workspace-conflict", height=1600)

    # Both changes touch different KPIs: mine is laid on top of theirs, and saved.
    page.get_by_role("button", name="Læg dine ændringer oven i den nye version").click()
    page.get_by_text("Dine ændringer er lagt oven i den nye version.").wait_for(timeout=WAIT_MS)
    idle(page)  # the run has finished: the new (empty) reason field has replaced the old one
    page.get_by_label("Begrundelse (kræves)").fill("Ny ejer")
    page.get_by_role("button", name="Gem", exact=True).click()
    page.get_by_text(re.compile(r"Gemt som version \d+")).wait_for(timeout=WAIT_MS)
    assert kpis_file.read_text(encoding="utf-8") == new_owner(theirs)
    assert outside_requests == []
