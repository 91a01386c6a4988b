"""One KPI of ``config/kpis.yaml`` as a block of lines: find it, replace it, delete it, add one.

Edits work on the text, never by dumping parsed YAML, so everything else in the file — comments,
section headers, blank lines, quoting — stays exactly as a person wrote it and a diff shows only
the KPI that changed. The line numbers come from the same loader the validation uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from kpis.rules import yaml_loader


class BlockError(ValueError):
    """The text cannot be cut into KPI blocks (unreadable YAML, flow style, unknown id)."""


@dataclass(frozen=True)
class Span:
    start: int  # 0-based index of the block's first line (the "- id: …" line)
    end: int  # 0-based index one past its last line (trailing blank and comment lines excluded)


def _items(text: str) -> tuple[list, list[int]]:
    try:
        doc = yaml_loader.load(text)
    except yaml.YAMLError as exc:
        raise BlockError(f"filen kan ikke læses som YAML: {exc}") from None
    kpis = doc.get("kpis") if isinstance(doc, dict) else None
    if not isinstance(kpis, yaml_loader.LineList):
        raise BlockError("filen har ingen liste 'kpis:'")
    return list(kpis), list(kpis.item_lines)


def kpi_ids(text: str) -> list[str]:
    """The ids in file order (items without a text id are left out)."""
    items, _ = _items(text)
    return [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)]


def _is_filler(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def item_span(lines: list[str], start: int, what: str = "et nøgletal") -> Span:
    """The lines of the list item whose dash is on line ``start`` (0-based), of any YAML list
    in block style (the udviklingsplan's goals and activities too: kpis.plan.edit)."""
    dash = lines[start].lstrip(" ")
    if not dash.startswith("-"):
        raise BlockError(f"linje {start + 1}: {what} skal stå som '- id: …' i blokform")
    dash_col = indent(lines[start])
    end = start + 1
    # Lines that belong to the item are indented past its dash; blank lines and comments may sit
    # between them. The first line at the dash's level (next item, next key) ends the block.
    while end < len(lines) and (_is_filler(lines[end]) or indent(lines[end]) > dash_col):
        end += 1
    while end > start + 1 and _is_filler(lines[end - 1]):
        end -= 1  # trailing comments head the next section; they stay where they are
    return Span(start, end)


def kpi_span(text: str, kpi_id: str) -> Span:
    items, item_lines = _items(text)
    lines = text.splitlines(keepends=True)
    for item, line in zip(items, item_lines):
        if isinstance(item, dict) and item.get("id") == kpi_id:
            return item_span(lines, line - 1)
    raise BlockError(f"der er intet nøgletal med id'et {kpi_id!r}")


def kpi_block(text: str, kpi_id: str) -> str:
    """The lines of one KPI, as they stand in the file."""
    span = kpi_span(text, kpi_id)
    return "".join(text.splitlines(keepends=True)[span.start:span.end])


def replace_kpi(text: str, kpi_id: str, block: str) -> str:
    """The file with one KPI's lines replaced by ``block`` (validation is the caller's next step)."""
    span = kpi_span(text, kpi_id)
    lines = text.splitlines(keepends=True)
    if block and not block.endswith("\n"):
        block += "\n"
    return "".join(lines[: span.start]) + block + "".join(lines[span.end:])


def delete_kpi(text: str, kpi_id: str) -> str:
    """The file without one KPI; a blank line left doubled by the cut is removed."""
    span = kpi_span(text, kpi_id)
    lines = text.splitlines(keepends=True)
    before, after = lines[: span.start], lines[span.end:]
    if before and after and not before[-1].strip() and not after[0].strip():
        after = after[1:]
    return "".join(before + after)


def append_kpi(text: str, block: str) -> str:
    """The file with ``block`` after its last KPI, separated by one blank line."""
    items, item_lines = _items(text)
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if not block.endswith("\n"):
        block += "\n"
    if not items:
        raise BlockError("tilføj først ét nøgletal i hånden: listen 'kpis:' er tom")
    end = item_span(lines, item_lines[-1] - 1).end
    return "".join(lines[:end]) + "\n" + block + "".join(lines[end:])


class MergeConflict(ValueError):
    """Both sides changed the same KPI (or the text outside the KPIs): a person must decide."""

    def __init__(self, kpis: list[str]):
        self.kpis = kpis
        super().__init__("begge har ændret " + (", ".join(kpis) if kpis else "teksten uden for "
                                                 "nøgletallene"))


def _outside_blocks(text: str) -> str:
    """The file without its KPI blocks: header, comments between sections."""
    for kpi_id in kpi_ids(text):
        text = delete_kpi(text, kpi_id)
    return text


def merge_by_kpi(opened: str, theirs: str, mine: str) -> str:
    """``theirs`` with the KPIs that ``mine`` changed since ``opened`` laid on top: a three-way
    merge one KPI at a time, for the second of two analysts who saved at once. ``MergeConflict``
    names the KPIs both changed differently; a change to the text outside the KPIs (header,
    section comments) in ``mine`` is not merged either."""
    def blocks_of(text: str) -> dict[str, str]:
        return {i: kpi_block(text, i) for i in kpi_ids(text)}

    o, t, m = blocks_of(opened), blocks_of(theirs), blocks_of(mine)
    changed = [i for i in dict.fromkeys([*o, *m]) if m.get(i) != o.get(i)]
    both = [i for i in changed if t.get(i) != o.get(i) and t.get(i) != m.get(i)]
    if both:
        raise MergeConflict(both)
    if _outside_blocks(mine) != _outside_blocks(opened):
        raise MergeConflict([])
    result = theirs
    for kpi_id in changed:
        if m.get(kpi_id) == t.get(kpi_id):
            continue  # the same change on both sides
        if kpi_id not in m:
            result = delete_kpi(result, kpi_id)
        elif kpi_id in t:
            result = replace_kpi(result, kpi_id, m[kpi_id])
        else:
            result = append_kpi(result, m[kpi_id])
    return result
