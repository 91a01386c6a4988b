"""The export's own date, proposed as "Opgjort pr." on the Data page (expected dates by hand)."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest

from kpis.data.export_date import ExportDate, export_date

TODAY = date(2026, 12, 2)


def zipped(files: dict[str, tuple[int, int, int]]) -> bytes:
    """A zip whose members carry the given (year, month, day) time stamps."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, ymd in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(*ymd, 12, 0, 0)), "a;b\n1;2\n")
    return buf.getvalue()


def workbook(modified: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("docProps/core.xml", (
            '<cp:coreProperties><dcterms:modified xsi:type="dcterms:W3CDTF">'
            f"{modified}</dcterms:modified></cp:coreProperties>"))
    return buf.getvalue()


@pytest.mark.parametrize("name, expected", [
    ("udtraek_2026-11-20.zip", date(2026, 11, 20)),
    ("udtraek_20261120.zip", date(2026, 11, 20)),
    ("DUBU 20-11-2026.zip", date(2026, 11, 20)),
    ("dubu.20.11.2026.xlsx", date(2026, 11, 20)),
])
def test_a_date_in_the_file_name(name, expected):
    assert export_date(name, b"not read", TODAY) == ExportDate(expected, "filnavnet")


@pytest.mark.parametrize("name", [
    "udtraek_2026-11-20_til_2026-11-21.zip",  # two dates: no guess
    "udtraek_2026-02-30.zip",  # no such day
    "udtraek_2027-01-05.zip",  # after today
    "udtraek_1999-12-31.zip",  # before 2000: noise
    "udtraek_v123456789.zip",
])
def test_no_guess_from_a_name_that_is_not_one_date(name):
    assert export_date(name, b"not a zip", TODAY) is None


def test_the_newest_data_file_in_the_zip():
    data = zipped({"sager.csv": (2026, 11, 19), "underretninger.csv": (2026, 11, 20),
                   "noter.txt": (2026, 11, 30)})  # not a data file
    assert export_date("udtraek.zip", data, TODAY) == ExportDate(date(2026, 11, 20),
                                                                 "datafilernes tidsstempel")


def test_the_workbooks_last_saved_date():
    assert export_date("udtraek.xlsx", workbook("2026-11-18T16:02:00Z"), TODAY) == ExportDate(
        date(2026, 11, 18), "projektmappens gemmedato")


def test_the_name_wins_over_the_time_stamps():
    data = zipped({"sager.csv": (2026, 11, 25)})
    assert export_date("udtraek_2026-11-20.zip", data, TODAY).day == date(2026, 11, 20)
