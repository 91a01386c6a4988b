"""The reviews themselves: the municipality's own records, in a SQLite file of their own.

Not in the snapshot database, which every import replaces: ``$PEJLEMAERKER_REVIEWS``, else
``reviews.sqlite`` beside the audit log (kpis/access/audit.py), created readable by its owner
only. WAL mode and a busy timeout because several app processes write at once; every call opens
its own connection and does its writing in one IMMEDIATE transaction, and answers are stored one
row per question, so two people saving different questions (or reviews) never overwrite each
other. A case that disappears from a later export keeps its reviews: team and caseworker are
copied from the snapshot when the case is drawn.

No CPR number enters the file: free text (comments, a mangel's description, reasons) with one is
refused (``CprInText``) so the reviewer rewrites it. Every review opened, saved, completed and
reopened, and every mangel created or closed, is an audit-log entry; the entry never holds the
comment itself.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from kpis import sqlite_store
from kpis.access import audit
from kpis.compute.engine import ALL, Scope
from kpis.data.cpr import contains_cpr
from kpis.present.formatting import danish_today
from kpis.review.model import MANGEL_ANSWERS, Answer
from kpis.review.sampling import Drawn

REVIEWS_ENV = "PEJLEMAERKER_REVIEWS"


class ReviewError(ValueError):
    """A review action that is not allowed (the message is Danish, for the reviewer)."""


class CprInText(ReviewError):
    pass


class NotInScope(ReviewError):
    pass


@dataclass(frozen=True)
class Actor:
    """Who acts, for the record and the audit log."""

    name: str
    role: str
    scope: Scope = ALL
    audited: bool = True  # False only for the demo's own reviews, built with the demo data


# The findings' revision: a counter that every change to what ``findings`` returns moves on,
# in the same transaction. The app keys cached figures by it (kpis/review/findings_source.py),
# so every app process agrees: one revision, one set of findings. Triggers, so no write path
# can forget it. (A timestamp was not enough: saved_at has whole seconds, and a review
# completed in the second of the last save left the revision as it was, so a process that had
# cached the figure in that second kept the old figure.)
_COMPLETED = "(SELECT status FROM reviews WHERE review_id = {}.review_id) = 'completed'"


def _bump_when(name: str, event: str, table: str, when: str | None) -> str:
    condition = f"WHEN {when} " if when else ""
    return (f"CREATE TRIGGER IF NOT EXISTS findings_rev_{name} AFTER {event} ON {table} "
            f"{condition}BEGIN UPDATE findings_revision SET revision = revision + 1 "
            "WHERE id = 1; END")


FINDINGS_REVISION_SQL = (
    """CREATE TABLE IF NOT EXISTS findings_revision (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  revision INTEGER NOT NULL
)""",
    "INSERT OR IGNORE INTO findings_revision VALUES (1, 0)",
    _bump_when("review_insert", "INSERT", "reviews", "NEW.status = 'completed'"),
    _bump_when("review_update", "UPDATE", "reviews",
               "OLD.status = 'completed' OR NEW.status = 'completed'"),
    _bump_when("review_delete", "DELETE", "reviews", "OLD.status = 'completed'"),
    _bump_when("answer_insert", "INSERT", "answers", _COMPLETED.format("NEW")),
    _bump_when("answer_update", "UPDATE", "answers",
               f"{_COMPLETED.format('NEW')} OR {_COMPLETED.format('OLD')}"),
    _bump_when("answer_delete", "DELETE", "answers", _COMPLETED.format("OLD")),
    # a sample's programme or round is part of each finding
    _bump_when("sample_update", "UPDATE", "samples", None),
)

SCHEMA_SQL = (
    """CREATE TABLE IF NOT EXISTS samples (
  sample_id    TEXT PRIMARY KEY,
  programme_id TEXT NOT NULL,
  round        TEXT NOT NULL,
  window_label TEXT NOT NULL,
  window_start TEXT NOT NULL,
  window_end   TEXT NOT NULL,
  seed         INTEGER NOT NULL,
  snapshot_id  TEXT NOT NULL,
  rule_json    TEXT NOT NULL,
  frame_json   TEXT NOT NULL,
  drawn_at     TEXT NOT NULL,
  drawn_by     TEXT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS sample_cases (
  sample_id   TEXT NOT NULL REFERENCES samples(sample_id),
  case_id     TEXT NOT NULL,
  team        TEXT NOT NULL,
  caseworker  TEXT NOT NULL,
  position    INTEGER NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('drawn', 'replaced', 'replacement')),
  replaces    TEXT,
  reason      TEXT,
  changed_by  TEXT,
  changed_at  TEXT,
  PRIMARY KEY (sample_id, case_id)
)""",
    """CREATE TABLE IF NOT EXISTS reviews (
  review_id    TEXT PRIMARY KEY,
  sample_id    TEXT NOT NULL REFERENCES samples(sample_id),
  case_id      TEXT NOT NULL,
  team         TEXT NOT NULL,
  caseworker   TEXT NOT NULL,
  reviewer     TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('draft', 'completed', 'reopened')),
  opened_at    TEXT NOT NULL,
  saved_at     TEXT NOT NULL,
  completed_on TEXT,
  UNIQUE (sample_id, case_id)
)""",
    """CREATE TABLE IF NOT EXISTS review_events (
  review_id TEXT NOT NULL REFERENCES reviews(review_id),
  at        TEXT NOT NULL,
  actor     TEXT NOT NULL,
  event     TEXT NOT NULL,
  reason    TEXT
)""",
    """CREATE TABLE IF NOT EXISTS answers (
  review_id    TEXT NOT NULL REFERENCES reviews(review_id),
  question_id  TEXT NOT NULL,
  answer       TEXT CHECK (answer IN ('ja', 'delvist', 'nej', 'ikke_relevant')),
  comment      TEXT,
  saved_by     TEXT NOT NULL,
  saved_at     TEXT NOT NULL,
  PRIMARY KEY (review_id, question_id)
)""",
    """CREATE TABLE IF NOT EXISTS prefill_findings (
  review_id      TEXT NOT NULL REFERENCES reviews(review_id),
  question_id    TEXT NOT NULL,
  kpi            TEXT NOT NULL,
  engine_answer  TEXT NOT NULL,
  reviewer_answer TEXT NOT NULL,
  detail         TEXT,
  found_by       TEXT NOT NULL,
  found_at       TEXT NOT NULL,
  PRIMARY KEY (review_id, question_id)
)""",
    """CREATE TABLE IF NOT EXISTS mangler (
  mangel_id   TEXT PRIMARY KEY,
  review_id   TEXT NOT NULL REFERENCES reviews(review_id),
  question_id TEXT NOT NULL,
  case_id     TEXT NOT NULL,
  team        TEXT NOT NULL,
  what        TEXT NOT NULL,
  caseworker  TEXT NOT NULL,
  due_on      TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('open', 'closed')),
  created_by  TEXT NOT NULL,
  created_at  TEXT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS mangel_events (
  mangel_id TEXT NOT NULL REFERENCES mangler(mangel_id),
  at        TEXT NOT NULL,
  actor     TEXT NOT NULL,
  status    TEXT NOT NULL,
  note      TEXT
)""",
    *FINDINGS_REVISION_SQL,
)


def reviews_path() -> Path:
    """``$PEJLEMAERKER_REVIEWS``, else ``reviews.sqlite`` beside the audit log."""
    configured = os.environ.get(REVIEWS_ENV)
    return Path(configured) if configured else audit.audit_path().with_name("reviews.sqlite")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextmanager
def _tx(path: Path | None = None) -> Iterator[sqlite3.Connection]:
    """One IMMEDIATE transaction on a connection of its own."""
    with sqlite_store.immediate(path or reviews_path(), SCHEMA_SQL, foreign_keys=True) as conn:
        yield conn


@contextmanager
def _read(path: Path | None = None) -> Iterator[sqlite3.Connection]:
    """A read of its own: one consistent snapshot of the file (WAL lets readers run beside a
    writer), without the write lock a writer takes."""
    path = path or reviews_path()
    if not path.exists() or not _has_schema(path):
        with _tx(path):  # the first use creates the file and its tables
            pass
    conn = sqlite_store.connect(path)
    try:
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")
    finally:
        conn.close()


def findings_revision(path: Path | None = None) -> int | None:
    """The findings' revision (``FINDINGS_REVISION_SQL``); None when the file or its counter
    does not exist yet. It never creates the file."""
    path = path or reviews_path()
    if not path.exists():
        return None
    if not _has_schema(path):  # a file from before the counter, or being created: add it
        with _tx(path):
            pass
    conn = sqlite_store.connect(path)
    try:
        row = conn.execute("SELECT revision FROM findings_revision WHERE id = 1").fetchone()
    finally:
        conn.close()
    return None if row is None else int(row[0])


def _has_schema(path: Path) -> bool:
    conn = sqlite_store.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                            "AND name = 'findings_revision'").fetchone()[0] == 1
    finally:
        conn.close()


def _frame(conn: sqlite3.Connection, sql: str, params: Iterable[object] = ()) -> pl.DataFrame:
    cur = conn.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    return pl.DataFrame(rows, schema={n: pl.String for n in names}, orient="row",
                        infer_schema_length=None) if rows else pl.DataFrame(
        schema={n: pl.String for n in names})


def _clean_text(text: str | None, what: str) -> str | None:
    if text is None:
        return None
    if contains_cpr(text):
        raise CprInText(f"{what} ser ud til at indeholde et CPR-nummer. Skriv det om uden "
                        "CPR-nummer og navne; sagen er allerede kendt fra sagsnummeret.")
    return text.strip() or None


def _audit(actor: Actor, action: audit.AuditAction, detail: str, period: str | None = None
           ) -> None:
    if not actor.audited:
        return
    audit.record(actor.name, actor.role, actor.scope.key, action, page="sagsgennemgang",
                 period=period, detail=detail)


def _require_team(actor: Actor, team: str) -> None:
    actor.scope.require_case_level()
    if actor.scope.teams is not None and team not in actor.scope.teams:
        raise NotInScope(f"sagen hører til teamet {team!r}, som du ikke er leder for")


def _team_filter(scope: Scope, column: str = "team") -> tuple[str, list[object]]:
    if scope.teams is None:
        return "TRUE", []
    teams = sorted(scope.teams)
    if not teams:
        return "FALSE", []
    return f"{column} IN ({', '.join('?' * len(teams))})", list(teams)


# --- samples --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSample:
    programme_id: str
    round: str
    window_label: str
    window_start: date
    window_end: date
    seed: int
    snapshot_id: str
    rule: dict
    frame_ids: tuple[str, ...]
    cases: tuple[Drawn, ...]


def save_sample(sample: NewSample, actor: Actor, *, path: Path | None = None) -> str:
    """Store a drawn sample with everything needed to redraw it; returns its id."""
    sample_id = uuid.uuid4().hex[:12]
    with _tx(path) as conn:
        conn.execute(
            "INSERT INTO samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [sample_id, sample.programme_id, sample.round, sample.window_label,
             sample.window_start.isoformat(), sample.window_end.isoformat(), sample.seed,
             sample.snapshot_id, json.dumps(sample.rule, sort_keys=True),
             json.dumps(sorted(sample.frame_ids)), _now(), actor.name])
        conn.executemany(
            "INSERT INTO sample_cases (sample_id, case_id, team, caseworker, position, status) "
            "VALUES (?, ?, ?, ?, ?, 'drawn')",
            [[sample_id, d.case_id, d.team, d.caseworker, i] for i, d in enumerate(sample.cases)])
    _audit(actor, audit.AuditAction.REVIEW_SAMPLE,
           f"stikprøve {sample_id} ({sample.programme_id}, {sample.round}): "
           f"{len(sample.cases)} sager af {len(sample.frame_ids)}, frø {sample.seed}",
           sample.window_label)
    return sample_id


def samples(programme_id: str | None = None, *, path: Path | None = None) -> pl.DataFrame:
    with _read(path) as conn:
        return _frame(conn, "SELECT sample_id, programme_id, round, window_label, window_start, "
                      "window_end, seed, snapshot_id, rule_json, drawn_at, drawn_by FROM samples "
                      "WHERE (? IS NULL OR programme_id = ?) ORDER BY drawn_at, sample_id",
                      [programme_id, programme_id])


def sample(sample_id: str, *, path: Path | None = None) -> dict:
    """One stored sample (a row of ``samples``)."""
    df = samples(path=path).filter(pl.col("sample_id") == sample_id)
    if df.is_empty():
        raise ReviewError(f"ukendt stikprøve {sample_id!r}")
    return df.row(0, named=True)


def review_status(review_id: str, *, path: Path | None = None) -> str:
    with _read(path) as conn:
        return _review_row(conn, review_id)[1]


def sample_frame(sample_id: str, *, path: Path | None = None) -> tuple[str, ...]:
    """The eligible case ids the sample was drawn from."""
    with _read(path) as conn:
        row = conn.execute("SELECT frame_json FROM samples WHERE sample_id = ?",
                           [sample_id]).fetchone()
    if row is None:
        raise ReviewError(f"ukendt stikprøve {sample_id!r}")
    return tuple(json.loads(row[0]))


def sample_cases(sample_id: str, scope: Scope = ALL, *, path: Path | None = None
                 ) -> pl.DataFrame:
    """The sample's cases (a replaced case stays, marked, with its reason)."""
    cond, params = _team_filter(scope)
    with _read(path) as conn:
        return _frame(conn, "SELECT case_id, team, caseworker, status, replaces, reason, "
                      "changed_by, changed_at FROM sample_cases WHERE sample_id = ? AND "
                      f"{cond} ORDER BY position, case_id", [sample_id, *params])


def replace_case(sample_id: str, case_id: str, new: Drawn, reason: str, actor: Actor, *,
                 path: Path | None = None) -> None:
    """Swap a drawn case for ``new`` (see sampling.replacement); the reason is required and kept,
    and the replaced case stays in the sample marked as replaced."""
    reason = _clean_text(reason, "Begrundelsen")
    if not reason:
        raise ReviewError("en udskiftning kræver en begrundelse")
    with _tx(path) as conn:
        row = conn.execute("SELECT team, position, status FROM sample_cases WHERE sample_id = ? "
                           "AND case_id = ?", [sample_id, case_id]).fetchone()
        if row is None or row[2] == "replaced":
            raise ReviewError(f"sagen {case_id} er ikke udtrukket i stikprøven")
        _require_team(actor, row[0])
        if conn.execute("SELECT 1 FROM reviews WHERE sample_id = ? AND case_id = ?",
                        [sample_id, case_id]).fetchone():
            raise ReviewError("sagen er allerede under gennemgang og kan ikke skiftes ud")
        conn.execute("UPDATE sample_cases SET status = 'replaced', reason = ?, changed_by = ?, "
                     "changed_at = ? WHERE sample_id = ? AND case_id = ?",
                     [reason, actor.name, _now(), sample_id, case_id])
        conn.execute("INSERT INTO sample_cases VALUES (?, ?, ?, ?, ?, 'replacement', ?, ?, ?, ?)",
                     [sample_id, new.case_id, new.team, new.caseworker, row[1], case_id, reason,
                      actor.name, _now()])
    _audit(actor, audit.AuditAction.REVIEW_SAMPLE,
           f"stikprøve {sample_id}: sag {case_id} skiftet ud med {new.case_id}: {reason}")


def drawn_cases(scope: Scope = ALL, *, path: Path | None = None) -> pl.DataFrame:
    """Every drawn case of the scope's teams that is not replaced, with its review's status
    (empty: not started) — the reviewer's list, the newest sample first."""
    scope.require_case_level()
    cond, params = _team_filter(scope, "c.team")
    with _read(path) as conn:
        return _frame(
            conn, "SELECT s.sample_id, s.programme_id, s.round, s.window_label, c.case_id, "
            "c.team, c.caseworker, r.review_id, coalesce(r.status, '') AS status, r.reviewer, "
            "r.completed_on FROM sample_cases c JOIN samples s USING (sample_id) "
            "LEFT JOIN reviews r ON r.sample_id = c.sample_id AND r.case_id = c.case_id "
            f"WHERE c.status <> 'replaced' AND {cond} "
            "ORDER BY s.drawn_at DESC, s.sample_id, c.position, c.case_id", params)


def recently_drawn(programme_id: str, since: date, *, path: Path | None = None
                   ) -> frozenset[str]:
    """Cases in the programme's samples whose window ended on or after ``since`` (not to be
    drawn again within the exclusion months)."""
    with _read(path) as conn:
        rows = conn.execute(
            "SELECT DISTINCT c.case_id FROM sample_cases c JOIN samples s USING (sample_id) "
            "WHERE s.programme_id = ? AND s.window_end >= ? AND c.status <> 'replaced'",
            [programme_id, since.isoformat()]).fetchall()
    return frozenset(r[0] for r in rows)


# --- reviews --------------------------------------------------------------------------------


def _review_row(conn: sqlite3.Connection, review_id: str) -> tuple:
    row = conn.execute("SELECT team, status, case_id, sample_id FROM reviews WHERE review_id = ?",
                       [review_id]).fetchone()
    if row is None:
        raise ReviewError(f"ukendt gennemgang {review_id!r}")
    return row


def _event(conn, review_id: str, actor: Actor, event: str, reason: str | None = None) -> None:
    conn.execute("INSERT INTO review_events VALUES (?, ?, ?, ?, ?)",
                 [review_id, _now(), actor.name, event, reason])


def open_review(sample_id: str, case_id: str, actor: Actor, *, path: Path | None = None
                ) -> str:
    """The review of a drawn case (a new draft the first time); returns its id."""
    with _tx(path) as conn:
        row = conn.execute("SELECT team, caseworker, status FROM sample_cases WHERE sample_id = ? "
                           "AND case_id = ?", [sample_id, case_id]).fetchone()
        if row is None or row[2] == "replaced":
            raise ReviewError(f"sagen {case_id} er ikke udtrukket i stikprøven")
        _require_team(actor, row[0])
        found = conn.execute("SELECT review_id FROM reviews WHERE sample_id = ? AND case_id = ?",
                             [sample_id, case_id]).fetchone()
        if found:
            review_id, event = found[0], "opened"
        else:
            review_id, event = uuid.uuid4().hex[:12], "created"
            now = _now()
            conn.execute("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?, NULL)",
                         [review_id, sample_id, case_id, row[0], row[1], actor.name, now, now])
        _event(conn, review_id, actor, event)
    _audit(actor, audit.AuditAction.REVIEW_OPEN, f"gennemgang {review_id} af sag {case_id}")
    return review_id


def save_answers(review_id: str, answers: dict[str, tuple[Answer | str | None, str | None]],
                 actor: Actor, *, path: Path | None = None) -> None:
    """Save the given questions' answers and comments (other questions are left as they are).
    A completed review must be reopened first."""
    clean = {}
    for qid, (answer, comment) in answers.items():
        clean[qid] = (Answer(answer).value if answer else None,
                      _clean_text(comment, "Kommentaren"))
    with _tx(path) as conn:
        team, status, case_id, _ = _review_row(conn, review_id)
        _require_team(actor, team)
        if status == "completed":
            raise ReviewError("gennemgangen er afsluttet; genåbn den med en begrundelse først")
        now = _now()
        conn.executemany(
            "INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (review_id, question_id) "
            "DO UPDATE SET answer = excluded.answer, comment = excluded.comment, "
            "saved_by = excluded.saved_by, saved_at = excluded.saved_at",
            [[review_id, qid, a, c, actor.name, now] for qid, (a, c) in clean.items()])
        conn.execute("UPDATE reviews SET saved_at = ? WHERE review_id = ?", [now, review_id])
        _event(conn, review_id, actor, "saved")
    _audit(actor, audit.AuditAction.REVIEW_SAVE,
           f"gennemgang {review_id} af sag {case_id}: {len(clean)} svar gemt som kladde")


def record_prefill_correction(review_id: str, question_id: str, kpi: str, engine_answer: str,
                              reviewer_answer: str, detail: str, actor: Actor, *,
                              path: Path | None = None) -> None:
    """The reviewer answered otherwise than the engine: a data-quality finding (the dates in
    the export may be wrong, or the rule may not fit the case)."""
    with _tx(path) as conn:
        team = _review_row(conn, review_id)[0]
        _require_team(actor, team)
        conn.execute(
            "INSERT INTO prefill_findings VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (review_id, question_id) DO UPDATE SET "
            "engine_answer = excluded.engine_answer, reviewer_answer = excluded.reviewer_answer, "
            "detail = excluded.detail, found_by = excluded.found_by, found_at = excluded.found_at",
            [review_id, question_id, kpi, engine_answer, reviewer_answer, detail, actor.name,
             _now()])


def prefill_findings(scope: Scope = ALL, *, path: Path | None = None) -> pl.DataFrame:
    cond, params = _team_filter(scope, "r.team")
    with _read(path) as conn:
        return _frame(conn, "SELECT r.case_id, r.team, p.question_id, p.kpi, p.engine_answer, "
                      "p.reviewer_answer, p.detail, p.found_by, p.found_at FROM prefill_findings "
                      f"p JOIN reviews r USING (review_id) WHERE {cond} ORDER BY p.found_at",
                      params)


def answers(review_id: str, *, path: Path | None = None) -> dict[str, tuple[str | None,
                                                                         str | None]]:
    with _read(path) as conn:
        rows = conn.execute("SELECT question_id, answer, comment FROM answers "
                            "WHERE review_id = ?", [review_id]).fetchall()
    return {q: (a, c) for q, a, c in rows}


def complete(review_id: str, actor: Actor, required: Iterable[str] = (), *,
             on: date | None = None, path: Path | None = None) -> None:
    """Mark the review completed; every question in ``required`` (those that apply to the
    case) must have an answer."""
    with _tx(path) as conn:
        team, status, case_id, _ = _review_row(conn, review_id)
        _require_team(actor, team)
        if status == "completed":
            raise ReviewError("gennemgangen er allerede afsluttet")
        given = {r[0] for r in conn.execute("SELECT question_id FROM answers WHERE review_id = ? "
                                            "AND answer IS NOT NULL", [review_id])}
        missing = sorted(set(required) - given)
        if missing:
            raise ReviewError("disse spørgsmål mangler et svar: " + ", ".join(missing))
        conn.execute("UPDATE reviews SET status = 'completed', completed_on = ?, saved_at = ? "
                     "WHERE review_id = ?",
                     [(on or danish_today()).isoformat(), _now(), review_id])
        _event(conn, review_id, actor, "completed")
    _audit(actor, audit.AuditAction.REVIEW_COMPLETE, f"gennemgang {review_id} af sag {case_id}")


def reopen(review_id: str, actor: Actor, reason: str, *, path: Path | None = None) -> None:
    reason = _clean_text(reason, "Begrundelsen")
    if not reason:
        raise ReviewError("en genåbning kræver en begrundelse")
    with _tx(path) as conn:
        team, status, case_id, _ = _review_row(conn, review_id)
        _require_team(actor, team)
        if status != "completed":
            raise ReviewError("kun en afsluttet gennemgang kan genåbnes")
        conn.execute("UPDATE reviews SET status = 'reopened', completed_on = NULL, saved_at = ? "
                     "WHERE review_id = ?", [_now(), review_id])
        _event(conn, review_id, actor, "reopened", reason)
    _audit(actor, audit.AuditAction.REVIEW_REOPEN,
           f"gennemgang {review_id} af sag {case_id}: {reason}")


def reviews(scope: Scope = ALL, *, reviewer: str | None = None, status: str | None = None,
            path: Path | None = None) -> pl.DataFrame:
    cond, params = _team_filter(scope, "r.team")
    with _read(path) as conn:
        return _frame(
            conn, "SELECT r.review_id, r.sample_id, s.programme_id, s.round, s.window_label, "
            "r.case_id, r.team, r.caseworker, r.reviewer, r.status, r.opened_at, r.saved_at, "
            "r.completed_on FROM reviews r JOIN samples s USING (sample_id) "
            f"WHERE {cond} AND (? IS NULL OR r.reviewer = ?) AND (? IS NULL OR r.status = ?) "
            "ORDER BY r.opened_at, r.review_id", [*params, reviewer, reviewer, status, status])


def events(review_id: str, *, path: Path | None = None) -> pl.DataFrame:
    with _read(path) as conn:
        return _frame(conn, "SELECT at, actor, event, reason FROM review_events "
                      "WHERE review_id = ? ORDER BY rowid", [review_id])


# --- mangler --------------------------------------------------------------------------------


def add_mangel(review_id: str, question_id: str, what: str, caseworker: str, due_on: date,
               actor: Actor, *, path: Path | None = None) -> str:
    """A mangel to correct, raised from a 'nej' or 'delvist'."""
    what = _clean_text(what, "Beskrivelsen af manglen")
    if not what:
        raise ReviewError("beskriv, hvad der skal rettes")
    with _tx(path) as conn:
        team, _, case_id, _ = _review_row(conn, review_id)
        _require_team(actor, team)
        row = conn.execute("SELECT answer FROM answers WHERE review_id = ? AND question_id = ?",
                           [review_id, question_id]).fetchone()
        if row is None or row[0] not in {a.value for a in MANGEL_ANSWERS}:
            raise ReviewError("en mangel kan kun oprettes på et spørgsmål besvaret med nej "
                              "eller delvist (gem svaret først)")
        mangel_id = uuid.uuid4().hex[:12]
        now = _now()
        conn.execute("INSERT INTO mangler VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)",
                     [mangel_id, review_id, question_id, case_id, team, what, caseworker,
                      due_on.isoformat(), actor.name, now])
        conn.execute("INSERT INTO mangel_events VALUES (?, ?, ?, 'open', NULL)",
                     [mangel_id, now, actor.name])
    _audit(actor, audit.AuditAction.MANGEL_CREATE,
           f"mangel {mangel_id} på sag {case_id} ({question_id}), frist {due_on.isoformat()}")
    return mangel_id


def close_mangel(mangel_id: str, actor: Actor, note: str | None = None, *,
                 path: Path | None = None) -> None:
    note = _clean_text(note, "Noten")
    with _tx(path) as conn:
        row = conn.execute("SELECT team, status, case_id FROM mangler WHERE mangel_id = ?",
                           [mangel_id]).fetchone()
        if row is None:
            raise ReviewError(f"ukendt mangel {mangel_id!r}")
        _require_team(actor, row[0])
        if row[1] == "closed":
            raise ReviewError("manglen er allerede lukket")
        conn.execute("UPDATE mangler SET status = 'closed' WHERE mangel_id = ?", [mangel_id])
        conn.execute("INSERT INTO mangel_events VALUES (?, ?, ?, 'closed', ?)",
                     [mangel_id, _now(), actor.name, note])
    _audit(actor, audit.AuditAction.MANGEL_CLOSE, f"mangel {mangel_id} på sag {row[2]} lukket")


def mangler(scope: Scope = ALL, *, status: str | None = "open", path: Path | None = None
            ) -> pl.DataFrame:
    """Mangler (open ones by default) of the scope's teams, the earliest due first."""
    scope.require_case_level()
    cond, params = _team_filter(scope)
    with _read(path) as conn:
        return _frame(conn, "SELECT mangel_id, case_id, team, caseworker, question_id, what, "
                      "due_on, status, created_by, created_at FROM mangler "
                      f"WHERE {cond} AND (? IS NULL OR status = ?) ORDER BY due_on, mangel_id",
                      [*params, status, status])


def mangel_history(mangel_id: str, *, path: Path | None = None) -> pl.DataFrame:
    with _read(path) as conn:
        return _frame(conn, "SELECT at, actor, status, note FROM mangel_events "
                      "WHERE mangel_id = ? ORDER BY rowid", [mangel_id])


# --- findings ------------------------------------------------------------------------------

FINDINGS_SCHEMA = {"programme_id": pl.String, "round": pl.String, "window_label": pl.String,
                   "case_id": pl.String, "team": pl.String, "caseworker": pl.String,
                   "question_id": pl.String, "answer": pl.String, "review_date": pl.Date}


def findings(scope: Scope = ALL, *, path: Path | None = None) -> pl.DataFrame:
    """One row per case × question of completed reviews, with no free text (comments stay in
    the review). A reopened review counts again only once completed again."""
    cond, params = _team_filter(scope, "r.team")
    with _read(path) as conn:
        df = _frame(conn, "SELECT s.programme_id, s.round, s.window_label, r.case_id, r.team, "
                    "r.caseworker, a.question_id, a.answer, r.completed_on AS review_date "
                    "FROM answers a JOIN reviews r USING (review_id) JOIN samples s "
                    "USING (sample_id) WHERE r.status = 'completed' AND a.answer IS NOT NULL "
                    f"AND {cond} ORDER BY r.completed_on, r.case_id, a.question_id", params)
    return df.with_columns(pl.col("review_date").str.to_date()).cast(FINDINGS_SCHEMA)
