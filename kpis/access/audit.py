"""The audit log: who saw case-level rows, exported, changed a definition, imported or signed in.

Append-only, in its own SQLite file (``$PEJLEMAERKER_AUDIT``, else ``data/audit.sqlite``) — not in
the snapshot database, which an import replaces. SQLite in WAL mode because several app processes
and the command line may write at once; each call opens its own connection, so threads never
share one. Triggers refuse every UPDATE and DELETE, so the log can only grow through this module.

No CPR number ever enters it: every text field is scrubbed of one, by the rule the import uses
(``kpis.data.cpr``), before it is written.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from kpis import DATA_DIR, sqlite_store
from kpis.compute.engine import Scope
from kpis.data.cpr import mask_cpr
from kpis.safe_cells import excel_csv_bytes

AUDIT_ENV = "PEJLEMAERKER_AUDIT"
DEFAULT_AUDIT = DATA_DIR / "audit.sqlite"
CPR_REDACTED = "[CPR fjernet]"
DANISH_TZ = ZoneInfo("Europe/Copenhagen")  # entries are read in Danish time


class AuditAction(str, Enum):
    VIEW_CASE_ROWS = "view_case_rows"
    EXPORT = "export"
    DEFINITION_CHANGE = "definition_change"
    IMPORT = "import"
    LOGIN = "login"
    LOGOUT = "logout"
    LOGIN_FAILED = "login_failed"
    REVIEW_SAMPLE = "review_sample"
    REVIEW_OPEN = "review_open"
    REVIEW_SAVE = "review_save"
    REVIEW_COMPLETE = "review_complete"
    REVIEW_REOPEN = "review_reopen"
    MANGEL_CREATE = "mangel_create"
    MANGEL_CLOSE = "mangel_close"
    PAGE_REFUSED = "page_refused"  # an address outside the person's menu, typed or linked
    PLAN_STATUS = "plan_status"  # an udviklingsplan activity's status changed
    PLAN_CHANGE = "plan_change"  # config/plan.yaml saved or restored in the app
    REVIEW_CONFIG_CHANGE = "review_config_change"  # config/reviews.yaml saved or restored

    @property
    def label_da(self) -> str:
        return ACTION_LABELS_DA[self]


ACTION_LABELS_DA = {
    AuditAction.VIEW_CASE_ROWS: "Så sager",
    AuditAction.EXPORT: "Eksport",
    AuditAction.DEFINITION_CHANGE: "Ændrede definitioner",
    AuditAction.IMPORT: "Indlæste udtræk",
    AuditAction.LOGIN: "Logget ind",
    AuditAction.LOGOUT: "Logget ud",
    AuditAction.LOGIN_FAILED: "Mislykket login",
    AuditAction.REVIEW_SAMPLE: "Udtrak sager til gennemgang",
    AuditAction.REVIEW_OPEN: "Åbnede sagsgennemgang",
    AuditAction.REVIEW_SAVE: "Gemte sagsgennemgang",
    AuditAction.REVIEW_COMPLETE: "Afsluttede sagsgennemgang",
    AuditAction.REVIEW_REOPEN: "Genåbnede sagsgennemgang",
    AuditAction.MANGEL_CREATE: "Oprettede mangel",
    AuditAction.MANGEL_CLOSE: "Lukkede mangel",
    AuditAction.PAGE_REFUSED: "Side afvist",
    AuditAction.PLAN_STATUS: "Opdaterede aktivitet i udviklingsplanen",
    AuditAction.PLAN_CHANGE: "Ændrede udviklingsplanen",
    AuditAction.REVIEW_CONFIG_CHANGE: "Ændrede programmer for sagsgennemgang",
}

COLUMNS = ("id", "at", "actor", "role", "scope", "action", "page", "kpi", "period", "detail")
SCHEMA = {"id": pl.Int64, "at": pl.String, "actor": pl.String, "role": pl.String,
          "scope": pl.String, "action": pl.String, "page": pl.String, "kpi": pl.String,
          "period": pl.String, "detail": pl.String}

_ACTIONS_SQL = ", ".join(f"'{a.value}'" for a in AuditAction)
# Run one by one inside the writer's transaction (executescript would commit it first).
SCHEMA_SQL = (
    f"""CREATE TABLE IF NOT EXISTS audit_log (
  id     INTEGER PRIMARY KEY AUTOINCREMENT,
  at     TEXT NOT NULL,
  actor  TEXT NOT NULL,
  role   TEXT NOT NULL,
  scope  TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ({_ACTIONS_SQL})),
  page   TEXT,
  kpi    TEXT,
  period TEXT,
  detail TEXT
)""",
    "CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at)",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END""",
)


def audit_path() -> Path:
    """``$PEJLEMAERKER_AUDIT``, else ``data/audit.sqlite``."""
    return Path(os.environ.get(AUDIT_ENV) or DEFAULT_AUDIT)


def scrub(text: str | None) -> str | None:
    """The text with every CPR number replaced."""
    return None if text is None else mask_cpr(str(text), CPR_REDACTED)


@contextmanager
def _writer(path: Path) -> Iterator[sqlite3.Connection]:
    """One IMMEDIATE transaction (the schema is made, and widened, inside it)."""
    with sqlite_store.immediate(path, SCHEMA_SQL, migrate=_widen_actions) as conn:
        yield conn


def _widen_actions(conn: sqlite3.Connection) -> None:
    """A log made before an action was added refuses it (its CHECK lists the old actions): copy
    it into a table with the current CHECK, keeping every entry and its id."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' "
                       "AND name = 'audit_log'").fetchone()
    if row is None or all(f"'{a.value}'" in row[0] for a in AuditAction):
        return
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    conn.execute("ALTER TABLE audit_log RENAME TO audit_log_before")
    conn.execute("DROP INDEX IF EXISTS audit_log_at")
    for statement in SCHEMA_SQL:
        conn.execute(statement)
    conn.execute("INSERT INTO audit_log SELECT * FROM audit_log_before")
    conn.execute("DROP TABLE audit_log_before")


def record(actor: str, role: str, scope_key: str, action: AuditAction | str, page: str | None = None,
           kpi: str | None = None, period: str | None = None, detail: str | None = None, *,
           path: Path | None = None, at: datetime | None = None) -> int:
    """Append one entry and return its id. ``role`` and ``action`` may be enums or their values."""
    action = AuditAction(action)  # a value outside the closed list is refused here
    role = getattr(role, "value", role)
    when = (at or datetime.now(DANISH_TZ)).astimezone(DANISH_TZ).isoformat(timespec="seconds")
    values = [scrub(v) for v in (actor or "", str(role or ""), scope_key or "")]
    values += [action.value]
    values += [scrub(v) for v in (page, kpi, period, detail)]
    with _writer(path or audit_path()) as conn:
        cur = conn.execute(
            "INSERT INTO audit_log (at, actor, role, scope, action, page, kpi, period, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [when, *values])
        return int(cur.lastrowid)


@dataclass(frozen=True)
class AuditFilter:
    """Empty means "all". ``since``/``until`` are Danish days, both included; ``text`` is
    searched in the page, KPI, period and detail."""

    actor: str | None = None
    actions: tuple[AuditAction, ...] = ()
    since: date | None = None
    until: date | None = None
    text: str | None = None
    # the pages whose menu title the text was found in: the log stores a page's address
    # ("afdeling"), the administrator reads and searches its title ("Teams og sagsbehandlere")
    text_pages: tuple[str, ...] = ()


def filter_sql(f: AuditFilter) -> tuple[str, list[object]]:
    """The WHERE clause and its bound parameters (values are never formatted into SQL)."""
    conds: list[str] = []
    params: list[object] = []
    if f.actor:
        conds.append("lower(actor) = lower(?)")
        params.append(f.actor.strip())
    if f.actions:
        conds.append(f"action IN ({', '.join('?' * len(f.actions))})")
        params += [AuditAction(a).value for a in f.actions]
    if f.since:
        conds.append("substr(at, 1, 10) >= ?")
        params.append(f.since.isoformat())
    if f.until:
        conds.append("substr(at, 1, 10) < ?")
        params.append((f.until + timedelta(days=1)).isoformat())
    if f.text and f.text.strip():
        like = "%" + f.text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") \
            + "%"
        found = [f"coalesce({c}, '') LIKE ? ESCAPE '\\'" for c in ("page", "kpi", "period", "detail")]
        params += [like] * 4
        if f.text_pages:
            found.append(f"page IN ({', '.join('?' * len(f.text_pages))})")
            params += list(f.text_pages)
        conds.append("(" + " OR ".join(found) + ")")
    return (" AND ".join(conds) or "TRUE"), params


def read(limit: int | None = 1000, filters: AuditFilter | None = None, *,
         path: Path | None = None) -> pl.DataFrame:
    """The newest entries first (at most ``limit``; None for all)."""
    path = path or audit_path()
    if not path.exists():
        return pl.DataFrame(schema=SCHEMA)
    where, params = filter_sql(filters or AuditFilter())
    sql = f"SELECT {', '.join(COLUMNS)} FROM audit_log WHERE {where} ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params = [*params, int(limit)]
    conn = sqlite_store.connect(path)
    try:
        try:
            rows = conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return pl.DataFrame(schema=SCHEMA)
            raise
    finally:
        conn.close()
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")


def actors(path: Path | None = None) -> list[str]:
    """Every actor in the log, for a filter's choices."""
    path = path or audit_path()
    if not path.exists():
        return []
    conn = sqlite_store.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT DISTINCT actor FROM audit_log ORDER BY 1")]
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


COLUMNS_DA = {"id": "Nr.", "at": "Tidspunkt", "actor": "Bruger", "role": "Rolle",
              "scope": "Adgang", "action": "Handling", "page": "Side", "kpi": "Nøgletal",
              "period": "Periode", "detail": "Detaljer"}


ALL_TEAMS_DA = "Hele afdelingen"


def scope_da(key: str | None) -> str:
    """What a scope key (``Scope.key``) let the user see, in plain Danish: ``"*|5|0"`` →
    ``"Hele afdelingen; tal under 5 skjult; kun nøgletal, ingen sager"``. The command line's
    ``"*"`` is the whole department; anything else that is not a key is shown as it is."""
    if not key:
        return ""
    if key == "*":
        return ALL_TEAMS_DA
    try:
        scope = Scope.from_key(key)
    except ValueError:
        return key
    parts = [ALL_TEAMS_DA if scope.team_list is None else ", ".join(scope.team_list) or "Ingen teams"]
    if scope.suppress_below:
        parts.append(f"tal under {scope.suppress_below} skjult")
    if not scope.case_level:
        parts.append("kun nøgletal, ingen sager")
    return "; ".join(parts)


def table_da(df: pl.DataFrame, role_labels: dict[str, str] | None = None,
             page_titles: dict[str, str] | None = None) -> pl.DataFrame:
    """The entries as an administrator reads them: Danish headings, actions, access and (given
    their labels) roles and pages by their menu titles; the time as Danish local time without
    its offset; empty cells empty."""
    actions = {a.value: a.label_da for a in AuditAction}
    return df.with_columns(
        pl.col("at").str.slice(0, 19).str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False),
        pl.col("action").replace_strict(actions, default=pl.col("action"),
                                        return_dtype=pl.String),
        pl.col("role").replace_strict(role_labels or {}, default=pl.col("role"),
                                      return_dtype=pl.String),
        pl.col("page").replace_strict(page_titles or {}, default=pl.col("page"),
                                      return_dtype=pl.String),
        pl.col("scope").map_elements(scope_da, return_dtype=pl.String, skip_nulls=False),
    ).with_columns(pl.col(pl.String).fill_null("")).rename(COLUMNS_DA)


def to_csv_bytes(df: pl.DataFrame) -> bytes:
    """The log as CSV for Danish Excel (a username typed as a formula stays text)."""
    return excel_csv_bytes(df)


__all__ = ["AUDIT_ENV", "AuditAction", "AuditFilter", "actors", "audit_path", "filter_sql",
           "read", "record", "scope_da", "scrub", "table_da", "to_csv_bytes"]
