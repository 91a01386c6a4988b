"""The small expression language of KPI filters and conditions.

Analysts write expressions such as ``notifier_type = 'professional' AND NOT acute_action``. They are
parsed here into a tree, checked against the columns of the KPI's source and an allowlist of
functions, and rendered to DuckDB SQL in which every literal becomes a bound parameter and every
column goes through the one quoting helper. Nothing an analyst types reaches SQL as text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from kpis.rules.definitions import MAX_MONTHS


class ExpressionError(ValueError):
    """A problem in an expression; ``position`` is the character offset where it was found."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.position = position


# --- the tree -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: object  # str, int, float, bool, date or None


@dataclass(frozen=True)
class ColumnRef:
    name: str
    position: int


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    position: int


@dataclass(frozen=True)
class Unary:
    op: str  # "NOT" or "-"
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str  # AND OR = <> < <= > >= + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class IsNull:
    operand: Node
    negated: bool


@dataclass(frozen=True)
class InList:
    operand: Node
    items: tuple[Node, ...]
    negated: bool


@dataclass(frozen=True)
class Between:
    operand: Node
    low: Node
    high: Node


Node = Literal | ColumnRef | Call | Unary | Binary | IsNull | InList | Between


# --- functions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Function:
    """An allowlisted function: its arity and how it renders, given rendered arguments."""

    min_args: int
    max_args: int
    render: Callable[[list[str]], str]
    doc: str


def _plain(sql_name: str) -> Callable[[list[str]], str]:
    return lambda args: f"{sql_name}({', '.join(args)})"


FUNCTIONS: dict[str, Function] = {
    "coalesce": Function(1, 9, _plain("coalesce"), "første værdi der ikke er tom"),
    "least": Function(2, 9, _plain("least"), "mindste værdi"),
    "greatest": Function(2, 9, _plain("greatest"), "største værdi"),
    "lower": Function(1, 1, _plain("lower"), "små bogstaver"),
    "upper": Function(1, 1, _plain("upper"), "store bogstaver"),
    "abs": Function(1, 1, _plain("abs"), "absolut værdi"),
    "year": Function(1, 1, _plain("year"), "årstal for en dato"),
    "month": Function(1, 1, _plain("month"), "måned (1-12) for en dato"),
    "to_date": Function(1, 1, lambda a: f"CAST({a[0]} AS DATE)", "dato for et tidspunkt"),
    "days_between": Function(
        2, 2, lambda a: f"date_diff('day', CAST({a[0]} AS DATE), CAST({a[1]} AS DATE))",
        "antal dage fra første til anden dato",
    ),
    "add_months": Function(
        2, 2, lambda a: f"add_months_clamped(CAST({a[0]} AS DATE), {a[1]})",
        "dato plus et antal kalendermåneder (afkortet til månedens sidste dag)",
    ),
    "add_days": Function(
        2, 2, lambda a: f"CAST(CAST({a[0]} AS DATE) + to_days(CAST({a[1]} AS INTEGER)) AS DATE)",
        "dato plus et antal dage",
    ),
}

# Domain functions need the unit's case; the compiler supplies how they render.
DOMAIN_FUNCTIONS: dict[str, tuple[int, str]] = {
    "interview_between": (
        2,
        ("en børnesamtale afholdt, eller en undtagelse registreret, på sagen mellem to datoer "
        "(begge dage medregnet)"),
    ),
}

KEYWORDS = {"and", "or", "not", "is", "null", "in", "between", "true", "false", "date"}

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<number>\d+(?:\.\d+)?)
    | (?P<string>'(?:[^']|'')*')
    | (?P<name>[A-Za-z_æøåÆØÅ][A-Za-z0-9_æøåÆØÅ]*)
    | (?P<op><>|!=|<=|>=|=|<|>|\+|-|\*|/|\(|\)|,)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExpressionError(f"uventet tegn {text[pos:].strip()[:1]!r}", pos)
        kind = m.lastgroup or ""
        start = m.start(kind)
        toks.append(_Tok(kind, m.group(kind), start))
        pos = m.end()
    toks.append(_Tok("end", "", len(text)))
    return toks


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def _kw(self, *words: str) -> bool:
        return self.tok.kind == "name" and self.tok.text.lower() in words

    def _take(self) -> _Tok:
        t = self.tok
        self.i += 1
        return t

    def _expect_op(self, op: str) -> None:
        if self.tok.kind != "op" or self.tok.text != op:
            raise ExpressionError(f"forventede {op!r}", self.tok.pos)
        self.i += 1

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise ExpressionError("tomt udtryk", 0)
        node = self.or_()
        if self.tok.kind != "end":
            raise ExpressionError(f"uventet {self.tok.text!r}", self.tok.pos)
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self._kw("or"):
            self._take()
            node = Binary("OR", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self._kw("and"):
            self._take()
            node = Binary("AND", node, self.not_())
        return node

    def not_(self) -> Node:
        if self._kw("not"):
            self._take()
            return Unary("NOT", self.not_())
        return self.comparison()

    def comparison(self) -> Node:
        left = self.additive()
        if self.tok.kind == "op" and self.tok.text in ("=", "<>", "!=", "<", "<=", ">", ">="):
            op = self._take().text
            return Binary("<>" if op == "!=" else op, left, self.additive())
        if self._kw("is"):
            self._take()
            negated = False
            if self._kw("not"):
                self._take()
                negated = True
            if not self._kw("null"):
                raise ExpressionError("forventede NULL efter IS", self.tok.pos)
            self._take()
            return IsNull(left, negated)
        negated = False
        if self._kw("not") and self.toks[self.i + 1].text.lower() == "in":
            self._take()
            negated = True
        if self._kw("in"):
            self._take()
            self._expect_op("(")
            items = [self.additive()]
            while self.tok.kind == "op" and self.tok.text == ",":
                self._take()
                items.append(self.additive())
            self._expect_op(")")
            return InList(left, tuple(items), negated)
        if self._kw("between"):
            self._take()
            low = self.additive()
            if not self._kw("and"):
                raise ExpressionError("forventede AND i BETWEEN", self.tok.pos)
            self._take()
            return Between(left, low, self.additive())
        return left

    def additive(self) -> Node:
        node = self.multiplicative()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            node = Binary(self._take().text, node, self.multiplicative())
        return node

    def multiplicative(self) -> Node:
        node = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            node = Binary(self._take().text, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.tok.kind == "op" and self.tok.text == "-":
            self._take()
            return Unary("-", self.unary())
        return self.primary()

    def primary(self) -> Node:
        t = self.tok
        if t.kind == "number":
            self._take()
            return Literal(float(t.text) if "." in t.text else int(t.text))
        if t.kind == "string":
            self._take()
            return Literal(t.text[1:-1].replace("''", "'"))
        if t.kind == "op" and t.text == "(":
            self._take()
            node = self.or_()
            self._expect_op(")")
            return node
        if t.kind == "name":
            word = t.text.lower()
            if word in ("true", "false"):
                self._take()
                return Literal(word == "true")
            if word == "null":
                self._take()
                return Literal(None)
            if word == "date" and self.toks[self.i + 1].kind == "string":
                self._take()
                s = self._take()
                try:
                    return Literal(date.fromisoformat(s.text[1:-1]))
                except ValueError:
                    raise ExpressionError(f"ugyldig dato {s.text}", s.pos) from None
            if word in KEYWORDS:
                raise ExpressionError(f"uventet {t.text!r}", t.pos)
            self._take()
            if self.tok.kind == "op" and self.tok.text == "(":
                self._take()
                args: list[Node] = []
                if not (self.tok.kind == "op" and self.tok.text == ")"):
                    args.append(self.or_())
                    while self.tok.kind == "op" and self.tok.text == ",":
                        self._take()
                        args.append(self.or_())
                self._expect_op(")")
                return Call(t.text.lower(), tuple(args), t.pos)
            return ColumnRef(t.text, t.pos)
        raise ExpressionError("udtrykket slutter for tidligt" if t.kind == "end"
                              else f"uventet {t.text!r}", t.pos)


def parse(text: str) -> Node:
    return _Parser(text).parse()


def walk(node: Node):
    yield node
    children: tuple = ()
    if isinstance(node, Call):
        children = node.args
    elif isinstance(node, Unary):
        children = (node.operand,)
    elif isinstance(node, Binary):
        children = (node.left, node.right)
    elif isinstance(node, IsNull):
        children = (node.operand,)
    elif isinstance(node, InList):
        children = (node.operand, *node.items)
    elif isinstance(node, Between):
        children = (node.operand, node.low, node.high)
    for child in children:
        yield from walk(child)


def check(node: Node, columns: set[str] | frozenset[str]) -> list[str]:
    """Every problem in a parsed expression against the available columns, as Danish messages."""
    problems: list[str] = []
    for n in walk(node):
        if isinstance(n, ColumnRef) and n.name not in columns:
            hint = nearest(n.name, columns)
            problems.append(
                f"ukendt kolonne {n.name!r}" + (f" — mente du {hint!r}?" if hint else "")
            )
        elif isinstance(n, Call):
            if n.name in FUNCTIONS:
                f = FUNCTIONS[n.name]
                if not f.min_args <= len(n.args) <= f.max_args:
                    problems.append(f"{n.name}() tager {f.min_args}-{f.max_args} argumenter")
                elif n.name in WINDOW_LIMITS and (steps := _number(n.args[1])) is not None \
                        and not abs(steps) <= WINDOW_LIMITS[n.name][0]:
                    limit, unit = WINDOW_LIMITS[n.name]
                    problems.append(f"{n.name}(): {steps} {unit} er uden for området "
                                    f"-{limit}..{limit}")
            elif n.name in DOMAIN_FUNCTIONS:
                arity = DOMAIN_FUNCTIONS[n.name][0]
                if len(n.args) != arity:
                    problems.append(f"{n.name}() tager {arity} argumenter")
            else:
                allowed = set(FUNCTIONS) | set(DOMAIN_FUNCTIONS)
                hint = nearest(n.name, allowed)
                problems.append(
                    f"funktionen {n.name!r} er ikke tilladt"
                    + (f" — mente du {hint!r}?" if hint else "")
                )
    return problems


# How far add_months/add_days may move a date when the amount is written in the expression (a
# window such as the 6 months before a decision): the limits of the due rules' months, and ten
# years of days (docs/kpi-definitions.md, "Ranges").
WINDOW_LIMITS = {"add_months": (MAX_MONTHS, "måneder"), "add_days": (3660, "dage")}


def _number(node: Node) -> float | None:
    """The value of a numeric literal, also a negative one; None for anything else."""
    sign = 1
    if isinstance(node, Unary) and node.op == "-":
        sign, node = -1, node.operand
    if isinstance(node, Literal) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return sign * node.value
    return None


def nearest(word: str, candidates) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


class Renderer:
    """Renders a checked tree to SQL; literals become named parameters collected in ``params``."""

    def __init__(
        self,
        column_sql: Callable[[str], str],
        params: dict[str, object],
        prefix: str,
        domain: dict[str, Callable[[list[str]], str]] | None = None,
    ):
        self.column_sql = column_sql
        self.params = params
        self.prefix = prefix
        self.domain = domain or {}

    def _param(self, value: object) -> str:
        name = f"{self.prefix}{len([k for k in self.params if k.startswith(self.prefix)])}"
        self.params[name] = value
        return f"${name}"

    def render(self, node: Node) -> str:
        r = self.render
        if isinstance(node, Literal):
            if node.value is None:
                return "NULL"
            if isinstance(node.value, bool):
                return "TRUE" if node.value else "FALSE"
            if isinstance(node.value, date):
                return f"CAST({self._param(node.value.isoformat())} AS DATE)"
            return self._param(node.value)
        if isinstance(node, ColumnRef):
            return self.column_sql(node.name)
        if isinstance(node, Call):
            args = [r(a) for a in node.args]
            if node.name in FUNCTIONS:
                return FUNCTIONS[node.name].render(args)
            return self.domain[node.name](args)
        if isinstance(node, Unary):
            return f"(NOT {r(node.operand)})" if node.op == "NOT" else f"(-{r(node.operand)})"
        if isinstance(node, Binary):
            return f"({r(node.left)} {node.op} {r(node.right)})"
        if isinstance(node, IsNull):
            return f"({r(node.operand)} IS {'NOT ' if node.negated else ''}NULL)"
        if isinstance(node, InList):
            items = ", ".join(r(i) for i in node.items)
            return f"({r(node.operand)} {'NOT ' if node.negated else ''}IN ({items}))"
        if isinstance(node, Between):
            return f"({r(node.operand)} BETWEEN {r(node.low)} AND {r(node.high)})"
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover
