"""KPI definitions → DuckDB SQL, returned with their bound parameters and never run here.

Every KPI kind compiles to the same *units* relation — one row per counted thing (a case step, a
plan, a placement year …) with its dimensions, start, due, completion, status and the date that
puts it in a period. Aggregation and drill-down are both plain queries over units, so the case
steps behind a figure always add up to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from kpis.compute.periods import Period
from kpis.data.schema import ColType, has_time_column
from kpis.rules import expressions as ex
from kpis.rules.calendar import DANISH_TZ_NAME
from kpis.rules.definitions import (
    CountKpi,
    DeadlineKpi,
    DueRule,
    DurationKpi,
    Kind,
    ShareKpi,
)
from kpis.rules.regime import Regime, regime_sql
from kpis.rules.sources import SOURCES, Source, base_ctes, interview_between_sql, q

# The dimensions a figure can be broken down by; closed vocabulary (the CLI's --by).
DIMENSIONS: tuple[str, ...] = (
    "team", "caseworker", "age_band", "measure_type", "notifier_type", "regime",
)
DIMENSION_LABELS_DA = {
    "team": "Team", "caseworker": "Sagsbehandler", "age_band": "Aldersgruppe",
    "measure_type": "Indsatstype", "notifier_type": "Underretter", "regime": "Lovgrundlag",
}
UNKNOWN = "(ukendt)"
NOT_APPLICABLE = "(ikke relevant)"

# Age at the unit's start, in the bands the department reports by.
AGE_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 5, "0-5 år"), (6, 11, "6-11 år"), (12, 14, "12-14 år"), (15, 17, "15-17 år"),
    (18, None, "18 år og derover"),
)


@dataclass(frozen=True)
class SqlQuery:
    sql: str
    params: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # DuckDB refuses parameters the text does not use (e.g. $as_of once a materialised
        # table has the as-of date built in): keep exactly those the SQL names.
        used = {k: v for k, v in self.params.items() if re.search(rf"\${k}\b", self.sql)}
        object.__setattr__(self, "params", used)


def _age_band_sql(birth: str, on: str) -> str:
    years = f"date_sub('year', {birth}, {on})"
    whens = " ".join(
        f"WHEN {years} <= {hi} THEN '{label}'" if hi is not None else f"ELSE '{label}'"
        for _lo, hi, label in AGE_BANDS
    )
    return f"CASE WHEN {birth} IS NULL OR {on} IS NULL THEN '{UNKNOWN}' {whens} END"


class _Compiler:
    """Compiles one KPI's units relation; collects literal parameters under a KPI-specific prefix."""

    def __init__(self, kpi, params: dict[str, object], prefix: str):
        self.kpi = kpi
        self.spec = kpi.spec
        self.source: Source = SOURCES[self.spec.source]
        self.params = params
        self.prefix = prefix

    def col(self, name: str) -> str:
        if name not in self.source.columns:
            raise ValueError(f"unknown column {name!r} in source {self.source.name!r}")
        return f"s.{q(name)}"

    def expr(self, text: str) -> str:
        node = ex.parse(text)
        problems = ex.check(node, frozenset(self.source.columns) | {"regime"})
        if problems:
            raise ValueError("; ".join(problems))
        domain = {"interview_between": lambda a: interview_between_sql("s.case_id", a[0], a[1])}

        def column_sql(name: str) -> str:
            return "__regime" if name == "regime" else self.col(name)

        return ex.Renderer(column_sql, self.params, self.prefix, domain).render(node)

    def _as_date(self, name: str) -> str:
        return f"CAST({self.col(name)} AS DATE)"

    def _dims(self, on_date: str, regime: str) -> list[str]:
        cols = self.source.columns

        def dim(name: str) -> str:
            if name in cols:
                return f"coalesce(CAST({self.col(name)} AS VARCHAR), '{UNKNOWN}')"
            return f"'{NOT_APPLICABLE}'"

        return [
            f"{dim('team')} AS team",
            f"{dim('caseworker')} AS caseworker",
            f"{_age_band_sql(self.col('birth_date'), on_date)} AS age_band"
            if "birth_date" in cols else f"'{NOT_APPLICABLE}' AS age_band",
            f"{dim('measure_type')} AS measure_type",
            f"{dim('notifier_type')} AS notifier_type",
            f"coalesce({regime}, '{NOT_APPLICABLE}') AS regime",
        ]

    def _regime(self, regime_date: str | None) -> str:
        return regime_sql(self._as_date(regime_date)) if regime_date else "NULL"

    def _where(self, extra: list[str]) -> str:
        conds = list(extra)
        if self.spec.filter:
            conds.append(f"coalesce({self.expr(self.spec.filter)}, FALSE)")
        return " AND ".join(conds) if conds else "TRUE"

    def _referenced(self) -> set[str]:
        """Every name the definition mentions: which optional source columns to build."""
        import json

        text = json.dumps(self.spec.model_dump(mode="json"))
        return {name for name, _ in self.source.optional if re.search(rf"\b{name}\b", text)}

    def _head(self, regime: str) -> str:
        # regime is needed by expressions as a pseudo-column; compute it once in a sub-select.
        source_sql = self.source.sql_for(self._referenced())
        return f"SELECT s.*, {regime} AS __regime FROM ({source_sql}) s"

    # --- kinds ----------------------------------------------------------------------------------

    def units(self) -> str:
        if isinstance(self.kpi, DeadlineKpi):
            return self._deadline()
        if isinstance(self.kpi, ShareKpi):
            return self._share()
        if isinstance(self.kpi, CountKpi):
            return self._count()
        if isinstance(self.kpi, DurationKpi):
            return self._duration()
        raise TypeError(self.kpi)  # pragma: no cover

    def _rule_sql(self, rule: DueRule) -> tuple[str, str, str]:
        """(due date, on-time-when-completed, due moment or NULL) for one rule."""
        spec = self.spec
        start_date = self._as_date(spec.start)
        done_date = self._as_date(spec.completion)
        if rule.hours is not None:
            start_ht = self._has_time(spec.start)
            done_ht = self._has_time(spec.completion)
            due = f"due_date_hours({self.col(spec.start)}, {start_ht}, {rule.hours})"
            on_time = (
                f"on_time_hours({self.col(spec.start)}, {start_ht}, "
                f"{self.col(spec.completion)}, {done_ht}, {rule.hours})"
            )
            # The due moment in Danish local time: what moves across a daylight-saving change.
            due_at = (
                f"CASE WHEN coalesce({start_ht}, FALSE) THEN CAST(timezone('{DANISH_TZ_NAME}', "
                f"due_after_hours({self.col(spec.start)}, {rule.hours})) AS TIMESTAMP) END"
            )
            return due, on_time, due_at
        if rule.months is not None:
            due = f"add_months_clamped({start_date}, {rule.months})"
        elif rule.hverdage is not None:
            due = f"add_hverdage({start_date}, {rule.hverdage})"
        else:
            due = self._as_date(rule.column)
            if rule.else_months is not None:
                due = f"coalesce({due}, add_months_clamped({start_date}, {rule.else_months}))"
        if rule.or_earlier:
            earlier = self._as_date(rule.or_earlier)
            due = f"coalesce(least({due}, {earlier}), {due})"
        return due, f"({done_date} <= {due})", "NULL"

    def _moment(self, name: str) -> str:
        """The timestamp of a time-of-day column when the export gave a time, else NULL."""
        if self.source.columns.get(name) is not ColType.TIMESTAMP:
            return "CAST(NULL AS TIMESTAMP)"
        return f"CASE WHEN coalesce({self._has_time(name)}, FALSE) THEN {self.col(name)} END"

    def _has_time(self, name: str) -> str:
        if self.source.columns.get(name) is ColType.TIMESTAMP and has_time_column(name) in (
            self.source.columns
        ):
            return self.col(has_time_column(name))
        return "FALSE"

    def _rule_label(self, rule: DueRule, regime: Regime) -> str:
        basis = self.kpi.legal_basis.for_regime(regime) or regime.label_da
        return f"{basis}: {rule.describe_da()}"

    def _deadline(self) -> str:
        spec = self.spec
        due_cases, ontime_cases, label_cases, at_cases = [], [], [], []
        for regime in (Regime.SEL, Regime.BARNETS_LOV):
            rules = spec.due.rules(regime)
            d_w, o_w, l_w, a_w = [], [], [], []
            for rule in rules:
                due, on_time, due_at = self._rule_sql(rule)
                label = self._param(self._rule_label(rule, regime))
                cond = self.expr(rule.when) if rule.when else None
                if cond is None:
                    d_w.append(f"ELSE {due}")
                    o_w.append(f"ELSE {on_time}")
                    l_w.append(f"ELSE {label}")
                    a_w.append(f"ELSE {due_at}")
                    break
                d_w.append(f"WHEN {cond} THEN {due}")
                o_w.append(f"WHEN {cond} THEN {on_time}")
                l_w.append(f"WHEN {cond} THEN {label}")
                a_w.append(f"WHEN {cond} THEN {due_at}")
            when_regime = f"WHEN __regime = '{regime.value}' THEN"
            due_cases.append(f"{when_regime} {_chain(d_w)}")
            ontime_cases.append(f"{when_regime} {_chain(o_w)}")
            label_cases.append(f"{when_regime} {_chain(l_w)}")
            at_cases.append(f"{when_regime} {_chain(a_w)}")
        start_date = self._as_date(spec.start)
        regime = self._regime(spec.regime_date)
        ends = self._as_date(spec.ends_on) if spec.ends_on else "NULL"
        closes = self._as_date(spec.closed_by) if spec.closed_by else "NULL"
        step = f"""SELECT CAST({self.col(self.source.id_column)} AS VARCHAR) AS unit_id,
    s.case_id AS case_id, {', '.join(self._dims(start_date, '__regime'))},
    {start_date} AS start_date,
    CASE {' '.join(due_cases)} END AS due_date,
    {self._as_date(spec.completion)} AS completed_date,
    CASE {' '.join(ontime_cases)} END AS on_time,
    CASE {' '.join(label_cases)} END AS rule,
    {self._moment(spec.start)} AS start_at,
    CAST(CASE {' '.join(at_cases)} END AS TIMESTAMP) AS due_at,
    {self._moment(spec.completion)} AS completed_at,
    {ends} AS ends_on,
    {closes} AS closes_on
  FROM ({self._head(regime)}) s
  WHERE {self._where([f"{self.col(spec.start)} IS NOT NULL"])}"""
        # Overdue-open means someone can still do it: not a step whose measure has ended (it
        # stays late in the rate, but is neither counted as open nor put on the worklist, and
        # its days late stop at the end, or are 0 when it ended before the due date).
        return f"""SELECT unit_id, case_id, {', '.join(DIMENSIONS)}, start_date, due_date,
    completed_date, start_at, due_at, completed_at, status, rule,
    CASE status WHEN 'on_time' THEN greatest(completed_date, start_date)
                WHEN 'late' THEN due_date ELSE $as_of END AS event_date,
    status IN ('on_time', 'late') AS in_den, status = 'on_time' AS in_num,
    status = 'pending' AS is_pending,
    (status = 'late' AND completed_date IS NULL
     AND NOT coalesce(closes_on <= $as_of, FALSE)) AS is_overdue_open,
    date_diff('day', due_date, coalesce(completed_date,
      CASE WHEN closes_on <= $as_of THEN greatest(closes_on, due_date) END, $as_of)) AS days,
    CAST(NULL AS DOUBLE) AS metric, CAST(NULL AS VARCHAR) AS per_value,
    CAST(NULL AS DATE) AS open_from, CAST(NULL AS DATE) AS open_until
FROM (
  SELECT st.*,
    CASE WHEN completed_date IS NOT NULL THEN
           CASE WHEN on_time THEN 'on_time' ELSE 'late' END
         WHEN due_date >= $as_of THEN 'pending' ELSE 'late' END AS status
  FROM ({step}) st
  WHERE due_date IS NOT NULL
    AND NOT (completed_date IS NULL AND ends_on IS NOT NULL AND ends_on <= $as_of
             AND ends_on < due_date)
) x"""

    def _param(self, value: object) -> str:
        name = f"{self.prefix}{len([k for k in self.params if k.startswith(self.prefix)])}"
        self.params[name] = value
        return f"${name}"

    def _flat(self, *, event: str, status: str, in_num: str, in_den: str, start: str,
              completed: str = "NULL", metric: str = "NULL", per: str = "NULL",
              open_from: str = "NULL", open_until: str = "NULL", where: list[str],
              extra: dict[str, str] | None = None) -> str:
        regime = self._regime(self.spec.regime_date)
        head = self._head(regime)
        if extra:
            cols = ", ".join(f"{sql} AS {name}" for name, sql in extra.items())
            head = f"SELECT s.*, {cols} FROM ({head}) s"
        return f"""SELECT CAST({self.col(self.source.id_column)} AS VARCHAR) AS unit_id,
    s.case_id AS case_id, {', '.join(self._dims(start, '__regime'))},
    {start} AS start_date, CAST(NULL AS DATE) AS due_date,
    CAST({completed} AS DATE) AS completed_date, CAST(NULL AS TIMESTAMP) AS start_at,
    CAST(NULL AS TIMESTAMP) AS due_at, CAST(NULL AS TIMESTAMP) AS completed_at, {status} AS status,
    CAST(NULL AS VARCHAR) AS rule, CAST({event} AS DATE) AS event_date,
    {in_den} AS in_den, {in_num} AS in_num,
    FALSE AS is_pending, FALSE AS is_overdue_open, CAST(NULL AS BIGINT) AS days,
    CAST({metric} AS DOUBLE) AS metric, CAST({per} AS VARCHAR) AS per_value,
    CAST({open_from} AS DATE) AS open_from, CAST({open_until} AS DATE) AS open_until
  FROM ({head}) s
  WHERE {self._where(where)}"""

    def _share(self) -> str:
        event = self._as_date(self.spec.event_date)
        # The condition is evaluated once per row (it may hold a costly sub-query).
        cond = f"coalesce({self.expr(self.spec.condition)}, FALSE)"
        return self._flat(
            event=event, start=event, in_den="TRUE", in_num="s.__cond",
            status="CASE WHEN s.__cond THEN 'met' ELSE 'not_met' END",
            where=[f"{self.col(self.spec.event_date)} IS NOT NULL"], extra={"__cond": cond},
        )

    def _count(self) -> str:
        spec = self.spec
        per = f"CAST({self.col(spec.per)} AS VARCHAR)" if spec.per else "NULL"
        if spec.event_date:
            event = self._as_date(spec.event_date)
            return self._flat(event=event, start=event, in_den="FALSE", in_num="TRUE",
                              status="'counted'", per=per,
                              where=[f"{self.col(spec.event_date)} IS NOT NULL"])
        opened = self._as_date(spec.open_from)
        until = self._as_date(spec.open_until) if spec.open_until else "NULL"
        return self._flat(event="NULL", start=opened, in_den="FALSE", in_num="TRUE",
                          status="'open'", per=per, open_from=opened, open_until=until,
                          where=[f"{self.col(spec.open_from)} IS NOT NULL"])

    def _duration(self) -> str:
        start = self._as_date(self.spec.start)
        end = self._as_date(self.spec.end)
        return self._flat(event=end, start=start, completed=end, in_den="TRUE", in_num="FALSE",
                          status="'completed'", metric=f"date_diff('day', {start}, {end})",
                          where=[f"{self.col(self.spec.end)} IS NOT NULL",
                                 f"{self.col(self.spec.start)} IS NOT NULL"])


def _chain(branches: list[str]) -> str:
    """A CASE over rule branches; a single unconditional rule needs no CASE."""
    if len(branches) == 1 and branches[0].startswith("ELSE "):
        return branches[0][5:]
    return f"CASE {' '.join(branches)} END"


def _with(units_sql: str | None, params: dict[str, object], teams: tuple[str, ...] | None,
          units_table: str | None = None) -> str:
    """The CTE chain ending in ``units``: compiled from the definition, or read from a table the
    unit cache materialised. ``teams`` (a user's scope) restricts the units to those teams."""
    if units_table is not None:
        ctes: list[str] = []
        body = f"SELECT * FROM {units_table}"
    else:
        # Only the as-of views the units read: unused CTEs still cost planning time.
        ctes = [f"{name} AS ({sql})" for name, sql in base_ctes()
                if re.search(rf"\b{name}\b", units_sql)]
        body = units_sql
    if teams is None:
        ctes.append(f"units AS ({body})")
    else:
        names = []
        for i, team in enumerate(sorted(teams)):
            params[f"scope{i}"] = team
            names.append(f"$scope{i}")
        allowed = ", ".join(names) if names else "NULL"
        ctes.append(f"units AS (SELECT * FROM ({body}) WHERE team IN ({allowed}))")
    return "WITH " + ",\n".join(ctes)


def _units_sql(kpi, params: dict[str, object], units_table: str | None) -> str | None:
    return None if units_table is not None else _Compiler(kpi, params, "k_").units()


def units_relation(kpi) -> SqlQuery:
    """Only the KPI-specific units SELECT (as-of still a parameter): what golden files review."""
    params: dict[str, object] = {}
    return SqlQuery(_Compiler(kpi, params, "k_").units(), params)


def compile_units(kpi, as_of: date, teams: tuple[str, ...] | None = None,
                  only_open: bool = False, units_table: str | None = None) -> SqlQuery:
    """All units of one KPI as of a date (no period filter): the basis of the worklist."""
    params: dict[str, object] = {"as_of": as_of}
    units = _units_sql(kpi, params, units_table)
    where = " WHERE is_pending OR is_overdue_open" if only_open else ""
    sql = _with(units, params, teams, units_table) + f"\nSELECT * FROM units{where}"
    return SqlQuery(sql, params)


def _period_values(periods: list[Period], params: dict[str, object]) -> str:
    rows = []
    for i, p in enumerate(periods):
        params[f"p{i}_label"] = p.label
        params[f"p{i}_start"] = p.start
        params[f"p{i}_end"] = p.end
        rows.append(f"($p{i}_label, CAST($p{i}_start AS DATE), CAST($p{i}_end AS DATE), {i})")
    return "SELECT * FROM (VALUES " + ", ".join(rows) + ") AS t(label, p_start, p_end, ord)"


def is_monthly(kpi) -> bool:
    """KPIs whose figures are sums of per-unit counts: they aggregate through monthly counts."""
    if isinstance(kpi, DurationKpi):
        return False  # a median needs every unit
    return not (isinstance(kpi, CountKpi) and kpi.spec.open_from)  # a stock is not a flow


def monthly_dims(by: tuple[str, ...]) -> tuple[str, ...]:
    """The dimensions monthly counts are kept by: the grouping asked for, plus team (scope)."""
    return tuple(d for d in DIMENSIONS if d in by or d == "team")


def monthly_sql(units_relation: str, dims: tuple[str, ...]) -> str:
    """Per-unit flags summed by month and the requested dimensions. Every reporting period is
    made of whole months, so any period's figures are sums over this much smaller relation."""
    return f"""SELECT CAST(date_trunc('month', event_date) AS DATE) AS month, {', '.join(dims)},
  count(*) FILTER (WHERE in_num) AS n_num, count(*) FILTER (WHERE in_den) AS n_den,
  count(*) FILTER (WHERE is_pending) AS n_pending,
  count(*) FILTER (WHERE is_overdue_open) AS n_overdue
FROM {units_relation}
GROUP BY ALL"""


def _members(kpi, ordinal: int, relation: str, by: tuple[str, ...]) -> str:
    """One KPI's rows paired with the periods they count in, as additive weights.

    Monthly KPIs: a month's counts go to every period containing the month; the pending and
    overdue-open counts (states on the as-of date) go to the period containing the as-of date.
    Two joins rather than one OR-join, which DuckDB could only run as a nested loop."""
    dims = "".join(f", r.{d}" for d in by)
    head = f"SELECT {ordinal} AS kpi_ord, p.ord{dims}"
    if is_monthly(kpi):
        return f"""{head}, r.n_num, r.n_den, 0 AS n_pending, 0 AS n_overdue,
    CAST(NULL AS DOUBLE) AS metric, CAST(NULL AS VARCHAR) AS per_value
  FROM {relation} r JOIN periods p ON r.month BETWEEN p.p_start AND p.p_end
UNION ALL
{head}, 0, 0, r.n_pending, r.n_overdue, CAST(NULL AS DOUBLE), CAST(NULL AS VARCHAR)
  FROM {relation} r JOIN periods p ON $as_of BETWEEN p.p_start AND p.p_end
  WHERE r.n_pending > 0 OR r.n_overdue > 0"""
    if isinstance(kpi, DurationKpi):
        return f"""{head}, 0 AS n_num, CAST(r.in_den AS INTEGER) AS n_den, 0 AS n_pending,
    0 AS n_overdue, r.metric, CAST(NULL AS VARCHAR) AS per_value
  FROM {relation} r JOIN periods p ON r.event_date BETWEEN p.p_start AND p.p_end"""
    day = "least(p.p_end, $as_of)"  # a stock: rows open on the period's last day (or as-of)
    # Counted per (period, group, per-value) first: the distinct count then sees few rows.
    return f"""{head}, count(*) AS n_num, 0 AS n_den, 0 AS n_pending, 0 AS n_overdue,
    CAST(NULL AS DOUBLE) AS metric, r.per_value
  FROM {relation} r JOIN periods p
    ON r.open_from <= {day} AND coalesce(r.open_until, DATE '9999-12-31') > {day}
  WHERE p.p_start <= $as_of
  GROUP BY ALL"""


def _scoped(body: str, params: dict[str, object], teams: tuple[str, ...] | None) -> str:
    """Restrict units to a user's teams (bound parameters)."""
    if teams is None:
        return body
    names = []
    for i, team in enumerate(sorted(teams)):
        params[f"scope{i}"] = team
        names.append(f"$scope{i}")
    allowed = ", ".join(names) if names else "NULL"
    return f"SELECT * FROM ({body}) WHERE team IN ({allowed})"


def _whole_months(periods: list[Period]) -> None:
    for p in periods:
        if p.start.day != 1 or (p.end + timedelta(days=1)).day != 1:
            raise ValueError(f"perioden {p.label} består ikke af hele måneder")


def compile_aggregate_many(kpis: list, periods: list[Period], by: tuple[str, ...], as_of: date,
                           teams: tuple[str, ...] | None = None,
                           tables: dict[str, str] | None = None) -> SqlQuery:
    """Figures of several KPIs in one query: every period, the total and each prefix of ``by``.

    ``tables`` maps a KPI id to a relation the unit cache materialised: its monthly counts
    (``is_monthly`` KPIs) or its units. Without it, everything is compiled from the definitions.
    One query rather than one per KPI: the fixed cost of a DuckDB query is paid once."""
    for d in by:
        if d not in DIMENSIONS:
            raise ValueError(f"ukendt dimension {d!r}; vælg blandt {', '.join(DIMENSIONS)}")
    _whole_months(periods)
    params: dict[str, object] = {"as_of": as_of}
    ctes: list[str] = []
    compiled: list[str] = []
    for i, kpi in enumerate(kpis):
        if tables is not None:
            body = f"SELECT * FROM {tables[kpi.id]}"
        else:
            units = _scoped(_Compiler(kpi, params, f"k{i}_").units(), params, teams)
            compiled.append(units)
            body = monthly_sql(f"({units})", monthly_dims(by)) if is_monthly(kpi) else units
        ctes.append(f"r{i} AS ({_scoped(body, params, teams) if tables else body})")
    used = "\n".join(compiled)
    views = [f"{name} AS ({sql})" for name, sql in base_ctes()
             if re.search(rf"\b{name}\b", used)]
    members = "\nUNION ALL\n".join(_members(k, i, f"r{i}", by) for i, k in enumerate(kpis))
    keys = "m.kpi_ord, m.label, m.ord"
    sets = [f"({keys})"] + [
        f"({keys}, " + ", ".join(f"m.{d}" for d in by[: i + 1]) + ")" for i in range(len(by))
    ]
    dim_cols = "".join(f", m.{d} AS {d}, GROUPING(m.{d}) AS g_{d}" for d in by)
    sql = f"""WITH {(',' + chr(10)).join(views + ctes)},
periods AS ({_period_values(periods, params)}),
members AS (SELECT x.*, p.label FROM ({members}) x JOIN periods p ON p.ord = x.ord)
SELECT m.kpi_ord, m.label AS period, m.ord AS period_ord{dim_cols},
  CAST(sum(m.n_num) AS BIGINT) AS numerator,
  CAST(sum(m.n_den) AS BIGINT) AS denominator,
  count(DISTINCT m.per_value) AS per_count,
  CAST(sum(m.n_pending) AS BIGINT) AS pending,
  CAST(sum(m.n_overdue) AS BIGINT) AS overdue_open,
  median(m.metric) AS median_value,
  quantile_cont(m.metric, 0.9) AS p90
FROM members m
GROUP BY GROUPING SETS ({', '.join(sets)})
ORDER BY kpi_ord, period_ord{''.join(f', g_{d} DESC, {d}' for d in by)}"""
    return SqlQuery(sql, params)


def compile_monthly(kpi, as_of: date, dims: tuple[str, ...]) -> SqlQuery:
    """A monthly KPI's counts by month and ``dims``, for the unit cache to materialise."""
    q = compile_units(kpi, as_of)
    monthly = monthly_sql("units", dims)
    return SqlQuery(q.sql.replace("\nSELECT * FROM units", "\n" + monthly, 1), q.params)


def compile_aggregate(kpi, periods: list[Period], by: tuple[str, ...], as_of: date,
                      teams: tuple[str, ...] | None = None,
                      table: str | None = None) -> SqlQuery:
    """One KPI's figures (see ``compile_aggregate_many``)."""
    tables = None if table is None else {kpi.id: table}
    return compile_aggregate_many([kpi], periods, by, as_of, teams, tables)


def compile_steps(kpi, period: Period, group: dict[str, str], as_of: date,
                  teams: tuple[str, ...] | None = None,
                  units_table: str | None = None) -> SqlQuery:
    """The units behind one figure (period × group), each marked in/out of numerator/denominator."""
    params: dict[str, object] = {"as_of": as_of, "p_start": period.start, "p_end": period.end}
    units = _units_sql(kpi, params, units_table)
    conds = []
    for i, (d, value) in enumerate(sorted(group.items())):
        if d not in DIMENSIONS:
            raise ValueError(f"ukendt dimension {d!r}")
        params[f"g{i}"] = value
        conds.append(f"u.{d} = $g{i}")
    p = SimplePeriod()
    in_p = f"u.event_date BETWEEN {p.start} AND {p.end}"
    if isinstance(kpi, CountKpi) and kpi.spec.open_from:
        day = f"least({p.end}, $as_of)"
        # the same membership as the figure's (_members): a period after the as-of date is empty
        member = (f"u.open_from <= {day} AND coalesce(u.open_until, DATE '9999-12-31') > {day}"
                  f" AND {p.start} <= $as_of")
        in_num, in_den = "TRUE", "FALSE"
    else:
        member = (f"({in_p} OR ((u.is_pending OR u.is_overdue_open) AND $as_of BETWEEN "
                  f"{p.start} AND {p.end}))")
        in_num, in_den = f"(u.in_num AND {in_p})", f"(u.in_den AND {in_p})"
    where = " AND ".join([member, *conds])
    sql = f"""{_with(units, params, teams, units_table)}
SELECT u.unit_id, u.case_id, u.team, u.caseworker, u.age_band, u.measure_type, u.notifier_type,
  u.regime, u.start_date AS start, u.due_date AS due, u.completed_date AS completed,
  u.start_at, u.due_at, u.completed_at, u.status, u.is_overdue_open AS overdue_open,
  {in_num} AS in_numerator, {in_den} AS in_denominator, u.days, u.rule, u.metric
FROM units u
WHERE {where}
ORDER BY u.status = 'late' DESC, u.due_date, u.start_date, u.unit_id"""
    return SqlQuery(sql, params)


class SimplePeriod:
    start = "CAST($p_start AS DATE)"
    end = "CAST($p_end AS DATE)"


__all__ = [
    "DIMENSIONS",
    "Kind",
    "SqlQuery",
    "compile_aggregate",
    "compile_steps",
    "compile_units",
]
