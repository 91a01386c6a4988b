"""Activity status and its history: runtime data in a SQLite file of its own (docs/plan.md).

Not in config/plan.yaml (analysts edit that; department heads change a status several times a
month) and not in the snapshot database (every import replaces it): ``$PEJLEMAERKER_PLAN_STATUS``,
else ``plan_status.sqlite`` beside the audit log, created readable by its owner only. WAL mode, a
busy timeout and one IMMEDIATE transaction per change, because several app processes write at once.
The history is append-only: a change is a new dated row with its note, never an edit, and each is
an audit-log entry. A note with a CPR number is refused, so it never reaches the file or the log.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from kpis import sqlite_store
from kpis.access import audit
from kpis.access.roles import Role
from kpis.compute.engine import Scope
from kpis.data.cpr import contains_cpr
from kpis.plan.model import ActivityStatus, Plan

STATUS_ENV = "PEJLEMAERKER_PLAN_STATUS"
_STATUSES = ", ".join(f"'{s.value}'" for s in ActivityStatus)
SCHEMA_SQL = (
    f"""CREATE TABLE IF NOT EXISTS status_change (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  plan_id    TEXT NOT NULL,
  activity   TEXT NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ({_STATUSES})),
  changed_on TEXT NOT NULL,
  note       TEXT NOT NULL,
  actor      TEXT NOT NULL,
  at         TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS status_change_activity ON status_change (plan_id, activity)",
    """CREATE TRIGGER IF NOT EXISTS status_change_no_update BEFORE UPDATE ON status_change
BEGIN SELECT RAISE(ABORT, 'status history is append-only'); END""",
)


class StatusError(ValueError):
    """A change that is not allowed (the message is Danish, for the person making it)."""


@dataclass(frozen=True)
class Change:
    activity: str
    status: ActivityStatus
    changed_on: date
    note: str
    actor: str


def status_path() -> Path:
    """``$PEJLEMAERKER_PLAN_STATUS``, else ``plan_status.sqlite`` beside the audit log."""
    configured = os.environ.get(STATUS_ENV)
    return Path(configured) if configured else audit.audit_path().with_name("plan_status.sqlite")


@contextmanager
def _tx(path: Path | None) -> Iterator[sqlite3.Connection]:
    with sqlite_store.immediate(path or status_path(), SCHEMA_SQL) as conn:
        yield conn


def may_update(plan: Plan, activity_id: str, role: Role, scope: Scope) -> bool:
    """Department heads update their activities: those of a team they lead, and those of the
    department (an owner with no team). Analysts keep the plan and may correct any."""
    if role in (Role.ANALYST, Role.ADMINISTRATOR):
        return True
    if role is not Role.DEPARTMENT_HEAD:
        return False
    team = plan.owner(plan.activity(activity_id).owner).team
    return team is None or scope.teams is None or team in scope.teams


def record_change(plan: Plan, activity_id: str, status: ActivityStatus | str, changed_on: date,
                  note: str, *, actor: str, role: Role, scope: Scope,
                  path: Path | None = None, audit_path: Path | None = None) -> Change:
    """Append one status change (and its audit-log entry); StatusError when not allowed."""
    plan.activity(activity_id)  # KeyError for an activity the plan does not have
    status = ActivityStatus(status)
    note = " ".join((note or "").split())
    if not note:
        raise StatusError("skriv en note om ændringen")
    if contains_cpr(note):
        raise StatusError("noten ser ud til at indeholde et CPR-nummer; skriv den uden")
    if not may_update(plan, activity_id, role, scope):
        raise StatusError("du kan kun opdatere aktiviteter, som dine teams eller afdelingen "
                          "har ansvaret for")
    with _tx(path) as conn:
        conn.execute(
            "INSERT INTO status_change (plan_id, activity, status, changed_on, note, actor, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [plan.id, activity_id, status.value, changed_on.isoformat(), note, actor,
             datetime.now(UTC).isoformat(timespec="seconds")])
    audit.record(actor, role, scope.key, audit.AuditAction.PLAN_STATUS, page="udviklingsplan",
                 detail=f"{plan.id}/{activity_id}: {status.label_da} pr. "
                        f"{changed_on:%d-%m-%Y}", path=audit_path)
    return Change(activity_id, status, changed_on, note, actor)


def history(plan_id: str, *, path: Path | None = None, until: date | None = None
            ) -> dict[str, list[Change]]:
    """Each activity's changes, oldest first (by date, then by when they were written);
    ``until`` leaves out changes dated after it (a report for an earlier date)."""
    with _tx(path) as conn:
        rows = conn.execute(
            "SELECT activity, status, changed_on, note, actor FROM status_change "
            "WHERE plan_id = ? ORDER BY changed_on, seq", [plan_id]).fetchall()
    out: dict[str, list[Change]] = {}
    for activity, status, changed_on, note, actor in rows:
        day = date.fromisoformat(changed_on)
        if until is None or day <= until:
            out.setdefault(activity, []).append(
                Change(activity, ActivityStatus(status), day, note, actor))
    return out


@dataclass(frozen=True)
class State:
    """An activity's status on a day, and the day it got it (None: never changed)."""

    status: ActivityStatus
    since: date | None


def states(plan: Plan, *, path: Path | None = None, on: date | None = None) -> dict[str, State]:
    """Every activity's status on a day (today's when None) from its dated history, with the day
    of the change that set it; an activity with no change by then is "ikke startet"."""
    changes = history(plan.id, path=path, until=on)
    return {a.id: State(changes[a.id][-1].status, changes[a.id][-1].changed_on)
            if a.id in changes else State(ActivityStatus.NOT_STARTED, None)
            for _, _, a in plan.activities()}


def current(plan: Plan, *, path: Path | None = None, on: date | None = None
            ) -> dict[str, ActivityStatus]:
    """Every activity's status on a day (today's when None); no change yet is "ikke startet"."""
    return {k: s.status for k, s in states(plan, path=path, on=on).items()}


def is_overdue(deadline: date, status: ActivityStatus, on: date) -> bool:
    """Past its deadline and neither done nor abandoned."""
    return on > deadline and not status.closed
