"""An import over the demo ends the demo users' logins: the Data page says so before the import
starts, and holds it back while no real administrator exists (so nobody is locked out)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from tiny_export import TINY_KEY, write_tiny_export

from kpis.access.demo_users import lockout_by_import, write_demo_users
from kpis.access.users import add_user, make_user

pytestmark = pytest.mark.usefixtures("clear_streamlit_caches", "demo_db")

APP = str(Path(__file__).resolve().parent.parent / "app.py")
DATA = "pages/oversigt_data.py"
DEMO_NAMES = "»admin«, »afdeling«, »analytiker«, »udvalg«"
UPLOAD = ("udtraek_2026-10-31.zip", b"PK", "application/zip")


def data_page_with_an_upload() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page(DATA).run()
    at.file_uploader[0].set_value(UPLOAD).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture
def users_with_a_real_admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    users = write_demo_users(tmp_path / "users.toml")
    add_user(make_user("kirsten", "admin"), "kirstens-kode-1", users)
    monkeypatch.setenv("PEJLEMAERKER_USERS", str(users))
    return users


def test_with_only_demo_users_the_import_waits_for_a_real_administrator():
    at = data_page_with_an_upload()
    (error,) = [e.value for e in at.error]
    assert f"demobrugerne ({DEMO_NAMES}) ikke længere logge ind – heller ikke " \
           "administratoren – og så kan ingen logge ind" in error
    assert "`.venv/bin/python -m kpis users add NAVN --role admin`" in error
    assert at.button(key="data_import_button").disabled
    assert not [c for c in at.checkbox if c.key == "data_demo_logins_end"]


def test_with_a_real_administrator_the_import_is_said_and_must_be_acknowledged(
        users_with_a_real_admin):
    at = data_page_with_an_upload()
    assert (f"Når udtrækket er indlæst, er her ikke længere demodata: demobrugerne ({DEMO_NAMES}) "
            "kan ikke længere logge ind – heller ikke den, du er logget ind som nu. Log ind med "
            "en rigtig bruger bagefter (administrator: »kirsten«).") in [w.value for w in at.warning]
    assert at.button(key="data_import_button").disabled
    at.checkbox(key="data_demo_logins_end").check().run()
    assert not at.button(key="data_import_button").disabled


def test_with_the_municipalitys_login_no_local_administrator_is_needed(monkeypatch):
    from pages import _auth

    monkeypatch.setattr(_auth, "oidc_provider", lambda: "default")
    at = data_page_with_an_upload()
    assert not at.error
    assert any(w.value.endswith("Log ind med kommunens login bagefter.") for w in at.warning)
    at.checkbox(key="data_demo_logins_end").check().run()
    assert not at.button(key="data_import_button").disabled


def test_an_import_over_a_municipalitys_own_data_changes_no_login(tmp_path, demo_db,
                                                                   users_with_a_real_admin):
    from kpis.data.importer import run_import

    own = tmp_path / "kommune.duckdb"
    run_import(write_tiny_export(tmp_path / "export"), own, profile="canonical",
               as_of=date(2025, 6, 30), pseudonym_key=TINY_KEY)
    assert lockout_by_import(own) is None
    only_real = tmp_path / "real.toml"
    add_user(make_user("kirsten", "admin"), "kirstens-kode-1", only_real)
    assert lockout_by_import(demo_db, only_real) is None  # no demo users to lose
    lockout = lockout_by_import(demo_db)
    assert lockout.demo_usernames == ("admin", "afdeling", "analytiker", "udvalg")
    assert lockout.real_administrators == ("kirsten",)
