"""Shared data and writers for the importer tests (no tests here).

``ROWS`` holds the hand-made export in ``tests/fixtures/import/dubu_cp1252`` as Python values; the
writers turn it into the dialects and formats an export arrives in. In a TIMESTAMP column a ``date``
means "the export gave a date without a time".
"""

from __future__ import annotations

import csv
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from kpis.data.importer import ImportResult, run_import
from kpis.data.profiles import load_profiles
from kpis.data.pseudonym import DEMO_KEY, pseudonym
from kpis.data.schema import TABLE_ORDER, TABLES, ColType, quote_ident
from kpis.data.snapshot import connect
from kpis.settings import PrivacySettings, Settings

FIXTURES = Path(__file__).parent / "fixtures" / "import"
DUBU_CSV = FIXTURES / "dubu_cp1252"
AS_OF = date(2025, 6, 30)
DUBU = load_profiles()["dubu_dk"]

d, dt = date, datetime
ROWS: dict[str, list[dict[str, object]]] = {
    "cases": [
        {"case_id": "S-100", "cpr": "010115-4123", "team": "Team Nord", "caseworker": "Anne Holm",
             "opened_on": d(2023, 3, 1)},
        {"case_id": "S-101", "cpr": "150310-5234", "team": "Team Syd", "caseworker": "Bo Ærø",
             "opened_on": d(2023, 11, 20)},
        {"case_id": "S-102", "cpr": "2912164321", "team": "Team Nord", "caseworker": "Anne Holm",
             "opened_on": d(2024, 6, 1)},
        {"case_id": "S-103", "cpr": "0306189876", "team": "Team Øst", "caseworker": "Søren Å",
             "opened_on": d(2025, 1, 10)},
    ],
    "notifications": [
        {"notification_id": "N-1", "case_id": "S-100", "received_at": dt(2024, 2, 5, 9, 30),
             "notifier_type": "professional", "assessed_at": dt(2024, 2, 5, 15, 0),
             "acknowledged_on": d(2024, 2, 7), "acute_action": False},
        {"notification_id": "N-2", "case_id": "S-101", "received_at": d(2023, 11, 20),
             "notifier_type": "private", "assessed_at": d(2023, 11, 21), "acute_action": True},
        {"notification_id": "N-3", "case_id": "S-102", "received_at": dt(2024, 6, 1, 22, 15, 30),
             "notifier_type": "anonymous"},
        {"notification_id": "N-4", "case_id": "S-103", "received_at": dt(2025, 1, 10, 8, 0),
             "notifier_type": "other", "assessed_at": dt(2025, 1, 10, 8, 45), "acute_action": False},
    ],
    "investigations": [
        {"investigation_id": "B-1", "case_id": "S-100", "aware_on": d(2024, 2, 5),
             "decided_on": d(2024, 2, 10), "completed_on": d(2024, 5, 30),
             "parental_competence_assessed": True},
        {"investigation_id": "B-2", "case_id": "S-101", "aware_on": d(2023, 11, 20),
             "decided_on": d(2023, 11, 25), "preliminary_assessment_on": d(2024, 3, 20)},
        {"investigation_id": "B-3", "case_id": "S-103", "aware_on": d(2025, 1, 10),
             "parental_competence_assessed": False},
    ],
    "child_interviews": [
        {"interview_id": "K-1", "case_id": "S-100", "occasion": "investigation", "held_on": d(2024, 3, 1)},
        {"interview_id": "K-2", "case_id": "S-101", "occasion": "decision", "exemption_reason": "declined",
             "recorded_on": d(2024, 1, 15)},
        {"interview_id": "K-3", "case_id": "S-103", "occasion": "notification", "held_on": d(2025, 1, 12)},
    ],
    "measures": [
        {"measure_id": "I-1", "case_id": "S-100", "measure_type": "support",
             "legal_basis": "Barnets Lov § 32", "decided_on": d(2024, 6, 1), "started_on": d(2024, 6, 15),
             "plan_decided": True},
        {"measure_id": "I-2", "case_id": "S-101", "measure_type": "placement",
             "legal_basis": "Serviceloven § 52, stk. 3, nr. 7", "decided_on": d(2023, 12, 1),
             "started_on": d(2023, 12, 5), "ended_on": d(2026, 12, 31)},
        {"measure_id": "I-3", "case_id": "S-102", "measure_type": "placement_without_consent",
             "legal_basis": "Barnets Lov § 47", "decided_on": d(2024, 7, 1), "started_on": d(2024, 7, 1),
             "plan_decided": False},
    ],
    "plans": [
        {"plan_id": "P-1", "case_id": "S-100", "measure_id": "I-1", "plan_type": "barnets_plan",
             "prepared_on": d(2024, 8, 20), "goals_total": 3, "goals_measurable": 2},
        {"plan_id": "P-2", "case_id": "S-101", "measure_id": "I-2", "plan_type": "handleplan",
             "prepared_on": d(2023, 11, 30), "goals_total": 2, "goals_measurable": 2},
    ],
    "follow_ups": [
        {"follow_up_id": "F-1", "measure_id": "I-1", "held_on": d(2024, 9, 10),
             "next_due_on": d(2025, 3, 10)},
        {"follow_up_id": "F-2", "measure_id": "I-2", "held_on": d(2024, 3, 1),
             "next_due_on": d(2025, 9, 1)},
    ],
    "supervision_visits": [
        {"visit_id": "V-1", "measure_id": "I-2", "held_on": d(2024, 4, 10), "child_spoken_to": True},
        {"visit_id": "V-2", "measure_id": "I-3", "held_on": d(2024, 10, 1), "child_spoken_to": False},
    ],
}


def settings_without_key(tmp_path: Path) -> Settings:
    """Settings whose key file does not exist, so no key is found on the test machine."""
    return Settings(privacy=PrivacySettings(pseudonym_key_env="PEJLEMAERKER_TEST_NO_SUCH_VAR",
                                            pseudonym_key_file=str(tmp_path / "no-key")))


def do_import(path: Path, db: Path, **kwargs) -> ImportResult:
    kwargs.setdefault("as_of", AS_OF)
    kwargs.setdefault("pseudonym_key", DEMO_KEY)
    kwargs.setdefault("settings", settings_without_key(db.parent))
    return run_import(path, db, **kwargs)


# --- writing the rows in the Danish dialect --------------------------------------------------

def _danish(column: str, value: object, *, date_sep: str = "-") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, datetime):
        clock = "%H:%M:%S" if value.second else "%H:%M"
        return value.strftime(f"%d{date_sep}%m{date_sep}%Y {clock}")
    if isinstance(value, date):
        return value.strftime(f"%d{date_sep}%m{date_sep}%Y")
    words = {v: k for k, v in DUBU.words(column).items()}
    return words.get(value, str(value)) if isinstance(value, str) else str(value)


def text_rows(rows: dict[str, list[dict]] | None = None) -> dict[str, list[dict[str, str]]]:
    """Every table as rows of Danish header -> Danish text, ready to edit and write."""
    rows = rows or ROWS
    out: dict[str, list[dict[str, str]]] = {}
    for name in TABLE_ORDER:
        cols = [c.name for c in TABLES[name].columns if c.name not in ("child_id", "birth_date")]
        out[name] = [{DUBU.header(name, c): _danish(c, r.get(c)) for c in cols}
                     for r in rows[name]]
    return out


def write_csv(folder: Path, tables: dict[str, list[dict[str, str]]], *, encoding: str = "cp1252",
              sep: str = ";") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        headers = list(rows[0]) if rows else [DUBU.header(name, c.name)
                                              for c in TABLES[name].columns]
        with (folder / f"{DUBU.file_stem(name)}.csv").open("w", encoding=encoding,
                                                           newline="") as fh:
            writer = csv.writer(fh, delimiter=sep, lineterminator="\r\n")
            writer.writerow(headers)
            writer.writerows([r.get(h, "") for h in headers] for r in rows)
    return folder


def _canonical(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return value.isoformat() if isinstance(value, date) else str(value)


def write_canonical_csv(folder: Path) -> Path:
    """The rows as canonical UTF-8 CSV: English file names and headers, ',' and ISO dates."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in TABLE_ORDER:
        cols = [c.name for c in TABLES[name].columns if c.name not in ("child_id", "birth_date")]
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(cols)
            writer.writerows([_canonical(r.get(c)) for c in cols] for r in ROWS[name])
    return folder


def copy_fixture(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DUBU_CSV, tmp_path / "export"))


# --- other formats -----------------------------------------------------------------------------

def _native(column_type: ColType, value: object) -> object:
    if column_type is ColType.TIMESTAMP and isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, datetime.min.time())
    return value


_POLARS = {ColType.TEXT: pl.String, ColType.ENUM: pl.String, ColType.DATE: pl.Date,
           ColType.TIMESTAMP: pl.Datetime("us"), ColType.BOOL: pl.Boolean, ColType.INT: pl.Int64}


def write_parquet(folder: Path) -> Path:
    """The rows as canonical Parquet files with native types (canonical names and values)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in TABLE_ORDER:
        cols = [c for c in TABLES[name].columns if c.name not in ("child_id", "birth_date")]
        frame = pl.DataFrame(
            {c.name: [_native(c.type, r.get(c.name)) for r in ROWS[name]] for c in cols},
            schema={c.name: _POLARS[c.type] for c in cols},
        )
        frame.write_parquet(folder / f"{name}.parquet")
    return folder


def write_xlsx(path: Path) -> Path:
    """The rows as one dubu_dk workbook with native Excel dates, numbers and Ja/Nej text."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    day = book.add_format({"num_format": "dd-mm-yyyy"})
    moment = book.add_format({"num_format": "dd-mm-yyyy hh:mm:ss"})
    for name in TABLE_ORDER:
        sheet = book.add_worksheet(DUBU.file_stem(name))
        cols = [c for c in TABLES[name].columns if c.name not in ("child_id", "birth_date")]
        sheet.write_row(0, 0, [DUBU.header(name, c.name) for c in cols])
        for r, row in enumerate(ROWS[name], start=1):
            for c, column in enumerate(cols):
                value = _native(column.type, row.get(column.name))
                if value is None:
                    continue
                if isinstance(value, datetime):
                    sheet.write_datetime(r, c, value, moment)
                elif isinstance(value, date):
                    sheet.write_datetime(r, c, datetime.combine(value, datetime.min.time()), day)
                elif isinstance(value, int) and not isinstance(value, bool):
                    sheet.write_number(r, c, value)
                else:
                    sheet.write_string(r, c, _danish(column.name, value))
    book.close()
    return path


# --- reading a snapshot back -------------------------------------------------------------------

def table_rows(db: Path, name: str) -> list[tuple]:
    conn = connect(db)
    try:
        table = TABLES[name]
        return conn.execute(
            f"SELECT * FROM {quote_ident(name)} ORDER BY {quote_ident(table.id_column)}"
        ).fetchall()
    finally:
        conn.close()


def all_tables(db: Path) -> dict[str, list[tuple]]:
    return {name: table_rows(db, name) for name in TABLE_ORDER}


def quarantine(db: Path) -> list[tuple]:
    """(file, table, row, column, value, reason) of every quarantine record, in order."""
    conn = connect(db)
    try:
        return conn.execute(
            "SELECT file, table_name, row_number, column_name, value, reason FROM quarantine "
            "ORDER BY table_name, row_number, column_name"
        ).fetchall()
    finally:
        conn.close()


def expected_rows(name: str) -> list[tuple]:
    """What the snapshot must hold for ``ROWS[name]``: stored columns, has-time flags, pseudonyms."""
    out = []
    for row in ROWS[name]:
        values: list[object] = []
        for column in TABLES[name].stored_columns:
            value = row.get(column.name)
            if name == "cases" and column.name == "child_id":
                value = pseudonym(str(row["cpr"]), DEMO_KEY)
            if name == "cases" and column.name == "birth_date":
                value = _birth(str(row["cpr"]))
            if column.type is ColType.TIMESTAMP:
                has_time = isinstance(value, datetime) if value is not None else None
                values += [_native(column.type, value), has_time]
            else:
                values.append(value)
        out.append(tuple(values))
    return sorted(out, key=lambda r: str(r[0]))


def _birth(cpr: str) -> date:
    from kpis.data.cpr import cpr_birth_date

    born = cpr_birth_date(cpr)
    assert born is not None
    return born


def varchar_values(db: Path) -> list[tuple[str, str, str]]:
    """(table, column, value) for every VARCHAR value in every table of the snapshot."""
    conn = duckdb.connect(":memory:")
    conn.execute("ATTACH ? AS snap (READ_ONLY)", [str(db)])
    try:
        columns = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_catalog = 'snap' AND data_type = 'VARCHAR'"
        ).fetchall()
        found = []
        for table, column in columns:
            sql = f"SELECT {quote_ident(column)} FROM snap.{quote_ident(table)}"
            found += [(table, column, v) for (v,) in conn.execute(sql).fetchall() if v is not None]
        return found
    finally:
        conn.close()

