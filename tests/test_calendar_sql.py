"""The calendar inside DuckDB (kpis.rules.calendar_sql) gives exactly what the Python reference
(kpis.rules.calendar) gives — on a read-only connection, and through a `.cursor()` installed on
itself — plus the hand-computed anchors, so the two cannot agree on a wrong answer."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpis.rules.calendar import (
    add_hverdage,
    add_months,
    calendar_frame,
    due_after_hours,
    due_date_hours,
    on_time_hours,
)
from kpis.rules.calendar_sql import DEFAULT_END, DEFAULT_START, install_calendar
from kpis.rules.regime import regime_sql
from kpis.settings import CalendarSettings, Settings

DEFAULT = CalendarSettings()
ALL_CLOSED = CalendarSettings(
    grundlovsdag_closed=True, christmas_eve_closed=True, new_years_eve_closed=True
)
ALL_2022_2026 = [
    date(2022, 1, 1) + timedelta(days=k) for k in range((date(2027, 1, 1) - date(2022, 1, 1)).days)
]


@pytest.fixture(scope="module")
def read_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    path: Path = tmp_path_factory.mktemp("calendar") / "snapshot.duckdb"
    duckdb.connect(str(path)).close()
    conn = duckdb.connect(str(path), read_only=True)
    install_calendar(conn, DEFAULT)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def cursor(read_only: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    cur = read_only.cursor()
    install_calendar(cur, DEFAULT)
    yield cur
    cur.close()


@pytest.fixture(params=["read_only", "cursor"])
def conn(request: pytest.FixtureRequest) -> duckdb.DuckDBPyConnection:
    return request.getfixturevalue(request.param)


def _apply(conn: duckdb.DuckDBPyConnection, inputs: pl.DataFrame, expr: str) -> list:
    """Evaluate `expr` (SQL over the columns of `inputs`) for every row, in row order."""
    conn.register("inputs", inputs.with_row_index("i").to_arrow())
    try:
        return [row[0] for row in conn.execute(f"SELECT {expr} FROM inputs ORDER BY i").fetchall()]
    finally:
        conn.unregister("inputs")


# --- Hand-computed anchors, through SQL with bound parameters ----------------------------------

ANCHORS = [
    ("SELECT add_months_clamped(?, ?)", [date(2025, 10, 31), 4], date(2026, 2, 28)),
    ("SELECT add_months_clamped(?, ?)", [date(2023, 10, 31), 4], date(2024, 2, 29)),
    ("SELECT add_months_clamped(?, ?)", [date(2024, 2, 29), 12], date(2025, 2, 28)),
    ("SELECT add_months_clamped(?, ?)", [date(2024, 8, 31), -6], date(2024, 2, 29)),
    ("SELECT add_hverdage(?, ?)", [date(2025, 4, 16), 6], date(2025, 4, 29)),
    ("SELECT add_hverdage(?, ?)", [date(2024, 12, 27), 6], date(2025, 1, 7)),
    ("SELECT add_hverdage(?, ?)", [date(2023, 5, 4), 1], date(2023, 5, 8)),
    ("SELECT add_hverdage(?, ?)", [date(2024, 4, 25), 1], date(2024, 4, 26)),
    ("SELECT add_hverdage(?, ?)", [date(2025, 4, 5), 6], date(2025, 4, 14)),
    (
        "SELECT add_hverdage(CAST(? AS TIMESTAMP), ?)",
        [datetime(2025, 4, 16, 23, 59), 6],
        date(2025, 4, 29),
    ),
    ("SELECT due_date_hours(?, true, 24)", [datetime(2025, 3, 29, 23, 30)], date(2025, 3, 31)),
    ("SELECT due_date_hours(?, false, 24)", [datetime(2025, 3, 29, 23, 30)], date(2025, 3, 30)),
    (
        "SELECT on_time_hours(?, true, ?, true, 24)",
        [datetime(2025, 5, 6, 10), datetime(2025, 5, 7, 10, 0)],
        True,
    ),
    (
        "SELECT on_time_hours(?, true, ?, true, 24)",
        [datetime(2025, 5, 6, 10), datetime(2025, 5, 7, 10, 1)],
        False,
    ),
    (
        "SELECT on_time_hours(?, true, ?, true, 24)",
        [datetime(2025, 3, 29, 10), datetime(2025, 3, 30, 11, 0)],
        True,
    ),
    (
        "SELECT on_time_hours(?, true, ?, true, 24)",
        [datetime(2025, 10, 25, 10), datetime(2025, 10, 26, 9, 1)],
        False,
    ),
    (
        "SELECT on_time_hours(?, false, ?, true, 24)",
        [datetime(2025, 5, 6, 0), datetime(2025, 5, 7, 23, 59)],
        True,
    ),
    (
        "SELECT on_time_hours(?, true, ?, NULL, 24)",
        [datetime(2025, 5, 6, 10), datetime(2025, 5, 8, 0, 0)],
        False,
    ),
    ("SELECT on_time_hours(?, true, NULL, true, 24)", [datetime(2025, 5, 6, 10)], None),
]


@pytest.mark.parametrize(("sql", "params", "expected"), ANCHORS)
def test_hand_computed_anchors(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list, expected: object
) -> None:
    assert conn.execute(sql, params).fetchall()[0][0] == expected


def test_due_after_hours_across_spring_forward(conn: duckdb.DuckDBPyConnection) -> None:
    got = conn.execute(
        "SELECT due_after_hours(?, 24), typeof(due_after_hours(?, 24))",
        [datetime(2025, 3, 29, 10), datetime(2025, 3, 29, 10)],
    ).fetchall()[0]
    assert got[1] == "TIMESTAMP WITH TIME ZONE"
    assert got[0] == datetime.fromisoformat("2025-03-30T11:00:00+02:00")


def test_nulls_give_null(conn: duckdb.DuckDBPyConnection) -> None:
    row = conn.execute(
        "SELECT add_months_clamped(NULL, 4), add_hverdage(NULL, 6), add_hverdage(?, NULL),"
        " due_after_hours(NULL, 24), due_date_hours(NULL, true, 24),"
        " on_time_hours(NULL, true, ?, true, 24)",
        [date(2025, 4, 16), datetime(2025, 4, 16, 10)],
    ).fetchall()[0]
    assert row == (None,) * 6


def test_add_hverdage_refuses_n_below_one(conn: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.InvalidInputException, match="at least 1"):
        conn.execute("SELECT add_hverdage(?, 0)", [date(2025, 4, 16)]).fetchall()


@pytest.mark.parametrize(
    "day", [DEFAULT_START - timedelta(days=1), DEFAULT_END - timedelta(days=3)]
)
def test_add_hverdage_outside_the_calendar_raises(
    conn: duckdb.DuckDBPyConnection, day: date
) -> None:
    with pytest.raises(duckdb.InvalidInputException, match="outside the calendar"):
        conn.execute("SELECT add_hverdage(?, 6)", [day]).fetchall()


# --- SQL ≡ Python ------------------------------------------------------------------------------


def test_calendar_table_is_the_python_frame(conn: duckdb.DuckDBPyConnection) -> None:
    table = conn.sql("SELECT * FROM calendar ORDER BY day").pl()
    assert table.equals(calendar_frame(DEFAULT_START, DEFAULT_END, DEFAULT))


@pytest.mark.parametrize("n", [1, 2, 3, 6, 10, 30])
def test_add_hverdage_every_day_2022_to_2026(conn: duckdb.DuckDBPyConnection, n: int) -> None:
    inputs = pl.DataFrame({"d": ALL_2022_2026}, schema={"d": pl.Date})
    got = _apply(conn, inputs, f"add_hverdage(d, {n})")
    assert got == [add_hverdage(d, n, DEFAULT) for d in ALL_2022_2026]


@pytest.mark.parametrize("n", [-13, -6, -1, 1, 3, 4, 12, 24])
def test_add_months_every_day_2022_to_2026(conn: duckdb.DuckDBPyConnection, n: int) -> None:
    inputs = pl.DataFrame({"d": ALL_2022_2026}, schema={"d": pl.Date})
    got = _apply(conn, inputs, f"add_months_clamped(d, {n})")
    assert got == [add_months(d, n) for d in ALL_2022_2026]


def _dst_change_days() -> list[datetime]:
    """Midnight of every last Sunday of March and October 2015–2034 (the EU change days)."""
    return [
        datetime(y, m, d)
        for y in range(2015, 2035)
        for m in (3, 10)
        for d in range(25, 32)
        if datetime(y, m, d).weekday() == 6
    ]


def _sample_timestamps(seed: int, count: int) -> list[datetime]:
    """Random minutes 2015–2034, half of them within a day of a daylight-saving change."""
    rng = random.Random(seed)
    changes = _dst_change_days()
    out = []
    for k in range(count):
        if k % 2:
            base = rng.choice(changes) - timedelta(days=1)
            out.append(base + timedelta(minutes=rng.randrange(3 * 24 * 60)))
        else:
            out.append(datetime(2015, 1, 1) + timedelta(minutes=rng.randrange(20 * 365 * 24 * 60)))
    return out


def _instants(moments: list[datetime]) -> list[datetime]:
    return [m.astimezone(UTC) for m in moments]


def test_hour_macros_equal_python_on_a_seeded_sample(conn: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(7)
    starts = _sample_timestamps(1, 4000)
    # Completions near the due moment, so both outcomes occur often.
    dones = [s + timedelta(hours=24, minutes=rng.randint(-90, 90)) for s in starts]
    flags = [(rng.random() < 0.8, rng.random() < 0.8) for _ in starts]
    hours = [rng.choice([1, 24, 24, 48]) for _ in starts]
    inputs = pl.DataFrame(
        {
            "s": starts,
            "sh": [f[0] for f in flags],
            "d": dones,
            "dh": [f[1] for f in flags],
            "n": hours,
        },
        schema={
            "s": pl.Datetime("us"),
            "sh": pl.Boolean,
            "d": pl.Datetime("us"),
            "dh": pl.Boolean,
            "n": pl.Int32,
        },
    )
    rows = list(zip(starts, flags, dones, hours, strict=True))
    # Compared as instants: DuckDB answers in the session zone, Python in Danish time.
    assert _instants(_apply(conn, inputs, "due_after_hours(s, n)")) == _instants(
        [due_after_hours(s, n) for s, _, _, n in rows]
    )
    assert _apply(conn, inputs, "due_date_hours(s, sh, n)") == [
        due_date_hours(s, f[0], n) for s, f, _, n in rows
    ]
    assert _apply(conn, inputs, "on_time_hours(s, sh, d, dh, n)") == [
        on_time_hours(s, f[0], d, f[1], n) for s, f, d, n in rows
    ]


@settings(max_examples=150, deadline=None)
@given(
    d=st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 10, 31)),
    n=st.integers(min_value=1, max_value=40),
    months=st.integers(min_value=-60, max_value=60),
)
def test_date_macros_equal_python(
    read_only: duckdb.DuckDBPyConnection, d: date, n: int, months: int
) -> None:
    got = read_only.execute(
        "SELECT add_hverdage(?, ?), add_months_clamped(?, ?)", [d, n, d, months]
    ).fetchall()[0]
    assert got == (add_hverdage(d, n, DEFAULT), add_months(d, months))


@settings(max_examples=150, deadline=None)
@given(
    start=st.one_of(
        st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2035, 12, 1)),
        # Within a day of a daylight-saving change, where the two sides could disagree.
        st.builds(
            lambda change, minutes: change + timedelta(minutes=minutes),
            st.sampled_from(_dst_change_days()),
            st.integers(min_value=-24 * 60, max_value=48 * 60),
        ),
    ),
    minutes=st.integers(min_value=-3 * 24 * 60, max_value=3 * 24 * 60),
    start_has_time=st.booleans(),
    done_has_time=st.booleans(),
)
def test_hour_macros_equal_python(
    cursor: duckdb.DuckDBPyConnection,
    start: datetime,
    minutes: int,
    start_has_time: bool,
    done_has_time: bool,
) -> None:
    start = start.replace(microsecond=0)
    done = start + timedelta(hours=24, minutes=minutes)
    got = cursor.execute(
        "SELECT due_after_hours($s, 24), due_date_hours($s, $sh, 24),"
        " on_time_hours($s, $sh, $d, $dh, 24)",
        {"s": start, "sh": start_has_time, "d": done, "dh": done_has_time},
    ).fetchall()[0]
    assert (got[0].astimezone(UTC), *got[1:]) == (
        due_after_hours(start, 24).astimezone(UTC),
        due_date_hours(start, start_has_time, 24),
        on_time_hours(start, start_has_time, done, done_has_time, 24),
    )


# --- Installation ------------------------------------------------------------------------------


def test_install_is_idempotent_and_follows_the_settings() -> None:
    conn = duckdb.connect()
    grundlovsdag = "SELECT add_hverdage(?, 3), is_workday FROM calendar WHERE day = ?"
    params = [date(2025, 6, 4), date(2025, 6, 5)]
    install_calendar(conn, DEFAULT)
    install_calendar(conn, DEFAULT)
    assert conn.execute(grundlovsdag, params).fetchall()[0] == (date(2025, 6, 10), True)
    install_calendar(conn, Settings(calendar=ALL_CLOSED))
    assert conn.execute(grundlovsdag, params).fetchall()[0] == (date(2025, 6, 11), False)
    table = conn.sql("SELECT * FROM calendar ORDER BY day").pl()
    assert table.equals(calendar_frame(DEFAULT_START, DEFAULT_END, ALL_CLOSED))


def test_install_after_an_unfinished_result() -> None:
    conn = duckdb.connect()
    conn.execute("SELECT * FROM range(5000)").fetchone()  # leaves the result unfinished
    install_calendar(conn, DEFAULT)
    assert conn.execute("SELECT add_hverdage(DATE '2025-04-16', 6)").fetchall() == [
        (date(2025, 4, 29),)
    ]


def test_a_cursor_needs_its_own_install() -> None:
    conn = duckdb.connect()
    install_calendar(conn, DEFAULT)
    cur = conn.cursor()
    with pytest.raises(duckdb.CatalogException):
        cur.execute("SELECT add_hverdage(DATE '2025-04-16', 6)").fetchall()
    install_calendar(cur, DEFAULT)
    assert cur.execute("SELECT add_hverdage(DATE '2025-04-16', 6)").fetchall()[0] == (
        date(2025, 4, 29),
    )


def test_custom_range() -> None:
    conn = duckdb.connect()
    install_calendar(conn, DEFAULT, start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert conn.execute("SELECT min(day), max(day), count(*) FROM calendar").fetchall()[0] == (
        date(2025, 1, 1),
        date(2025, 12, 31),
        365,
    )
    edges = conn.execute(
        "SELECT add_hverdage(DATE '2025-01-01', 1), add_hverdage(DATE '2025-12-30', 1)"
    ).fetchall()
    assert edges == [(date(2025, 1, 2), date(2025, 12, 31))]
    for outside in ["DATE '2024-12-31', 1", "DATE '2025-12-31', 1", "DATE '2025-06-02', 300"]:
        with pytest.raises(duckdb.InvalidInputException, match="outside the calendar"):
            conn.execute(f"SELECT add_hverdage({outside})").fetchall()


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Europe/Copenhagen", "Asia/Tokyo"])
def test_results_do_not_depend_on_the_session_time_zone(zone: str) -> None:
    conn = duckdb.connect()
    conn.execute(f"SET TimeZone = '{zone}'")  # a constant of this test
    install_calendar(conn, DEFAULT)
    row = conn.execute(
        "SELECT epoch(due_after_hours(?, 24)), due_date_hours(?, true, 24),"
        " on_time_hours(?, true, ?, true, 24)",
        [datetime(2025, 3, 29, 23, 30)] * 3 + [datetime(2025, 3, 31, 0, 30)],
    ).fetchall()[0]
    # 23:30 CET = 22:30 UTC on 29 March; + 24 h = 22:30 UTC on 30 March = 00:30 CEST on the 31st.
    due_utc = datetime(2025, 3, 30, 22, 30, tzinfo=UTC)
    assert row == (due_utc.timestamp(), date(2025, 3, 31), True)


def test_macros_work_inside_aggregates_and_joins(conn: duckdb.DuckDBPyConnection) -> None:
    rows = conn.execute(
        """
        WITH steps(received, n) AS (VALUES (DATE '2025-04-16', 6), (DATE '2025-04-17', 6),
                                           (DATE '2024-12-27', 6))
        SELECT n, min(add_hverdage(received, n)), max(add_hverdage(received, n)), count(*)
        FROM steps JOIN calendar ON calendar.day = steps.received
        GROUP BY n
        """
    ).fetchall()
    assert rows == [(6, date(2025, 1, 7), date(2025, 4, 29), 3)]


def test_regime_sql() -> None:
    conn = duckdb.connect()
    rows = conn.execute(
        f"SELECT {regime_sql('d')} FROM (VALUES (DATE '2023-12-31'), (DATE '2024-01-01'),"
        " (NULL::DATE)) AS t(d)"
    ).fetchall()
    assert rows == [("sel",), ("barnets_lov",), (None,)]
    # A timestamp late on New Year's Eve 2023 is still SEL.
    stamps = conn.execute(
        f"SELECT {regime_sql('t')} FROM (SELECT CAST(? AS TIMESTAMP) AS t)",
        [datetime(2023, 12, 31, 23, 59)],
    ).fetchall()
    assert stamps == [("sel",)]
