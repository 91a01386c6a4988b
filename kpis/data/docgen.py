"""The generated parts of docs/data-model.md: tables and columns, quarantine reasons, snapshot tables.

The document is a contract: ``tests/test_import_docs.py`` fails when it disagrees with
``schema.py``, ``config/sources.yaml`` or the reasons in ``quarantine.py``. After changing any of
them, run ``python -m kpis.data.docgen`` to rewrite the generated sections in place.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from kpis import PROJECT_ROOT
from kpis.data.profiles import CANONICAL, load_profiles
from kpis.data.quarantine import Reason
from kpis.data.schema import SNAPSHOT_TABLES, TABLE_ORDER, TABLES, ColType, Column, has_time_column

DOC = PROJECT_ROOT / "docs" / "data-model.md"

_TYPE_WORDS = {
    ColType.TEXT: "text",
    ColType.ENUM: "enum",
    ColType.DATE: "date",
    ColType.TIMESTAMP: "timestamp",
    ColType.BOOL: "bool",
    ColType.INT: "integer ≥ 0",
}


def _notes(column: Column) -> str:
    notes = []
    if column.values:
        notes.append(", ".join(f"`{v}`" for v in column.values))
    if column.type is ColType.TIMESTAMP:
        notes.append(f"stored with `{has_time_column(column.name)}`")
    if column.planned:
        notes.append("planned: may lie after the as-of date")
    if column.input_only:
        notes.append("read, validated and dropped: never stored")
    return "; ".join(notes)


def tables_markdown() -> str:
    profiles = [p for name, p in load_profiles().items() if name != CANONICAL]
    out: list[str] = []
    for name in TABLE_ORDER:
        table = TABLES[name]
        files = ", ".join(f"`{p.file_stem(name)}` ({p.name})" for p in profiles)
        out += [f"### `{name}` — {table.label_da}", ""]
        out.append(f"- File: `{name}.csv`, `{name}.parquet` or sheet `{name}`; {files}.")
        out.append(f"- {'Optional: may be absent (then empty)' if table.optional else 'Required'};"
                   f" id column `{table.id_column}`.")
        if table.references:
            refs = ", ".join(f"`{r.column}` → `{r.table}`" for r in table.references)
            out.append(f"- References: {refs}.")
        if table.order_checks:
            checks = ", ".join(f"`{end}` ≥ `{start}`" for start, end in table.order_checks)
            out.append(f"- Order: {checks}.")
        if table.row_date_rule:
            out.append(f"- The row's date: {table.row_date_rule}.")
        head = ["column", "type", "required", "Danish label", *(f"{p.name} header" for p in profiles),
                "notes"]
        out += ["", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for c in table.columns:
            cells = [f"`{c.name}`", _TYPE_WORDS[c.type], "yes" if c.required else "",
                     c.label_da, *(p.header(name, c.name) for p in profiles), _notes(c)]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def reasons_markdown() -> str:
    rows = ["| reason (as recorded) | code name | the row |", "|---|---|---|"]
    rows += [f"| {r.value} | `{r.name}` | {'loaded (a finding)' if r.keeps_row else 'quarantined'} |"
             for r in Reason]
    return "\n".join(rows) + "\n"


def snapshot_tables_markdown() -> str:
    out: list[str] = []
    for name, columns in SNAPSHOT_TABLES.items():
        out += [f"#### `{name}`", "", "| column | type | meaning |", "|---|---|---|"]
        out += [f"| `{c}` | {sql} | {meaning} |" for c, sql, meaning in columns]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


SECTIONS = {
    "tables": tables_markdown,
    "reasons": reasons_markdown,
    "snapshot-tables": snapshot_tables_markdown,
}


def render(text: str) -> str:
    """``text`` with every generated section replaced by its current content."""
    for name, make in SECTIONS.items():
        pattern = re.compile(
            rf"(<!-- generated:{name} -->\n).*?(<!-- /generated:{name} -->)", re.DOTALL
        )
        if not pattern.search(text):
            raise ValueError(f"docs/data-model.md has no generated section {name!r}")
        body = make()
        text = pattern.sub(lambda m, body=body: m.group(1) + body + m.group(2), text)
    return text


def main(path: Path = DOC) -> int:
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
