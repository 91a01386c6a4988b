"""The demo generator: deterministic, in the dubu_dk dialect, realistic, with known bad rows.

The checks read the generated files back the way a person would (decode, split on ';', parse
dd-mm-yyyy) rather than trusting the generator's own arrays.
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from kpis.data import demo_bad
from kpis.data.demo import DEMO_AS_OF, DemoManifest, cli_demo, ensure_demo_db, generate
from kpis.data.demo_export import ENCODINGS, exported_columns
from kpis.data.demo_org import build_org
from kpis.data.profiles import load_profiles
from kpis.data.schema import TABLE_ORDER, TABLES, ColType

PROFILE = load_profiles()["dubu_dk"]
BL_START = date(2024, 1, 1)
FULL_YEARS = (2022, 2023, 2024, 2025)


def read_text(manifest: DemoManifest, table: str) -> pl.DataFrame:
    """A generated file as text with canonical column names (empty cells are null)."""
    raw = (manifest.out_dir / manifest.files[table]).read_bytes()
    df = pl.read_csv(io.StringIO(raw.decode(ENCODINGS[table])), separator=";", infer_schema=False)
    return df.rename({PROFILE.header(table, c): c for c in exported_columns(table)})


def without_bad_rows(manifest: DemoManifest, table: str, df: pl.DataFrame) -> pl.DataFrame:
    bad = sorted(b.row - 2 for b in manifest.bad_rows if b.file == manifest.files[table])
    return df.with_row_index("_i").filter(~pl.col("_i").is_in(bad)).drop("_i")


def dated_columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table].columns
            if c.type in (ColType.DATE, ColType.TIMESTAMP) and c.name in exported_columns(table)]


def day(col: str) -> pl.Expr:
    """The date of a 'dd-mm-yyyy[ HH:MM]' cell; null when it does not parse."""
    return pl.col(col).str.slice(0, 10).str.strptime(pl.Date, "%d-%m-%Y", strict=False)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    """The demo municipality at scale 1 (about a second)."""
    return generate(tmp_path_factory.mktemp("demo_full"))


@pytest.fixture(scope="module")
def raw(full: DemoManifest) -> dict[str, pl.DataFrame]:
    """Scale-1 files as text, without the injected bad rows."""
    return {t: without_bad_rows(full, t, read_text(full, t)) for t in TABLE_ORDER}


@pytest.fixture(scope="module")
def tables(raw: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The same with every date and timestamp column parsed to a date."""
    return {t: df.with_columns(day(c) for c in dated_columns(t)) for t, df in raw.items()}


def per_year(df: pl.DataFrame, col: str) -> dict[int, int]:
    counts = df.group_by(pl.col(col).dt.year().alias("y")).len()
    return dict(zip(counts["y"].to_list(), counts["len"].to_list(), strict=True))


# --- Determinism and dialect -------------------------------------------------------------------


def test_same_inputs_give_identical_bytes(tmp_path: Path) -> None:
    a = generate(tmp_path / "a", seed=7, scale=0.2)
    b = generate(tmp_path / "b", seed=7, scale=0.2)
    c = generate(tmp_path / "c", seed=8, scale=0.2)
    for name in a.files.values():
        assert (a.out_dir / name).read_bytes() == (b.out_dir / name).read_bytes(), name
    assert (a.bad_rows, a.rows) == (b.bad_rows, b.rows)
    name = a.files["notifications"]
    assert (a.out_dir / name).read_bytes() != (c.out_dir / name).read_bytes()


def test_files_headers_and_encodings_follow_the_profile(full: DemoManifest) -> None:
    assert sorted(p.name for p in full.out_dir.iterdir()) == sorted(
        f"{PROFILE.file_stem(t)}.csv" for t in TABLE_ORDER
    )
    for t in TABLE_ORDER:
        data = (full.out_dir / full.files[t]).read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") == (ENCODINGS[t] == "utf-8-sig"), t
        first_line = data.decode(ENCODINGS[t]).split("\r\n", 1)[0]
        assert first_line.split(";") == [PROFILE.header(t, c) for c in exported_columns(t)]
    assert set(ENCODINGS.values()) == {"cp1252", "utf-8-sig"}
    # Danish letters round-trip in both encodings; Windows-1252 bytes are not UTF-8.
    cases = (full.out_dir / full.files["cases"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        cases.decode("utf-8")
    assert "Team Øst" in cases.decode("cp1252")
    interviews = (full.out_dir / full.files["child_interviews"]).read_bytes().decode("utf-8-sig")
    assert "Børnefaglig undersøgelse" in interviews and "Opfølgning" in interviews


def test_values_are_danish_words_and_ja_nej(raw: dict[str, pl.DataFrame]) -> None:
    for column, words in PROFILE.values.items():
        for t in TABLE_ORDER:
            if column in raw[t].columns:
                used = set(raw[t][column].drop_nulls().unique())
                assert used and used <= set(words), (t, column, used - set(words))
    for t, column in (("notifications", "acute_action"), ("measures", "plan_decided"),
                      ("supervision_visits", "child_spoken_to"),
                      ("investigations", "parental_competence_assessed")):
        assert set(raw[t][column].drop_nulls().unique()) == {"Ja", "Nej"}, column
    for t in TABLE_ORDER:
        for c in dated_columns(t):
            values = raw[t][c].drop_nulls()
            timestamp = TABLES[t].column(c).type is ColType.TIMESTAMP
            shape = r"^\d\d-\d\d-\d{4}( \d\d:\d\d)?$" if timestamp else r"^\d\d-\d\d-\d{4}$"
            assert values.str.contains(shape).all(), (t, c)


def test_timestamps_come_at_all_hours_and_some_lack_a_time(raw: dict[str, pl.DataFrame]) -> None:
    received = raw["notifications"]["received_at"]
    date_only = received.str.len_chars() == 10
    assert 0.005 < date_only.mean() < 0.08
    stamps = received.filter(~date_only).str.strptime(pl.Datetime, "%d-%m-%Y %H:%M")
    hours = stamps.dt.hour()
    assert ((hours >= 22) | (hours < 6)).mean() > 0.03  # nights
    assert (stamps.dt.weekday() >= 6).mean() > 0.05  # weekends
    # Across both daylight-saving changes of every year.
    assert stamps.filter(stamps.dt.month() == 3).len() > 0 and stamps.filter(
        stamps.dt.month() == 10).len() > 0


# --- Volumes -----------------------------------------------------------------------------------


def test_volumes_of_a_mid_sized_municipality(tables: dict[str, pl.DataFrame]) -> None:
    n = per_year(tables["notifications"], "received_at")
    assert all(1200 <= n[y] <= 1650 for y in FULL_YEARS), n
    b = per_year(tables["investigations"], "aware_on")
    assert all(320 <= b[y] <= 500 for y in FULL_YEARS), b
    m = tables["measures"]
    support = per_year(m.filter(pl.col("measure_type") == "Støtte"), "decided_on")
    assert all(480 <= support[y] <= 760 for y in FULL_YEARS), support
    placed = per_year(m.filter(pl.col("measure_type") != "Støtte"), "decided_on")
    assert 25 <= np.mean([placed.get(y, 0) for y in FULL_YEARS]) <= 45, placed
    for y in (2022, 2024, 2026):
        jan1 = date(y, 1, 1)
        in_care = m.filter(pl.col("measure_type") != "Støtte", pl.col("started_on") <= jan1,
                           pl.col("ended_on").is_null() | (pl.col("ended_on") > jan1)).height
        assert 100 <= in_care <= 165, (y, in_care)
    # Placements from before the window exist (children in care for years).
    assert m.filter(pl.col("measure_type") != "Støtte", pl.col("started_on") < date(2020, 1, 1)).height


def test_notifiers_children_and_organisation(tables: dict[str, pl.DataFrame]) -> None:
    notes = tables["notifications"]
    share = notes["notifier_type"].value_counts(normalize=True)
    share = dict(zip(share["notifier_type"], share["proportion"], strict=True))
    assert 0.65 < share["Fagperson"] < 0.75 and 0.15 < share["Privatperson"] < 0.25
    assert 0.04 < share["Anonym"] < 0.10 and share["Andet"] > 0
    per_case = notes.group_by("case_id").len()["len"]
    assert (per_case >= 2).mean() > 0.3  # children with several notifications
    cases = tables["cases"]
    assert cases["cpr"].n_unique() == cases.height == cases["case_id"].n_unique()  # one case a child
    assert sorted(cases["team"].unique()) == sorted(
        ["Team Nord", "Team Syd", "Team Øst", "Team Vest", "Team Unge"])
    assert 20 <= cases["caseworker"].n_unique() <= 30


def test_teams_and_caseworkers_grow_with_the_square_root_of_the_scale() -> None:
    org = build_org(np.random.default_rng(1), 100)
    assert 45 <= len(org.teams) <= 55 and len(set(org.teams)) == len(org.teams)
    assert 1500 <= len(org.caseworkers) <= 3500 and len(set(org.caseworkers)) == len(org.caseworkers)


# --- Dates, regimes, CPR -----------------------------------------------------------------------


def test_no_date_after_as_of_except_planned_ones(raw: dict[str, pl.DataFrame],
                                                 tables: dict[str, pl.DataFrame]) -> None:
    for t in TABLE_ORDER:
        for c in dated_columns(t):
            late = tables[t].filter(pl.col(c) > DEMO_AS_OF).height
            if TABLES[t].column(c).planned:
                continue
            assert late == 0, (t, c)
    assert tables["follow_ups"].filter(pl.col("next_due_on") > DEMO_AS_OF).height > 0
    assert tables["measures"].filter(pl.col("ended_on") > DEMO_AS_OF).height > 0
    # Every date that is not planned parses (the unparseable ones are all in the manifest).
    for t in TABLE_ORDER:
        for c in dated_columns(t):
            assert tables[t][c].null_count() == raw[t][c].null_count(), (t, c)


def test_everything_happens_while_its_case_is_open(tables: dict[str, pl.DataFrame]) -> None:
    cases = tables["cases"].select("case_id", "opened_on", "closed_on")
    by_measure = tables["measures"].select("measure_id", "case_id")
    for t in TABLE_ORDER[1:]:
        df = tables[t]
        if "case_id" not in df.columns:
            df = df.join(by_measure, on="measure_id")
        df = df.join(cases, on="case_id")
        for c in dated_columns(t):
            if TABLES[t].column(c).planned:
                continue
            assert df.filter(pl.col(c) < pl.col("opened_on")).height == 0, (t, c)
            assert df.filter(pl.col(c) > pl.col("closed_on")).height == 0, (t, c)


def test_both_legal_regimes(tables: dict[str, pl.DataFrame]) -> None:
    m = tables["measures"]
    assert m.filter(pl.col("decided_on") < BL_START).height > 1000
    assert m.filter(pl.col("decided_on") >= BL_START).height > 1000
    bases = set(m["legal_basis"].unique())
    assert {"Barnets Lov § 32", "Barnets Lov § 46", "Barnets Lov § 47",
            "Serviceloven § 52, stk. 3, nr. 3", "Serviceloven § 58"} <= bases
    bl_support = m.filter(pl.col("decided_on") >= BL_START, pl.col("measure_type") == "Støtte")
    assert set(bl_support["plan_decided"].unique()) == {"Ja", "Nej", None}
    assert m.filter(pl.col("decided_on") < BL_START)["plan_decided"].drop_nulls().len() == 0
    plans = tables["plans"]
    assert set(plans.filter(pl.col("prepared_on") < BL_START)["plan_type"]) == {"Handleplan"}
    assert set(plans.filter(pl.col("prepared_on") >= BL_START)["plan_type"]) == {
        "Barnets plan", "Ungeplan"}
    fu = tables["follow_ups"].join(m.select("measure_id", "decided_on"), on="measure_id")
    assert fu.filter(pl.col("decided_on") < BL_START)["next_due_on"].null_count() == fu.filter(
        pl.col("decided_on") < BL_START).height
    assert fu.filter(pl.col("decided_on") >= BL_START)["next_due_on"].drop_nulls().len() > 100


def _cpr_birth(cpr: str) -> date:
    dd, mm, yy, d7 = int(cpr[0:2]), int(cpr[2:4]), int(cpr[4:6]), int(cpr[7])
    if d7 <= 3:
        century = 1900
    elif d7 in (4, 9):
        century = 2000 if yy <= 36 else 1900
    else:
        century = 2000 if yy <= 57 else 1800
    return date(century + yy, mm, dd)


def test_cpr_numbers_are_well_formed_and_give_children(tables: dict[str, pl.DataFrame]) -> None:
    cases = tables["cases"]
    assert cases["cpr"].str.contains(r"^\d{6}-\d{4}$").all()
    for cpr, opened in zip(cases["cpr"], cases["opened_on"], strict=True):
        born = _cpr_birth(cpr)  # raises for an impossible date
        age = opened.year - born.year - ((opened.month, opened.day) < (born.month, born.day))
        assert 0 <= age <= 17, (opened, age)


# --- Compliance: near the national figures, different between teams, improving ------------------


def _bfu_on_time(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    due = pl.col("aware_on").dt.offset_by("4mo")
    return (
        tables["investigations"]
        .filter(due < DEMO_AS_OF)
        .with_columns(ok=(pl.col("completed_on") <= due).fill_null(False),
                      year=pl.col("aware_on").dt.year())
        .join(tables["cases"].select("case_id", "team"), on="case_id")
    )


def test_bfu_within_four_months_differs_between_teams(tables: dict[str, pl.DataFrame]) -> None:
    by_team = _bfu_on_time(tables).group_by("team").agg(pl.col("ok").mean()).sort("ok")
    shares = dict(zip(by_team["team"], by_team["ok"], strict=True))
    assert by_team["team"][0] == "Team Syd"  # the weak team
    assert shares["Team Øst"] - shares["Team Syd"] > 0.15
    assert 0.45 < _bfu_on_time(tables)["ok"].mean() < 0.70


def test_compliance_improves_over_time(tables: dict[str, pl.DataFrame]) -> None:
    bfu = _bfu_on_time(tables).group_by("year").agg(pl.col("ok").mean())
    share = dict(zip(bfu["year"], bfu["ok"], strict=True))
    assert 0.45 < share[2022] < share[2025] < 0.75, share
    notes = tables["notifications"].with_columns(year=pl.col("received_at").dt.year())
    # A completed-within-a-day proxy for the 24-hour rule, good enough to see the trend.
    quick = notes.with_columns(ok=((pl.col("assessed_at") - pl.col("received_at")).dt.total_days()
                                   <= 1).fill_null(False))
    by_year = quick.group_by("year").agg(pl.col("ok").mean())
    ok = dict(zip(by_year["year"], by_year["ok"], strict=True))
    assert 0.8 < ok[2022] < ok[2025] < 0.99, ok


def test_steps_are_open_late_pending_and_exempted(tables: dict[str, pl.DataFrame]) -> None:
    bfu = tables["investigations"]
    open_ = bfu.filter(pl.col("completed_on").is_null())
    due = pl.col("aware_on").dt.offset_by("4mo")
    assert open_.filter(due < DEMO_AS_OF).height > 0  # late and still open
    assert open_.filter(due >= DEMO_AS_OF).height > 0  # pending
    assert bfu["preliminary_assessment_on"].drop_nulls().len() > 50
    iv = tables["child_interviews"]
    assert set(iv["occasion"].unique()) == set(PROFILE.values["occasion"])
    assert set(iv["exemption_reason"].drop_nulls().unique()) == set(
        PROFILE.values["exemption_reason"])
    assert iv.filter(pl.col("held_on").is_null())["exemption_reason"].null_count() == 0
    assert set(tables["supervision_visits"]["child_spoken_to"].drop_nulls()) == {"Ja", "Nej"}
    goals = tables["plans"].select(pl.col("goals_total", "goals_measurable").cast(pl.Int64))
    assert (goals["goals_measurable"] <= goals["goals_total"]).all()


# --- Bad rows ----------------------------------------------------------------------------------


def test_bad_rows_are_listed_and_are_what_they_say(full: DemoManifest) -> None:
    assert 10 <= len(full.bad_rows) <= 20
    assert {b.reason for b in full.bad_rows} == {
        demo_bad.UNPARSEABLE, demo_bad.MISSING_REQUIRED, demo_bad.DUPLICATE_ID,
        demo_bad.UNKNOWN_REFERENCE, demo_bad.AFTER_AS_OF, demo_bad.COMPLETION_BEFORE_START,
        demo_bad.INVALID_CPR}
    text = {t: read_text(full, t) for t in TABLE_ORDER}
    table_of = {f: t for t, f in full.files.items()}
    for bad in full.bad_rows:
        t = table_of[bad.file]
        row = text[t].row(bad.row - 2, named=True)
        value = row[bad.column]
        if bad.reason == demo_bad.MISSING_REQUIRED:
            assert value is None
        elif bad.reason == demo_bad.DUPLICATE_ID:
            assert value in text[t][bad.column][: bad.row - 2].to_list()
        elif bad.reason == demo_bad.UNKNOWN_REFERENCE:
            target = "cases" if bad.column == "case_id" else "measures"
            assert value not in text[target][bad.column].to_list()
        elif bad.reason == demo_bad.INVALID_CPR:
            assert not re.fullmatch(r"\d{6}-\d{4}", value) or int(value[:2]) > 28
        else:
            parsed = pl.Series([value]).str.slice(0, 10).str.strptime(
                pl.Date, "%d-%m-%Y", strict=False)[0]
            if bad.reason == demo_bad.UNPARSEABLE:
                assert parsed is None, value
            elif bad.reason == demo_bad.AFTER_AS_OF:
                assert parsed > DEMO_AS_OF
            else:
                start = {"notifications": "received_at", "investigations": "aware_on"}[t]
                assert parsed < date.fromisoformat(
                    "-".join(reversed(row[start][:10].split("-"))))


def test_import_quarantines_exactly_the_manifest_bad_rows(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    from kpis.data.importer import run_import
    from kpis.data.pseudonym import DEMO_KEY
    from kpis.data.quarantine import Reason

    manifest = generate(tmp_path / "export", seed=3, scale=0.3)
    db = tmp_path / "demo.duckdb"
    result = run_import(manifest.out_dir, db, profile="dubu_dk", as_of=manifest.as_of,
                        pseudonym_key=DEMO_KEY)
    expected_reasons = {
        demo_bad.UNPARSEABLE: {Reason.INVALID_DATE.value, Reason.INVALID_TIMESTAMP.value},
        demo_bad.MISSING_REQUIRED: {Reason.MISSING.value},
        demo_bad.DUPLICATE_ID: {Reason.DUPLICATE_ID.value},
        demo_bad.UNKNOWN_REFERENCE: {Reason.UNKNOWN_CASE.value, Reason.UNKNOWN_MEASURE.value},
        # a completion after it keeps its row (a finding); an interview held after it does not
        demo_bad.AFTER_AS_OF: {Reason.AFTER_AS_OF.value, Reason.ROW_AFTER_AS_OF.value},
        demo_bad.COMPLETION_BEFORE_START: {Reason.BEFORE_START.value},
        demo_bad.INVALID_CPR: {Reason.INVALID_CPR.value},
    }
    with duckdb.connect(str(db), read_only=True) as conn:
        got = conn.execute(
            "SELECT file, row_number, column_name, reason FROM quarantine ORDER BY ALL"
        ).fetchall()
    assert [(f, r, c) for f, r, c, _ in got] == [(b.file, b.row, b.column)
                                                 for b in manifest.bad_rows]
    for (_, _, _, reason), bad in zip(got, manifest.bad_rows, strict=True):
        assert reason in expected_reasons[bad.reason], (bad, reason)
        if bad.reason == demo_bad.AFTER_AS_OF:  # the BFU's completion keeps its row
            kept = bad.column == "completed_on"
            assert reason == (Reason.AFTER_AS_OF if kept else Reason.ROW_AFTER_AS_OF).value
    kept_rows = sum(1 for b in manifest.bad_rows if b.reason == demo_bad.AFTER_AS_OF
                    and b.column == "completed_on")
    assert result.rows_quarantined == len(manifest.bad_rows) - kept_rows
    for f in result.files:
        assert f.rows_read == manifest.rows[f.table]
        assert f.rows_loaded + f.rows_quarantined == f.rows_read


def test_app_database_is_the_demo_with_its_bad_rows(demo_db: Path, tmp_path: Path) -> None:
    import duckdb

    expected = generate(tmp_path / "again")  # the same defaults ensure_demo_db uses
    with duckdb.connect(str(demo_db), read_only=True) as conn:
        n = conn.execute("SELECT count(*) FROM quarantine").fetchone()[0]
    assert n == len(expected.bad_rows)
    before = demo_db.stat().st_mtime_ns
    ensure_demo_db(demo_db)  # an existing database is left alone
    assert demo_db.stat().st_mtime_ns == before


# --- Command line ------------------------------------------------------------------------------


def test_cli_demo_writes_and_summarises_in_danish(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_demo(tmp_path / "out", seed=2, scale=0.1, as_of=date(2025, 6, 30), db=None) == 0
    out = capsys.readouterr().out
    assert "Underretninger:" in out and "karantæne" in out and "30-06-2025" in out
    assert (tmp_path / "out" / "sager.csv").exists()
    assert cli_demo(tmp_path / "bad", seed=2, scale=0, as_of=None, db=None) == 2
