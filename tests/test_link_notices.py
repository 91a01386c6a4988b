"""A typed or linked address that does not open what it names says so in one line: a page outside
the person's menu (and the audit log records the refused address), an address of no page, a
``kpi=`` of no key figure and a ``periode=`` of no period. AppTests on the demo database (as of
20 November 2026)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from kpis.access import audit
from kpis.access.roles import Role

pytestmark = pytest.mark.usefixtures("clear_streamlit_caches", "demo_db")

TIMEOUT = 120
APP = str(Path(__file__).resolve().parent.parent / "app.py")
REFUSED = "Siden »Fristoversigt« er ikke en del af din rolles menu – du er sendt til Overblik."
DEFAULT_QUARTER_DA = "3. kvartal 2026"  # the latest complete quarter on 20 November 2026
DEFAULT_ROLLING_DA = "12 måneder til og med november 2026"  # Teams og sagsbehandlere's default
FIRST_KPI = "Underretninger vurderet inden for 24 timer"  # the first in config/kpis.yaml


def infos(at: AppTest) -> list[str]:
    return [i.value for i in at.info]


def _last_id() -> int:
    log = audit.read(limit=1)
    return int(log["id"][0]) if log.height else 0


def _refusals_after(before: int) -> list[tuple[str, str, str, str]]:
    log = audit.read(limit=None).filter(pl.col("id") > before).sort("id")
    return [(r["actor"], r["role"], r["page"], r["detail"]) for r in log.iter_rows(named=True)
            if r["action"] == "page_refused"]


def opened_at(address: str, **params: str) -> AppTest:
    """The app's run for ``address`` as the page a browser asks for (as after signing in on the
    login form shown under that address)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at._page_hash = calc_hash(address)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.mark.signed_in_as(Role.COMMITTEE)
def test_a_case_list_address_refused_to_a_committee_member_is_said_and_logged():
    before = _last_id()
    at = opened_at("fristoversigt")
    assert [t.value for t in at.title] == ["Overblik"]
    assert REFUSED in infos(at)
    assert _refusals_after(before) == [("udvalg", "committee", "fristoversigt",
                                        "sendt til Overblik")]
    # Said once: the next click on the page is not a new refusal.
    at._page_hash = ""
    at.run()
    assert not any(i.startswith("Siden ") for i in infos(at))
    assert len(_refusals_after(before)) == 1


@pytest.mark.signed_in_as(Role.DEPARTMENT_HEAD)
def test_an_address_in_the_menu_opens_without_a_note_or_an_entry():
    before = _last_id()
    at = opened_at("fristoversigt")
    assert any(t.value == "Fristoversigt" for t in at.title)
    assert not any(i.startswith("Siden ") for i in infos(at))
    assert _refusals_after(before) == []


def test_a_kpi_in_a_link_that_does_not_exist_is_said():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["kpi"] = "findes_ikke"
    at.run()
    at.switch_page("pages/noegletal.py").run()
    assert [t.value for t in at.title] == [FIRST_KPI]
    assert f"Nøgletallet »findes_ikke« i linket findes ikke – du ser {FIRST_KPI}." in infos(at)
    at.run()  # the link now names the key figure shown: nothing more to say
    assert not any(i.startswith("Nøgletallet ") for i in infos(at))


def test_a_hostile_kpi_in_a_link_is_quoted_as_plain_text():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["kpi"] = "![x](https://evil.example/t.png)[klik](javascript:alert(1))"
    at.run()
    at.switch_page("pages/noegletal.py").run()
    (note,) = [i for i in infos(at) if i.startswith("Nøgletallet ")]
    # letters, digits and -_. only, at most 40 of them
    assert note == ("Nøgletallet »xhttpsevil.examplet.pngklikjavascriptale…« i linket findes "
                    f"ikke – du ser {FIRST_KPI}.")
    assert not any(c in note for c in "[]()!:/")


@pytest.mark.parametrize("asked", ["2099-Q1", "sidste-kvartal"])
def test_a_period_in_a_link_that_does_not_exist_or_has_not_begun_is_said(asked: str):
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["periode"] = asked
    at.run()
    assert (f"Perioden »{asked}« i linket findes ikke eller kan ikke vises her – du ser "
            f"{DEFAULT_QUARTER_DA}.") in infos(at)


def test_a_period_in_a_link_that_exists_opens_without_a_note():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["periode"] = "2025-Q2"
    at.run()
    assert not any(i.startswith("Perioden ") for i in infos(at))
    assert at.session_state["udvalg_periode"] == "2025-Q2"


def test_a_period_in_a_link_to_the_teams_page_that_does_not_exist_is_said():
    at = opened_at("afdeling", periode="2099-Q1")
    assert (f"Perioden »2099-Q1« i linket findes ikke eller kan ikke vises her – du ser "
            f"{DEFAULT_ROLLING_DA}.") in infos(at)
