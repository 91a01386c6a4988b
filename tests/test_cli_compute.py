"""python -m kpis compute: the documented JSON shape, formats, roles and an earlier as-of date."""

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from kpis import DEFAULT_KPIS
from kpis.cli import main
from kpis.rules.definitions import CountKpi, load_kpis

FIXTURE = Path(__file__).parent / "fixtures" / "engine"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    from kpis.data.importer import run_import

    path = tmp_path_factory.mktemp("cli") / "s.duckdb"
    run_import(FIXTURE, path, profile="canonical", as_of=date(2025, 6, 30),
               pseudonym_key=b"test-key-kpi-fixtures")
    return path


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(capsys):
    """Runs the CLI in-process (same code path as python -m kpis, without the start-up cost)."""

    def _run(*args):
        code = main(["compute", *args])
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return _run


def test_json_shape(run, db):
    r = run("--db", str(db), "--period", "2025-Q1", "--kpi", "bfu_4_mdr", "--by", "team",
            "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    keys = {"kpi", "period", "group", "numerator", "denominator", "value", "pending", "status",
            "target", "suppressed"}
    assert all(keys <= set(x) for x in rows)
    total = next(x for x in rows if x["group"] == {})
    teams = [x for x in rows if x["group"]]
    assert total["kpi"] == "bfu_4_mdr" and total["period"] == "2025-Q1"
    assert all(set(x["group"]) == {"team"} for x in teams)
    assert total["denominator"] == sum(x["denominator"] for x in teams)
    assert total["status"] in {"green", "yellow", "red", "none"}
    assert total["suppressed"] is False


def test_committee_role_suppresses(run, db):
    r = run("--db", str(db), "--period", "2025-Q1", "--kpi", "bfu_4_mdr", "--format", "json",
            "--role", "committee")
    assert r.returncode == 0, r.stderr
    (total,) = json.loads(r.stdout)
    assert total["suppressed"] is True and total["value"] is None
    assert total["numerator"] is None and total["denominator"] is None


@pytest.mark.parametrize("by", ["", "team", "team,age_band"])
def test_committee_json_has_no_count_under_five_anywhere(run, demo_db, by):
    """Every KPI of the demo over months, quarters and a year, by each grouping: no count of
    cases the committee's JSON holds is between 1 and 4 — the count a figure is withheld by
    (a share's or a duration's denominator, a count KPI's count), the pending and the
    overdue-open steps. The small numbers allowed: a share's numerator over a denominator of 5
    or more ("4 af 10" is not a small figure under the issue's rule), and the caseworkers a
    "per caseworker" figure divides by (people on the staff, not children's cases)."""
    periods = ["2025-01", "2025-02", "2025-03", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4",
               "2025", "R12-2025-12"]
    args = ["--db", str(demo_db), "--format", "json", "--role", "committee"]
    r = run(*args, *[x for p in periods for x in ("--period", p)], *(["--by", by] if by else []))
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert not by or any(x["suppressed"] for x in rows), "the demo has small teams to withhold"

    def small(n) -> bool:
        return n is not None and 0 < n < 5

    kpiset = load_kpis(DEFAULT_KPIS)
    for x in rows:
        count = isinstance(kpiset[x["kpi"]], CountKpi)
        for field in ("numerator" if count else "denominator", "pending", "overdue_open"):
            assert not small(x[field]), (field, x)
        if not count and small(x["numerator"]):
            assert x["denominator"] is not None and x["denominator"] >= 5, x  # "4 af 10"
        if x["suppressed"]:
            assert x["value"] is None and x["p90"] is None
            assert x["numerator"] is None and x["denominator"] is None


def test_committee_gets_no_figures_per_caseworker(run, db):
    # a figure per caseworker is about named employees, however large its count
    r = run("--db", str(db), "--period", "2025", "--role", "committee", "--by", "team,caseworker")
    assert r.returncode == 2 and r.stdout == ""
    assert "denne rolle må ikke se nøgletal pr. sagsbehandler" in r.stderr
    r = run("--db", str(db), "--period", "2025", "--by", "team,caseworker", "--format", "json")
    assert r.returncode == 0
    assert any(x["group"].get("caseworker") for x in json.loads(r.stdout))


def test_table_is_danish_and_xlsx_written(run, db, tmp_path):
    r = run("--db", str(db), "--period", "2025-Q1", "--kpi", "bfu_4_mdr")
    assert r.returncode == 0 and "Nøgletal" in r.stdout and "Periode" in r.stdout
    out = tmp_path / "r.xlsx"
    r = run("--db", str(db), "--period", "2025-Q1", "--format", "xlsx", "--out", str(out))
    assert r.returncode == 0, r.stderr
    ws = openpyxl.load_workbook(out).active
    assert ws.cell(1, 1).value == "kpi"


def test_earlier_as_of_treats_later_events_as_not_happened(run, db):
    late = json.loads(run("--db", str(db), "--period", "2025-Q1", "--kpi", "underretninger_antal",
                          "--format", "json").stdout)[0]
    early = json.loads(run("--db", str(db), "--period", "2025-Q1", "--kpi", "underretninger_antal",
                           "--format", "json", "--as-of", "2025-02-15").stdout)[0]
    assert early["numerator"] < late["numerator"]


@pytest.mark.parametrize(("args", "message"), [
    (["--period", "2025-13"], "ugyldig måned"),
    (["--period", "2025", "--by", "colour"], "ukendt dimension"),
    (["--period", "2025", "--kpi", "nope"], "ukendt nøgletal"),
    (["--period", "2025", "--role", "king"], "ukendt rolle"),
])
def test_bad_arguments_exit_2(run, db, args, message):
    r = run("--db", str(db), *args)
    assert r.returncode == 2 and message in r.stderr
