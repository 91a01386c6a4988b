"""The expression language: parse, check against columns and the function allowlist, render safely."""

from datetime import date

import pytest

from kpis.rules import expressions as ex

COLUMNS = frozenset({"notifier_type", "acute_action", "goals_total", "goals_measurable",
                     "decided_on", "aware_on"})


def render(text: str) -> tuple[str, dict]:
    params: dict = {}
    sql = ex.Renderer(lambda n: f'"{n}"', params, "p", {
        "interview_between": lambda a: f"IB({a[0]}, {a[1]})"}).render(ex.parse(text))
    return sql, params


@pytest.mark.parametrize(
    ("text", "sql", "params"),
    [
        ("notifier_type = 'professional'", '("notifier_type" = $p0)', {"p0": "professional"}),
        ("NOT acute_action", '(NOT "acute_action")', {}),
        ("goals_total >= 1 AND goals_measurable = goals_total",
         '(("goals_total" >= $p0) AND ("goals_measurable" = "goals_total"))', {"p0": 1}),
        ("notifier_type IN ('private', 'anonymous')",
         '("notifier_type" IN ($p0, $p1))', {"p0": "private", "p1": "anonymous"}),
        ("notifier_type NOT IN ('other')", '("notifier_type" NOT IN ($p0))', {"p0": "other"}),
        ("decided_on IS NOT NULL", '("decided_on" IS NOT NULL)', {}),
        ("decided_on >= date '2024-01-01'", '("decided_on" >= CAST($p0 AS DATE))',
         {"p0": "2024-01-01"}),
        ("coalesce(acute_action, false)", 'coalesce("acute_action", FALSE)', {}),
        ("add_months(decided_on, -6) <= aware_on",
         '(add_months_clamped(CAST("decided_on" AS DATE), (-$p0)) <= "aware_on")', {"p0": 6}),
        ("interview_between(aware_on, decided_on)", 'IB("aware_on", "decided_on")', {}),
        ("goals_total BETWEEN 1 AND 3", '("goals_total" BETWEEN $p0 AND $p1)', {"p0": 1, "p1": 3}),
    ],
)
def test_render_binds_every_literal(text, sql, params):
    assert render(text) == (sql, params)


@pytest.mark.parametrize(
    "hostile",
    [
        "notifier_type = 'x'' OR 1=1 --'",
        "notifier_type = '); DROP TABLE cases; --'",
    ],
)
def test_hostile_strings_stay_values(hostile):
    sql, params = render(hostile)
    assert sql == '("notifier_type" = $p0)'
    assert "DROP" not in sql and "OR 1=1" not in sql
    assert len(params) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("notifer_type = 'x'", ["ukendt kolonne 'notifer_type' — mente du 'notifier_type'?"]),
        ("read_csv('x') = 1", ["funktionen 'read_csv' er ikke tilladt"]),
        ("coalesce() = 1", ["coalesce() tager 1-9 argumenter"]),
        ("interview_between(aware_on)", ["interview_between() tager 2 argumenter"]),
        ("cases.case_id = 1", None),  # a dot is not part of the language
    ],
)
def test_check_reports_problems(text, expected):
    if expected is None:
        with pytest.raises(ex.ExpressionError):
            ex.parse(text)
        return
    assert ex.check(ex.parse(text), COLUMNS) == expected


@pytest.mark.parametrize("text", ["", "a =", "(a = 1", "a = 1)", "SELECT 1", "a ; b", "date 'x'"])
def test_syntax_errors_are_reported(text):
    with pytest.raises(ex.ExpressionError):
        ex.parse(text)


def test_subqueries_cannot_be_written():
    with pytest.raises(ex.ExpressionError):
        ex.parse("goals_total IN (SELECT 1)")


def test_date_literal():
    assert ex.parse("date '2024-02-29'") == ex.Literal(date(2024, 2, 29))
