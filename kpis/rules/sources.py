"""What a KPI definition can count: the canonical tables seen as of a date, and derived sources.

Every source is a SQL relation over the snapshot's tables with the case's team, caseworker and
birth date joined on. Sources are built "as of" a date (the bound parameter ``$as_of``): rows whose
defining date lies after it do not exist yet, and any other non-planned date after it is treated as
not yet happened (NULL). That single rule is what lets an earlier report be reproduced.

Derived sources hold the legal joins that no YAML filter should re-invent: a measure's first plan
and first follow-up, the parallel BFU of Barnets Lov § 95, intervals between follow-ups and
placement years for supervision visits. Their exact meaning is in docs/kpi-rules.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpis.data.schema import TABLE_ORDER, TABLES, ColType, has_time_column

# The date that makes a row exist. A row whose defining date is after the as-of date is invisible.
DEFINING_DATE: dict[str, tuple[str, ...]] = {t: TABLES[t].defined_by for t in TABLE_ORDER}

PLACEMENT_TYPES = ("placement", "placement_without_consent")


def q(name: str) -> str:
    """The one identifier-quoting helper: names come from the data model, never from users."""
    if '"' in name or "\x00" in name:
        raise ValueError(f"invalid identifier {name!r}")
    return f'"{name}"'


def _is_dated(t: ColType) -> bool:
    return t in (ColType.DATE, ColType.TIMESTAMP)


def visible_table_sql(table_name: str) -> str:
    """SELECT of one canonical table as it was known on ``$as_of``."""
    table = TABLES[table_name]
    defining = DEFINING_DATE[table_name]
    cols: list[str] = []
    for c in table.stored_columns:
        if _is_dated(c.type) and c.name not in defining and not c.planned:
            cols.append(
                f"CASE WHEN CAST({q(c.name)} AS DATE) <= $as_of THEN {q(c.name)} END AS {q(c.name)}"
            )
        else:
            cols.append(q(c.name))
        if c.type is ColType.TIMESTAMP:
            cols.append(q(has_time_column(c.name)))
    exists = "coalesce(" + ", ".join(q(d) for d in defining) + ")" if len(defining) > 1 else q(
        defining[0]
    )
    return (
        f"SELECT {', '.join(cols)} FROM {q(table_name)} "
        f"WHERE CAST({exists} AS DATE) <= $as_of"
    )


@dataclass(frozen=True)
class Source:
    name: str
    label_da: str
    id_column: str
    columns: dict[str, ColType]
    sql: str  # a SELECT over the v_<table> relations
    doc: str = ""
    derived: tuple[tuple[str, str], ...] = ()  # (column, Danish explanation) of derived columns
    optional: tuple[tuple[str, str], ...] = ()  # (column, SQL) built only when referenced

    @property
    def has_case(self) -> bool:
        return "case_id" in self.columns

    def sql_for(self, referenced: set[str]) -> str:
        """The source's SELECT with only the optional columns in ``referenced``."""
        if not self.optional:
            return self.sql
        parts = "".join(f",\n  {expr} AS {q(name)}" for name, expr in self.optional
                        if name in referenced)
        return self.sql.replace("{derived}", parts)


CASE_COLUMNS = {"team": ColType.TEXT, "caseworker": ColType.TEXT, "birth_date": ColType.DATE}
_CASE_JOIN = "JOIN v_cases c ON c.case_id = t.case_id"
_CASE_SELECT = "c.team, c.caseworker, c.birth_date"


def _table_columns(table_name: str) -> dict[str, ColType]:
    cols: dict[str, ColType] = {}
    for c in TABLES[table_name].stored_columns:
        cols[c.name] = c.type
        if c.type is ColType.TIMESTAMP:
            cols[has_time_column(c.name)] = ColType.BOOL
    return cols


def _simple(table_name: str, doc: str) -> Source:
    t = TABLES[table_name]
    if table_name == "cases":
        return Source("cases", t.label_da, "case_id", _table_columns("cases"),
                      "SELECT * FROM v_cases", doc)
    if t.has("case_id"):
        sql = f"SELECT t.*, {_CASE_SELECT} FROM v_{table_name} t {_CASE_JOIN}"
        cols = {**_table_columns(table_name), **CASE_COLUMNS}
    else:  # linked through a measure
        sql = (
            f"SELECT t.*, m.case_id, m.measure_type, {_CASE_SELECT} FROM v_{table_name} t "
            f"JOIN v_measures m ON m.measure_id = t.measure_id "
            f"JOIN v_cases c ON c.case_id = m.case_id"
        )
        cols = {**_table_columns(table_name), "case_id": ColType.TEXT,
                "measure_type": ColType.ENUM, **CASE_COLUMNS}
    return Source(table_name, t.label_da, t.id_column, cols, sql, doc)


# The measures source's derived columns, each a sub-query: only those a KPI refers to are built
# (DuckDB does not drop unused scalar sub-queries, and each costs a join over a large table).
_MEASURE_DERIVED: dict[str, str] = {
    "first_plan_on":
        "(SELECT min(p.prepared_on) FROM v_plans p WHERE p.measure_id = t.measure_id)",
    "first_follow_up_on":
        "(SELECT min(f.held_on) FROM v_follow_ups f\n"
        "     WHERE f.measure_id = t.measure_id AND f.held_on >= t.started_on)",
    "parallel_bfu_completed_on":
        "(SELECT min(i.completed_on) FROM v_investigations i\n"
        "     WHERE i.case_id = t.case_id AND i.aware_on <= t.started_on\n"
        "       AND i.completed_on > t.started_on)",
}
_MEASURES_SQL = f"SELECT t.*, {_CASE_SELECT}{{derived}}\nFROM v_measures t {_CASE_JOIN}"

_PLANS_SQL = f"""SELECT t.*, m.measure_type, m.decided_on AS measure_decided_on, {_CASE_SELECT}
FROM v_plans t {_CASE_JOIN} LEFT JOIN v_measures m ON m.measure_id = t.measure_id"""

_INTERVALS_SQL = f"""SELECT f.follow_up_id AS interval_id, f.follow_up_id, f.measure_id, m.case_id,
  m.measure_type, m.decided_on, m.started_on, m.ended_on, f.held_on, f.next_due_on,
  lead(f.held_on) OVER (PARTITION BY f.measure_id ORDER BY f.held_on, f.follow_up_id)
    AS next_held_on,
  row_number() OVER (PARTITION BY f.measure_id ORDER BY f.held_on, f.follow_up_id) AS seq,
  {_CASE_SELECT}
FROM v_follow_ups f JOIN v_measures m ON m.measure_id = f.measure_id
JOIN v_cases c ON c.case_id = m.case_id
WHERE f.held_on >= m.started_on"""

_PLACEMENT_YEARS_SQL = f"""SELECT y.*,
  (SELECT count(*) FROM v_supervision_visits v
     WHERE v.measure_id = y.measure_id AND v.child_spoken_to
       AND v.held_on BETWEEN y.year_start AND y.year_end) AS visits_with_child,
  (SELECT count(*) FROM v_supervision_visits v
     WHERE v.measure_id = y.measure_id
       AND v.held_on BETWEEN y.year_start AND y.year_end) AS visits_total
FROM (
  SELECT t.measure_id || '#' || CAST(k.range + 1 AS VARCHAR) AS placement_year_id,
    t.measure_id, t.case_id, t.measure_type, t.decided_on, t.started_on, t.ended_on,
    CAST(k.range + 1 AS INTEGER) AS year_no,
    add_months_clamped(t.started_on, CAST(12 * k.range AS INTEGER)) AS year_start,
    CAST(add_months_clamped(t.started_on, CAST(12 * (k.range + 1) AS INTEGER)) - 1 AS DATE)
      AS year_end,
    {_CASE_SELECT}
  FROM v_measures t {_CASE_JOIN}
  CROSS JOIN range(0, 60) k
  WHERE t.measure_type IN ('placement', 'placement_without_consent')
    AND t.started_on IS NOT NULL
    AND add_months_clamped(t.started_on, CAST(12 * k.range AS INTEGER)) <= $as_of
) y
WHERE y.year_end <= $as_of
  AND (y.ended_on IS NULL OR y.ended_on > $as_of OR y.ended_on >= y.year_end)"""


def _build_sources() -> dict[str, Source]:
    s: dict[str, Source] = {}
    for name in ("cases", "notifications", "investigations", "child_interviews",
                 "supervision_visits", "follow_ups"):
        s[name] = _simple(name, f"{TABLES[name].label_da} med sagens team og sagsbehandler")
    m_cols = {**_table_columns("measures"), **CASE_COLUMNS,
              "first_plan_on": ColType.DATE, "first_follow_up_on": ColType.DATE,
              "parallel_bfu_completed_on": ColType.DATE}
    s["measures"] = Source(
        "measures", TABLES["measures"].label_da, "measure_id", m_cols, _MEASURES_SQL,
        "Indsatser med sagens team og sagsbehandler samt afledte datoer",
        optional=tuple(_MEASURE_DERIVED.items()),
        derived=(
            ("first_plan_on", "tidligste udarbejdelsesdato blandt planer knyttet til indsatsen"),
            ("first_follow_up_on", "første opfølgning afholdt på eller efter indsatsens start"),
            ("parallel_bfu_completed_on",
             ("tidligste afslutning af en børnefaglig undersøgelse på sagen, som var i gang da "
             "indsatsen startede (opmærksom senest startdagen, afsluttet efter den)")),
        ),
    )
    s["plans"] = Source(
        "plans", TABLES["plans"].label_da, "plan_id",
        {**_table_columns("plans"), "measure_type": ColType.ENUM,
         "measure_decided_on": ColType.DATE, **CASE_COLUMNS}, _PLANS_SQL,
        "Planer med sagens team og den tilknyttede indsats' type og afgørelsesdato",
        derived=(("measure_decided_on",
                  "afgørelsesdato for den indsats, planen hører til (bestemmer lovgrundlaget)"),),
    )
    s["follow_up_intervals"] = Source(
        "follow_up_intervals", "Perioder mellem opfølgninger", "interval_id",
        {"interval_id": ColType.TEXT, "follow_up_id": ColType.TEXT, "measure_id": ColType.TEXT,
         "case_id": ColType.TEXT, "measure_type": ColType.ENUM, "decided_on": ColType.DATE,
         "started_on": ColType.DATE, "ended_on": ColType.DATE, "held_on": ColType.DATE,
         "next_due_on": ColType.DATE, "next_held_on": ColType.DATE, "seq": ColType.INT,
         **CASE_COLUMNS},
        _INTERVALS_SQL,
        "Hver opfølgning (afholdt på eller efter indsatsens start) begynder en periode, som "
        "slutter ved den næste opfølgning",
        derived=(("next_held_on", "dato for den næste opfølgning på indsatsen"),
                 ("seq", "opfølgningens nummer på indsatsen (1 = første)")),
    )
    s["placement_years"] = Source(
        "placement_years", "Anbringelsesår", "placement_year_id",
        {"placement_year_id": ColType.TEXT, "measure_id": ColType.TEXT, "case_id": ColType.TEXT,
         "measure_type": ColType.ENUM, "decided_on": ColType.DATE, "started_on": ColType.DATE,
         "ended_on": ColType.DATE, "year_no": ColType.INT, "year_start": ColType.DATE,
         "year_end": ColType.DATE, "visits_with_child": ColType.INT,
         "visits_total": ColType.INT, **CASE_COLUMNS},
        _PLACEMENT_YEARS_SQL,
        "Hele anbringelsesår (12 måneder fra startdatoen), som er afsluttet på opgørelsesdatoen, "
        "og hvor anbringelsen stadig bestod året ud",
        derived=(("visits_with_child", "tilsynsbesøg i året, hvor der blev talt med barnet"),
                 ("visits_total", "alle tilsynsbesøg i året")),
    )
    s[REVIEW_FINDINGS] = Source(
        REVIEW_FINDINGS, "Fund fra sagsgennemgange", "finding_id",
        {"finding_id": ColType.TEXT, "programme_id": ColType.TEXT, "round": ColType.TEXT,
         "case_id": ColType.TEXT, "team": ColType.TEXT, "caseworker": ColType.TEXT,
         "question_id": ColType.TEXT, "answer": ColType.TEXT, "counted": ColType.BOOL,
         "review_date": ColType.DATE, "birth_date": ColType.DATE},
        _REVIEW_FINDINGS_SQL,
        "Afsluttede sagsgennemgange: én række pr. sag og spørgsmål (kpis/review, "
        "docs/case-review.md); gemt uden for udtrækket og hentet ind ved beregningen",
        # Every column in Danish: none of them is a column of the export, and a reader of
        # "Sådan tælles det" must never meet a field name such as review_date.
        derived=(("finding_id", "fundets nummer (program, runde, sag og spørgsmål)"),
                 ("programme_id", "gennemgangens program (ledelsestilsyn eller sagsmåling)"),
                 ("round", "sagsmålingens runde eller tilsynets periode"),
                 ("case_id", "den gennemgåede sag"),
                 ("team", "sagens team, da sagen blev udtrukket"),
                 ("caseworker", "sagens sagsbehandler, da sagen blev udtrukket"),
                 ("question_id", "spørgsmålet i måleskemaet"),
                 ("answer", "svaret (ja, delvist, nej eller ikke relevant)"),
                 ("counted", "svaret er ja, delvist eller nej (ikke 'ikke relevant')"),
                 ("review_date", "den dag, gennemgangen blev afsluttet")),
    )
    return s


# The completed reviews (kpis/review/store.py) are not in the snapshot: the engine loads them
# into a temporary table of this name on the connection it computes on (kpis/review/findings_source.py).
# Not cut at the as-of date: a review is done after the export it reads, and counts from the day
# it is completed (its period is that of its review date).
REVIEW_FINDINGS = "review_findings"
# Sources whose rows are a sample of the cases, not all of them: a figure over one is an estimate
# and is shown with its 95 % interval and the number of cases it rests on (docs/case-review.md).
SAMPLE_SOURCES = frozenset({REVIEW_FINDINGS})
_REVIEW_FINDINGS_SQL = f"""SELECT t.*, c.birth_date FROM {REVIEW_FINDINGS} t
LEFT JOIN v_cases c ON c.case_id = t.case_id"""

SOURCES: dict[str, Source] = _build_sources()


def base_ctes() -> list[tuple[str, str]]:
    """(name, SELECT) of every as-of view of a canonical table, in dependency order."""
    return [(f"v_{t}", visible_table_sql(t)) for t in DEFINING_DATE]


def interview_between_sql(case_sql: str, low: str, high: str) -> str:
    """A held interview, or a recorded exemption, on the case within [low, high]."""
    return (
        "EXISTS (SELECT 1 FROM v_child_interviews ci WHERE ci.case_id = "
        f"{case_sql} AND ((ci.held_on BETWEEN CAST({low} AS DATE) AND CAST({high} AS DATE)) "
        "OR (ci.exemption_reason IS NOT NULL AND ci.recorded_on BETWEEN "
        f"CAST({low} AS DATE) AND CAST({high} AS DATE))))"
    )
