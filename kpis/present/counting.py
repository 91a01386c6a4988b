""""Sådan tælles det": how a key figure is counted, in plain Danish, generated from its definition.

Every sentence is built from the validated YAML (source, filter, start, completion, due rules per
regime, condition), the data model's Danish column labels and the expression language's function
docs, so the explanation a committee member reads cannot drift from what the engine computes.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpis.data.schema import TABLES
from kpis.present.formatting import format_date_da, format_number_da
from kpis.present.tiles import format_value, rounded
from kpis.rules.definitions import (
    CountKpi,
    DeadlineKpi,
    Direction,
    DurationKpi,
    ShareKpi,
    Unit,
)
from kpis.rules.expressions import DOMAIN_FUNCTIONS, FUNCTIONS, Call, ColumnRef, parse, walk
from kpis.rules.regime import BARNETS_LOV_START, Regime
from kpis.rules.sources import CASE_COLUMNS, SOURCES

_CASE_LABELS = {"team": "sagens team", "caseworker": "sagens sagsbehandler",
                "birth_date": "barnets fødselsdato"}
# Columns of derived sources that kpis.rules.sources does not explain (yet).
_DERIVED_FALLBACK = {"year_start": "anbringelsesårets første dag",
                     "year_end": "anbringelsesårets sidste dag",
                     "year_no": "anbringelsesårets nummer"}
REGIME_SPAN_DA = {
    Regime.BARNETS_LOV: f"Barnets Lov (fra {format_date_da(BARNETS_LOV_START)})",
    Regime.SEL: "Serviceloven (før 2024)",
}


@dataclass(frozen=True)
class Line:
    label: str
    text: str


def column_label(source: str, column: str) -> str:
    """The Danish meaning of a column of a KPI's source."""
    src = SOURCES.get(source)
    if src is not None:
        derived = dict(src.derived)
        if column in derived:
            return derived[column]
    if column in CASE_COLUMNS:
        return _CASE_LABELS[column]
    if column in _DERIVED_FALLBACK:
        return _DERIVED_FALLBACK[column]
    if source in TABLES and TABLES[source].has(column):
        return TABLES[source].column(column).label_da.lower()
    for table in TABLES.values():  # derived sources reuse the canonical tables' columns
        if table.has(column):
            return table.column(column).label_da.lower()
    return column


def _field(source: str, column: str) -> str:
    return f"{column_label(source, column)} (`{column}`)"


def _source_label(source: str) -> str:
    src = SOURCES.get(source)
    return (src.label_da if src else source).lower()


def expression_glossary(source: str, text: str) -> str:
    """The fields and functions an expression uses, each with its Danish meaning."""
    parts: list[str] = []
    seen: set[str] = set()
    for node in walk(parse(text)):
        if isinstance(node, ColumnRef) and node.name not in seen:
            seen.add(node.name)
            parts.append(f"`{node.name}` = {column_label(source, node.name)}")
        elif isinstance(node, Call) and node.name not in seen:
            seen.add(node.name)
            doc = (FUNCTIONS[node.name].doc if node.name in FUNCTIONS
                   else DOMAIN_FUNCTIONS.get(node.name, (0, node.name))[1])
            parts.append(f"`{node.name}(…)` = {doc}")
    return "; ".join(parts)


def _expression(source: str, text: str) -> str:
    glossary = expression_glossary(source, text)
    return f"`{' '.join(text.split())}`" + (f" ({glossary})" if glossary else "")


def due_rules_text(kpi: DeadlineKpi, regime: Regime, plain: bool = False) -> str:
    """The due rules of one regime; ``plain`` (for the committee) names each conditional rule by
    its label, never by its ``when`` expression."""
    rules = kpi.spec.due.rules(regime)
    name_of = (lambda c: column_label(kpi.spec.source, c)) if plain else str
    if len(rules) == 1:
        return rules[0].describe_da(name_of)
    parts = []
    for rule in rules:
        if plain:
            parts.append(rule.describe_da(name_of))
        elif rule.when:
            parts.append(f"hvis `{' '.join(rule.when.split())}`: {rule.describe_da()}")
        else:
            parts.append(f"ellers: {rule.describe_da()}")
    return "; ".join(parts)


def _regime_line(field, column: str) -> Line:
    return Line("Hvilken lov", (
        f"Barnets Lov, når {field(column)} er {format_date_da(BARNETS_LOV_START)} "
        "eller senere, ellers Serviceloven"))


def legal_basis_lines(kpi) -> list[Line]:
    out = []
    for regime in (Regime.BARNETS_LOV, Regime.SEL):
        basis = kpi.legal_basis.for_regime(regime)
        if basis:
            out.append(Line(REGIME_SPAN_DA[regime], basis))
    return out


def _target_value(kpi, value: float) -> str:
    return format_value(rounded(value, kpi.unit), kpi.unit)


def _distance(kpi, value: float) -> str:
    if kpi.unit is Unit.PERCENT:
        return f"{format_number_da(value * 100, 1)} procentpoint"
    return _target_value(kpi, value)


def goal_lines(kpi) -> list[Line]:
    out = []
    steps = kpi.target
    if steps:
        if len(steps) == 1:
            out.append(Line("Mål", _target_value(kpi, steps[0].value)))
        else:
            out.append(Line("Mål", "; ".join(
                f"fra {format_date_da(s.from_)}: {_target_value(kpi, s.value)}" for s in steps)))
    if steps and kpi.thresholds:
        side = "under" if kpi.direction is Direction.HIGHER_IS_BETTER else "over"
        t = kpi.thresholds
        green = ("på eller bedre end målet" if t.green == 0
                 else f"højst {_distance(kpi, t.green)} {side} målet")
        out.append(Line("Trafiklys", (
            f"● Grøn: {green}; ▲ Gul: højst {_distance(kpi, t.yellow)} {side} målet; "
            "■ Rød: længere fra målet")))
    better = "højere" if kpi.direction is Direction.HIGHER_IS_BETTER else "lavere"
    if steps:
        out.append(Line("Retning", f"et {better} tal er bedre"))
    if kpi.reference:
        r = kpi.reference
        out.append(Line("Landsplan", f"{_target_value(kpi, r.value)} ({r.year}; {r.source})"))
    return out


class _Words:
    """How one KPI's fields and expressions are named: for analysts with the column and the
    expression itself, for the committee (``plain``) only in Danish words (``rule_da``)."""

    def __init__(self, kpi, plain: bool):
        self.kpi, self.source, self.plain = kpi, kpi.spec.source, plain

    def field(self, column: str) -> str:
        if self.plain:
            return f"»{column_label(self.source, column)}«"
        return _field(self.source, column)

    def where(self) -> str:
        """The filter as a clause of "Hvad tælles" (the committee reads it in ``rule_da``)."""
        f = self.kpi.spec.filter
        return f", kun hvor {_expression(self.source, f)}" if f and not self.plain else ""

    def what(self, generated: str) -> Line:
        if self.plain and self.kpi.rule_da:
            return Line("Hvad tælles", " ".join(self.kpi.rule_da.split()))
        return Line("Hvad tælles", generated + self.where())


def _deadline_lines(kpi: DeadlineKpi, w: _Words) -> list[Line]:
    s = kpi.spec
    lines = [w.what(f"hver række i {_source_label(s.source)}")]
    lines.append(Line("Fristen regnes fra", w.field(s.start)))
    lines.append(Line("Overholdt, når", f"{w.field(s.completion)} ligger senest på fristen"))
    for regime in (Regime.BARNETS_LOV, Regime.SEL):
        lines.append(Line(f"Frist efter {REGIME_SPAN_DA[regime]}",
                          due_rules_text(kpi, regime, w.plain)))
    lines.append(_regime_line(w.field, s.regime_date))
    lines.append(Line("Periode", (
        "et sagstrin tæller i den periode, hvor udfaldet blev kendt: afslutningsdatoen, hvis det "
        "blev gjort til tiden, ellers fristdatoen. Et sagstrin, der stadig er åbent efter "
        "fristen, tæller som for sent. Et åbent sagstrin, hvis frist ikke er nået, tæller ikke "
        "med, men vises som \"afventer\".")))
    if s.ends_on:
        lines.append(Line("Udeladt", f"når {w.field(s.ends_on)} ligger før fristen, og "
                          "trinnet ikke blev gennemført"))
    if s.closed_by:
        when = ("ligger på eller efter fristen" if s.ends_on
                else "er passeret, og fristen også")
        lines.append(Line("Ikke længere åben", (
            f"når {w.field(s.closed_by)} {when}, og trinnet ikke blev "
            "gennemført: det tæller som for sent, men ingen kan nå det længere, så det står "
            "ikke som overskredet og åbent og ikke på fristoversigten")))
    lines.append(Line("Andel", "gjort til tiden ÷ (gjort til tiden + for sent)"))
    return lines


def _share_lines(kpi: ShareKpi, w: _Words) -> list[Line]:
    s = kpi.spec
    in_period = f"{w.field(s.event_date)} ligger i perioden"
    lines = [w.what(f"rækker i {_source_label(s.source)}, hvor {in_period}")]
    if w.plain:  # rule_da says what meets the requirement
        lines.append(Line("Periode", f"tæller i den periode, hvor {w.field(s.event_date)} ligger"))
    else:
        lines.append(Line("Opfylder kravet, når", _expression(s.source, s.condition)))
    if s.regime_date:
        lines.append(_regime_line(w.field, s.regime_date))
    lines.append(Line("Andel", "rækker, der opfylder kravet ÷ alle talte rækker"))
    return lines


def _count_lines(kpi: CountKpi, w: _Words) -> list[Line]:
    s = kpi.spec
    if s.event_date:
        lines = [w.what(f"antal rækker i {_source_label(s.source)}, hvor "
                        f"{w.field(s.event_date)} ligger i perioden")]
    else:
        until = f" og før {w.field(s.open_until)}" if s.open_until else ""
        lines = [w.what(
            f"rækker i {_source_label(s.source)}, der er åbne på periodens sidste dag (eller på "
            f"opgørelsesdatoen, hvis den er tidligere): fra {w.field(s.open_from)}{until}")]
    if s.per:
        lines.append(Line("Divideret med", f"antallet af forskellige værdier af {w.field(s.per)}"))
    return lines


def _duration_lines(kpi: DurationKpi, w: _Words) -> list[Line]:
    s = kpi.spec
    return [
        w.what(f"rækker i {_source_label(s.source)} afsluttet i perioden"),
        Line("Varighed", f"antal dage fra {w.field(s.start)} til {w.field(s.end)}"),
        Line("Tallet", "medianen (halvdelen tog kortere tid); 90 %-fraktilen står ved siden af"),
    ]


def how_counted(kpi, *, plain: bool = False) -> list[Line]:
    """The counting rule of one KPI, line by line, followed by its goal and traffic light.

    ``plain`` is what the committee reads (the KPI page, the meeting papers, the catalogue): Danish
    words only, the filter and condition replaced by ``rule_da``. Without it the lines also name
    the columns and quote the expressions, for the analysts who maintain the definitions.
    """
    w = _Words(kpi, plain)
    if isinstance(kpi, DeadlineKpi):
        lines = _deadline_lines(kpi, w)
    elif isinstance(kpi, ShareKpi):
        lines = _share_lines(kpi, w)
    elif isinstance(kpi, CountKpi):
        lines = _count_lines(kpi, w)
    elif isinstance(kpi, DurationKpi):
        lines = _duration_lines(kpi, w)
    else:  # pragma: no cover - the four kinds are a closed vocabulary
        raise TypeError(f"ukendt slags nøgletal: {type(kpi).__name__}")
    return lines + goal_lines(kpi)


def as_plain_text(lines: list[Line]) -> str:
    """One paragraph per line, without Markdown: for the PDF and the workbook."""
    return "\n".join(f"{ln.label}: {ln.text.replace('`', '')}" for ln in lines)
