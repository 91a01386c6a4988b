"""Cells a spreadsheet cannot turn into formulas: the one rule for every CSV and workbook the app or
the command line writes (CSV injection, OWASP).

Names in an export come from people and case systems: a caseworker, a team, a failed login's
username, a quarantined value may begin with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return,
and Excel or LibreOffice opening a CSV would run it as a formula (``=HYPERLINK(…)`` sends data
away). Such a text cell is written with a leading apostrophe, which the spreadsheet shows as text.
Only text columns are touched: a negative number in a number column stays a number.

Workbooks keep text as text cells instead (xlsxwriter with ``strings_to_formulas`` off; polars'
``write_excel`` already does so), so no apostrophe is needed there.
"""

from __future__ import annotations

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_START = r"^[=+\-@\t\r]"
# For xlsxwriter.Workbook: text stays text, whatever it starts with.
WORKBOOK_OPTIONS = {"strings_to_formulas": False}


def neutralise(text: str) -> str:
    """The text as a spreadsheet must read it: with an apostrophe before a formula's first sign."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def neutralised(df: pl.DataFrame) -> pl.DataFrame:
    """The frame with every text cell that would start a formula neutralised; other columns as
    they are."""
    text = [c for c, t in df.schema.items() if t == pl.String]
    return df.with_columns(
        pl.when(pl.col(c).str.contains(_FORMULA_START)).then(pl.lit("'") + pl.col(c))
        .otherwise(pl.col(c)).alias(c)
        for c in text
    )


def excel_csv_bytes(df: pl.DataFrame) -> bytes:
    """The frame as CSV for Danish Excel: semicolons, UTF-8 with BOM, empty cells for nulls, and
    no cell that can become a formula."""
    return ("\ufeff" + neutralised(df).write_csv(separator=";", null_value="")).encode("utf-8")
