"""The deadline worklist over a hand-made list of open steps; every expectation worked out by hand.

As-of date Monday 30 June 2025. Days left = due − as-of; a step due on the as-of day has 0 days
left and is not overdue (docs/kpi-rules.md: "pending" when the due moment is on the as-of day or
later).

    unit  due         left  bucket       team  caseworker  kpi           regime
    A     2025-06-20   -10  overdue      Nord  Anne        bfu_4_mdr     barnets_lov
    I     2025-06-29    -1  overdue      Syd   Cai         plan_rettidig sel
    B     2025-06-30     0  within_7     Nord  Anne        kvittering    barnets_lov
    C     2025-07-07     7  within_7     Nord  Bo          bfu_4_mdr     barnets_lov
    D     2025-07-08     8  within_14    Syd   Cai         bfu_4_mdr     barnets_lov
    E     2025-07-14    14  within_14    Nord  Bo          kvittering    sel
    F     2025-07-15    15  within_30    Syd   Dan         plan_rettidig barnets_lov
    G     2025-07-30    30  within_30    Nord  Anne        bfu_4_mdr     barnets_lov
    H     2025-07-31    31  later        Syd   Cai         bfu_4_mdr     sel
"""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import polars as pl
import pytest

from kpis.present import worklist as wl

AS_OF = date(2025, 6, 30)
NAMES = {"bfu_4_mdr": "Børnefaglige undersøgelser afsluttet inden for 4 måneder",
         "kvittering_6_hverdage": "Kvittering til fagpersoner inden for 6 hverdage",
         "plan_rettidig": "Indsatser med rettidig plan"}
ROWS = [
    # unit, case, team, caseworker, kpi, regime, start, due, status
    ("A", "2025-001", "Team Nord", "Anne", "bfu_4_mdr", "barnets_lov", "2025-02-20",
     "2025-06-20", "late"),
    ("I", "2025-009", "Team Syd", "Cai", "plan_rettidig", "sel", "2023-06-29", "2025-06-29",
     "late"),
    ("B", "2025-002", "Team Nord", "Anne", "kvittering_6_hverdage", "barnets_lov", "2025-06-20",
     "2025-06-30", "pending"),
    ("C", "2025-003", "Team Nord", "Bo", "bfu_4_mdr", "barnets_lov", "2025-03-07", "2025-07-07",
     "pending"),
    ("D", "2025-004", "Team Syd", "Cai", "bfu_4_mdr", "barnets_lov", "2025-03-08", "2025-07-08",
     "pending"),
    ("E", "2025-005", "Team Nord", "Bo", "kvittering_6_hverdage", "sel", "2025-07-04",
     "2025-07-14", "pending"),
    ("F", "2025-006", "Team Syd", "Dan", "plan_rettidig", "barnets_lov", "2025-04-15",
     "2025-07-15", "pending"),
    ("G", "2025-007", "Team Nord", "Anne", "bfu_4_mdr", "barnets_lov", "2025-03-30",
     "2025-07-30", "pending"),
    ("H", "2025-008", "Team Syd", "Cai", "bfu_4_mdr", "sel", "2025-03-31", "2025-07-31",
     "pending"),
]


def _open_steps(rows=ROWS, shuffle: bool = True) -> pl.DataFrame:
    """The shape of ``engine.open_steps``: only the columns the worklist reads, plus noise."""
    data = list(reversed(rows)) if shuffle else list(rows)
    df = pl.DataFrame(
        {
            "unit_id": [r[0] for r in data],
            "case_id": [r[1] for r in data],
            "team": [r[2] for r in data],
            "caseworker": [r[3] for r in data],
            "kpi": [r[4] for r in data],
            "regime": [r[5] for r in data],
            "start_date": [date.fromisoformat(r[6]) for r in data],
            "due_date": [date.fromisoformat(r[7]) for r in data],
            "completed_date": [None] * len(data),
            "status": [r[8] for r in data],
            "rule": ["regel"] * len(data),
            "days": [0] * len(data),
            "age_band": ["6-11 år"] * len(data),
        },
        schema_overrides={"completed_date": pl.Date},
    )
    return df.with_columns(pl.col("kpi").replace_strict(NAMES).alias("kpi_name"))


@pytest.fixture
def steps() -> pl.DataFrame:
    return wl.prepare(_open_steps(), AS_OF)


def test_sorted_by_urgency_longest_overdue_first(steps):
    assert steps["unit_id"].to_list() == ["A", "I", "B", "C", "D", "E", "F", "G", "H"]


def test_buckets_and_days(steps):
    by_unit = {r["unit_id"]: r for r in steps.iter_rows(named=True)}
    assert {u: r["bucket"] for u, r in by_unit.items()} == {
        "A": "overdue", "I": "overdue", "B": "within_7", "C": "within_7", "D": "within_14",
        "E": "within_14", "F": "within_30", "G": "within_30", "H": "later",
    }
    assert (by_unit["A"]["days_over"], by_unit["A"]["days_left"]) == (10, None)
    assert (by_unit["I"]["days_over"], by_unit["I"]["days_left"]) == (1, None)
    assert (by_unit["B"]["days_over"], by_unit["B"]["days_left"]) == (None, 0)
    assert by_unit["E"]["days_left"] == 14
    assert by_unit["H"]["days_left"] == 31
    assert by_unit["A"]["bucket_label"] == "Overskredet"
    assert by_unit["D"]["bucket_label"] == "Frist om 8–14 dage"
    assert by_unit["I"]["regime_label"] == "Serviceloven"
    assert by_unit["A"]["regime_label"] == "Barnets Lov"


def test_bucket_counts(steps):
    assert wl.bucket_counts(steps) == {
        wl.Bucket.OVERDUE: 2, wl.Bucket.WITHIN_7: 2, wl.Bucket.WITHIN_14: 2,
        wl.Bucket.WITHIN_30: 2, wl.Bucket.LATER: 1,
    }


def test_horizons_are_cumulative_and_leave_out_overdue(steps):
    assert wl.horizon_counts(steps) == {
        wl.Horizon.ALL: 9, wl.Horizon.OVERDUE: 2, wl.Horizon.DUE_7: 2, wl.Horizon.DUE_14: 4,
        wl.Horizon.DUE_30: 6,
    }
    due_14 = wl.apply_filter(steps, wl.WorklistFilter(horizon=wl.Horizon.DUE_14))
    assert due_14["unit_id"].to_list() == ["B", "C", "D", "E"]


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        (wl.WorklistFilter(teams=("Team Syd",)), ["I", "D", "F", "H"]),
        (wl.WorklistFilter(caseworkers=("Anne",)), ["A", "B", "G"]),
        (wl.WorklistFilter(kpis=("bfu_4_mdr",)), ["A", "C", "D", "G", "H"]),
        (wl.WorklistFilter(regimes=("sel",)), ["I", "E", "H"]),
        (wl.WorklistFilter(teams=("Team Nord",), kpis=("bfu_4_mdr",),
                           horizon=wl.Horizon.DUE_30), ["C", "G"]),
        (wl.WorklistFilter(teams=("Team Syd",), horizon=wl.Horizon.OVERDUE), ["I"]),
        (wl.WorklistFilter(teams=("Ingen'; DROP TABLE x; --",)), []),
    ],
)
def test_filters(steps, chosen, expected):
    assert wl.apply_filter(steps, chosen)["unit_id"].to_list() == expected


def test_table_has_danish_headings_in_order(steps):
    shown = wl.table(steps)
    assert shown.columns == [
        "Hastende", "Frist", "Dage over fristen", "Dage til fristen", "Sagsnummer", "Trin",
        "Sagsbehandler", "Team", "Lovgrundlag", "Startdato", "Frist efter",
    ]
    first = shown.row(0, named=True)
    assert first == {
        "Hastende": "Overskredet", "Frist": date(2025, 6, 20), "Dage over fristen": 10,
        "Dage til fristen": None, "Sagsnummer": "2025-001", "Trin": NAMES["bfu_4_mdr"],
        "Sagsbehandler": "Anne", "Team": "Team Nord", "Lovgrundlag": "Barnets Lov",
        "Startdato": date(2025, 2, 20), "Frist efter": "regel",
    }


def test_no_child_identity_in_the_table(steps):
    # The engine rows carry an age band; the worklist shows the case number and nothing about
    # who the child is.
    assert not {"age_band", "birth_date", "cpr", "child_id"} & set(wl.table(steps).columns)


def test_per_caseworker_counts_the_given_rows(steps):
    due_14 = wl.apply_filter(steps, wl.WorklistFilter(horizon=wl.Horizon.DUE_14))
    # B (Anne), C and E (Bo), D (Cai): most first, then the earliest deadline.
    assert wl.per_caseworker(due_14).rows() == [
        ("Team Nord", "Bo", 2, 0, date(2025, 7, 7)),
        ("Team Nord", "Anne", 1, 0, date(2025, 6, 30)),
        ("Team Syd", "Cai", 1, 0, date(2025, 7, 8)),
    ]
    everything = wl.per_caseworker(steps)
    assert everything.rows()[:2] == [
        ("Team Nord", "Anne", 3, 1, date(2025, 6, 20)),
        ("Team Syd", "Cai", 3, 1, date(2025, 6, 29)),
    ]
    assert everything["Sagstrin"].sum() == 9


def test_options_for_the_filters(steps):
    opts = wl.options(steps, ["underretning_24t", "kvittering_6_hverdage", "bfu_4_mdr",
                              "plan_rettidig"])
    assert opts.teams == ("Team Nord", "Team Syd")
    assert opts.caseworkers_of("Team Syd") == ("Cai", "Dan")
    assert opts.caseworkers_of(None) == ("Anne", "Bo", "Cai", "Dan")
    assert opts.caseworkers_of("Team Vest") == ()
    # In the definitions' order; a KPI without open steps is not offered.
    assert list(opts.kpis) == ["kvittering_6_hverdage", "bfu_4_mdr", "plan_rettidig"]
    assert opts.regimes == ("sel", "barnets_lov")


def test_csv_is_the_screen_for_danish_excel(steps):
    shown = wl.table(wl.apply_filter(steps, wl.WorklistFilter(teams=("Team Syd",))))
    data = wl.to_csv_bytes(shown)
    assert data.startswith("\ufeff".encode())  # Excel needs the BOM to read UTF-8
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == ("Hastende;Frist;Dage over fristen;Dage til fristen;Sagsnummer;Trin;"
                        "Sagsbehandler;Team;Lovgrundlag;Startdato;Frist efter")
    assert lines[1] == ("Overskredet;29.06.2025;1;;2025-009;Indsatser med rettidig plan;Cai;"
                        "Team Syd;Serviceloven;29.06.2023;regel")
    assert len(lines) == 1 + shown.height == 5
    back = pl.read_csv(io.BytesIO(data), separator=";", infer_schema=False)
    assert back["Sagsnummer"].to_list() == shown["Sagsnummer"].to_list()
    assert back["Frist"].to_list() == [d.strftime("%d.%m.%Y") for d in shown["Frist"]]


def test_excel_is_the_screen_with_real_dates(steps):
    shown = wl.table(wl.apply_filter(steps, wl.WorklistFilter(horizon=wl.Horizon.DUE_14)))
    book = openpyxl.load_workbook(io.BytesIO(wl.to_excel_bytes(shown)))
    sheet = book["Fristoversigt"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == shown.columns
    assert len(rows) == 1 + shown.height
    assert [r[4] for r in rows[1:]] == ["2025-002", "2025-003", "2025-004", "2025-005"]
    assert rows[1][1] == datetime(2025, 6, 30)  # a date cell, not text
    assert rows[1][3] == 0 and rows[4][3] == 14
    assert sheet.cell(row=2, column=2).number_format == "dd.mm.yyyy"


def test_hour_deadline_timestamps_count_in_days():
    df = _open_steps(ROWS[:1]).with_columns(
        pl.lit(datetime(2025, 6, 30, 14, 5)).alias("due_date"))
    out = wl.prepare(df, AS_OF)
    assert out["due_date"].dtype == pl.Date
    assert out.row(0, named=True)["bucket"] == "within_7"
    assert out.row(0, named=True)["days_left"] == 0


def test_nothing_open_gives_empty_tables_and_a_header_only_export():
    empty = wl.prepare(pl.DataFrame(), AS_OF)  # open_steps returns a bare frame when empty
    assert empty.height == 0
    assert wl.bucket_counts(empty) == dict.fromkeys(wl.Bucket, 0)
    assert wl.per_caseworker(empty).height == 0
    assert wl.table(empty).height == 0
    assert wl.to_csv_bytes(wl.table(empty)).decode("utf-8-sig").count("\n") == 1


def test_grid_sends_repeated_texts_once_and_shows_the_same_table(steps):
    shown = wl.table(steps)
    many = shown.vstack(shown).vstack(shown).vstack(shown)  # 36 rows: "Trin" has 3 texts
    grid = wl.for_grid(many)
    assert grid.schema["Trin"] == pl.Categorical  # 3 distinct in 36 rows
    assert grid.schema["Sagsnummer"] == pl.String  # 9 distinct in 36: one per step stays text
    assert grid.schema["Frist"] == pl.Date
    assert grid.with_columns(pl.col(pl.Categorical).cast(pl.String)).equals(many)
    assert wl.for_grid(shown.head(0)).equals(shown.head(0))
