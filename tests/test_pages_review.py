"""AppTest of Sagsgennemgang on the demo database: a team leader draws this quarter's
ledelsestilsyn for their own teams, completes a review with a mangel, and the committee is kept
out. What the page shows is checked against kpis.review called directly."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from kpis.access import audit
from kpis.review import store

pytestmark = pytest.mark.usefixtures("clear_streamlit_caches", "demo_db")

TIMEOUT = 180
APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "pages/sagsgennemgang.py"
LEADER_TEAMS = {"Team Nord", "Team Syd"}  # the demo department head's teams


@pytest.fixture
def reviews_db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "reviews.sqlite"
    monkeypatch.setenv(store.REVIEWS_ENV, str(path))
    return path


def _last_audit_id() -> int:
    newest = audit.read(1)
    return int(newest["id"][0]) if newest.height else 0


def _exports_since(after_id: int, actor: str) -> list[tuple[str, str]]:
    """(page, file) of each export ``actor`` made after ``after_id``, oldest first."""
    log = audit.read(None).filter((pl.col("id") > after_id) & (pl.col("actor") == actor)
                                  & (pl.col("action") == "export")).sort("id")
    return list(zip(log["page"].to_list(), log["detail"].to_list()))


def _open() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.signed_in_as("department_head")
def test_a_team_leader_draws_reviews_and_raises_a_mangel(reviews_db):
    at = _open()
    at.selectbox(key="program").set_value(
        next(o for o in at.selectbox(key="program").options if "Ledelsestilsyn" in o))
    at.button(key="udtraek").click().run()
    assert not at.exception, [e.message for e in at.exception]
    drawn = store.drawn_cases()
    assert drawn.height > 0
    assert set(drawn["team"]) <= LEADER_TEAMS  # only the leader's own teams
    assert drawn["caseworker"].n_unique() == drawn.height  # one case per caseworker
    assert any("sager udtrukket blandt" in s.value for s in at.success)

    at.selectbox(key="valgt").set_value(0).run()
    assert not at.exception, [e.message for e in at.exception]
    case_id = drawn["case_id"][0]
    assert any(f"Sag {case_id}" in h.value for h in at.subheader)
    radios = [r for r in at.radio if r.key and r.key.startswith("a_")]
    assert radios, "the form shows the questions that apply"
    for r in radios:
        r.set_value("ja")
    radios[0].set_value("nej")
    at.button(key="FormSubmitter:svar-Afslut gennemgang").click().run()
    assert not at.exception, [e.message for e in at.exception]
    review = store.reviews().row(0, named=True)
    assert (review["case_id"], review["status"], review["reviewer"]) == (
        case_id, "completed", "afdeling")
    found = store.findings()
    assert found.height == len(radios)
    assert sorted(found["answer"].to_list()).count("nej") == 1

    at.text_input(key="mangel_hvad").set_value("Beskriv skoleforhold i undersøgelsen")
    at.button(key="mangel_opret").click().run()
    assert not at.exception, [e.message for e in at.exception]
    open_ = store.mangler()
    assert open_.select("case_id", "what").rows() == [
        (case_id, "Beskriv skoleforhold i undersøgelsen")]
    log = audit.read(20)
    mine = log.filter(log["actor"] == "afdeling")["action"].to_list()
    assert {"review_sample", "review_open", "review_save", "review_complete",
            "mangel_create"} <= set(mine)


@pytest.mark.signed_in_as("department_head")
def test_a_comment_with_a_cpr_number_is_refused_on_the_page(reviews_db):
    at = _open()
    at.button(key="udtraek").click().run()
    at.selectbox(key="valgt").set_value(0).run()
    comment = next(t for t in at.text_input if t.key and t.key.startswith("k_"))
    comment.set_value("Barnet 010203-1234 er ikke set")
    at.button(key="FormSubmitter:svar-Gem kladde").click().run()
    assert any("CPR-nummer" in e.value for e in at.error)
    assert "010203" not in reviews_db.read_bytes().decode("latin-1")


@pytest.mark.signed_in_as("committee")
def test_the_committee_gets_no_case_review(reviews_db):
    from pages._access import NO_CASE_LEVEL_DA

    # Not in the committee's menu (tests/menus.py); the page itself, run all the same, stops.
    at = AppTest.from_file(str(Path(APP).parent / PAGE), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.message for e in at.exception]
    assert [i.value for i in at.info] == [NO_CASE_LEVEL_DA]
    assert not at.button and not at.radio  # no draw, no form
    assert not reviews_db.exists()


@pytest.mark.signed_in_as("department_head")
def test_open_mangler_show_on_the_worklist_for_the_leaders_teams(reviews_db):
    from datetime import date

    from kpis.compute.engine import Scope
    from kpis.review.sampling import Drawn

    analyst = store.Actor("ana", "analyst", Scope())
    new = store.NewSample("sagsmaaling", "nulpunktsmaaling", "12 mdr.", date(2025, 12, 1),
                          date(2026, 11, 20), 1, "snap", {"n": 2}, ("X1", "X2"),
                          (Drawn("X1", "Team Nord", "Anne"), Drawn("X2", "Team Øst", "Bo")))
    sid = store.save_sample(new, analyst)
    for case, what in (("X1", "Beskriv skoleforhold"), ("X2", "Andet teams mangel")):
        rid = store.open_review(sid, case, analyst)
        store.save_answers(rid, {"bfu_alle_omraader": ("nej", None)}, analyst)
        store.add_mangel(rid, "bfu_alle_omraader", what, "x", date(2026, 12, 20), analyst)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/fristoversigt.py").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Åbne mangler fra sagsgennemgang: 1" in [h.value for h in at.subheader]
    table = at.dataframe[-1].value  # the last table on the page
    assert list(table["Sag"]) == ["X1"] and list(table["Hvad skal rettes"]) == [
        "Beskriv skoleforhold"]


@pytest.mark.signed_in_as("analyst")
def test_the_results_tab_puts_the_demo_rounds_side_by_side(demo_db, tmp_path, monkeypatch):
    from kpis.review.demo import seed_demo_reviews

    path = tmp_path / "demo-reviews.sqlite"
    monkeypatch.setenv(store.REVIEWS_ENV, str(path))
    seed_demo_reviews(demo_db)
    at = _open()
    marks = at.dataframe[-2].value  # per pejlemærke, then per question
    assert list(marks["Pejlemærke"]) == ["Faglig udredning", "Inddragelse", "Opfølgning",
                                         "Valg af indsats"]
    assert all("sager)" in v for v in list(marks["Før"]) + list(marks["Efter"]))
    assert set(marks["Sikker forskel"]) <= {"Ja", "Nej, kan være tilfældig"}


# --- the sagsmåling report ------------------------------------------------------------------------


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """The report buttons' files by name, as a click would make them: AppTest has no server to
    run a download's deferred callable, so the callable the page hands the button (the real
    one: it builds the file and writes the audit entry) is kept here to be called."""
    from pages import _review_report

    made: dict = {}
    real = _review_report.audited_export

    def keep(build, page, file_name, **kwargs):
        made[file_name] = real(build, page, file_name, **kwargs)
        return made[file_name]

    monkeypatch.setattr(_review_report, "audited_export", keep)
    return made


def _pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def demo_reviews(reviews_db, demo_db) -> Path:
    from kpis.review.demo import seed_demo_reviews

    assert seed_demo_reviews(demo_db, path=reviews_db) == 45
    return reviews_db


@pytest.mark.signed_in_as("department_head")
def test_a_department_head_gets_the_report_of_the_rounds_chosen_for_their_teams(demo_reviews,
                                                                                 downloads):
    from kpis.present.review_report import MAYBE_CHANCE
    from pages._review_report import PDF_LABEL, XLSX_LABEL

    before = _last_audit_id()  # the run shares one audit log: count only what follows
    at = _open()
    assert at.selectbox(key="foer").value == "nulpunktsmaaling"
    assert at.selectbox(key="efter").value == "statusmaaling_1"
    assert [b.proto.label for b in at.get("download_button")] == [PDF_LABEL, XLSX_LABEL]
    stem = "rapport-sagsmaaling-statusmaaling_1-mod-nulpunktsmaaling"
    assert sorted(downloads) == [f"{stem}.pdf", f"{stem}.xlsx"]
    assert _exports_since(before, "afdeling") == []  # made on click, not before
    text = _pdf_text(downloads[f"{stem}.pdf"]())
    assert "Statusmåling 1 sammenlignet med nulpunktsmåling" in text
    assert "Omfatter kun: Team Nord og Team Syd" in text  # their teams, said so
    assert MAYBE_CHANCE in text and "95 %-interval" in text
    for case_id in store.drawn_cases()["case_id"].to_list():
        assert case_id not in text
    assert _exports_since(before, "afdeling") == [("sagsgennemgang", f"{stem}.pdf")]

    at.selectbox(key="efter").set_value("nulpunktsmaaling").run()  # one round against itself
    assert not at.exception and not at.get("download_button")


@pytest.mark.signed_in_as("committee")
def test_the_committee_gets_the_report_on_the_overview_without_a_case(demo_reviews, downloads):
    from pages._review_report import PDF_LABEL, XLSX_LABEL

    before = _last_audit_id()
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()  # Overblik, the start page
    assert not at.exception, [e.message for e in at.exception]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels[-2:] == [PDF_LABEL, XLSX_LABEL]
    stem = "rapport-sagsmaaling-statusmaaling_1-mod-nulpunktsmaaling"
    text = _pdf_text(downloads[f"{stem}.pdf"]())
    assert "Statusmåling 1 sammenlignet med nulpunktsmåling" in text
    assert "Omfatter kun" not in text  # the whole department, like the meeting papers
    drawn = store.drawn_cases()
    for value in drawn["case_id"].to_list() + drawn["caseworker"].to_list():
        assert value not in text
    assert downloads[f"{stem}.xlsx"]()[:2] == b"PK"  # an xlsx (a zip)
    assert sorted(d for _, d in _exports_since(before, "udvalg")) == [f"{stem}.pdf",
                                                                      f"{stem}.xlsx"]


@pytest.mark.signed_in_as("committee")
def test_the_committee_report_follows_the_edited_programmes(demo_reviews, tmp_path, monkeypatch):
    """The report reads the måleskema that Gennemgangsprogrammer edits, not the bundled file."""
    from kpis.review.model import DEFAULT_REVIEWS, REVIEWS_CONFIG_ENV

    edited = tmp_path / "reviews.yaml"
    text = DEFAULT_REVIEWS.read_text(encoding="utf-8")
    assert text.count("name: Sagsmåling af konkrete sager") == 1
    edited.write_text(text.replace("name: Sagsmåling af konkrete sager",
                                   "name: Sagsmåling i Familieafdelingen"), encoding="utf-8")
    monkeypatch.setenv(REVIEWS_CONFIG_ENV, str(edited))

    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.message for e in at.exception]
    said = " ".join(m.value for m in at.markdown)
    assert "**Sagsmåling i Familieafdelingen**: statusmåling 1 sammenlignet med" in said
    assert "Sagsmåling af konkrete sager" not in said


@pytest.mark.signed_in_as("committee")
def test_no_report_is_offered_before_two_rounds_are_reviewed(reviews_db):
    from pages._review_report import PDF_LABEL

    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception, [e.message for e in at.exception]
    assert PDF_LABEL not in [b.proto.label for b in at.get("download_button")]
    assert not reviews_db.exists()  # the overview does not create the reviews file
