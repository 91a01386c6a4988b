"""Coverage: rows per month by each table's defining date, and missing values per column, over a
hand-made snapshot whose counts are written down here."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from kpis.data.coverage import defining_dates, missing_values, rows_per_month
from kpis.data.schema import TABLE_ORDER, TABLES, create_table_sql
from kpis.rules.sources import DEFINING_DATE


@pytest.fixture
def conn():
    c = duckdb.connect(":memory:")
    for t in TABLES.values():
        c.execute(create_table_sql(t))
    # Cases: January 2 (one with no team), March 1 -> February is a gap with 0 rows.
    c.execute("INSERT INTO cases (case_id, team, opened_on) VALUES "
              "('C1', 'Nord', DATE '2025-01-05'), ('C2', NULL, DATE '2025-01-31'), "
              "('C3', 'Syd', DATE '2025-03-01')")
    # Notifications: timestamps; one late on 30 April counts in April.
    c.execute("INSERT INTO notifications (notification_id, case_id, received_at, assessed_at) "
              "VALUES ('N1', 'C1', TIMESTAMP '2025-04-30 23:30', NULL), "
              "('N2', 'C1', TIMESTAMP '2025-05-01 08:00', TIMESTAMP '2025-05-01 09:00')")
    # Interviews: held, or recorded with an exemption (no held date) -> by the date that exists.
    c.execute("INSERT INTO child_interviews (interview_id, case_id, held_on, recorded_on, "
              "exemption_reason) VALUES ('S1', 'C1', DATE '2025-02-10', NULL, NULL), "
              "('S2', 'C1', NULL, DATE '2025-03-15', 'declined')")
    yield c
    c.close()


def test_defining_dates_are_the_engines():
    assert {t: defining_dates(t) for t in TABLE_ORDER} == DEFINING_DATE


def test_rows_per_month_fills_gaps_with_zero(conn):
    months = rows_per_month(conn)
    got = {(r["table"], r["month"]): r["rows"] for r in months.iter_rows(named=True)}
    assert got == {
        ("cases", date(2025, 1, 1)): 2,
        ("cases", date(2025, 2, 1)): 0,
        ("cases", date(2025, 3, 1)): 1,
        ("notifications", date(2025, 4, 1)): 1,
        ("notifications", date(2025, 5, 1)): 1,
        ("child_interviews", date(2025, 2, 1)): 1,
        ("child_interviews", date(2025, 3, 1)): 1,
    }
    assert months.filter(months["table"] == "cases")["label_da"].unique().to_list() == ["Sager"]
    # Tables without rows are left out; the order is the load order.
    assert months["table"].unique(maintain_order=True).to_list() == [
        "cases", "notifications", "child_interviews"]


def test_rows_per_month_until_a_date(conn):
    months = rows_per_month(conn, until=date(2025, 4, 30))
    assert months.filter(months["table"] == "notifications").rows() == [
        ("notifications", "Underretninger", date(2025, 4, 1), 1)]


def test_missing_values_per_column(conn):
    missing = missing_values(conn)
    row = {(r["table"], r["column"]): r for r in missing.iter_rows(named=True)}
    team = row[("cases", "team")]
    assert (team["rows"], team["missing"]) == (3, 1)
    assert team["share_missing"] == pytest.approx(1 / 3)
    assert row[("cases", "closed_on")]["missing"] == 3
    assert row[("cases", "case_id")]["share_missing"] == 0.0
    assert row[("notifications", "assessed_at")]["share_missing"] == 0.5
    assert row[("child_interviews", "held_on")]["missing"] == 1
    assert row[("measures", "decided_on")]["share_missing"] is None  # an empty table
    # Every stored column once (never the CPR, which is not stored), labelled in Danish.
    assert len(missing) == sum(len(t.stored_columns) for t in TABLES.values())
    assert "cpr" not in missing["column"].to_list()
    assert team["column_label"] == "Team" and team["label_da"] == "Sager"
