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


@pytest.mark.parametrize("by", ["", "team"])
def test_committee_json_has_no_count_under_five_anywhere(run, demo_db, by):
    """Every KPI of the demo over quarters, a year and twelve months, by each grouping the
    committee has: no count of cases the committee's JSON holds is between 1 and 4 — the count a
    figure is withheld by (a share's or a duration's denominator, a count KPI's count), the
    pending and the overdue-open steps. The small numbers allowed: a share's numerator over a
    denominator of 5 or more ("4 af 10" is not a small figure under the issue's rule). The
    caseworkers a "per caseworker" figure divides by are no longer allowed under 5 (issue 11: a
    team figure resting on fewer than 5 caseworkers is close to a figure per person)."""
    periods = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2025", "R12-2025-Q2"]
    args = ["--db", str(demo_db), "--format", "json", "--role", "committee"]
    r = run(*args, *[x for p in periods for x in ("--period", p)], *(["--by", by] if by else []))
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert not by or any(x["suppressed"] for x in rows), "the demo has small teams to withhold"

    def small(n) -> bool:
        return n is not None and 0 < n < 5

    kpiset = load_kpis(DEFAULT_KPIS)
    for x in rows:
        kpi = kpiset[x["kpi"]]
        count = isinstance(kpi, CountKpi)
        for field in ("numerator" if count else "denominator", "pending", "overdue_open"):
            assert not small(x[field]), (field, x)
        if count and kpi.spec.per:
            assert not small(x["denominator"]), x  # fewer than 5 caseworkers
        elif not count and small(x["numerator"]):
            assert x["denominator"] is not None and x["denominator"] >= 5, x  # "4 af 10"
        if x["suppressed"]:
            assert x["value"] is None and x["p90"] is None
            assert x["numerator"] is None and x["denominator"] is None


@pytest.mark.parametrize(("args", "message"), [
    # months, and twelve months a month apart, give month counts away by subtraction
    (["--period", "2025-03"], "kan ikke se perioden 2025-03"),
    (["--period", "R12-2025-05"], "kan ikke se perioden R12-2025-05"),
    (["--period", "2025", "--by", "team,age_band"], "kun se nøgletal pr. team"),
    # an earlier as-of date would give away the steps of the days in between
    (["--period", "2025", "--as-of", "2025-11-01"], "en anden dato kan ikke vælges"),
])
def test_committee_asks_only_for_what_its_suppression_covers(run, demo_db, args, message):
    r = run("--db", str(demo_db), "--role", "committee", *args)
    assert r.returncode == 2 and r.stdout == "" and message in r.stderr, r.stderr


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


# --- refusals: exit 2, a Danish message naming the problem, no traceback, nothing written --------


def _listing(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def _not_duckdb(folder: Path) -> Path:
    path = folder / "fake.duckdb"
    path.write_text("ikke en database\n")
    return path


def _csv(folder: Path) -> Path:
    path = folder / "underretninger.csv"
    path.write_text("underretning_id;modtaget\nU1;2025-01-02\n")
    return path


def _duckdb_without_snapshot(folder: Path) -> Path:
    import duckdb

    path = folder / "other.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE TABLE x (a INTEGER)")
    conn.close()
    return path


@pytest.mark.parametrize(("make", "message"), [
    (lambda d: d, "er en mappe, ikke en database"),
    (_csv, "er ikke en DuckDB-database"),
    (_not_duckdb, "er ikke en DuckDB-database"),
    (_duckdb_without_snapshot, "uden et indlæst udtræk"),
    (lambda d: d / "missing.duckdb", "findes ikke"),
])
def test_db_that_is_not_a_snapshot_is_refused(run, tmp_path, make, message):
    db = make(tmp_path)
    before = _listing(tmp_path)
    r = run("--db", str(db), "--period", "2025-Q1", "--out", str(tmp_path / "r.csv"),
            "--format", "csv")
    assert r.returncode == 2 and r.stdout == ""
    assert message in r.stderr and str(db) in r.stderr
    assert _listing(tmp_path) == before  # no database, no write-ahead log, no --out file


@pytest.mark.parametrize("period", ["0000-Q1", "9999", "0001", "2101-01", "R12-9999-12"])
def test_period_outside_the_years_of_a_case_register(run, db, period):
    r = run("--db", str(db), "--period", period)
    assert r.returncode == 2 and r.stdout == ""
    assert f"året i perioden {period!r} skal ligge mellem 1900 og 2100" in r.stderr


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_out_into_a_missing_folder(run, db, tmp_path, fmt):
    out = tmp_path / "mangler" / f"r.{fmt}"
    r = run("--db", str(db), "--period", "2025-Q1", "--format", fmt, "--out", str(out))
    assert r.returncode == 2 and r.stdout == ""
    assert f"mappen {out.parent} findes ikke" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_out_that_is_a_folder(run, db, tmp_path):
    r = run("--db", str(db), "--period", "2025-Q1", "--format", "csv", "--out", str(tmp_path))
    assert r.returncode == 2 and "er en mappe; angiv et filnavn" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_the_old_out_file(run, db, tmp_path, monkeypatch):
    out = tmp_path / "r.csv"
    out.write_text("forrige\n")

    def half_then_fail(self, *args, **kwargs):
        Path.write_bytes(self, b"halv")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", half_then_fail)
    r = run("--db", str(db), "--period", "2025-Q1", "--format", "csv", "--out", str(out))
    assert r.returncode == 2 and "kunne ikke skrive" in r.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]
    assert out.read_bytes() == b"forrige\n"


def test_as_of_after_the_export_date_is_refused(run, db, tmp_path):
    # The fixture was exported on 2025-06-30: that day is "today"; the next has no data.
    out = tmp_path / "r.json"
    r = run("--db", str(db), "--period", "2025-Q2", "--format", "json", "--as-of", "2025-07-01",
            "--out", str(out))
    assert r.returncode == 2 and r.stdout == ""
    assert "opgørelsesdatoen 2025-07-01 ligger efter udtrækkets dato 2025-06-30" in r.stderr
    assert not out.exists()
    r = run("--db", str(db), "--period", "2025-Q2", "--format", "json", "--as-of", "2025-06-30")
    assert r.returncode == 0, r.stderr


def test_refusal_from_the_real_command_has_no_traceback(db):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "kpis", "compute", "--db", str(db),
                           "--period", "9999"], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "skal ligge mellem 1900 og 2100" in proc.stderr


def test_engine_refuses_an_as_of_after_the_export_date(db):
    # Every entry of the engine, on both sources (a direct connection and the app's cache).
    from kpis.compute.engine import AsOfAfterExport, case_steps, compute, open_steps
    from kpis.compute.unit_cache import SnapshotCache
    from kpis.data.snapshot import connect

    kpiset = load_kpis(DEFAULT_KPIS)
    later = date(2025, 7, 1)
    conn, cache = connect(db), SnapshotCache(db)
    try:
        for source in (conn, cache):
            with pytest.raises(AsOfAfterExport, match="efter udtrækkets dato 2025-06-30"):
                compute(source, kpiset, ["2025-Q2"], as_of=later)
            with pytest.raises(AsOfAfterExport):
                case_steps(source, kpiset, "bfu_4_mdr", "2025-Q2", as_of=later)
            with pytest.raises(AsOfAfterExport):
                open_steps(source, kpiset, as_of=later)
            same_day = compute(source, kpiset, ["2025-Q2"], as_of=date(2025, 6, 30),
                               kpi_ids=["bfu_4_mdr"])
            assert same_day.height >= 1
    finally:
        conn.close()
        cache.close()
