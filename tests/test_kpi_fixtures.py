"""Hand-computed KPI values over the fixture export in ``tests/fixtures/engine/``.

This is the independent check on the engine. Every expected number below was worked out by
hand from ``docs/kpi-rules.md`` and the shared domain facts (``domain.md``), row by row; none
was produced by running the code under test. ``tests/fixtures/engine/README.md`` lists every
fixture row with the edge case it exercises and its hand-derived outcome; the ``why`` text of
each expectation names the rows that make up the number.

The snapshot is imported with as-of date 2025-06-30 (no non-planned date in the fixture lies
after it). Some figures are recomputed with an earlier as-of date, 2025-03-31, to check that
later completions are treated as not yet happened.

Readings of the spec chosen where it could be read more than one way (also in the README):

* ``overdue_open`` is a snapshot count at the as-of date over *all* steps still open past their
  due moment, whatever period their outcome date falls in; it is reported with the period that
  contains the as-of date (the API brief: "likewise reported only in the period containing the
  as-of date"). So N19 (kvittering, due 2025-03-18, outcome in Q1) is overdue-open in Q2.
* A follow-up held before the measure started counts neither as the first follow-up nor as the
  start of a later-follow-up interval (kpi-rules: "follow-ups (held on or after started_on)").
* SEL later follow-ups ignore a recorded ``next_due_on`` (SEL: "at most 6 months apart"); only
  Barnets Lov uses the decided cadence.
* A placement year that starts on 29 February ends the day before the clamped anniversary:
  2024-02-29 + 12 months = 2025-02-28, so year 1 ends 2025-02-27 and a visit on 2025-02-28
  belongs to year 2.
* ``plan_decided`` missing counts as false (BL support without a decided plan is excluded).
* The drill-down (``case_steps``) includes pending steps with status "pending" and
  ``in_denominator`` false, so its pending rows add up to the figure's ``pending``; in the
  period that contains the as-of date it also lists steps still open past due whose outcome
  fell in an earlier period (status "late", ``in_denominator`` false), so its open late rows
  add up to ``overdue_open``.
* For an hour deadline the drill-down's ``due`` is the due moment (local time), not a date.
* ``days``: a late step's days late are completion − due (or as-of − due while still open); a
  pending step's days are due − as-of, negated (days left, ≤ 0).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

FIXTURE = Path(__file__).parent / "fixtures" / "engine"
ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2025, 6, 30)
EARLY = date(2025, 3, 31)
TABLES = (
    "cases",
    "notifications",
    "investigations",
    "child_interviews",
    "measures",
    "plans",
    "follow_ups",
    "supervision_visits",
)
CPH = ZoneInfo("Europe/Copenhagen")
TEST_KEY = b"test-key-kpi-fixtures"  # the importer wants at least 16 characters


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    from kpis.data.importer import run_import

    db = tmp_path_factory.mktemp("kpi_fixtures") / "snapshot.duckdb"
    result = run_import(FIXTURE, db, profile="canonical", as_of=AS_OF, pseudonym_key=TEST_KEY)
    return db, result


@pytest.fixture(scope="module")
def conn(snapshot):
    from kpis.data.snapshot import connect

    c = connect(snapshot[0], read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def kpiset():
    from kpis.rules.definitions import load_kpis

    return load_kpis(ROOT / "config" / "kpis.yaml")


@pytest.fixture(scope="module")
def engine(conn, kpiset):
    return _Engine(conn, kpiset)


class _Engine:
    """Calls compute / case_steps, caching compute results per (kpi, period, by, as_of)."""

    def __init__(self, conn, kpiset):
        self.conn = conn
        self.kpiset = kpiset
        self._cache: dict = {}

    def frame(self, kpi, period, by=(), as_of=None):
        from kpis.compute.engine import compute

        key = (kpi, period, tuple(by), as_of)
        if key not in self._cache:
            self._cache[key] = compute(
                self.conn, self.kpiset, periods=[period], by=list(by), as_of=as_of, kpi_ids=[kpi]
            )
        return self._cache[key]

    def row(self, kpi, period, by=(), group=(), as_of=None) -> dict:
        """The result row of one figure: the total row when ``group`` is empty."""
        df = self.frame(kpi, period, by, as_of)
        rows = [r for r in df.to_dicts() if r["kpi"] == kpi and r["period"] == period]
        if group:
            want = dict(zip(by, group, strict=True))
            rows = [
                r
                for r in rows
                if r["group_level"] == ",".join(by) and all(r[d] == v for d, v in want.items())
            ]
        else:
            rows = [r for r in rows if r["group_level"] == ""]
            assert all(r[d] is None for r in rows for d in by), "total row carries group values"
        assert len(rows) == 1, f"expected one row for {kpi} {period} {by}={group}, got {rows}"
        return rows[0]

    def steps(self, kpi, period, group=None, as_of=None) -> list[dict]:
        from kpis.compute.engine import case_steps

        df = case_steps(self.conn, self.kpiset, kpi, period, group=group, as_of=as_of)
        return df.to_dicts()


def _day(v) -> str | None:
    """A date-like value as ``YYYY-MM-DD`` (None stays None)."""
    if v is None:
        return None
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            v = v.astimezone(CPH).replace(tzinfo=None)
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    return str(v)[:10]


def _minute(v) -> str | None:
    """A timestamp as Danish local ``YYYY-MM-DDTHH:MM`` (None stays None)."""
    if v is None:
        return None
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            v = v.astimezone(CPH).replace(tzinfo=None)
        return v.strftime("%Y-%m-%dT%H:%M")
    return str(v)[:16].replace(" ", "T")


# --------------------------------------------------------------------------- the import


def _csv_rows(table: str) -> int:
    with open(FIXTURE / f"{table}.csv", encoding="utf-8", newline="") as f:
        return sum(1 for _ in csv.DictReader(f))


def test_fixture_loads_every_row_and_quarantines_none(snapshot, conn):
    _, result = snapshot
    for table in TABLES:
        loaded = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        assert loaded == _csv_rows(table), f"{table}: loaded {loaded} of {_csv_rows(table)}"
    # A quarantine table, when the snapshot keeps one, must be empty.
    names = [
        r[0]
        for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_name ILIKE '%quarantin%'"
        ).fetchall()
    ]
    for name in names:
        assert conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] == 0, name
    assert result.rows_quarantined == 0, result.summary_text()
    assert result.reasons == ()
    assert set(result.absent_tables) == set()
    for table in TABLES:
        f = result.file(table)
        assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (
            _csv_rows(table),
            _csv_rows(table),
            0,
        ), table
        assert f.ignored_columns == (), table


def test_fixture_date_only_timestamps_are_flagged(conn):
    # N07's received_at and N08/N09's assessed_at are dates without a time of day.
    got = {
        r[0]: (r[1], r[2])
        for r in conn.execute(
            "SELECT notification_id, received_at_has_time, assessed_at_has_time "
            "FROM notifications WHERE notification_id IN ('N01', 'N07', 'N08', 'N09')"
        ).fetchall()
    }
    assert got == {
        "N01": (True, True),
        "N07": (False, True),
        "N08": (True, False),
        "N09": (True, False),
    }


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Fig:
    kpi: str
    period: str
    num: int
    den: int
    why: str
    pending: int = 0
    overdue: int = 0
    by: tuple[str, ...] = ()
    group: tuple[str, ...] = ()  # the values of `by`; () = the total row
    as_of: date | None = None

    @property
    def id(self) -> str:
        g = "" if not self.by else "[" + ",".join(self.by) + "=" + ",".join(self.group) + "]"
        a = f"@{self.as_of}" if self.as_of else ""
        return f"{self.kpi}:{self.period}{g}{a}"


U = "underretning_24t"
K = "kvittering_6_hverdage"
B = "bfu_4_mdr"
BK = "bfu_foraeldrekompetence"
PR = "plan_rettidig"
PM = "plan_maalbare_maal"
F1 = "opfoelgning_foerste_rettidig"
FL = "opfoelgning_loebende_rettidig"
T = "tilsyn_2_aarligt"
SA = "boernesamtale_foer_afgoerelse"
SB = "boernesamtale_i_bfu"
TEAM = ("team",)

FIGURES: list[Fig] = [
    # ---------------------------------------------------------------- underretning_24t
    # Outcome dates: on time -> date of assessed_at; late -> date of the due moment.
    Fig(
        U,
        "2025-Q1",
        6,
        9,
        "on time: N01 (23:59 h), N02 (exactly 24 h), N04 (DST spring: due 03-30 13:00), "
        "N07 (date-only received, assessed next day), N09 (date-only assessed next day), N19; "
        "late: N03 (24:01 h), N05 (13:01 > DST due 13:00), N08 (date-only assessed 2 days on)",
    ),
    Fig(U, "2025-Q1", 6, 9, "grouped call: total over all rows, not averaged", by=TEAM),
    Fig(U, "2025-Q1", 3, 3, "Team A: N01, N02, N07 on time", by=TEAM, group=("Team A",)),
    Fig(U, "2025-Q1", 2, 4, "Team B: on N04, N09; late N03, N08", by=TEAM, group=("Team B",)),
    Fig(U, "2025-Q1", 1, 2, "Team C: on N19; late N05", by=TEAM, group=("Team C",)),
    Fig(U, "2025-Q1", 2, 2, "Anna: N01, N02", by=("caseworker",), group=("Anna",)),
    Fig(U, "2025-Q1", 1, 1, "Bo: N07", by=("caseworker",), group=("Bo",)),
    Fig(U, "2025-Q1", 1, 3, "Carl: on N04; late N03, N08", by=("caseworker",), group=("Carl",)),
    Fig(U, "2025-Q1", 1, 1, "Dorte: N09", by=("caseworker",), group=("Dorte",)),
    Fig(U, "2025-Q1", 1, 2, "Erik: on N19; late N05", by=("caseworker",), group=("Erik",)),
    Fig(
        U, "2025-Q1", 2, 2, "professional: N07, N19", by=("notifier_type",), group=("professional",)
    ),
    Fig(
        U,
        "2025-Q1",
        2,
        4,
        "private: on N01, N02; late N03, N08",
        by=("notifier_type",),
        group=("private",),
    ),
    Fig(
        U,
        "2025-Q1",
        1,
        2,
        "anonymous: on N04; late N05",
        by=("notifier_type",),
        group=("anonymous",),
    ),
    Fig(U, "2025-Q1", 1, 1, "other: N09", by=("notifier_type",), group=("other",)),
    Fig(U, "2025-03", 4, 6, "on N01, N02, N04, N19; late N03, N05"),
    Fig(U, "2025-02", 2, 3, "on N07 (outcome 02-11), N09 (02-18); late N08 (outcome = due 02-13)"),
    Fig(
        U,
        "2025-Q2",
        2,
        3,
        "on N14, N18; late N13 (open, due 06-29 20:00 < start of as-of day); "
        "pending N12 (due 06-30 14:00, on the as-of day); overdue open N13",
        pending=1,
        overdue=1,
    ),
    Fig(U, "2025-Q2", 1, 1, "Team A: N14", by=TEAM, group=("Team A",)),
    Fig(
        U,
        "2025-Q2",
        1,
        2,
        "Team B: on N18; late N13; pending N12; overdue open N13",
        pending=1,
        overdue=1,
        by=TEAM,
        group=("Team B",),
    ),
    Fig(
        U,
        "2024",
        4,
        5,
        "on N10 (received 2023-12-31, outcome 2024-01-01), N11, N15, N17; "
        "late N06 (DST autumn: due 10-27 11:00, assessed 11:30)",
    ),
    Fig(U, "2024", 1, 1, "SEL (received 2023-12-31): N10", by=("regime",), group=("sel",)),
    Fig(
        U,
        "2024",
        3,
        4,
        "Barnets Lov: on N11 (received 2024-01-01), N15, N17; late N06",
        by=("regime",),
        group=("barnets_lov",),
    ),
    Fig(U, "2023", 1, 1, "N16 only: N10 was received in 2023 but its outcome is 2024-01-01"),
    Fig(
        U,
        "R12-2025-03",
        8,
        12,
        "2024-04-01..2025-03-31: on N15, N17 + six of 2025-Q1; late N06 + three of 2025-Q1",
    ),
    Fig(
        U,
        "2025",
        8,
        12,
        "2025-Q1 (6/9) + 2025-Q2 (2/3); pending N12; overdue open N13",
        pending=1,
        overdue=1,
    ),
    Fig(
        U,
        "2025-Q1",
        6,
        9,
        "as of 03-31 every Q1 step was assessed by 03-30: unchanged",
        as_of=EARLY,
    ),
    # ---------------------------------------------------------------- kvittering_6_hverdage
    # Professional notifications only: N07, N12, N14, N15, N16, N17, N18, N19.
    Fig(
        K,
        "2025-Q1",
        2,
        3,
        "on N07 (due 02-18, ack 02-12), N15 (received 2024-12-30, Nytårsdag skipped: due and "
        "ack 2025-01-08); late N19 (no ack, due 03-18)",
    ),
    Fig(K, "2025-Q1", 2, 2, "Team A: N07, N15", by=TEAM, group=("Team A",)),
    Fig(K, "2025-Q1", 0, 1, "Team C: N19 late", by=TEAM, group=("Team C",)),
    Fig(
        K,
        "2025-Q2",
        1,
        2,
        "on N14 (received Wed 04-16, Easter skipped: due and ack Tue 04-29); "
        "late N18 (Grundlovsdag is a working day by default, 2. pinsedag is not: due 06-11, "
        "ack 06-12); pending N12 (due 07-07); overdue open N19 (still no ack)",
        pending=1,
        overdue=1,
    ),
    Fig(K, "2025-Q2", 1, 1, "Team A: N14", by=TEAM, group=("Team A",)),
    Fig(K, "2025-Q2", 0, 1, "Team B: late N18; pending N12", pending=1, by=TEAM, group=("Team B",)),
    Fig(K, "2025-06", 0, 1, "late N18; pending N12; overdue open N19", pending=1, overdue=1),
    Fig(K, "2025-04", 1, 1, "N14 on its due date"),
    Fig(K, "2025-01", 1, 1, "N15 (received in December 2024; outcome date 2025-01-08)"),
    Fig(K, "2023", 1, 1, "N16: Store Bededag 2023-05-05 skipped, due and ack 2023-05-15"),
    Fig(K, "2024", 0, 1, "N17: no Store Bededag in 2024, due 05-03, ack 05-06 late"),
    Fig(
        K,
        "2025",
        3,
        5,
        "on N07, N14, N15; late N18, N19; pending N12; overdue open N19",
        pending=1,
        overdue=1,
    ),
    Fig(
        K,
        "2025-Q1",
        2,
        3,
        "as of 03-31: same steps; N19 is open past due (overdue open)",
        overdue=1,
        as_of=EARLY,
    ),
    # ---------------------------------------------------------------- bfu_4_mdr
    Fig(
        B,
        "2025-Q1",
        1,
        3,
        "on I12; late I02 (aware 2024-10-31, due 2025-02-28, completed 03-01), "
        "I05 (due 03-20; preliminary assessment 03-18 is not a completion)",
    ),
    Fig(B, "2025-Q1", 0, 1, "Team A: I02", by=TEAM, group=("Team A",)),
    Fig(B, "2025-Q1", 0, 1, "Team B: I05", by=TEAM, group=("Team B",)),
    Fig(B, "2025-Q1", 1, 1, "Team C: I12", by=TEAM, group=("Team C",)),
    Fig(B, "2025-02", 0, 1, "I02: late, outcome = due date 02-28 though completed 03-01"),
    Fig(B, "2025-03", 1, 2, "on I12 (completed 03-01); late I05 (outcome 03-20)"),
    Fig(
        B,
        "2025-Q2",
        1,
        2,
        "on I07 (completed on the as-of day); late I04 (open, due 05-15, preliminary 05-10); "
        "pending I06 (due 08-01); overdue open I04",
        pending=1,
        overdue=1,
    ),
    Fig(
        B,
        "2024",
        6,
        6,
        "all on time: I01 (2023-10-31 + 4 months = 2024-02-29, completed that day), I03 (leap "
        "day start, due 06-29, completed that day), I08, I09, I10, I11",
    ),
    Fig(
        B,
        "2024",
        4,
        4,
        "SEL (aware before 2024): I01, I09, I10, I11 (aware 2023-12-31)",
        by=("regime",),
        group=("sel",),
    ),
    Fig(
        B,
        "2024",
        2,
        2,
        "Barnets Lov: I03, I08 (aware 2024-01-01)",
        by=("regime",),
        group=("barnets_lov",),
    ),
    Fig(B, "R12-2025-03", 3, 5, "on I03, I08, I12; late I02, I05"),
    Fig(
        B,
        "2025",
        2,
        5,
        "on I07, I12; late I02, I04, I05; pending I06; overdue open I04",
        pending=1,
        overdue=1,
    ),
    Fig(
        B,
        "2025-Q1",
        1,
        3,
        "as of 03-31: on I12; late I02 and I05 (its 04-10 completion has not happened, so it "
        "is open past due); pending I04 (due 05-15), I07 (completion 06-30 not yet, due 07-01); "
        "I06 (aware 04-01) does not exist yet",
        pending=2,
        overdue=1,
        as_of=EARLY,
    ),
    Fig(
        B,
        "2025-Q2",
        0,
        0,
        "as of 03-31 nothing in Q2 has an outcome yet; pending is in Q1",
        as_of=EARLY,
    ),
    # ---------------------------------------------------------------- bfu_foraeldrekompetence
    Fig(BK, "2025-Q1", 1, 2, "completed I02 (true), I12 (false)"),
    Fig(BK, "2025-Q2", 1, 2, "completed I07 (true), I05 (missing = false)"),
    Fig(BK, "2024", 3, 6, "true I01, I09, I11; false I03, I08, I10"),
    Fig(BK, "2024", 3, 4, "SEL: I01, I09, I11 | I10", by=("regime",), group=("sel",)),
    Fig(BK, "2024", 0, 2, "Barnets Lov: I03, I08", by=("regime",), group=("barnets_lov",)),
    Fig(BK, "2025", 2, 4, "true I02, I07; not I05, I12"),
    # ---------------------------------------------------------------- plan_rettidig
    Fig(
        PR,
        "2023",
        2,
        3,
        "on M01 (SEL, plan on the decision day), M10 (SEL, plan 04-20 before decision 04-25: "
        "outcome 04-25); late M02 (SEL decided 2023-12-31, due that day, plan 2024-01-05)",
    ),
    Fig(PR, "2023-12", 0, 1, "M02: outcome = due date 2023-12-31"),
    Fig(
        PR,
        "2024-01",
        0,
        0,
        "nothing: M02's late plan counts at its due date; M03 (BL support without "
        "plan_decided, decided 2024-01-01) is excluded",
    ),
    Fig(PR, "2024", 2, 2, "M09 (BL placement, due 04-10, plan 03-01), M11 (due 05-29, plan 04-15)"),
    Fig(
        PR,
        "2025-Q1",
        2,
        2,
        "M04 (BL placement 2024-11-30 + 3 months = 2025-02-28, plan that day), "
        "M05 (§ 47 placement: plan 02-07 before decision 02-10, outcome 02-10)",
    ),
    Fig(
        PR,
        "2025-Q2",
        0,
        2,
        "late M06 (BL support with plan decided, due 04-15, plan 04-16), M08 (due 04-30 "
        "clamped, no plan: open); pending M07 (due 08-01); overdue open M08",
        pending=1,
        overdue=1,
    ),
    Fig(
        PR,
        "2025",
        2,
        4,
        "on M04, M05; late M06, M08; pending M07; overdue open M08",
        pending=1,
        overdue=1,
    ),
    Fig(PR, "2025", 1, 1, "Team A: M04; pending M07", pending=1, by=TEAM, group=("Team A",)),
    Fig(PR, "2025", 1, 2, "Team B: on M05; late M08 (open)", overdue=1, by=TEAM, group=("Team B",)),
    Fig(PR, "2025", 0, 1, "Team C: M06 late", by=TEAM, group=("Team C",)),
    Fig(
        PR,
        "2025",
        1,
        1,
        "placement: M04; pending M07",
        pending=1,
        by=("measure_type",),
        group=("placement",),
    ),
    Fig(
        PR,
        "2025",
        1,
        1,
        "placement_without_consent: M05",
        by=("measure_type",),
        group=("placement_without_consent",),
    ),
    Fig(
        PR,
        "2025",
        0,
        2,
        "support: M06, M08 late",
        overdue=1,
        by=("measure_type",),
        group=("support",),
    ),
    Fig(
        PR,
        "2025-Q1",
        2,
        2,
        "as of 03-31: M04, M05 on time; pending M06 (plan 04-16 not yet), M08; "
        "M07 (decided 05-01) does not exist yet",
        pending=2,
        as_of=EARLY,
    ),
    # ---------------------------------------------------------------- plan_maalbare_maal
    Fig(PM, "2023", 2, 2, "P01 (3 of 3), P10 (2 of 2)"),
    Fig(PM, "2024", 1, 3, "met P09 (1 of 1); not P02 (1 of 2), P11 (2 of 3)"),
    # The regime is the measure's decision date, not the plan's: P02 was prepared 2024-01-05 for
    # M02, decided 2023-12-31, so it is measured under SEL.
    Fig(PM, "2024", 0, 1, "SEL: P02 (M02 decided 2023-12-31)", by=("regime",), group=("sel",)),
    Fig(PM, "2024", 1, 2, "Barnets Lov: P09 met (M09 decided 2024-01-10); P11 not (M11 "
        "decided 2024-02-29)", by=("regime",), group=("barnets_lov",)),
    Fig(PM, "2025-Q1", 1, 3, "met P05; not P04A (no goals), P04B (counts missing)"),
    Fig(PM, "2025-Q1", 0, 2, "Team A: P04A, P04B", by=TEAM, group=("Team A",)),
    Fig(PM, "2025-Q1", 1, 1, "Team B: P05", by=TEAM, group=("Team B",)),
    Fig(PM, "2025-02", 1, 2, "P05 met, P04A not"),
    Fig(PM, "2025-Q2", 1, 1, "P06 (4 of 4)"),
    # ---------------------------------------------------------------- opfoelgning_foerste_rettidig
    Fig(F1, "2023", 2, 2, "M01 (SEL, due 09-01, held 09-01), M10 (SEL, due 08-01, held 07-20)"),
    Fig(
        F1,
        "2024",
        3,
        4,
        "on M02 (SEL: parallel BFU I09 ignored, due 04-08, held 03-01), M09, M11 (due 05-29, "
        "held that day); late M03 (BL: parallel BFUs I10 and I11, earliest completion 02-20 "
        "brings the due date forward from 04-01; held 03-01)",
    ),
    Fig(F1, "2024", 1, 1, "SEL: M02", by=("regime",), group=("sel",)),
    Fig(F1, "2024", 2, 3, "Barnets Lov: M09, M11 | M03", by=("regime",), group=("barnets_lov",)),
    Fig(F1, "2024-12", 0, 0, "F07 (2024-11-30) was held before M04 started: not a first follow-up"),
    Fig(F1, "2025-Q1", 1, 1, "M04 (started 2024-12-01, due 2025-03-01, F08 held that day)"),
    Fig(
        F1,
        "2025-Q2",
        1,
        2,
        "on M06 (BFU I12 aware after the start does not apply: due 04-20, held 04-10); late M12 "
        "(open, due 04-02); pending M07 (due 08-05); M05 ended 04-30 before its due 05-10 "
        "without one: excluded; M08 not started: no clock",
        pending=1,
        overdue=1,
    ),
    Fig(F1, "2025-Q2", 0, 0, "Team A: pending M07", pending=1, by=TEAM, group=("Team A",)),
    Fig(F1, "2025-Q2", 0, 1, "Team B: M12 late (open)", overdue=1, by=TEAM, group=("Team B",)),
    Fig(F1, "2025-Q2", 1, 1, "Team C: M06", by=TEAM, group=("Team C",)),
    Fig(
        F1,
        "2025",
        2,
        3,
        "on M04, M06; late M12; pending M07; overdue open M12",
        pending=1,
        overdue=1,
    ),
    Fig(
        F1,
        "2025-Q1",
        1,
        1,
        "as of 03-31: M04 on time; pending M05 (its 04-30 end has not happened), M06 (F10 "
        "04-10 not yet), M12 (due 04-02); M07 not started yet",
        pending=3,
        as_of=EARLY,
    ),
    # ---------------------------------------------------------------- opfoelgning_loebende_rettidig
    # Intervals named "measure first->next" by follow-up id.
    Fig(
        FL,
        "2024",
        3,
        7,
        "on M01 F01->F02, M03 F05->F06 (BL cadence next_due 07-01), M10 F14->F15; late M01 "
        "F02->F03 (SEL: 6 months, next_due ignored), M09 F11->F12 (BL cadence 08-10), "
        "M10 F15->F16, M11 F18->F19 (cadence 11-29)",
    ),
    Fig(
        FL,
        "2024",
        2,
        4,
        "SEL: M01 F01->F02, M10 F14->F15 | M01 F02->F03, M10 F15->F16",
        by=("regime",),
        group=("sel",),
    ),
    Fig(
        FL,
        "2024",
        1,
        3,
        "Barnets Lov: M03 F05->F06 | M09 F11->F12, M11 F18->F19",
        by=("regime",),
        group=("barnets_lov",),
    ),
    Fig(
        FL,
        "2025-Q1",
        2,
        3,
        "on M09 F12->F13 (cadence 03-01), M10 F16->F17 (due 01-25); late M01 F03-> "
        "(open, due 03-02)",
    ),
    Fig(FL, "2025-Q1", 1, 2, "Team A: M10 F16->F17 | M01 F03->", by=TEAM, group=("Team A",)),
    Fig(FL, "2025-Q1", 1, 1, "Team C: M09 F12->F13", by=TEAM, group=("Team C",)),
    Fig(
        FL,
        "2025-Q2",
        1,
        2,
        "on M04 F08->F09 (cadence 06-01); late M11 F19-> (BL without cadence: internal "
        "6 months, due 06-02, open); pending M04 F09-> (09-01), M06 F10-> (07-10), M09 F13-> "
        "(08-20), M10 F17-> (07-20); overdue open M01 F03->, M11 F19->. Excluded: M02 F04-> "
        "and M03 F06-> (measure ended before due), M04 F07 (before start)",
        pending=4,
        overdue=2,
    ),
    Fig(
        FL,
        "2025-Q2",
        1,
        1,
        "Team A: M04 F08->F09; pending M04 F09->, M10 F17->; overdue open M01 F03->",
        pending=2,
        overdue=1,
        by=TEAM,
        group=("Team A",),
    ),
    Fig(FL, "2025-Q2", 0, 1, "Team B: M11 F19-> (open)", overdue=1, by=TEAM, group=("Team B",)),
    Fig(
        FL,
        "2025-Q2",
        0,
        0,
        "Team C: pending M06 F10->, M09 F13->",
        pending=2,
        by=TEAM,
        group=("Team C",),
    ),
    Fig(
        FL,
        "R12-2025-03",
        3,
        8,
        "on M03 F05->F06, M09 F12->F13, M10 F16->F17; late M01 F02->F03, M01 F03->, "
        "M09 F11->F12, M10 F15->F16, M11 F18->F19",
    ),
    Fig(
        FL,
        "2025-Q1",
        2,
        3,
        "as of 03-31: as at 06-30 for Q1; pending M04 F08-> (F09 not yet), M09 F13->, "
        "M10 F17->, M11 F19-> (due 06-02); overdue open M01 F03->; M06 has no follow-up yet",
        pending=4,
        overdue=1,
        as_of=EARLY,
    ),
    # ---------------------------------------------------------------- tilsyn_2_aarligt
    Fig(
        T,
        "2025-Q1",
        1,
        2,
        "met M09 year 1 (to 2025-01-14: V01, V02); not M11 year 1 (leap-day start: to "
        "2025-02-27, only V10; V11 on 02-28 is in year 2)",
    ),
    Fig(T, "2025-Q1", 0, 1, "Team B: M11", by=TEAM, group=("Team B",)),
    Fig(T, "2025-Q1", 1, 1, "Team C: M09", by=TEAM, group=("Team C",)),
    Fig(T, "2025-01", 1, 1, "M09 year 1 ends 2025-01-14"),
    Fig(T, "2025-02", 0, 1, "M11 year 1 ends 2025-02-27"),
    Fig(T, "2025-Q2", 0, 1, "M10 year 2 (to 2025-04-30): V07 spoken to, V08 not"),
    Fig(T, "2024", 1, 1, "M10 year 1 (to 2024-04-30): V04 and V06 (the last day); V05 not spoken"),
    Fig(
        T,
        "2025",
        1,
        3,
        "M09 met; M11, M10 (year 2) not; years not ended (M04, M05, M07, M09 year 2, "
        "M10 year 3, M11 year 2) don't count",
    ),
    Fig(T, "R12-2025-03", 2, 3, "M10 year 1 (2024-04-30) met, M09 met, M11 not"),
    # ---------------------------------------------------------------- boernesamtale_foer_afgoerelse
    Fig(SA, "2023", 1, 3, "met M01 (CI01); not M02 (CI02 is after the decision), M10 (none)"),
    Fig(
        SA,
        "2024",
        3,
        5,
        "met M03 (CI03 exemption recorded under 'investigation'), M04 (CI04 exactly 6 months "
        "before: 2024-05-30), M11 (CI11 2023-08-29 = 2024-02-29 - 6 months); not M09 (CI10 "
        "after), M12 (CI12 exemption one day before the window)",
    ),
    Fig(
        SA,
        "2025-Q1",
        1,
        3,
        "met M06 (CI06 on the decision day); not M05 (CI05 one day before the window), "
        "M08 (CI09 the day after the decision)",
    ),
    Fig(SA, "2025-Q1", 0, 2, "Team B: M05, M08", by=TEAM, group=("Team B",)),
    Fig(SA, "2025-Q1", 1, 1, "Team C: M06", by=TEAM, group=("Team C",)),
    Fig(SA, "2025-Q2", 1, 1, "M07: exemption CI08 (declined) instead of an interview"),
    Fig(SA, "2025", 2, 4, "met M06, M07; not M05, M08"),
    # ---------------------------------------------------------------- boernesamtale_i_bfu
    Fig(SB, "2025-Q1", 1, 2, "met I12 (CI07 exemption); not I02 (CI14 the day before aware)"),
    Fig(SB, "2025-Q1", 0, 1, "Team A: I02", by=TEAM, group=("Team A",)),
    Fig(SB, "2025-Q1", 1, 1, "Team C: I12", by=TEAM, group=("Team C",)),
    Fig(SB, "2025-Q2", 1, 2, "met I07 (CI17 exemption); not I05 (CI16 the day after completion)"),
    Fig(
        SB,
        "2024",
        4,
        6,
        "met I01 (CI13 on the completion day), I03 (CI15 on the aware day), I09 (CI02), I10 "
        "(CI03 exemption); not I08 (none), I11 (CI03 is before its aware date)",
    ),
    Fig(SB, "2025", 2, 4, "met I07, I12; not I02, I05"),
]


@pytest.mark.parametrize("e", FIGURES, ids=lambda e: e.id)
def test_figure(engine, e: Fig):
    r = engine.row(e.kpi, e.period, e.by, e.group, e.as_of)
    got = (r["numerator"], r["denominator"], r["pending"], r["overdue_open"])
    assert got == (e.num, e.den, e.pending, e.overdue), e.why
    if e.den == 0:
        assert r["value"] is None, e.why
        assert r["status"] == "none"
    else:
        assert r["value"] == pytest.approx(e.num / e.den), e.why


def test_team_rows_add_up_to_the_total(engine):
    # Every unit has exactly one team, so team rows add up (numerator, denominator, pending).
    for kpi in (U, K, B, PR, F1, FL, SB):
        rows = engine.frame(kpi, "2025", TEAM).to_dicts()
        total = [r for r in rows if r["group_level"] == ""]
        teams = [r for r in rows if r["group_level"] == "team"]
        assert len(total) == 1
        for col in ("numerator", "denominator", "pending", "overdue_open"):
            assert sum(r[col] for r in teams) == total[0][col], (kpi, col)


# --------------------------------------------------------------------------- context figures


@pytest.mark.parametrize(
    ("period", "by", "group", "count", "why"),
    [
        ("2025-Q1", (), (), 9, "N01-N05, N07-N09, N19 (N15 was received 2024-12-30)"),
        ("2025-Q1", TEAM, ("Team A",), 3, "N01, N02, N07"),
        ("2025-Q1", TEAM, ("Team B",), 4, "N03, N04, N08, N09"),
        ("2025-Q1", TEAM, ("Team C",), 2, "N05, N19"),
        ("2025-Q2", (), (), 4, "N12, N13, N14, N18"),
        ("2024", (), (), 4, "N06, N11, N15, N17"),
        ("2023", (), (), 2, "N10 (received 2023-12-31 22:00), N16"),
    ],
)
def test_underretninger_antal(engine, period, by, group, count, why):
    r = engine.row("underretninger_antal", period, by, group)
    assert r["value"] == count, why


def test_bfu_varighed_dage(engine):
    # 2025: I12 39 days, I02 121, I07 121, I05 141 -> median 121 (both middle values are 121).
    assert engine.row("bfu_varighed_dage", "2025", (), ())["value"] == 121
    # 2025-04: only I05 (2024-11-20 -> 2025-04-10 = 141 days): median = p90 = 141.
    r = engine.row("bfu_varighed_dage", "2025-04", (), ())
    assert r["value"] == 141
    assert r["p90"] == 141


def test_share_kpis_have_no_pending(engine):
    for kpi in (BK, PM, T, SA, SB):
        r = engine.row(kpi, "2025", (), ())
        assert (r["pending"], r["overdue_open"]) == (0, 0), kpi


# --------------------------------------------------------------------------- drill-down

DEADLINE_KPIS = (U, K, B, PR, F1, FL)
DRILL = [
    (kpi, period, group, as_of)
    for kpi in (U, K, B, BK, PR, PM, F1, FL, T, SA, SB)
    for period, group, as_of in (
        ("2025-Q1", None, None),
        ("2025-Q2", None, None),
        ("2024", None, None),
        ("2025", {"team": "Team B"}, None),
        ("2025-Q1", None, EARLY),
    )
]


@pytest.mark.parametrize(
    ("kpi", "period", "group", "as_of"),
    DRILL,
    ids=[f"{k}:{p}:{g and g['team']}:{a}" for k, p, g, a in DRILL],
)
def test_case_steps_add_up_to_the_figure(engine, kpi, period, group, as_of):
    by = tuple(group) if group else ()
    gv = tuple(group.values()) if group else ()
    r = engine.row(kpi, period, by, gv, as_of)
    steps = engine.steps(kpi, period, group=group, as_of=as_of)
    assert sum(1 for s in steps if s["in_numerator"]) == r["numerator"]
    assert sum(1 for s in steps if s["in_denominator"]) == r["denominator"]
    assert all(s["in_denominator"] for s in steps if s["in_numerator"])
    if kpi in DEADLINE_KPIS:
        assert sum(1 for s in steps if s["status"] == "pending") == r["pending"]
        for s in steps:
            assert s["status"] in ("on_time", "late", "pending")
            assert s["in_numerator"] == (s["status"] == "on_time")
            if s["status"] == "pending":
                assert not s["in_denominator"]
            elif not s["in_denominator"]:
                # Only a step still open past due whose outcome fell in an earlier period may
                # be listed outside the rate: it is behind the overdue_open count.
                assert (s["status"], s["completed"]) == ("late", None), s
        overdue = sum(1 for s in steps if s["status"] == "late" and s["completed"] is None)
        if _contains(period, as_of or AS_OF):
            assert overdue == r["overdue_open"]
        else:
            assert r["overdue_open"] == 0
            assert all(s["in_denominator"] for s in steps if s["status"] != "pending")
    else:
        for s in steps:
            assert s["status"] in ("met", "not_met")
            assert s["in_denominator"]
            assert s["in_numerator"] == (s["status"] == "met")
            assert s["days"] is None
    if group:
        assert all(s["team"] == group["team"] for s in steps)


def _contains(period: str, day: date) -> bool:
    """Whether one of the drill-down periods used here contains ``day`` (hand-written table)."""
    spans = {
        "2024": (date(2024, 1, 1), date(2024, 12, 31)),
        "2025": (date(2025, 1, 1), date(2025, 12, 31)),
        "2025-Q1": (date(2025, 1, 1), date(2025, 3, 31)),
        "2025-Q2": (date(2025, 4, 1), date(2025, 6, 30)),
    }
    first, last = spans[period]
    return first <= day <= last


def _by(steps: list[dict], key: str) -> dict:
    out: dict = {}
    for s in steps:
        assert s[key] not in out, f"two steps with {key}={s[key]}"
        out[s[key]] = s
    return out


def test_steps_bfu_4_mdr(engine):
    q2 = _by(engine.steps(B, "2025-Q2"), "unit_id")
    assert set(q2) == {"I04", "I06", "I07"}
    i04, i06, i07 = q2["I04"], q2["I06"], q2["I07"]
    # I04: aware 2025-01-15 + 4 months = 2025-05-15; only a preliminary assessment (05-10).
    assert (i04["status"], _day(i04["due"]), i04["completed"]) == ("late", "2025-05-15", None)
    assert i04["days"] == 46  # 2025-06-30 - 2025-05-15
    assert (i04["case_id"], i04["team"], i04["caseworker"]) == ("C04", "Team B", "Carl")
    # I07: aware 2025-03-01, due 2025-07-01, completed on the as-of day.
    assert (i07["status"], _day(i07["due"]), _day(i07["completed"])) == (
        "on_time",
        "2025-07-01",
        "2025-06-30",
    )
    # I06: aware 2025-04-01, due 2025-08-01, pending: 32 days left.
    assert (i06["status"], _day(i06["due"]), i06["in_denominator"]) == (
        "pending",
        "2025-08-01",
        False,
    )
    assert i06["days"] == -32

    a = _by(engine.steps(B, "2025-Q1", group={"team": "Team A"}), "unit_id")
    assert set(a) == {"I02"}
    i02 = a["I02"]
    # 31 October 2024 + 4 months = 28 February 2025 (not a leap year); completed one day late.
    assert (i02["status"], _day(i02["start"]), _day(i02["due"]), _day(i02["completed"])) == (
        "late",
        "2024-10-31",
        "2025-02-28",
        "2025-03-01",
    )
    assert i02["days"] == 1
    assert i02["regime"] == "barnets_lov"

    y24 = _by(engine.steps(B, "2024"), "unit_id")
    assert set(y24) == {"I01", "I03", "I08", "I09", "I10", "I11"}
    assert (_day(y24["I01"]["due"]), y24["I01"]["status"], y24["I01"]["regime"]) == (
        "2024-02-29",
        "on_time",
        "sel",
    )  # 31 Oct 2023 + 4 months, leap year
    assert (_day(y24["I03"]["due"]), y24["I03"]["status"]) == ("2024-06-29", "on_time")
    assert (_day(y24["I11"]["due"]), y24["I11"]["regime"]) == ("2024-04-30", "sel")
    assert (_day(y24["I08"]["due"]), y24["I08"]["regime"]) == ("2024-05-01", "barnets_lov")

    early = _by(engine.steps(B, "2025-Q1", as_of=EARLY), "unit_id")
    assert set(early) == {"I02", "I04", "I05", "I07", "I12"}
    assert (early["I05"]["status"], early["I05"]["completed"]) == ("late", None)
    assert early["I07"]["status"] == "pending"
    assert early["I04"]["status"] == "pending"


def test_steps_underretning_24t(engine):
    m = _by(engine.steps(U, "2025-03"), "unit_id")
    assert set(m) == {"N01", "N02", "N03", "N04", "N05", "N19"}
    assert {k: s["status"] for k, s in m.items()} == {
        "N01": "on_time",  # 23 h 59 min
        "N02": "on_time",  # exactly 24 h
        "N03": "late",  # 24 h 01 min
        "N04": "on_time",  # DST spring: due 13:00, assessed 12:30
        "N05": "late",  # DST spring: due 13:00, assessed 13:01
        "N19": "on_time",
    }
    assert _day(m["N03"]["due"]) == "2025-03-08"
    assert _day(m["N05"]["due"]) == "2025-03-30"

    y = _by(engine.steps(U, "2024"), "unit_id")
    assert set(y) == {"N06", "N10", "N11", "N15", "N17"}
    assert (y["N06"]["status"], _day(y["N06"]["due"])) == ("late", "2024-10-27")
    assert (y["N10"]["regime"], y["N10"]["status"]) == ("sel", "on_time")
    assert (y["N11"]["regime"], y["N11"]["status"]) == ("barnets_lov", "on_time")

    f = _by(engine.steps(U, "2025-02"), "unit_id")
    assert {k: s["status"] for k, s in f.items()} == {
        "N07": "on_time",
        "N08": "late",
        "N09": "on_time",
    }
    # Date-only values degrade to "by the next calendar day": N08 due 2025-02-13.
    assert _day(f["N08"]["due"]) == "2025-02-13"

    q2 = _by(engine.steps(U, "2025-Q2"), "unit_id")
    assert {k: s["status"] for k, s in q2.items()} == {
        "N12": "pending",
        "N13": "late",
        "N14": "on_time",
        "N18": "on_time",
    }
    assert (_day(q2["N13"]["due"]), q2["N13"]["completed"]) == ("2025-06-29", None)


def test_steps_underretning_24t_due_moment(engine):
    # The drill-down of an hour deadline shows the due *moment* (Danish local time), which is
    # what moves across a daylight-saving change; a date alone cannot show it. The engine gives
    # it as `due_at` (naive Danish local time) beside the due date `due`.
    m = _by(engine.steps(U, "2025-03"), "unit_id")
    assert _minute(m["N01"]["due_at"]) == "2025-03-04T10:00"
    assert _minute(m["N03"]["due_at"]) == "2025-03-08T10:00"
    # DST starts 2025-03-30 02:00: 24 elapsed hours after Saturday 12:00 is Sunday 13:00.
    assert _minute(m["N04"]["due_at"]) == "2025-03-30T13:00"
    y = _by(engine.steps(U, "2024"), "unit_id")
    # DST ends 2024-10-27 03:00: 24 elapsed hours after Saturday 12:00 is Sunday 11:00.
    assert _minute(y["N06"]["due_at"]) == "2024-10-27T11:00"
    q2 = _by(engine.steps(U, "2025-Q2"), "unit_id")
    assert _minute(q2["N12"]["due_at"]) == "2025-06-30T14:00"


def test_steps_kvittering(engine):
    q1 = _by(engine.steps(K, "2025-Q1"), "unit_id")
    assert set(q1) == {"N07", "N15", "N19"}
    assert (q1["N15"]["status"], _day(q1["N15"]["due"])) == ("on_time", "2025-01-08")
    assert (q1["N07"]["status"], _day(q1["N07"]["due"])) == ("on_time", "2025-02-18")
    assert (q1["N19"]["status"], _day(q1["N19"]["due"]), q1["N19"]["completed"]) == (
        "late",
        "2025-03-18",
        None,
    )
    q2 = _by(engine.steps(K, "2025-Q2"), "unit_id")
    # N19 (outcome in Q1) is listed in Q2 only as overdue-open, outside the rate.
    assert set(q2) == {"N12", "N14", "N18", "N19"}
    assert (q2["N19"]["status"], q2["N19"]["in_denominator"]) == ("late", False)
    assert (q2["N14"]["status"], _day(q2["N14"]["due"])) == ("on_time", "2025-04-29")
    assert (q2["N18"]["status"], _day(q2["N18"]["due"])) == ("late", "2025-06-11")
    assert (q2["N12"]["status"], _day(q2["N12"]["due"])) == ("pending", "2025-07-07")
    y23 = _by(engine.steps(K, "2023"), "unit_id")
    assert (y23["N16"]["status"], _day(y23["N16"]["due"]), y23["N16"]["regime"]) == (
        "on_time",
        "2023-05-15",
        "sel",
    )
    y24 = _by(engine.steps(K, "2024"), "unit_id")
    assert (y24["N17"]["status"], _day(y24["N17"]["due"])) == ("late", "2024-05-03")


def test_steps_plan_rettidig(engine):
    s = _by(engine.steps(PR, "2025"), "case_id")
    assert set(s) == {"C12", "C13", "C14", "C15", "C16"}  # M04, M05, M06, M07, M08
    assert (s["C12"]["status"], _day(s["C12"]["due"]), _day(s["C12"]["completed"])) == (
        "on_time",
        "2025-02-28",
        "2025-02-28",
    )  # earliest of P04A and P04B
    assert (s["C13"]["status"], _day(s["C13"]["due"]), _day(s["C13"]["completed"])) == (
        "on_time",
        "2025-02-10",
        "2025-02-07",
    )
    assert (s["C14"]["status"], _day(s["C14"]["due"]), _day(s["C14"]["completed"])) == (
        "late",
        "2025-04-15",
        "2025-04-16",
    )
    assert (s["C16"]["status"], _day(s["C16"]["due"]), s["C16"]["completed"]) == (
        "late",
        "2025-04-30",
        None,
    )
    assert (s["C15"]["status"], _day(s["C15"]["due"])) == ("pending", "2025-08-01")
    y = _by(engine.steps(PR, "2023"), "case_id")
    assert set(y) == {"C09", "C10", "C18"}
    assert (y["C10"]["status"], _day(y["C10"]["due"]), y["C10"]["regime"]) == (
        "late",
        "2023-12-31",
        "sel",
    )
    assert (y["C18"]["status"], _day(y["C18"]["due"]), _day(y["C18"]["completed"])) == (
        "on_time",
        "2023-04-25",
        "2023-04-20",
    )


def test_steps_first_follow_up(engine):
    y = _by(engine.steps(F1, "2024"), "case_id")
    assert set(y) == {"C10", "C11", "C17", "C19"}  # M02, M03, M09, M11
    # M03 (BL): parallel BFUs I10 (completed 02-20) and I11 (03-15): due the earlier, 02-20.
    assert (y["C11"]["status"], _day(y["C11"]["due"]), _day(y["C11"]["completed"])) == (
        "late",
        "2024-02-20",
        "2024-03-01",
    )
    assert y["C11"]["regime"] == "barnets_lov"
    # M02 (SEL, decided 2023-12-31): parallel BFU I09 does not apply; started 01-08 + 3 months.
    assert (y["C10"]["status"], _day(y["C10"]["due"]), y["C10"]["regime"]) == (
        "on_time",
        "2024-04-08",
        "sel",
    )
    assert (y["C19"]["status"], _day(y["C19"]["due"])) == ("on_time", "2024-05-29")
    q1 = _by(engine.steps(F1, "2025-Q1"), "case_id")
    assert set(q1) == {"C12"}
    assert (_day(q1["C12"]["start"]), _day(q1["C12"]["due"]), _day(q1["C12"]["completed"])) == (
        "2024-12-01",
        "2025-03-01",
        "2025-03-01",
    )
    q2 = _by(engine.steps(F1, "2025-Q2"), "case_id")
    assert set(q2) == {"C14", "C15", "C20"}  # not C13 (M05 excluded), not C16 (M08 not started)
    assert (q2["C14"]["status"], _day(q2["C14"]["due"])) == ("on_time", "2025-04-20")
    assert (q2["C20"]["status"], _day(q2["C20"]["due"])) == ("late", "2025-04-02")
    assert (q2["C15"]["status"], _day(q2["C15"]["due"])) == ("pending", "2025-08-05")


def test_steps_later_follow_ups(engine):
    def keyed(period):
        out = {}
        for s in engine.steps(FL, period):
            k = (s["case_id"], _day(s["start"]))
            assert k not in out
            out[k] = s
        return out

    y = keyed("2024")
    assert set(y) == {
        ("C09", "2023-09-01"),
        ("C09", "2024-02-20"),
        ("C11", "2024-03-01"),
        ("C17", "2024-04-10"),
        ("C18", "2023-07-20"),
        ("C18", "2024-01-20"),
        ("C19", "2024-05-29"),
    }
    expect = {
        ("C09", "2023-09-01"): ("on_time", "2024-03-01", "2024-02-20"),
        ("C09", "2024-02-20"): ("late", "2024-08-20", "2024-09-02"),  # SEL ignores next_due
        ("C11", "2024-03-01"): ("on_time", "2024-07-01", "2024-07-01"),  # BL cadence
        ("C17", "2024-04-10"): ("late", "2024-08-10", "2024-09-01"),  # BL cadence
        ("C18", "2023-07-20"): ("on_time", "2024-01-20", "2024-01-20"),
        ("C18", "2024-01-20"): ("late", "2024-07-20", "2024-07-25"),
        ("C19", "2024-05-29"): ("late", "2024-11-29", "2024-12-02"),
    }
    for k, (status, due, done) in expect.items():
        assert (y[k]["status"], _day(y[k]["due"]), _day(y[k]["completed"])) == (
            status,
            due,
            done,
        ), k
    q2 = keyed("2025-Q2")
    assert {k: (s["status"], _day(s["due"])) for k, s in q2.items()} == {
        ("C12", "2025-03-01"): ("on_time", "2025-06-01"),
        ("C19", "2024-12-02"): ("late", "2025-06-02"),
        ("C12", "2025-05-28"): ("pending", "2025-09-01"),
        ("C14", "2025-04-10"): ("pending", "2025-07-10"),
        ("C17", "2025-02-20"): ("pending", "2025-08-20"),
        ("C18", "2025-01-20"): ("pending", "2025-07-20"),
        # M01 F03-> (outcome 2025-03-02, Q1) listed only as overdue-open, outside the rate
        ("C09", "2024-09-02"): ("late", "2025-03-02"),
    }
    assert not q2[("C09", "2024-09-02")]["in_denominator"]


def test_steps_share_kpis(engine):
    t = _by(engine.steps(T, "2025-Q1"), "case_id")
    assert {k: s["status"] for k, s in t.items()} == {"C17": "met", "C19": "not_met"}
    t2 = _by(engine.steps(T, "2025-Q2"), "case_id")
    assert {k: s["status"] for k, s in t2.items()} == {"C18": "not_met"}
    sa = _by(engine.steps(SA, "2025-Q1"), "case_id")
    assert {k: s["status"] for k, s in sa.items()} == {
        "C13": "not_met",
        "C14": "met",
        "C16": "not_met",
    }
    sb = _by(engine.steps(SB, "2024"), "unit_id")
    assert {k: s["status"] for k, s in sb.items()} == {
        "I01": "met",
        "I03": "met",
        "I08": "not_met",
        "I09": "met",
        "I10": "met",
        "I11": "not_met",
    }
    bk = _by(engine.steps(BK, "2025-Q2"), "unit_id")
    assert {k: s["status"] for k, s in bk.items()} == {"I05": "not_met", "I07": "met"}
    pm = _by(engine.steps(PM, "2025-Q1"), "unit_id")
    assert {k: s["status"] for k, s in pm.items()} == {
        "P04A": "not_met",
        "P04B": "not_met",
        "P05": "met",
    }
