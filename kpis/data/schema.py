"""The canonical data model: the one place that names every table and column.

Exports are mapped onto these names (see ``config/sources.yaml``), the importer validates against
them, KPI definitions may only refer to them, and ``docs/data-model.md`` documents them. Renaming
anything here breaks the public contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class ColType(str, Enum):
    TEXT = "text"
    DATE = "date"
    TIMESTAMP = "timestamp"  # Danish local time, naive; a companion ``<name>_has_time`` says if a time was given
    BOOL = "bool"
    INT = "int"
    ENUM = "enum"

    @property
    def sql(self) -> str:
        return {
            ColType.TEXT: "VARCHAR",
            ColType.DATE: "DATE",
            ColType.TIMESTAMP: "TIMESTAMP",
            ColType.BOOL: "BOOLEAN",
            ColType.INT: "BIGINT",
            ColType.ENUM: "VARCHAR",
        }[self]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColType
    label_da: str
    required: bool = False
    values: tuple[str, ...] = ()  # the closed vocabulary of an ENUM column
    planned: bool = False  # a planned date may lie after the as-of date
    input_only: bool = False  # read from the export but never stored (cpr)


@dataclass(frozen=True)
class Reference:
    column: str
    table: str  # the referenced table; its id column is the target


@dataclass(frozen=True)
class Table:
    name: str
    label_da: str
    id_column: str
    columns: tuple[Column, ...]
    references: tuple[Reference, ...] = ()
    optional: bool = False  # the file may be absent from an export (then the table is empty)
    # (start column, completion column) pairs: a completion before its start is quarantined
    order_checks: tuple[tuple[str, str], ...] = ()
    # description of the required "date that defines the row" when it is not a single column
    row_date_rule: str = ""
    # The date(s) that make a row exist (the first one given): a row whose defining date lies
    # after the as-of date has not happened yet.
    defined_by: tuple[str, ...] = ()
    _by_name: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name: c for c in self.columns})

    def column(self, name: str) -> Column:
        return self._by_name[name]

    def has(self, name: str) -> bool:
        return name in self._by_name

    @property
    def stored_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if not c.input_only)


NOTIFIER_TYPES = ("professional", "private", "anonymous", "other")
INTERVIEW_OCCASIONS = ("notification", "investigation", "decision", "follow_up", "supervision")
EXEMPTION_REASONS = ("declined", "maturity", "case_nature")
MEASURE_TYPES = ("support", "placement", "placement_without_consent")
PLAN_TYPES = ("handleplan", "barnets_plan", "ungeplan")

C = Column
T = ColType

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "cases",
            "Sager",
            "case_id",
            (
                C("case_id", T.TEXT, "Sagsnummer", required=True),
                C("child_id", T.TEXT, "Barn-id (pseudonym)"),
                C("cpr", T.TEXT, "CPR-nummer", input_only=True),
                C("birth_date", T.DATE, "Fødselsdato"),
                C("team", T.TEXT, "Team"),
                C("caseworker", T.TEXT, "Sagsbehandler"),
                C("opened_on", T.DATE, "Oprettet", required=True),
                C("closed_on", T.DATE, "Lukket"),
            ),
            order_checks=(("opened_on", "closed_on"),),
            defined_by=("opened_on",),
        ),
        Table(
            "notifications",
            "Underretninger",
            "notification_id",
            (
                C("notification_id", T.TEXT, "Underretnings-id", required=True),
                C("case_id", T.TEXT, "Sagsnummer", required=True),
                C("received_at", T.TIMESTAMP, "Modtaget", required=True),
                C("notifier_type", T.ENUM, "Underretter", values=NOTIFIER_TYPES),
                C("assessed_at", T.TIMESTAMP, "Vurderet"),
                C("acknowledged_on", T.DATE, "Kvittering sendt"),
                C("acute_action", T.BOOL, "Akut handling"),
            ),
            references=(Reference("case_id", "cases"),),
            order_checks=(("received_at", "assessed_at"), ("received_at", "acknowledged_on")),
            defined_by=("received_at",),
        ),
        Table(
            "investigations",
            "Børnefaglige undersøgelser",
            "investigation_id",
            (
                C("investigation_id", T.TEXT, "Undersøgelses-id", required=True),
                C("case_id", T.TEXT, "Sagsnummer", required=True),
                C("aware_on", T.DATE, "Kommunen blev opmærksom", required=True),
                C("decided_on", T.DATE, "Besluttet"),
                C("completed_on", T.DATE, "Afsluttet"),
                C("preliminary_assessment_on", T.DATE, "Foreløbig vurdering"),
                C("parental_competence_assessed", T.BOOL, "Forældrekompetence vurderet"),
            ),
            references=(Reference("case_id", "cases"),),
            order_checks=(("aware_on", "completed_on"), ("aware_on", "preliminary_assessment_on")),
            defined_by=("aware_on",),
        ),
        Table(
            "child_interviews",
            "Børnesamtaler",
            "interview_id",
            (
                C("interview_id", T.TEXT, "Samtale-id", required=True),
                C("case_id", T.TEXT, "Sagsnummer", required=True),
                C("occasion", T.ENUM, "Anledning", values=INTERVIEW_OCCASIONS),
                C("held_on", T.DATE, "Afholdt"),
                C("exemption_reason", T.ENUM, "Undtagelse", values=EXEMPTION_REASONS),
                C("recorded_on", T.DATE, "Registreret"),
            ),
            references=(Reference("case_id", "cases"),),
            optional=True,
            row_date_rule="held_on, or recorded_on together with exemption_reason",
            defined_by=("held_on", "recorded_on"),
        ),
        Table(
            "measures",
            "Indsatser",
            "measure_id",
            (
                C("measure_id", T.TEXT, "Indsats-id", required=True),
                C("case_id", T.TEXT, "Sagsnummer", required=True),
                C("measure_type", T.ENUM, "Indsatstype", values=MEASURE_TYPES),
                C("legal_basis", T.TEXT, "Hjemmel"),
                C("decided_on", T.DATE, "Afgørelse", required=True),
                C("started_on", T.DATE, "Startet"),
                C("ended_on", T.DATE, "Ophørt", planned=True),
                C("plan_decided", T.BOOL, "Besluttet at udarbejde plan"),
            ),
            references=(Reference("case_id", "cases"),),
            order_checks=(("started_on", "ended_on"),),
            defined_by=("decided_on",),
        ),
        Table(
            "plans",
            "Planer",
            "plan_id",
            (
                C("plan_id", T.TEXT, "Plan-id", required=True),
                C("case_id", T.TEXT, "Sagsnummer", required=True),
                C("measure_id", T.TEXT, "Indsats-id"),
                C("plan_type", T.ENUM, "Plantype", values=PLAN_TYPES),
                C("prepared_on", T.DATE, "Udarbejdet", required=True),
                C("goals_total", T.INT, "Antal mål"),
                C("goals_measurable", T.INT, "Antal målbare mål"),
            ),
            references=(Reference("case_id", "cases"), Reference("measure_id", "measures")),
            optional=True,
            defined_by=("prepared_on",),
        ),
        Table(
            "follow_ups",
            "Opfølgninger",
            "follow_up_id",
            (
                C("follow_up_id", T.TEXT, "Opfølgnings-id", required=True),
                C("measure_id", T.TEXT, "Indsats-id", required=True),
                C("held_on", T.DATE, "Afholdt", required=True),
                C("next_due_on", T.DATE, "Næste opfølgning senest", planned=True),
            ),
            references=(Reference("measure_id", "measures"),),
            optional=True,
            defined_by=("held_on",),
        ),
        Table(
            "supervision_visits",
            "Tilsynsbesøg",
            "visit_id",
            (
                C("visit_id", T.TEXT, "Besøgs-id", required=True),
                C("measure_id", T.TEXT, "Indsats-id", required=True),
                C("held_on", T.DATE, "Afholdt", required=True),
                C("child_spoken_to", T.BOOL, "Talt med barnet"),
            ),
            references=(Reference("measure_id", "measures"),),
            optional=True,
            defined_by=("held_on",),
        ),
    )
}

# Load order: a referenced table comes before the tables that refer to it.
TABLE_ORDER: tuple[str, ...] = (
    "cases",
    "notifications",
    "investigations",
    "child_interviews",
    "measures",
    "plans",
    "follow_ups",
    "supervision_visits",
)
assert set(TABLE_ORDER) == set(TABLES)
assert all(t.defined_by and all(t.has(c) for c in t.defined_by) for t in TABLES.values())


def has_time_column(name: str) -> str:
    """Name of the companion flag that records whether a timestamp value carried a time of day."""
    return f"{name}_has_time"


def create_table_sql(table: Table) -> str:
    """DDL for one canonical table, including the has-time flags of its timestamps."""
    cols: list[str] = []
    for c in table.stored_columns:
        cols.append(f'"{c.name}" {c.type.sql}')
        if c.type is ColType.TIMESTAMP:
            cols.append(f'"{has_time_column(c.name)}" BOOLEAN')
    return f'CREATE TABLE "{table.name}" (\n  ' + ",\n  ".join(cols) + "\n)"


def quote_ident(name: str) -> str:
    """An identifier quoted for DuckDB. Only names defined in this module are passed in."""
    return '"' + name.replace('"', '""') + '"'


# Bookkeeping tables of a snapshot database, beside the canonical tables above:
# name -> ((column, SQL type, meaning), ...). See docs/data-model.md.
SNAPSHOT_TABLES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "snapshot_meta": (
        ("snapshot_id", "VARCHAR", "import time and fingerprint, e.g. 2025-06-30T14.07.38-7140a9b5"),
        ("as_of", "DATE", "the day the export was taken: 'today' for every deadline status"),
        ("imported_at", "TIMESTAMP", "when the import ran (UTC)"),
        ("source", "VARCHAR", "the imported folder or workbook"),
        ("profile", "VARCHAR", "the export profile used (config/sources.yaml)"),
        ("fingerprint", "VARCHAR", "SHA-256 over files, profile, as-of date and key check"),
    ),
    "import_files": (
        ("file", "VARCHAR", "file name, or workbook:sheet"),
        ("table_name", "VARCHAR", "the canonical table it was loaded into"),
        ("sha256", "VARCHAR", "SHA-256 of the file (of the workbook for a sheet)"),
        ("rows_read", "BIGINT", "data rows read (wholly empty rows are skipped)"),
        ("rows_loaded", "BIGINT", "rows loaded into the table"),
        ("rows_quarantined", "BIGINT", "rows quarantined; loaded + quarantined = read"),
        ("ignored_columns", "VARCHAR", "headers that map to no column, separated by ' | '"),
    ),
    "quarantine": (
        ("file", "VARCHAR", "file name, or workbook:sheet"),
        ("table_name", "VARCHAR", "the canonical table the row was meant for"),
        ("row_number", "BIGINT", "the row as a spreadsheet shows it: the header is row 1"),
        ("column_name", "VARCHAR", "the canonical column with the problem"),
        ("value", "VARCHAR", "the offending value as text; a CPR number is never stored"),
        ("reason", "VARCHAR", "why (Danish text, see the list of reasons)"),
    ),
    "import_history": (
        ("snapshot_id", "VARCHAR", "the snapshot the import made"),
        ("imported_at", "TIMESTAMP", "when the import ran (UTC)"),
        ("as_of", "DATE", "the export's as-of date"),
        ("source", "VARCHAR", "the imported folder or workbook"),
        ("profile", "VARCHAR", "the export profile"),
        ("fingerprint", "VARCHAR", "the import's fingerprint"),
        ("rows_read", "BIGINT", "rows read over all files"),
        ("rows_loaded", "BIGINT", "rows loaded over all files"),
        ("rows_quarantined", "BIGINT", "rows quarantined over all files"),
        ("files", "VARCHAR", "JSON list of the files: file, table_name, sha256 and counts"),
    ),
}


def create_snapshot_table_sql(name: str) -> str:
    """DDL for one bookkeeping table of a snapshot."""
    cols = ",\n  ".join(f"{quote_ident(c)} {sql}" for c, sql, _ in SNAPSHOT_TABLES[name])
    return f"CREATE TABLE {quote_ident(name)} (\n  {cols}\n)"
