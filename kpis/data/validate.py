"""Validation of one table: raw cells in, loaded columns and quarantine records out.

Steps, in order: map headers to canonical columns (a missing required column refuses the import),
parse every cell, check required values, CPR numbers, dates after the as-of date, completion before
start, the table's own row rule, references to cases and measures, and finally repeated ids among
the rows that survived. A row with any problem is quarantined; every problem gets its own record.
The exception is a finding that keeps its row (``Reason.keeps_row``: a non-defining date after the
as-of date): the row is loaded and the finding recorded beside the quarantine records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from kpis.data.cpr import CPR_HIDDEN, cell_has_cpr, contains_cpr, cpr_birth_date, number_is_cpr
from kpis.data.errors import ImportRefused
from kpis.data.parse import BadValue, Parser, is_empty, parser_for
from kpis.data.profiles import Profile, fold
from kpis.data.pseudonym import missing_key_message, pseudonym
from kpis.data.quarantine import Problem, Reason, display_value
from kpis.data.readers import RawTable, SourceFile, headers_by_name
from kpis.data.schema import TABLES, ColType, Table, has_time_column
from kpis.settings import PrivacySettings

# Reasons for a reference to a row that is unknown / was itself quarantined, by referenced table.
_REFERENCE_REASONS = {
    "cases": (Reason.UNKNOWN_CASE, Reason.QUARANTINED_CASE),
    "measures": (Reason.UNKNOWN_MEASURE, Reason.QUARANTINED_MEASURE),
}


@dataclass
class Context:
    """What one table's validation needs from the import and from the tables loaded before it."""

    as_of: date
    profile: Profile
    key: bytes | None
    privacy: PrivacySettings
    loaded_ids: dict[str, set[str]] = field(default_factory=dict)
    quarantined_ids: dict[str, set[str]] = field(default_factory=dict)
    measure_case: dict[str, str] = field(default_factory=dict)  # loaded measure -> its case


@dataclass
class TableResult:
    table: str
    source: SourceFile | None  # None: an optional table absent from the export
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    blank_rows: int = 0
    ignored_columns: tuple[str, ...] = ()
    data: dict[str, list] = field(default_factory=dict)  # stored column -> values of loaded rows
    problems: list[Problem] = field(default_factory=list)


def map_columns(raw: RawTable, table: Table, profile: Profile) -> tuple[dict[str, int], list[str]]:
    """Canonical column -> header position, and the headers that map to nothing."""
    positions = headers_by_name(raw.headers)
    mapping: dict[str, int] = {}
    for column in table.columns:
        header = profile.header(table.name, column.name)
        found = positions.get(fold(header), [])
        if len(found) > 1:
            raise ImportRefused(f"{raw.source.display}: kolonnen »{header}« ({column.name}) "
                                "findes mere end én gang.")
        if found:
            mapping[column.name] = found[0]
    used = set(mapping.values())
    ignored = [_header_shown(i, str(h)) for i, h in enumerate(raw.headers)
               if i not in used and str(h).strip()]
    for name in _required_columns(table, mapping):
        header = profile.header(table.name, name)
        raise ImportRefused(f"{raw.source.display} mangler den påkrævede kolonne »{header}« ({name}).")
    return mapping, ignored


def _header_shown(i: int, header: str) -> str:
    """An ignored header as it is stored and printed: never one that holds a CPR number."""
    return f"kolonne {i + 1}: navn ligner et CPR-nummer" if contains_cpr(header) else header


def _required_columns(table: Table, mapping: dict[str, int]) -> list[str]:
    missing = [c.name for c in table.columns if c.required and c.name not in mapping]
    if table.name == "child_interviews" and "held_on" not in mapping and not (
        "recorded_on" in mapping and "exemption_reason" in mapping
    ):
        missing.append("held_on")  # the row's date: held_on, or recorded_on with an exemption
    return missing


class _Rows:
    """Problems collected per row index while a table is checked."""

    def __init__(self, raw: RawTable, mapping: dict[str, int]) -> None:
        self.raw = raw
        self.mapping = mapping
        self.by_row: dict[int, list[Problem]] = {}
        self.held_back: set[int] = set()  # rows with a problem that quarantines them
        self.bad_cells: set[tuple[int, str]] = set()

    def add(self, i: int, column: str, value: object, reason: Reason, *, hide: bool = False) -> None:
        shown = CPR_HIDDEN if hide else display_value(value)
        problem = Problem(self.raw.source.display, self.raw.table, self.raw.row_numbers[i],
                          column, shown, reason)
        self.by_row.setdefault(i, []).append(problem)
        if not reason.keeps_row:
            self.held_back.add(i)
            self.bad_cells.add((i, column))

    def add_cell(self, i: int, column: str, reason: Reason) -> None:
        """A problem with a value that was read: recorded as the export wrote it."""
        self.add(i, column, self.raw.cells[self.mapping[column]][i], reason)


def validate_table(raw: RawTable, ctx: Context) -> TableResult:
    table = TABLES[raw.table]
    mapping, ignored = map_columns(raw, table, ctx.profile)
    rows = _Rows(raw, mapping)
    for i, column, value, reason in raw.problems:
        rows.add(i, column, value, reason)
    values = _parse_cells(raw, table, mapping, ctx, rows)
    derived = _cpr_columns(raw, mapping, values, ctx, rows) if "cpr" in mapping else {}
    for check in (_after_as_of, _completion_before_start, _row_rules, _references):
        check(table, values, ctx, rows)
    loaded = _first_of_each_id(table, values, raw.n_rows, rows)
    result = TableResult(
        table.name, raw.source, raw.n_rows, len(loaded), raw.n_rows - len(loaded),
        raw.blank_rows, tuple(ignored),
        problems=[p for i in sorted(rows.by_row) for p in rows.by_row[i]],
    )
    values.update(derived)  # a valid CPR number decides child_id and birth_date
    result.data = _stored_columns(table, values, loaded)
    _remember(table, values, loaded, ctx)
    return result


def _parse_cells(raw: RawTable, table: Table, mapping: dict[str, int], ctx: Context,
                 rows: _Rows) -> dict[str, list]:
    values: dict[str, list] = {}
    for name, position in mapping.items():
        column = table.column(name)
        if column.input_only:
            continue
        cells = raw.cells[position]
        keys = cells if all(type(c) is str or c is None for c in cells) else list(map(_key, cells))
        outcomes = _outcomes(cells, keys, parser_for(column, ctx.profile.words(name)))
        values[name] = [outcomes[k][0] for k in keys]
        if any(reason for _, reason in outcomes.values()):
            for i, (cell, key) in enumerate(zip(cells, keys, strict=True)):
                if reason := outcomes[key][1]:
                    rows.add(i, name, cell, reason, hide=reason is Reason.CPR_IN_TEXT)
    for column in table.columns:
        if column.required:
            for i, value in enumerate(values[column.name]):
                if value is None and (i, column.name) not in rows.bad_cells:
                    rows.add(i, column.name, None, Reason.MISSING)
    return values


def _key(cell: object) -> object:
    """A dictionary key for a native cell; type-qualified so that True, 1 and 1.0 stay apart.
    (Text cells are their own keys.)"""
    return (type(cell), cell) if cell.__hash__ is not None else (type(cell), repr(cell))


def _outcomes(cells: list, keys: list, parse: Parser) -> dict[object, tuple[object, Reason | None]]:
    """(value, reason) for each distinct cell: an export repeats the same dates and words often.

    A cell of any type that is or holds a CPR number is refused with that reason, whether it parses
    (free text, a count) or not (``26.02.08-6950`` in a date column).
    """
    outcomes: dict[object, tuple[object, Reason | None]] = {}
    for cell, key in zip(cells, keys, strict=True):
        if key in outcomes:
            continue
        try:
            value = parse(cell)
        except BadValue as exc:
            outcomes[key] = (None, Reason.CPR_IN_TEXT if cell_has_cpr(cell) else exc.reason)
            continue
        if _holds_cpr(cell, value):
            outcomes[key] = (None, Reason.CPR_IN_TEXT)
        else:
            outcomes[key] = (value, None)
    return outcomes


def _holds_cpr(cell: object, value: object) -> bool:
    """A parsed cell that is a CPR number. A value that parsed as a date, time, yes/no or known
    word cannot hold one (their forms have a four-digit year or no ten digits), so only text and
    counts are searched — and a native number cell, which may be a CPR number that lost its zero."""
    if type(value) is str:
        return contains_cpr(value) or (type(cell) is not str and cell_has_cpr(cell))
    if type(value) is int:
        return number_is_cpr(value)
    return False


def _cpr_columns(raw: RawTable, mapping: dict[str, int], values: dict[str, list], ctx: Context,
                 rows: _Rows) -> dict[str, list]:
    """child_id and birth_date from the CPR column; the CPR number itself goes no further."""
    cells = raw.cells[mapping["cpr"]]
    if ctx.key is None and any(not is_empty(c) for c in cells):
        raise ImportRefused(missing_key_message(ctx.privacy))
    child_ids = [None] * raw.n_rows
    births = [None] * raw.n_rows
    for i, cell in enumerate(cells):
        if is_empty(cell):
            continue
        text = str(cell)
        born = cpr_birth_date(text, not_after=ctx.as_of)
        if born is None:
            rows.add(i, "cpr", None, Reason.INVALID_CPR, hide=True)
            continue
        child_ids[i] = pseudonym(text, ctx.key)
        births[i] = born
    out: dict[str, list] = {}
    for name, derived in (("child_id", child_ids), ("birth_date", births)):
        given = values.get(name, [None] * raw.n_rows)
        out[name] = [d if d is not None else g for d, g in zip(derived, given, strict=True)]
    return out


def _day(value: date | tuple[datetime, bool]) -> date:
    return value[0].date() if isinstance(value, tuple) else value


def _after_as_of(table: Table, values: dict[str, list], ctx: Context, rows: _Rows) -> None:
    """A date after the as-of date is an error, except a planned one. A row whose defining date
    lies after it has not happened: quarantined. Any other such date (a completion, a start, a
    closing) keeps its row as a finding; the engine treats the date as not yet happened."""
    defining = _defining_column(table, values, rows.raw.n_rows)
    for column in table.columns:
        if column.type in (ColType.DATE, ColType.TIMESTAMP) and not column.planned:
            for i, value in enumerate(values.get(column.name, ())):
                if value is not None and _day(value) > ctx.as_of:
                    rows.add_cell(i, column.name, Reason.ROW_AFTER_AS_OF
                                  if defining[i] == column.name else Reason.AFTER_AS_OF)


def _defining_column(table: Table, values: dict[str, list], n: int) -> list[str | None]:
    """Per row, the column whose date makes the row exist: the first of ``defined_by`` with a
    value (an interview is defined by held_on, or by recorded_on when it was not held)."""
    columns = [values.get(c, [None] * n) for c in table.defined_by]
    return [next((name for name, col in zip(table.defined_by, columns, strict=True)
                  if col[i] is not None), None) for i in range(n)]


def _before(end: date | tuple[datetime, bool], start: date | tuple[datetime, bool]) -> bool:
    """True when the completion lies before the start; to the minute only when both have a time."""
    if isinstance(end, tuple) and isinstance(start, tuple) and end[1] and start[1]:
        return end[0] < start[0]
    return _day(end) < _day(start)


def _completion_before_start(table: Table, values: dict[str, list], ctx: Context,
                             rows: _Rows) -> None:
    for start_name, end_name in table.order_checks:
        if start_name not in values or end_name not in values:
            continue
        for i, (start, end) in enumerate(zip(values[start_name], values[end_name], strict=True)):
            if start is not None and end is not None and _before(end, start):
                rows.add_cell(i, end_name, Reason.BEFORE_START)


def _interview_held_or_exempted(values: dict[str, list], rows: _Rows) -> None:
    n = rows.raw.n_rows
    held = values.get("held_on", [None] * n)
    recorded = values.get("recorded_on", [None] * n)
    reason = values.get("exemption_reason", [None] * n)
    involved = ("held_on", "recorded_on", "exemption_reason")
    for i in range(n):
        if (held[i] is None and (recorded[i] is None or reason[i] is None)
                and not any((i, c) in rows.bad_cells for c in involved)):
            rows.add(i, "held_on", None, Reason.NOT_HELD_NOR_EXEMPTED)


def _measurable_within_total(values: dict[str, list], rows: _Rows) -> None:
    if "goals_total" not in values or "goals_measurable" not in values:
        return
    for i, (total, measurable) in enumerate(
        zip(values["goals_total"], values["goals_measurable"], strict=True)
    ):
        if total is not None and measurable is not None and measurable > total:
            rows.add_cell(i, "goals_measurable", Reason.MORE_MEASURABLE_THAN_GOALS)


# Checks that belong to one table (schema.Table.row_date_rule describes the interview rule).
_ROW_RULES: dict[str, Callable[[dict[str, list], _Rows], None]] = {
    "child_interviews": _interview_held_or_exempted,
    "plans": _measurable_within_total,
}


def _row_rules(table: Table, values: dict[str, list], ctx: Context, rows: _Rows) -> None:
    if rule := _ROW_RULES.get(table.name):
        rule(values, rows)


def _references(table: Table, values: dict[str, list], ctx: Context, rows: _Rows) -> None:
    for ref in table.references:
        unknown, quarantined = _REFERENCE_REASONS[ref.table]
        loaded = ctx.loaded_ids.get(ref.table, set())
        held_back = ctx.quarantined_ids.get(ref.table, set())
        for i, value in enumerate(values.get(ref.column, ())):
            if value is None or value in loaded:
                continue
            rows.add_cell(i, ref.column, quarantined if value in held_back else unknown)
    # A row that names both a case and a measure must name the measure's own case.
    if "case_id" in values and any(r.table == "measures" for r in table.references):
        for i, (case, measure) in enumerate(zip(values["case_id"], values["measure_id"], strict=True)):
            owner = ctx.measure_case.get(measure) if measure is not None else None
            if owner is not None and case is not None and owner != case:
                rows.add_cell(i, "measure_id", Reason.MEASURE_OF_OTHER_CASE)


def _first_of_each_id(table: Table, values: dict[str, list], n: int, rows: _Rows) -> list[int]:
    """Indexes of the rows to load: problem-free, and the first of their id among those."""
    ids = values[table.id_column]
    seen: set[str] = set()
    keep: list[int] = []
    for i in range(n):
        if i in rows.held_back:
            continue
        if ids[i] in seen:
            rows.add_cell(i, table.id_column, Reason.DUPLICATE_ID)
            continue
        seen.add(ids[i])
        keep.append(i)
    return keep


def _stored_columns(table: Table, values: dict[str, list], keep: list[int]) -> dict[str, list]:
    data: dict[str, list] = {}
    for column in table.stored_columns:
        given = values.get(column.name)
        picked = [given[i] for i in keep] if given is not None else [None] * len(keep)
        if column.type is ColType.TIMESTAMP:
            data[column.name] = [v[0] if v else None for v in picked]
            data[has_time_column(column.name)] = [v[1] if v else None for v in picked]
        else:
            data[column.name] = picked
    return data


def _remember(table: Table, values: dict[str, list], keep: list[int], ctx: Context) -> None:
    """Record which ids were loaded or held back, for the tables that refer to this one."""
    ids = values[table.id_column]
    loaded = {ids[i] for i in keep}
    ctx.loaded_ids[table.name] = loaded
    ctx.quarantined_ids[table.name] = {v for v in ids if v is not None} - loaded
    if table.name == "measures" and "case_id" in values:
        ctx.measure_case = {ids[i]: values["case_id"][i] for i in keep}
