"""Deliberately bad rows, so every demo import shows the quarantine at work.

Each bad row is an *extra* row (a copy of a real one with one thing wrong) and nothing refers to
it, so quarantining it never takes other rows along: the import records exactly these rows. All are
quarantined except the completion after the as-of date, a finding that keeps its row (the BFU then
counts as not yet completed).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
import polars as pl

UNPARSEABLE = "unparseable"
MISSING_REQUIRED = "missing_required"
DUPLICATE_ID = "duplicate_id"
UNKNOWN_REFERENCE = "unknown_reference"
AFTER_AS_OF = "after_as_of"
COMPLETION_BEFORE_START = "completion_before_start"
INVALID_CPR = "invalid_cpr"


class BadRow(NamedTuple):
    file: str
    row: int  # row number in the file, the header being row 1
    column: str  # canonical column name
    reason: str


def _dmy(d: date) -> str:
    return d.strftime("%d-%m-%Y")


def _parse(text: str) -> date:
    return date(int(text[6:10]), int(text[3:5]), int(text[0:2]))


# (table, column, reason, source-row filter, change). `change` gets the source row and the as-of
# date and returns the new row; `None` as the id means "keep the id" (a repeated id).
def _new_id(prefix: str, k: int) -> str:
    return f"{prefix}9{k:06d}"


BAD_ROWS = (
    ("notifications", "received_at", UNPARSEABLE, None,
     lambda r, a: {**r, "received_at": "31-02-2024 10:15"}),
    ("investigations", "completed_on", UNPARSEABLE, "completed_on",
     lambda r, a: {**r, "completed_on": "ukendt"}),
    ("measures", "decided_on", UNPARSEABLE, None,
     lambda r, a: {**r, "decided_on": "2023-13-45"}),
    ("notifications", "case_id", MISSING_REQUIRED, None,
     lambda r, a: {**r, "case_id": None}),
    ("follow_ups", "held_on", MISSING_REQUIRED, None,
     lambda r, a: {**r, "held_on": None}),
    ("plans", "plan_id", MISSING_REQUIRED, None,
     lambda r, a: {**r, "plan_id": None}),
    ("notifications", "notification_id", DUPLICATE_ID, None, None),
    ("measures", "measure_id", DUPLICATE_ID, None, None),
    ("cases", "case_id", DUPLICATE_ID, None, None),
    ("notifications", "case_id", UNKNOWN_REFERENCE, None,
     lambda r, a: {**r, "case_id": "1999-99999"}),
    ("supervision_visits", "measure_id", UNKNOWN_REFERENCE, None,
     lambda r, a: {**r, "measure_id": "I9999999"}),
    ("investigations", "completed_on", AFTER_AS_OF, "completed_on",
     lambda r, a: {**r, "completed_on": _dmy(a + timedelta(days=40)),
                   "preliminary_assessment_on": None}),
    ("child_interviews", "held_on", AFTER_AS_OF, "held_on",
     lambda r, a: {**r, "held_on": _dmy(a + timedelta(days=3)), "recorded_on": None}),
    ("notifications", "assessed_at", COMPLETION_BEFORE_START, "assessed_at",
     lambda r, a: {**r, "assessed_at": f"{_dmy(_parse(r['received_at']) - timedelta(days=1))} 09:00",
                   "acknowledged_on": None}),
    ("investigations", "completed_on", COMPLETION_BEFORE_START, "completed_on",
     lambda r, a: {**r, "completed_on": _dmy(_parse(r["aware_on"]) - timedelta(days=10)),
                   "preliminary_assessment_on": None, "decided_on": None}),
    ("cases", "cpr", INVALID_CPR, None,
     lambda r, a: {**r, "cpr": "310299-1234"}),  # 31 February does not exist
    ("cases", "cpr", INVALID_CPR, None,
     lambda r, a: {**r, "cpr": "12345-678"}),
)
ID_PREFIX = {"notifications": "U", "investigations": "B", "measures": "I", "follow_ups": "O",
             "plans": "P", "supervision_visits": "T", "child_interviews": "S", "cases": "1999-"}


def inject(
    tables: dict[str, pl.DataFrame],
    rng: np.random.Generator,
    as_of: date,
    file_names: dict[str, str],
) -> tuple[dict[str, pl.DataFrame], list[BadRow]]:
    """Insert the bad rows at random places in the text tables; return the tables and where the
    bad rows ended up (row numbers as a spreadsheet shows them)."""
    inserts: dict[str, list[tuple[int, dict, str, str]]] = {t: [] for t in tables}
    for k, (table, column, reason, needs, change) in enumerate(BAD_ROWS):
        df = tables[table]
        candidates = np.arange(df.height)
        if needs is not None and df.height:
            candidates = np.flatnonzero(df[needs].is_not_null().to_numpy())
        if not len(candidates):
            continue  # a tiny scale may lack the rows a bad row is copied from
        src = int(candidates[rng.integers(0, len(candidates))])
        row = df.row(src, named=True)
        id_col = df.columns[0]
        if change is None:  # a repeated id: the first row is loaded, this later one is not
            new, pos = dict(row), int(rng.integers(src + 1, df.height + 1))
        else:
            new = change({**row, id_col: _new_id(ID_PREFIX[table], k)}, as_of)
            pos = int(rng.integers(0, df.height + 1))
        inserts[table].append((pos, new, column, reason))
    out, bad = {}, []
    for table, df in tables.items():
        rows = sorted(inserts[table], key=lambda x: x[0])
        parts, prev = [], 0
        for pos, new, column, reason in rows:
            parts.append(df.slice(prev, pos - prev))
            parts.append(pl.DataFrame([new], schema=df.schema))
            prev = pos
        parts.append(df.slice(prev))
        out[table] = pl.concat(parts) if rows else df
        for i, (pos, _, column, reason) in enumerate(rows):
            bad.append(BadRow(file_names[table], pos + i + 2, column, reason))
    bad.sort(key=lambda b: (b.file, b.row))
    return out, bad
