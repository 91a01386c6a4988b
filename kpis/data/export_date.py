"""The day an uploaded export was taken, when the export itself says so.

The as-of date decides every deadline status, so the Data page proposes the export's own date
rather than today: a date in the file's name ("udtraek_2026-11-20.zip", "…20112026…"), else the
workbook's own "last saved" date, else the newest time stamp of the data files in the zip. The
analyst still sees and may change it; without any of these there is no proposal.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from pathlib import PurePosixPath

from kpis.data.readers import DATA_SUFFIXES, WORKBOOK_SUFFIX

EARLIEST = date(2000, 1, 1)  # older "dates" are version numbers or noise
_ISO = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")  # 2026-11-20, 20261120
_DANISH = re.compile(r"(?<!\d)(\d{2})[-.](\d{2})[-.](\d{4})(?!\d)")  # 20-11-2026, 20.11.2026
_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class ExportDate:
    day: date
    source_da: str  # where it was read, for the page: "filnavnet"


def _day(year: str, month: str, day: str) -> date | None:
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _from_name(name: str) -> date | None:
    stem = PurePosixPath(name).stem
    found = [_day(*m.groups()) for m in _ISO.finditer(stem)]
    found += [_day(y, m, d) for d, m, y in (g.groups() for g in _DANISH.finditer(stem))]
    days = {d for d in found if d is not None}
    return days.pop() if len(days) == 1 else None  # two different dates: no guess


def _from_archive(data: bytes, workbook: bool) -> date | None:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            if workbook:
                core = archive.read("docProps/core.xml")
                match = _MODIFIED.search(core)
                return date.fromisoformat(match.group(1).decode()) if match else None
            stamps = [datetime(*m.date_time).date() for m in archive.infolist()
                      if PurePosixPath(m.filename).suffix.lower() in DATA_SUFFIXES]
            return max(stamps, default=None)
    except (zipfile.BadZipFile, KeyError, ValueError):
        return None  # the import itself says what is wrong with the file


def export_date(name: str, data: bytes, today: date) -> ExportDate | None:
    """The export's own date (never after ``today``), or None when it carries none."""
    workbook = PurePosixPath(name).suffix.lower() == WORKBOOK_SUFFIX
    candidates = [(_from_name(name), "filnavnet"),
                  (_from_archive(data, workbook),
                   "projektmappens gemmedato" if workbook else "datafilernes tidsstempel")]
    for day, source in candidates:
        if day is not None and EARLIEST <= day <= today:
            return ExportDate(day, source)
    return None
