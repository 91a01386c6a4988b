"""Validation of a KPI definitions file: every problem at once, each with file, line, KPI and field.

Three passes: YAML and structure (pydantic, one KPI at a time so one broken KPI does not hide the
others' problems), meaning against the data model (sources, columns, expressions, due rules), and
a dry run of every compiled query on the canonical schema holding two sample rows per table, so
that every expression and due rule is evaluated (numbers also have ranges: docs/kpi-definitions.md).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from kpis.data.schema import ColType
from kpis.rules import expressions as ex
from kpis.rules import yaml_loader
from kpis.rules.definitions import (
    KIND_SPEC_FIELD,
    CountKpi,
    CountSpec,
    DeadlineKpi,
    DeadlineSpec,
    DueRule,
    DurationKpi,
    DurationSpec,
    Kind,
    KpiSet,
    ShareKpi,
    ShareSpec,
    Unit,
)
from kpis.rules.sources import SOURCES

KIND_CLASSES = {Kind.DEADLINE: DeadlineKpi, Kind.SHARE: ShareKpi, Kind.COUNT: CountKpi,
                Kind.DURATION: DurationKpi}
KIND_UNITS = {Kind.DEADLINE: {Unit.PERCENT}, Kind.SHARE: {Unit.PERCENT},
              Kind.COUNT: {Unit.COUNT, Unit.RATIO}, Kind.DURATION: {Unit.DAYS}}
DATED = (ColType.DATE, ColType.TIMESTAMP)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    kpi: str | None
    field: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}" + (f", linje {self.line}" if self.line else "")
        who = f" [{self.kpi}]" if self.kpi else ""
        fld = f" {self.field}:" if self.field else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{who}{fld} {self.message}{hint}"


class KpiDefinitionError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def parse_yaml(text: str, file: str) -> tuple[object, list[Problem]]:
    """(document, []) or (None, [the syntax error, with its line]): shared by every YAML file
    an analyst edits, so a syntax error reads the same in each."""
    try:
        return yaml_loader.load(text), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [Problem(file, mark.line + 1 if mark else None, None, "",
                              f"YAML kan ikke læses: {problem}")]


def check_top_keys(col, doc: dict, keys: tuple[str, ...]) -> None:
    """An unknown top-level key (with the nearest known one) and a version other than 1."""
    for key in doc:
        if key not in keys:
            near = ex.nearest(str(key), set(keys))
            col.add((key,), None, f"ukendt felt {key!r}", f"mente du {near!r}?" if near else "")
    if doc.get("version", 1) != 1:
        col.add(("version",), None, f"ukendt version {doc.get('version')!r}", "brug version: 1")


def field_path(loc: tuple) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _model_for_path(model: type[BaseModel], path: tuple) -> type[BaseModel] | None:
    """The pydantic model that holds the last key of ``path`` (for 'did you mean' hints)."""
    current: type[BaseModel] | None = model
    for step in path:
        if current is None:
            return None
        if isinstance(step, int):
            continue
        fld = current.model_fields.get(step) or next(
            (f for f in current.model_fields.values() if f.alias == step), None)
        if fld is None:
            return None
        current = _first_model(fld.annotation)
    return current


def _first_model(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation) or ():
        found = _first_model(arg)
        if found:
            return found
    if get_origin(annotation) is None:
        return None
    return None


def _keys(model: type[BaseModel]) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items()}


class Collector:
    def __init__(self, file: str, doc):
        self.file = file
        self.doc = doc
        self.problems: list[Problem] = []

    def add(self, path: tuple, kpi: str | None, message: str, hint: str = "") -> None:
        line = yaml_loader.line_of(self.doc, path) if self.doc is not None else None
        field = field_path(path[2:]) if len(path) > 2 and path[0] == "kpis" else field_path(path)
        self.problems.append(Problem(self.file, line, kpi, field, message, hint))


_PYDANTIC_DA = {
    "missing": "mangler",
    "string_type": "skal være tekst",
    "int_type": "skal være et heltal",
    "int_parsing": "skal være et heltal",
    "float_type": "skal være et tal",
    "float_parsing": "skal være et tal",
    "bool_type": "skal være true eller false",
    "bool_parsing": "skal være true eller false",
    "date_from_datetime_parsing": "skal være en dato (ÅÅÅÅ-MM-DD)",
    "date_parsing": "skal være en dato (ÅÅÅÅ-MM-DD)",
    "date_type": "skal være en dato (ÅÅÅÅ-MM-DD)",
    "enum": "har en ukendt værdi",
    "literal_error": "har en ukendt værdi",
    "string_pattern_mismatch": "skal være snake_case (små bogstaver, tal og _)",
    "string_too_short": "er for kort",
    "int_from_float": "skal være et heltal",
    "finite_number": "skal være et endeligt tal",
    "model_type": "skal være en samling af felter",
    "dict_type": "skal være en samling af felter",
    "tuple_type": "skal være en liste",
}


# pydantic's range errors: the key of the limit in the error's context, and how it reads.
_LIMITS = {
    "greater_than_equal": ("ge", "for lille; mindst"),
    "greater_than": ("gt", "for lille; skal være over"),
    "less_than_equal": ("le", "for stort; højst"),
    "less_than": ("lt", "for stort; skal være under"),
}


def message_da(error: dict) -> str:
    """One pydantic error in Danish (a value out of range says the limit)."""
    typ = error["type"]
    if typ in _LIMITS:
        key, words = _LIMITS[typ]
        return f"{error.get('input')} er {words} {error.get('ctx', {}).get(key)}"
    return _PYDANTIC_DA.get(typ, error["msg"])


def pydantic_problems(col: Collector, err: ValidationError, base: tuple, kpi_id, model) -> None:
    errors = []
    for e in err.errors():
        loc = tuple(x for x in e["loc"] if not (isinstance(x, str) and x in ("DueRule",)))
        # Drop union-branch names pydantic inserts (e.g. 'tuple[DueRule, ...]').
        loc = tuple(x for x in loc if not (isinstance(x, str) and ("[" in x or x == "function-after")))
        errors.append((loc, e))
    for loc, e in errors:
        # A due rule is one rule or a list of them: when the one rule has a wrong field, the
        # list branch's "must be a list" at the same place is noise.
        if e["type"] == "tuple_type" and any(o[:len(loc)] == loc and len(o) > len(loc)
                                             for o, _ in errors):
            continue
        path = base + loc
        typ = e["type"]
        if typ == "extra_forbidden":
            parent = _model_for_path(model, loc[:-1])
            valid = _keys(parent) if parent else set()
            near = ex.nearest(str(loc[-1]), valid) if valid else None
            col.add(path, kpi_id, f"ukendt felt {loc[-1]!r}",
                    f"mente du {near!r}?" if near else
                    (f"gyldige felter: {', '.join(sorted(valid))}" if valid else ""))
        elif typ in ("enum", "literal_error"):
            expected = e.get("ctx", {}).get("expected", "")
            col.add(path, kpi_id, f"ukendt værdi {e.get('input')!r}", f"gyldige: {expected}")
        elif typ in _LIMITS:
            col.add(path, kpi_id, message_da(e), "se de tilladte områder i docs/kpi-definitions.md")
        elif typ in ("value_error", "assertion_error"):
            msg = str(e.get("ctx", {}).get("error", e["msg"]))
            col.add(path, kpi_id, msg)
        else:
            col.add(path, kpi_id, _PYDANTIC_DA.get(typ, e["msg"]))


def _check_semantics(col: Collector, kpi, base: tuple) -> None:
    if kpi.unit not in KIND_UNITS[kpi.kind]:
        col.add(base + ("unit",), kpi.id, f"enheden {kpi.unit.value!r} passer ikke til "
                f"typen {kpi.kind.value!r}",
                "brug " + " eller ".join(sorted(u.value for u in KIND_UNITS[kpi.kind])))
    if kpi.target and kpi.thresholds is None:
        col.add(base + ("thresholds",), kpi.id, "et mål kræver tærskler for grøn og gul",
                "fx thresholds: {green: 0.0, yellow: 0.10}")
    _check_spec(col, kpi.kind, kpi.spec, base, kpi.id)
    _check_plain_rule(col, kpi, base)


RULE_DA_EXAMPLE = ("rule_da: Afsluttede børnefaglige undersøgelser, hvor forældrenes kompetencer "
                   "er vurderet.")
_CODE_MARKS = ("`", "=", "<", ">")


def _check_plain_rule(col: Collector, kpi, base: tuple) -> None:
    """Committee views never show an expression: a rule that uses one needs its words in
    ``rule_da`` (and each conditional deadline a ``label``), and those words hold no code."""
    spec, sp = kpi.spec, base + (KIND_SPEC_FIELD[kpi.kind],)
    uses_expression = bool(spec.filter or getattr(spec, "condition", None))
    if kpi.kind is Kind.DEADLINE:
        for regime_name in ("sel", "barnets_lov"):
            rules = getattr(spec.due, regime_name)
            for i, rule in enumerate((rules,) if isinstance(rules, DueRule) else rules):
                if rule.when and not rule.label:
                    index = () if isinstance(rules, DueRule) else (i,)
                    col.add(sp + ("due", regime_name) + index + ("label",), kpi.id,
                            "mangler: en fristregel med 'when' skal have en label på almindeligt "
                            "dansk, som udvalget læser i stedet for udtrykket")
    if uses_expression and not kpi.rule_da:
        col.add(base + ("rule_da",), kpi.id,
                "mangler: reglen bruger et udtryk, og udvalget skal kunne læse den på "
                "almindeligt dansk", f"fx {RULE_DA_EXAMPLE}")
    source = SOURCES.get(spec.source)
    if kpi.rule_da and source is not None:
        words = set(kpi.rule_da.replace(",", " ").replace(".", " ").split())
        code = [m for m in _CODE_MARKS if m in kpi.rule_da] + sorted(
            w for w in words if "_" in w and w in source.columns)
        if code:
            col.add(base + ("rule_da",), kpi.id,
                    "skal være almindeligt dansk uden feltnavne og udtryk (fandt "
                    + ", ".join(repr(c) for c in code) + ")", RULE_DA_EXAMPLE)


SPEC_CLASSES = {Kind.DEADLINE: DeadlineSpec, Kind.SHARE: ShareSpec, Kind.COUNT: CountSpec,
                Kind.DURATION: DurationSpec}


def _check_spec_alone(col: Collector, kind: Kind, raw, base: tuple, kpi_id) -> None:
    """When a KPI fails elsewhere, its kind's rule is still checked against the data model."""
    try:
        spec = SPEC_CLASSES[kind].model_validate(raw)
    except ValidationError:
        return  # its own problems were already reported with the KPI's
    _check_spec(col, kind, spec, base, kpi_id)


def _check_spec(col: Collector, kind: Kind, spec, base: tuple, kpi_id) -> None:
    sp = base + (KIND_SPEC_FIELD[kind],)
    source = SOURCES.get(spec.source)
    if source is None:
        near = ex.nearest(spec.source, SOURCES)
        col.add(sp + ("source",), kpi_id, f"ukendt kilde {spec.source!r}",
                f"mente du {near!r}?" if near else f"gyldige: {', '.join(sorted(SOURCES))}")
        return
    cols = source.columns

    def column(fieldname: str, name: str | None, *, dated: bool = False, path=None) -> None:
        if name is None:
            return
        path = path or sp + (fieldname,)
        if name not in cols:
            near = ex.nearest(name, cols)
            col.add(path, kpi_id, f"ukendt kolonne {name!r} i kilden {source.name!r}",
                    f"mente du {near!r}?" if near else "")
        elif dated and cols[name] not in DATED:
            col.add(path, kpi_id, f"kolonnen {name!r} er ikke en dato")

    def expression(fieldname: str, text: str | None, path=None) -> None:
        if text is None:
            return
        path = path or sp + (fieldname,)
        try:
            node = ex.parse(text)
        except ex.ExpressionError as exc:
            col.add(path, kpi_id, f"kan ikke læse udtrykket: {exc}",
                    f"ved tegn {exc.position}" if exc.position is not None else "")
            return
        for msg in ex.check(node, frozenset(cols) | {"regime"}):
            col.add(path, kpi_id, msg)
        if any(isinstance(n, ex.Call) and n.name in ex.DOMAIN_FUNCTIONS for n in ex.walk(node)) \
                and not source.has_case:
            col.add(path, kpi_id, "interview_between() kræver en kilde med sager (case_id)")

    expression("filter", spec.filter)
    column("regime_date", getattr(spec, "regime_date", None), dated=True)
    if kind is Kind.DEADLINE:
        column("start", spec.start, dated=True)
        column("completion", spec.completion, dated=True)
        column("ends_on", spec.ends_on, dated=True)
        column("closes_on", spec.closes_on, dated=True)
        for regime_name in ("sel", "barnets_lov"):
            rules = getattr(spec.due, regime_name)
            rule_list = (rules,) if isinstance(rules, DueRule) else rules
            for i, rule in enumerate(rule_list):
                rp = sp + ("due", regime_name) + ((i,) if not isinstance(rules, DueRule) else ())
                column("column", rule.column, dated=True, path=rp + ("column",))
                column("or_earlier", rule.or_earlier, dated=True, path=rp + ("or_earlier",))
                expression("when", rule.when, path=rp + ("when",))
                last = i == len(rule_list) - 1
                if last and rule.when:
                    col.add(rp + ("when",), kpi_id, "den sidste fristregel må ikke have 'when'",
                            "den gælder for alle øvrige enheder")
                if not last and not rule.when:
                    col.add(rp, kpi_id, "kun den sidste fristregel må mangle 'when'")
                if rule.hours is not None and spec.start in cols \
                        and cols[spec.start] is not ColType.TIMESTAMP:
                    col.add(rp + ("hours",), kpi_id,
                            f"en frist i timer kræver et tidspunkt; {spec.start!r} er en dato")
    elif kind is Kind.SHARE:
        column("event_date", spec.event_date, dated=True)
        expression("condition", spec.condition)
    elif kind is Kind.COUNT:
        column("event_date", spec.event_date, dated=True)
        column("open_from", spec.open_from, dated=True)
        column("open_until", spec.open_until, dated=True)
        column("per", spec.per)
    elif kind is Kind.DURATION:
        column("start", spec.start, dated=True)
        column("end", spec.end, dated=True)


# The dry run's two sample cases: one under each regime (SEL before 2024, Barnets Lov after).
_SAMPLE_DAYS = (date(2023, 3, 15), date(2024, 3, 15))


def _sample_value(column, row: int, day: date):
    """One row's value for a column: every text is the row's own id, so references join up."""
    from datetime import datetime, time

    if column.type is ColType.TEXT:
        return f"prøve{row}"
    if column.type is ColType.ENUM:
        return column.values[0] if column.values else f"prøve{row}"
    if column.type is ColType.DATE:
        return day
    if column.type is ColType.TIMESTAMP:
        return datetime.combine(day, time(10, 0))
    if column.type is ColType.BOOL:
        return True
    return 1


def _insert_samples(conn) -> None:
    """Two rows in every canonical table, so that every expression and due rule is evaluated
    (an empty table computes nothing, and a due date out of range would pass unnoticed)."""
    from kpis.data.schema import TABLES, has_time_column, quote_ident

    for t in TABLES.values():
        names, rows = [], [[] for _ in _SAMPLE_DAYS]
        for c in t.stored_columns:
            names.append(c.name)
            for i, day in enumerate(_SAMPLE_DAYS):
                rows[i].append(_sample_value(c, i + 1, day))
            if c.type is ColType.TIMESTAMP:
                names.append(has_time_column(c.name))
                for row in rows:
                    row.append(True)
        columns = ", ".join(quote_ident(n) for n in names)
        marks = ", ".join("?" for _ in names)
        conn.executemany(f"INSERT INTO {quote_ident(t.name)} ({columns}) VALUES ({marks})", rows)


def _dry_run(col: Collector, kpis: list, bases: dict[str, tuple]) -> None:
    """Compile every KPI and run it on a database with the canonical schema and sample rows."""
    import duckdb

    from kpis.compute.compile import DIMENSIONS, compile_aggregate
    from kpis.compute.external import create_sample_findings
    from kpis.compute.periods import parse_period
    from kpis.data.schema import TABLES, create_table_sql
    from kpis.rules.calendar_sql import install_calendar
    from kpis.settings import default_settings

    conn = duckdb.connect(":memory:")
    try:
        for t in TABLES.values():
            conn.execute(create_table_sql(t))
        _insert_samples(conn)
        create_sample_findings(conn)
        install_calendar(conn, default_settings())
        for kpi in kpis:
            try:
                q = compile_aggregate(kpi, [parse_period("2024-Q1")], DIMENSIONS[:2],
                                      date(2024, 6, 30))
                conn.execute(q.sql, q.params).fetchall()
            except Exception as exc:  # noqa: BLE001 - every failure is reported as a problem
                first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
                col.add(bases[kpi.id] + (KIND_SPEC_FIELD[kpi.kind],), kpi.id,
                        f"prøvekørsel på eksempeldata fejlede: {first_line}",
                        "et udtryk eller en fristregel kan ikke beregnes på data")
    finally:
        conn.close()


def validate_text(text: str, file: str = "kpis.yaml", *, dry_run: bool = True):
    """(KpiSet or None, problems). The set is returned only when there are no problems."""
    doc, problems = parse_yaml(text, file)
    if problems:
        return None, problems
    col = Collector(file, doc)
    if not isinstance(doc, dict) or not isinstance(doc.get("kpis"), list):
        col.add((), None, "filen skal have en liste 'kpis:'")
        return None, col.problems
    check_top_keys(col, doc, ("version", "kpis"))

    valid: list = []
    bases: dict[str, tuple] = {}
    seen: dict[str, int] = {}
    for i, raw in enumerate(doc["kpis"]):
        base = ("kpis", i)
        if not isinstance(raw, dict):
            col.add(base, None, "hvert nøgletal skal være en samling af felter")
            continue
        kpi_id = raw.get("id") if isinstance(raw.get("id"), str) else None
        if kpi_id is not None:
            if kpi_id in seen:
                col.add(base + ("id",), kpi_id, f"id'et {kpi_id!r} findes allerede",
                        f"første gang i nøgletal nr. {seen[kpi_id] + 1}")
            seen.setdefault(kpi_id, i)
        kind_raw = raw.get("kind")
        try:
            kind = Kind(kind_raw)
        except ValueError:
            near = ex.nearest(str(kind_raw), [k.value for k in Kind])
            col.add(base + ("kind",), kpi_id,
                    "mangler" if kind_raw is None else f"ukendt type {kind_raw!r}",
                    f"mente du {near!r}?" if near else
                    f"gyldige: {', '.join(k.value for k in Kind)}")
            continue
        model = KIND_CLASSES[kind]
        spec_field = KIND_SPEC_FIELD[kind]
        for other_kind, other_field in KIND_SPEC_FIELD.items():
            if other_kind is not kind and other_field in raw:
                col.add(base + (other_field,), kpi_id,
                        f"feltet {other_field!r} hører til typen {other_kind.value!r}",
                        f"typen er {kind.value!r}: brug {spec_field!r}")
        clean = {k: v for k, v in raw.items()
                 if not (k in KIND_SPEC_FIELD.values() and k != spec_field)}
        try:
            kpi = model.model_validate(clean)
        except ValidationError as err:
            pydantic_problems(col, err, base, kpi_id, model)
            _check_spec_alone(col, kind, clean.get(spec_field), base, kpi_id)
            continue
        before = len(col.problems)
        _check_semantics(col, kpi, base)
        if len(col.problems) == before and kpi_id not in bases:
            valid.append(kpi)
            bases[kpi.id] = base
    if not col.problems and dry_run:
        _dry_run(col, valid, bases)
    if col.problems:
        return None, col.problems
    return KpiSet(tuple(valid), source_text=text, path=file), []


def load_and_validate(path) -> KpiSet:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KpiDefinitionError([Problem(str(path), None, None, "", f"kan ikke læses: {exc}")])
    kpiset, problems = validate_text(text, str(path))
    if problems:
        raise KpiDefinitionError(problems)
    return kpiset


def cli_validate(path: Path) -> int:
    path = Path(path)
    if not path.exists():
        print(f"{path}: filen findes ikke", file=sys.stderr)
        return 2
    if path.is_dir():
        print(f"{path} er en mappe; angiv definitionsfilen (fx config/kpis.yaml)", file=sys.stderr)
        return 2
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{path} kan ikke læses som UTF-8-tekst: {exc}", file=sys.stderr)
        return 2
    kpiset, problems = validate_text(text, str(path))
    if problems:
        print(f"{len(problems)} problem(er) i {path}:")
        for p in problems:
            print(f"  - {p}")
        return 1
    print(f"{path}: {len(kpiset)} nøgletal, ingen problemer.")
    return 0
