"""docs/data-model.md is a contract: its generated sections must match the code."""

from __future__ import annotations

from kpis.data.docgen import DOC, render
from kpis.data.schema import SNAPSHOT_TABLES, TABLES


def test_the_data_model_document_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert text == render(text), "run: python -m kpis.data.docgen"


def test_every_table_and_column_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for table in TABLES.values():
        assert f"### `{table.name}`" in text
        for column in table.columns:
            assert f"| `{column.name}` |" in text
    for name in SNAPSHOT_TABLES:
        assert f"#### `{name}`" in text
