"""Properties over randomly damaged exports: every row is loaded or quarantined, counts add up, and
no CPR number survives anywhere — whatever column it is put in."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from test_import_support import DUBU, do_import, table_rows, text_rows, varchar_values, write_csv

from kpis.data.cpr import contains_cpr
from kpis.data.schema import TABLE_ORDER, TABLES

HOSTILE = ["", " ", "010115-4123", "0101154123", "31-02-2024", "01-07-2030", "2024-13-01",
           "Ja", "Nej", "ukendt", "S-999", "I-999", "S-100", "I-1", "N-1", "-3", "7", "1.000",
           "x'); DROP TABLE cases; --", '"', "Ærø;Å", "05-02-2024 25:00", "01/01/2020 00:00"]

CELLS = [(t, c.name) for t in TABLE_ORDER for c in TABLES[t].columns
         if c.name not in ("child_id", "birth_date")]

edits = st.lists(
    st.tuples(st.sampled_from(CELLS), st.integers(min_value=0, max_value=3),
              st.sampled_from(HOSTILE)),
    min_size=1, max_size=12,
)


@settings(max_examples=15, deadline=None)
@given(edits)
def test_random_damage_keeps_counts_and_leaks_no_cpr(changes) -> None:
    tables = text_rows()
    for (table, column), index, text in changes:
        rows = tables[table]
        rows[index % len(rows)][DUBU.header(table, column)] = text
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "db.duckdb"
        result = do_import(write_csv(Path(tmp) / "export", tables), db)
        for f in result.files:
            assert f.rows_loaded + f.rows_quarantined == f.rows_read == len(tables[f.table])
            assert len(table_rows(db, f.table)) == f.rows_loaded
        digests = {("import_files", "sha256"), ("snapshot_meta", "fingerprint"),
                   ("import_history", "fingerprint"), ("import_history", "files")}
        leaks = [v for v in varchar_values(db)
                 if (v[0], v[1]) not in digests and contains_cpr(v[2])]
        assert leaks == []
        assert not contains_cpr(result.summary_text())
