"""Readers: find an export's files and read each into raw cells, with no type inference.

CSV is decoded and split here (UTF-8, UTF-8 with BOM or Windows-1252; ';', ',' or tab), Parquet and
Excel are read with polars. Every format ends as the same ``RawTable``: headers, one list of raw cells
per header, and the spreadsheet row number of every row. Parsing values is ``parse.py``'s job.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import fastexcel
import polars as pl

from kpis.data.cpr import masked
from kpis.data.errors import ImportRefused
from kpis.data.parse import is_empty
from kpis.data.profiles import Profile, fold
from kpis.data.quarantine import Reason

DATA_SUFFIXES = (".csv", ".parquet")
WORKBOOK_SUFFIX = ".xlsx"
EXTRA_FIELDS_COLUMN = "(felter uden overskrift)"


# What the libraries raise for a damaged file (ValueError covers a NUL byte in a CSV).
_READ_ERRORS = (csv.Error, OSError, ValueError, pl.exceptions.PolarsError,
                fastexcel.FastExcelError)


@dataclass(frozen=True)
class SourceFile:
    """Where one table's rows are: a file in a folder, or a sheet in a workbook."""

    table: str
    path: Path
    display: str  # what a person calls it: "sager.csv" or "eksport.xlsx:sager"
    sha256: str
    sheet: str | None = None


@dataclass
class RawTable:
    table: str
    source: SourceFile
    headers: list[str]
    cells: list[list[object]]  # one list per header, all of equal length
    row_numbers: list[int]  # spreadsheet row of each row: the header is row 1
    # problems found while splitting rows: (row index, column, value, reason)
    problems: list[tuple[int, str, object, Reason]] = field(default_factory=list)
    blank_rows: int = 0

    @property
    def n_rows(self) -> int:
        return len(self.row_numbers)


@dataclass(frozen=True)
class ExportLayout:
    sources: dict[str, SourceFile]  # table -> where it is
    ignored: tuple[str, ...]  # files or sheets that belong to no table


def sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def export_names(path: Path) -> list[str]:
    """The names a profile is recognised by: the stems of data files, or a workbook's sheet names."""
    if path.is_dir():
        return [p.stem for p in _data_files(path) if p.suffix.lower() in DATA_SUFFIXES]
    if path.suffix.lower() == WORKBOOK_SUFFIX:
        return list(_sheet_names(path))
    raise ImportRefused(
        f"{path} er hverken en mappe med CSV/Parquet-filer eller en .xlsx-projektmappe."
    )


def _data_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$")))


def _sheet_names(path: Path) -> list[str]:
    try:
        return list(fastexcel.read_excel(path).sheet_names)
    except _READ_ERRORS as exc:  # a damaged or password-protected workbook
        raise _unreadable(path.name, exc) from None


def locate(path: Path, profile: Profile) -> ExportLayout:
    """Match the export's files (or sheets) to tables by the profile's file names.

    Names are stored and printed (the summary, the quarantine's file column): a CPR number in a
    file, sheet or workbook name is masked there."""
    sources: dict[str, SourceFile] = {}
    ignored: list[str] = []
    if path.is_dir():
        for file in _data_files(path):
            table = profile.table_for_stem(file.stem)
            if table is None or file.suffix.lower() not in DATA_SUFFIXES:
                ignored.append(masked(file.name))
                continue
            if table in sources:
                raise ImportRefused(
                    f"To filer til tabellen {table}: {sources[table].display} og {file.name}."
                )
            sources[table] = SourceFile(table, file, masked(file.name), sha256_file(file))
    else:
        digest = sha256_file(path)
        for sheet in _sheet_names(path):
            table = profile.table_for_stem(sheet)
            display = masked(f"{path.name}:{sheet}")
            if table is None:
                ignored.append(display)
            elif table in sources:
                raise ImportRefused(f"To ark til tabellen {table} i {path.name}.")
            else:
                sources[table] = SourceFile(table, path, display, digest, sheet)
    return ExportLayout(sources, tuple(ignored))


def read_table(source: SourceFile) -> RawTable:
    """The raw cells of one file or sheet. A file that cannot be read refuses the import."""
    try:
        return _read(source)
    except _READ_ERRORS as exc:  # a damaged file
        raise _unreadable(source.display, exc) from None


def _unreadable(name: str, exc: Exception) -> ImportRefused:
    return ImportRefused(f"{name} kunne ikke læses: {masked(str(exc))[:300]}")


def _read(source: SourceFile) -> RawTable:
    if source.sheet is not None:
        df = pl.read_excel(source.path, sheet_name=source.sheet, engine="calamine",
                           read_options={"dtypes": "string"}, raise_if_empty=False)
        return _assemble(source, list(df.columns), df.iter_rows())
    if source.path.suffix.lower() == ".parquet":
        df = pl.read_parquet(source.path)
        return _assemble(source, list(df.columns), df.iter_rows())
    return _read_csv(source)


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without BOM) when the bytes are valid UTF-8, else Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportRefused(f"{name} er hverken UTF-8 eller Windows-1252.") from None


def sniff_separator(header_line: str) -> str:
    """The separator of the header line: the most frequent of ';', ',' and tab (';' on a tie)."""
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ";"


def _read_csv(source: SourceFile) -> RawTable:
    text = decode(source.path.read_bytes(), source.display)
    sep = sniff_separator(text.split("\n", 1)[0])
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    headers = next(rows, [])
    return _assemble(source, [h.strip() for h in headers], rows)


def _assemble(source: SourceFile, headers: list[str], rows: Iterable[Sequence[object]]) -> RawTable:
    """Columns from rows. Wholly empty rows are skipped but keep their row number."""
    width = len(headers)
    kept: list[Sequence[object]] = []
    numbers: list[int] = []
    problems: list[tuple[int, str, object, Reason]] = []
    blank = 0
    for number, row in enumerate(rows, start=2):
        if _blank(row):
            blank += 1
            continue
        if len(row) != width:
            extra = [v for v in row[width:] if not is_empty(v)]
            if extra:
                problems.append((len(numbers), EXTRA_FIELDS_COLUMN,
                                 "; ".join(str(v) for v in extra), Reason.EXTRA_FIELDS))
            row = (*row[:width], *([None] * (width - len(row))))
        kept.append(row)
        numbers.append(number)
    cells = [list(column) for column in zip(*kept, strict=True)] if kept else [[] for _ in headers]
    return RawTable(source.table, source, headers, cells, numbers, problems, blank)


def _blank(row: Sequence[object]) -> bool:
    first = row[0] if row else None
    if type(first) is str and first.strip():  # the common case, without a generator
        return False
    return all(is_empty(v) for v in row)


def headers_by_name(headers: list[str]) -> dict[str, list[int]]:
    """Header positions by folded name (a name may occur more than once)."""
    found: dict[str, list[int]] = {}
    for i, h in enumerate(headers):
        found.setdefault(fold(str(h)), []).append(i)
    return found
