"""Caseload over a tiny hand-made export; every expectation worked out by hand.

The export is taken on 31 July 2025; most checks ask as of Monday 30 June 2025, so that what
happened in July must count as not yet happened (docs/kpi-rules.md, "As-of date").

    case  team  caseworker  opened      closed      open on 30 June as of 30 June?
    C1    Nord  Anne        2025-01-10  –           yes
    C2    Nord  Anne        2025-02-01  2025-06-30  no (closed that day)
    C3    Nord  Bo          2025-06-30  –           yes (opened that day)
    C4    Nord  Bo          2025-07-05  –           does not exist yet
    C5    Syd   Cai         2024-12-31  2025-07-10  yes (the closing has not happened yet)
    C6    Syd   (none)      2025-03-03  –           yes, without a caseworker
    C7    Syd   Cai         2024-05-05  2024-12-31  no
    C8    Syd   Cai         2025-04-15  2025-05-01  no

    notification  case  received             month
    N1            C1    2025-04-02 10:00     April (Nord)
    N2            C5    2025-06-30 23:59     June (Syd): received on the as-of day counts
    N3            C3    2025-07-01 08:00     July: not yet happened on 30 June
    N4            C6    2025-03-31 12:00     March
    N5            C8    2025-04-16 09:00     April (Syd)
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

import kpis
from kpis.compute import caseload
from kpis.compute.compile import UNKNOWN
from kpis.compute.engine import Scope, compute
from kpis.rules.definitions import load_kpis

EXPORT_AS_OF = date(2025, 7, 31)
AS_OF = date(2025, 6, 30)
KEY = b"test-key-for-caseload-tests"
FILES = {
    "cases.csv": (
        "case_id,team,caseworker,opened_on,closed_on\n"
        "C1,Team Nord,Anne,2025-01-10,\n"
        "C2,Team Nord,Anne,2025-02-01,2025-06-30\n"
        "C3,Team Nord,Bo,2025-06-30,\n"
        "C4,Team Nord,Bo,2025-07-05,\n"
        "C5,Team Syd,Cai,2024-12-31,2025-07-10\n"
        "C6,Team Syd,,2025-03-03,\n"
        "C7,Team Syd,Cai,2024-05-05,2024-12-31\n"
        "C8,Team Syd,Cai,2025-04-15,2025-05-01\n"
    ),
    "notifications.csv": (
        "notification_id,case_id,received_at,notifier_type\n"
        "N1,C1,2025-04-02T10:00,professional\n"
        "N2,C5,2025-06-30T23:59,private\n"
        "N3,C3,2025-07-01T08:00,private\n"
        "N4,C6,2025-03-31T12:00,private\n"
        "N5,C8,2025-04-16T09:00,anonymous\n"
    ),
    "investigations.csv": "investigation_id,case_id,aware_on\n",
    "measures.csv": "measure_id,case_id,decided_on\n",
}
NORD, SYD = "Team Nord", "Team Syd"


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    from kpis.data.importer import run_import
    from kpis.data.snapshot import connect

    folder = tmp_path_factory.mktemp("caseload_export")
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    db = folder / "snapshot.duckdb"
    result = run_import(folder, db, profile="canonical", as_of=EXPORT_AS_OF, pseudonym_key=KEY)
    assert result.rows_quarantined == 0
    c = connect(db)
    yield c
    c.close()


def _rows(df: pl.DataFrame) -> list[tuple]:
    return df.rows()


def test_open_cases_per_caseworker_on_the_as_of_day(conn):
    assert _rows(caseload.open_cases_per_caseworker(conn, as_of=AS_OF)) == [
        (NORD, "Anne", 1), (NORD, "Bo", 1), (SYD, UNKNOWN, 1), (SYD, "Cai", 1)]


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        # C2 is still open the day before it closes; C3 is not opened yet.
        (date(2025, 6, 29), [(NORD, "Anne", 2), (SYD, UNKNOWN, 1), (SYD, "Cai", 1)]),
        # C8 is open between 15 April and its closing day 1 May (not on it).
        (date(2025, 4, 20), [(NORD, "Anne", 2), (SYD, UNKNOWN, 1), (SYD, "Cai", 2)]),
        (date(2025, 5, 1), [(NORD, "Anne", 2), (SYD, UNKNOWN, 1), (SYD, "Cai", 1)]),
        (date(2024, 1, 1), []),
    ],
)
def test_open_cases_on_an_earlier_day(conn, on, expected):
    assert _rows(caseload.open_cases_per_caseworker(conn, on, as_of=AS_OF)) == expected


def test_the_snapshot_date_is_the_default(conn):
    # As of 31 July: C4 exists (Bo 2), C5 has closed on 10 July.
    assert _rows(caseload.open_cases_per_caseworker(conn)) == [
        (NORD, "Anne", 1), (NORD, "Bo", 2), (SYD, UNKNOWN, 1)]


def test_a_day_after_the_as_of_date_is_refused(conn):
    with pytest.raises(ValueError, match="efter opgørelsesdatoen"):
        caseload.open_cases_per_caseworker(conn, date(2025, 7, 1), as_of=AS_OF)


def test_scope_and_team_limit_every_row(conn):
    nord = Scope(teams=frozenset({NORD}))
    assert _rows(caseload.open_cases_per_caseworker(conn, as_of=AS_OF, scope=nord)) == [
        (NORD, "Anne", 1), (NORD, "Bo", 1)]
    # A team outside the user's scope gives nothing, not that team.
    assert _rows(caseload.open_cases_per_caseworker(conn, as_of=AS_OF, scope=nord,
                                                    team=SYD)) == []
    assert _rows(caseload.open_cases_per_caseworker(conn, as_of=AS_OF, team=SYD)) == [
        (SYD, UNKNOWN, 1), (SYD, "Cai", 1)]
    assert caseload.open_cases_per_caseworker(
        conn, as_of=AS_OF, scope=Scope(teams=frozenset())).height == 0


def test_values_are_bound_never_written_into_the_sql(conn):
    hostile = "Team Nord' OR '1'='1"
    sql, params = caseload.open_cases_sql(Scope(teams=frozenset({hostile})), hostile)
    assert hostile not in sql
    assert params == {"scope0": hostile, "team": hostile}
    assert caseload.open_cases_per_caseworker(conn, as_of=AS_OF, team=hostile).height == 0
    sql, _ = caseload.monthly_sql(Scope(teams=frozenset({hostile})), hostile)
    assert hostile not in sql


def test_new_cases_and_notifications_per_month(conn):
    df = caseload.new_per_month(conn, 3, as_of=AS_OF)
    assert df.rows() == [
        (date(2025, 4, 1), 1, 2),  # C8; N1 and N5
        (date(2025, 5, 1), 0, 0),  # a quiet month is a zero, not a gap
        (date(2025, 6, 1), 1, 1),  # C3; N2 (N3 and C4 are July)
    ]
    assert caseload.new_per_month(conn, 3, as_of=AS_OF, team=NORD).rows() == [
        (date(2025, 4, 1), 0, 1), (date(2025, 5, 1), 0, 0), (date(2025, 6, 1), 1, 0)]
    syd = Scope(teams=frozenset({SYD}))
    assert caseload.new_per_month(conn, 3, as_of=AS_OF, scope=syd).rows() == [
        (date(2025, 4, 1), 1, 1), (date(2025, 5, 1), 0, 0), (date(2025, 6, 1), 0, 1)]
    nothing = caseload.new_per_month(conn, 3, as_of=AS_OF, scope=syd, team=NORD)
    assert nothing["new_cases"].sum() == 0 and nothing["notifications"].sum() == 0
    # As of the export's own date, July has happened: C4 and N3.
    assert caseload.new_per_month(conn, 1).rows() == [(date(2025, 7, 1), 1, 1)]


def test_months_must_be_positive(conn):
    with pytest.raises(ValueError):
        caseload.new_per_month(conn, 0, as_of=AS_OF)


def test_team_distribution(conn):
    open_cases = caseload.open_cases_per_caseworker(conn, as_of=AS_OF)
    spread = caseload.team_distribution(open_cases, norm=0)
    assert spread.columns == ["team", "caseworkers", "open_cases", "average", "fewest",
                              "median", "most", "above_norm"]
    rows = {r["team"]: r for r in spread.iter_rows(named=True)}
    assert list(rows) == [NORD, SYD, "I alt"]
    # Syd: two open cases, one of them without a caseworker: one caseworker, average 2.
    assert rows[SYD] == {"team": SYD, "caseworkers": 1, "open_cases": 2, "average": 2.0,
                         "fewest": 1, "median": 1.0, "most": 1, "above_norm": 1}
    assert rows[NORD] == {"team": NORD, "caseworkers": 2, "open_cases": 2, "average": 1.0,
                          "fewest": 1, "median": 1.0, "most": 1, "above_norm": 2}
    assert rows["I alt"]["caseworkers"] == 3
    assert rows["I alt"]["open_cases"] == 4
    assert rows["I alt"]["average"] == pytest.approx(4 / 3)
    assert rows["I alt"]["above_norm"] == 3  # the cases without a caseworker are nobody's load
    assert caseload.team_distribution(open_cases, norm=1)["above_norm"].to_list() == [0, 0, 0]


def test_counted_exactly_like_the_caseload_kpi(conn):
    """The page and the context figure sager_pr_sagsbehandler must never disagree."""
    kpiset = load_kpis(kpis.DEFAULT_KPIS)
    figure = compute(conn, kpiset, ["2025-06"], by=("team",), as_of=AS_OF,
                     kpi_ids=["sager_pr_sagsbehandler"])
    spread = caseload.team_distribution(caseload.open_cases_per_caseworker(conn, as_of=AS_OF),
                                        norm=25)
    mine = {r["team"]: (r["open_cases"], r["caseworkers"]) for r in spread.iter_rows(named=True)}
    theirs = {(r["team"] or "I alt"): (r["numerator"], r["denominator"])
              for r in figure.iter_rows(named=True)}
    assert mine == theirs == {NORD: (2, 2), SYD: (2, 1), "I alt": (4, 3)}


def test_empty_distribution():
    empty = pl.DataFrame(schema=caseload.OPEN_SCHEMA)
    assert caseload.team_distribution(empty, 25).height == 0
