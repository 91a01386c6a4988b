"""One CPR detector for every form and every place of an export (issue 11, section 2): free text in
any separator form, number columns, column headers, file, sheet and workbook names, the upload's own
name, refusal messages and the audit log — while dates, case numbers and phone numbers pass."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import polars as pl
import pytest
from test_import_support import (
    AS_OF,
    DUBU,
    do_import,
    quarantine,
    table_rows,
    text_rows,
    varchar_values,
    write_csv,
    write_parquet,
    write_xlsx,
)

from kpis.access.audit import CPR_REDACTED, scrub
from kpis.data.cpr import CPR_HIDDEN, cell_has_cpr, contains_cpr, masked, modulus_11
from kpis.data.errors import ImportRefused
from kpis.data.importer import cli_import
from kpis.data.pseudonym import DEMO_KEY
from kpis.data.quarantine import Reason
from kpis.data.upload import unpack

# 26 February 2008, serial 6950 (7th digit 6, year 08: the 2000s). Not modulus-11 valid:
# 2*4+6*3+0*2+2*7+0*6+8*5+6*4+9*3+5*2+0*1 = 141 = 12*11 + 9.
CPR_FORMS = ["2602086950", "260208-6950", "260208 6950", "26.02.08-6950", "260208/6950",
             "260208.6950", "260208 - 6950", "26-02-08 6950", "26/02/08/6950", "260208–6950",
             "260208\u00a06950"]
# Looks a little alike, is not a CPR number.
NOT_CPR = ["2025-04-16", "16.04.2025", "16-04-2025 14:30", "16/04/2025", "20250416",
           "2025-06-30T14.07.38-1234abcd",  # a snapshot id whose hash starts with four digits
           "SAG-2025-123456", "27.24.00-A00-1-25", "S-00001234567", "12345-67890", "123456789",
           "+45 26 02 08 69", "26020869", "320208-6950", "261308-6950", "260208-695",
           "01011541234", "barn-3f9a-0c12-88de-19ab"]


@pytest.mark.parametrize("form", CPR_FORMS)
def test_every_written_form_is_found_and_masked(form: str) -> None:
    assert contains_cpr(f"se {form} i journalen")
    assert masked(f"se {form} i journalen") == f"se {CPR_HIDDEN} i journalen"


@pytest.mark.parametrize("text", NOT_CPR)
def test_dates_case_numbers_and_phone_numbers_are_not_cpr_numbers(text: str) -> None:
    assert not contains_cpr(text)
    assert masked(text) == text


def test_modulus_11_decides_only_the_ambiguous_forms() -> None:
    # 0101080005: 0*4+1*3+0*2+1*7+0*6+8*5+0*4+0*3+0*2+5*1 = 55 = 5*11.
    assert modulus_11("0101080005") and not modulus_11("2602086950")
    # ten digits inside a longer number: only with a valid check digit
    assert contains_cpr("konto 90101080005") and not contains_cpr("konto 92602086950")
    # a number cell: ten digits always, nine (the leading zero lost) only with modulus-11
    assert cell_has_cpr(2602086950) and cell_has_cpr(2602086950.0)
    assert cell_has_cpr(101080005) and not cell_has_cpr(101080006)
    assert not cell_has_cpr(3) and not cell_has_cpr(True) and not cell_has_cpr(3201086950)


@pytest.mark.parametrize("form", ["260208 6950", "26.02.08-6950", "260208/6950"])
@pytest.mark.parametrize("column", ["team", "caseworker"])
def test_a_cpr_number_in_free_text_is_quarantined_and_never_stored(tmp_path: Path, form: str,
                                                                   column: str) -> None:
    tables = text_rows()
    tables["cases"][0][DUBU.header("cases", column)] = f"Se {form}"
    db = tmp_path / "db.duckdb"
    result = do_import(write_csv(tmp_path / "export", tables), db)
    assert [q for q in quarantine(db) if q[1] == "cases"] == [
        ("sager.csv", "cases", 2, column, CPR_HIDDEN, Reason.CPR_IN_TEXT.value)]
    assert result.file("cases").rows_quarantined == 1
    assert not [v for v in varchar_values(db) if "6950" in v[2]]


def test_a_cpr_number_in_a_number_column_is_quarantined_not_stored(tmp_path: Path) -> None:
    tables = text_rows()
    tables["plans"][0][DUBU.header("plans", "goals_total")] = "2602086950"
    db = tmp_path / "db.duckdb"
    do_import(write_csv(tmp_path / "export", tables), db)
    assert [q for q in quarantine(db) if q[1] == "plans"] == [
        ("planer.csv", "plans", 2, "goals_total", CPR_HIDDEN, Reason.CPR_IN_TEXT.value)]
    assert [r[0] for r in table_rows(db, "plans")] == ["P-2"]


def test_a_cpr_number_in_a_date_column_is_recorded_as_one_and_hidden(tmp_path: Path) -> None:
    tables = text_rows()
    tables["investigations"][0][DUBU.header("investigations", "completed_on")] = "26.02.08-6950"
    db = tmp_path / "db.duckdb"
    do_import(write_csv(tmp_path / "export", tables), db)
    assert [q[2:] for q in quarantine(db) if q[1] == "investigations"] == [
        (2, "completed_on", CPR_HIDDEN, Reason.CPR_IN_TEXT.value)]


def test_native_number_cells_holding_a_cpr_number_are_quarantined(tmp_path: Path) -> None:
    folder = write_parquet(tmp_path / "export")
    plans = pl.read_parquet(folder / "plans.parquet").with_columns(
        pl.Series("goals_total", [2602086950, 101080005], pl.Int64),
        pl.Series("goals_measurable", [None, None], pl.Int64))
    plans.write_parquet(folder / "plans.parquet")
    db = tmp_path / "db.duckdb"
    do_import(folder, db, profile="canonical")
    assert [q[2:] for q in quarantine(db) if q[1] == "plans"] == [
        (2, "goals_total", CPR_HIDDEN, Reason.CPR_IN_TEXT.value),
        (3, "goals_total", CPR_HIDDEN, Reason.CPR_IN_TEXT.value)]
    assert table_rows(db, "plans") == []


def _has_cpr_anywhere(db: Path, text: str) -> bool:
    """A CPR number in any text value of the snapshot (hex digests excepted) or in the text."""
    digests = {("import_files", "sha256"), ("snapshot_meta", "fingerprint"),
               ("import_history", "fingerprint"), ("import_history", "files")}
    stored = [v for v in varchar_values(db) if (v[0], v[1]) not in digests]
    return contains_cpr(text) or any(contains_cpr(v[2]) for v in stored)


def test_a_cpr_number_as_a_column_header_is_never_stored_nor_printed(tmp_path: Path,
                                                                     capsys) -> None:
    tables = text_rows()
    for row in tables["cases"]:
        row["260208-6950"] = "x"
    position = list(tables["cases"][0]).index("260208-6950") + 1
    export = write_csv(tmp_path / "export", tables)
    db = tmp_path / "db.duckdb"
    result = do_import(export, db)
    shown = f"kolonne {position}: navn ligner et CPR-nummer"
    assert result.file("cases").ignored_columns == (shown,)
    assert ("import_files", "ignored_columns", shown) in varchar_values(db)
    assert shown in result.summary_text()
    assert not _has_cpr_anywhere(db, result.summary_text())


def test_cpr_numbers_in_file_and_sheet_names_are_masked(tmp_path: Path) -> None:
    # a folder named after a child, with a stray file named after another
    export = write_csv(tmp_path / "barn 260208-6950", text_rows())
    (export / "noter 0101080005.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    db = tmp_path / "db.duckdb"
    result = do_import(export, db)
    assert result.ignored_files == (f"noter {CPR_HIDDEN}.csv",)
    assert result.source.endswith(f"barn {CPR_HIDDEN}")
    assert not _has_cpr_anywhere(db, result.summary_text())
    # a workbook named after a child, with an extra sheet named after one
    import xlsxwriter

    book_path = write_xlsx(tmp_path / "260208 6950.xlsx")
    extra = tmp_path / "extra.xlsx"
    book = xlsxwriter.Workbook(str(extra))
    book.add_worksheet("26.02.08-6950").write_row(0, 0, ["a"])
    book.close()
    merged = _with_extra_sheet(book_path, extra)
    db2 = tmp_path / "db2.duckdb"
    result = do_import(merged, db2)
    assert result.ignored_files == (f"{CPR_HIDDEN}.xlsx:{CPR_HIDDEN}",)
    assert {f.file for f in result.files} >= {f"{CPR_HIDDEN}.xlsx:sager"}
    assert not _has_cpr_anywhere(db2, result.summary_text())


def _with_extra_sheet(book: Path, extra: Path) -> Path:
    """``book`` rewritten with one more (empty) sheet, named as ``extra``'s sheet."""
    import fastexcel
    import xlsxwriter

    sheets = {name: pl.read_excel(book, sheet_name=name, read_options={"dtypes": "string"})
              for name in fastexcel.read_excel(book).sheet_names}
    extra_name = fastexcel.read_excel(extra).sheet_names[0]
    out = xlsxwriter.Workbook(str(book))
    for name, frame in sheets.items():
        sheet = out.add_worksheet(name)
        sheet.write_row(0, 0, frame.columns)
        for r, row in enumerate(frame.iter_rows(), start=1):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write_string(r, c, value)
    out.add_worksheet(extra_name).write_row(0, 0, ["a"])
    out.close()
    return book


def test_an_upload_named_after_a_child_never_carries_the_number_on(tmp_path: Path) -> None:
    export = write_csv(tmp_path / "export", text_rows())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for file in export.iterdir():
            archive.write(file, f"udtræk 26.02.08-6950/{file.name}")
    path = unpack("260208-6950.zip", buf.getvalue(), tmp_path / "upload")
    assert not contains_cpr(str(path))
    db = tmp_path / "db.duckdb"
    result = do_import(path, db)
    assert not _has_cpr_anywhere(db, result.summary_text())


def test_refusal_messages_and_the_command_line_mask_cpr_numbers(tmp_path: Path, capsys,
                                                                  monkeypatch) -> None:
    with pytest.raises(ImportRefused) as refused:
        do_import(tmp_path / "barn 260208 6950", tmp_path / "db.duckdb")
    assert "6950" not in refused.value.message and CPR_HIDDEN in refused.value.message
    monkeypatch.setenv("PEJLEMAERKER_PSEUDONYM_KEY", DEMO_KEY.decode())
    tables = text_rows()
    for row in tables["cases"]:
        row["26.02.08-6950"] = ""
    export = write_csv(tmp_path / "udtræk 260208-6950", tables)
    (export / "260208 6950.csv").write_text("a\n", encoding="utf-8")
    assert cli_import(export, tmp_path / "db.duckdb", as_of=AS_OF) == 0
    out = capsys.readouterr()
    assert "Ukendte kolonner" in out.out and "navn ligner et CPR-nummer" in out.out
    assert "6950" not in out.out + out.err


@pytest.mark.parametrize("form", ["26.02.08-6950", "260208 - 6950", "26-02-08 6950"])
def test_the_audit_log_uses_the_same_rule(form: str) -> None:
    assert scrub(f"bruger {form}") == f"bruger {CPR_REDACTED}"
    assert scrub("eksport 2025-04-16 sag SAG-2025-123456") == "eksport 2025-04-16 sag SAG-2025-123456"
