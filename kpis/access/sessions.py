"""Signed-in sessions of local users, shared by every app process: what keeps a person signed in
across reloads, new tabs and pasted links, and what logout and the idle timeout end everywhere.

A session is a random id. The browser holds it in a signed, HttpOnly cookie (``COOKIE_NAME``),
set by an HTTP response of ``serve.py`` — a script run cannot set an HttpOnly cookie. The server
keeps one row per session in a small SQLite file (``$PEJLEMAERKER_SESSIONS``, else
``data/sessions.sqlite``) that every app process reads: who, when it started, when it was last
used, and whether it has ended. Only a hash of the id is stored, so the file does not hand out
working cookies. A cookie is honoured only while its row says the session is active: logout,
the idle timeout and the longest life end the row, and every tab and process then refuses it.

The form's sign-in cannot set the cookie itself, so it hands the browser a one-time token
(valid ``TOKEN_LIFETIME_S`` seconds) that ``serve.py`` exchanges for the cookie.

The signing key is ``$PEJLEMAERKER_SESSION_SECRET``, else a key file beside the sessions file
(generated on first use, mode 0600). Every app process must use the same one.

No streamlit here: the app's glue is ``pages/_auth.py``.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from kpis import DATA_DIR, sqlite_store
from kpis.private_files import create_private

SESSIONS_ENV = "PEJLEMAERKER_SESSIONS"
DEFAULT_SESSIONS = DATA_DIR / "sessions.sqlite"
SECRET_ENV = "PEJLEMAERKER_SESSION_SECRET"
KEY_FILE_NAME = "session.key"
COOKIE_NAME = "pejlemaerker_session"
SALT = "pejlemaerker-session"
TOKEN_LIFETIME_S = 60.0
MIN_SECRET_LENGTH = 32
# Overrides access.session_timeout_minutes in seconds: for tests and demonstrations of the timeout.
IDLE_TIMEOUT_ENV = "PEJLEMAERKER_IDLE_TIMEOUT_SECONDS"

SCHEMA_SQL = (
    """CREATE TABLE IF NOT EXISTS sessions (
  id_hash    TEXT PRIMARY KEY,
  username   TEXT NOT NULL,
  started    REAL NOT NULL,
  last_seen  REAL NOT NULL,
  ended      REAL,
  end_reason TEXT
)""",
    """CREATE TABLE IF NOT EXISTS tokens (
  token_hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL,
  expires    REAL NOT NULL
)""",
)


class Status(str, Enum):
    ACTIVE = "active"
    IDLE = "idle"          # ended now: unused for longer than the idle timeout
    EXPIRED = "expired"    # ended now: older than a session may live
    ENDED = "ended"        # ended before (logout, timeout seen by another tab) or unknown


@dataclass(frozen=True)
class Session:
    username: str
    started: float
    last_seen: float
    end_reason: str | None = None  # once ended: Status.IDLE/EXPIRED's value, or end()'s reason


class SessionSecretError(ValueError):
    """The configured signing key is unusable (too short)."""


def idle_timeout_seconds() -> float:
    """Idle time after which a session ends: ``access.session_timeout_minutes`` of
    config/settings.yaml, or ``$PEJLEMAERKER_IDLE_TIMEOUT_SECONDS`` when set."""
    from kpis.settings import default_settings

    override = os.environ.get(IDLE_TIMEOUT_ENV)
    if override:
        return float(override)
    return default_settings().access.session_timeout_minutes * 60.0


def max_session_seconds() -> float:
    """Time after signing in at which every session ends (``access.session_max_hours``)."""
    from kpis.settings import default_settings

    return default_settings().access.session_max_hours * 3600.0


# --- where ---------------------------------------------------------------------------------


def sessions_path() -> Path:
    """``$PEJLEMAERKER_SESSIONS``, else ``data/sessions.sqlite``."""
    return Path(os.environ.get(SESSIONS_ENV) or DEFAULT_SESSIONS)


def secret(path: Path | None = None) -> str:
    """The key that signs session cookies: ``$PEJLEMAERKER_SESSION_SECRET``, else the key file
    beside the sessions file, written on first use (readable by its owner only). Processes that
    start together agree on one file: it is created exclusively, and a loser reads the winner's."""
    configured = os.environ.get(SECRET_ENV)
    if configured:
        if len(configured) < MIN_SECRET_LENGTH:
            raise SessionSecretError(
                f"{SECRET_ENV} er for kort: mindst {MIN_SECRET_LENGTH} tegn "
                "(lav et med `python -c \"import secrets; print(secrets.token_urlsafe(48))\"`)")
        return configured
    key_file = (path or sessions_path()).with_name(KEY_FILE_NAME)
    try:
        return _read_key(key_file)
    except FileNotFoundError:
        pass
    key_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(key_file)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_urlsafe(48) + "\n")
    return _read_key(key_file)


def _read_key(key_file: Path) -> str:
    for _ in range(50):  # a process that just created the file may not have written it yet
        key = key_file.read_text(encoding="ascii").strip()
        if key:
            return key
        time.sleep(0.01)
    raise SessionSecretError(f"nøglefilen {key_file} er tom")


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _connect(path: Path | None = None) -> sqlite3.Connection:
    path = path or sessions_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    create_private(path)  # who is signed in is nobody else's business on the server (0600)
    conn = sqlite_store.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA secure_delete = ON")  # a used token's session id is overwritten
    for statement in SCHEMA_SQL:
        conn.execute(statement)
    return conn


# --- the cookie ----------------------------------------------------------------------------


def _serializer(path: Path | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret(path), salt=SALT)


def cookie_value(session_id: str, path: Path | None = None) -> str:
    """What the cookie holds: the session id, signed and timestamped."""
    return _serializer(path).dumps(session_id)


def session_id_from_cookie(value: str | None, max_age_s: float,
                           path: Path | None = None) -> str | None:
    """The session id in a cookie this installation signed within ``max_age_s``, else None."""
    if not value:
        return None
    try:
        session_id = _serializer(path).loads(value, max_age=int(max_age_s))
    except BadSignature:  # also a signature that is too old (SignatureExpired)
        return None
    return session_id if isinstance(session_id, str) and session_id else None


# --- sessions ------------------------------------------------------------------------------


def start(username: str, *, now: float | None = None,
          path: Path | None = None) -> tuple[str, str]:
    """A new active session of ``username`` and a one-time token that ``redeem`` exchanges for
    its id (once, within ``TOKEN_LIFETIME_S``). Returns (session id, token)."""
    now = time.time() if now is None else now
    session_id, token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with closing(_connect(path)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM tokens WHERE expires < ?", [now])
        # sessions older than any may live are over: the store does not grow without end
        conn.execute("DELETE FROM sessions WHERE started < ?", [now - max_session_seconds()])
        conn.execute("INSERT INTO sessions (id_hash, username, started, last_seen) "
                     "VALUES (?, ?, ?, ?)", [_hash(session_id), username, now, now])
        conn.execute("INSERT INTO tokens (token_hash, session_id, expires) VALUES (?, ?, ?)",
                     [_hash(token), session_id, now + TOKEN_LIFETIME_S])
        conn.execute("COMMIT")
    return session_id, token


def redeem(token: str | None, *, now: float | None = None,
           path: Path | None = None) -> str | None:
    """The session id a fresh, unused token stands for; the token is used up either way."""
    if not token:
        return None
    now = time.time() if now is None else now
    with closing(_connect(path)) as conn:
        row = conn.execute("DELETE FROM tokens WHERE token_hash = ? RETURNING session_id, expires",
                           [_hash(token)]).fetchone()
    if row is None or row[1] < now:
        return None
    return row[0]


def check(session_id: str, idle_s: float, max_s: float, *, touch: bool = True,
          now: float | None = None, path: Path | None = None) -> tuple[Status, Session | None]:
    """Whether the session is still active, and whose it is.

    Past the idle timeout or its longest life the session is ended here, and the call that ends
    it gets IDLE or EXPIRED (so exactly one caller reports it); later calls get ENDED. ``touch``
    counts this call as use (an automatic check of an idle screen does not)."""
    now = time.time() if now is None else now
    key = _hash(session_id)
    with closing(_connect(path)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute("SELECT username, started, last_seen, ended, end_reason "
                           "FROM sessions WHERE id_hash = ?", [key]).fetchone()
        if row is None or row[3] is not None:
            conn.execute("COMMIT")
            return Status.ENDED, (Session(row[0], row[1], row[2], row[4]) if row else None)
        session = Session(row[0], row[1], row[2])
        status = (Status.IDLE if now - session.last_seen > idle_s
                  else Status.EXPIRED if now - session.started > max_s else Status.ACTIVE)
        if status is not Status.ACTIVE:
            conn.execute("UPDATE sessions SET ended = ?, end_reason = ? WHERE id_hash = ?",
                         [now, status.value, key])
        elif touch:
            conn.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?", [now, key])
            session = Session(session.username, session.started, now)
        conn.execute("COMMIT")
    return status, session


def has_ended(session_id: str, *, path: Path | None = None) -> bool:
    """True when the session was ended (or is unknown); reads only, ends nothing."""
    with closing(_connect(path)) as conn:
        row = conn.execute("SELECT ended FROM sessions WHERE id_hash = ?",
                           [_hash(session_id)]).fetchone()
    return row is None or row[0] is not None


def end(session_id: str, reason: str = "logout", *, now: float | None = None,
        path: Path | None = None) -> None:
    """End the session for every tab and process (logout)."""
    now = time.time() if now is None else now
    with closing(_connect(path)) as conn:
        conn.execute("UPDATE sessions SET ended = ?, end_reason = ? "
                     "WHERE id_hash = ? AND ended IS NULL", [now, reason, _hash(session_id)])


def end_all_of(username: str, reason: str, *, now: float | None = None,
               path: Path | None = None) -> int:
    """End every active session of ``username`` (a user removed or changed); how many."""
    now = time.time() if now is None else now
    with closing(_connect(path)) as conn:
        cur = conn.execute("UPDATE sessions SET ended = ?, end_reason = ? "
                           "WHERE username = ? AND ended IS NULL", [now, reason, username])
        return cur.rowcount


# --- the routes serve.py mounts --------------------------------------------------------------

OPEN_ROUTE = "/auth/session"
_mounted: list[str] = []


def mark_routes_mounted(prefix: str = "") -> None:
    """Called by ``serve.py``: this process serves ``OPEN_ROUTE`` (under ``prefix``)."""
    _mounted[:] = [prefix.rstrip("/") + OPEN_ROUTE]


def open_route() -> str | None:
    """The address that exchanges a token for the cookie, or None when this process was started
    without ``serve.py`` (``streamlit run app.py``): then a sign-in lasts one browser session."""
    return _mounted[0] if _mounted else None


def safe_next(target: str | None) -> str:
    """Where to send the browser after the cookie is set: a path on this site only (no scheme,
    no host, no protocol-relative ``//``), else the start page."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return "/"
    return target


__all__ = ["COOKIE_NAME", "IDLE_TIMEOUT_ENV", "OPEN_ROUTE", "SECRET_ENV", "SESSIONS_ENV",
           "Session", "SessionSecretError", "Status", "check", "cookie_value", "end",
           "end_all_of", "has_ended", "idle_timeout_seconds", "mark_routes_mounted",
           "max_session_seconds", "open_route", "redeem", "safe_next", "secret",
           "session_id_from_cookie", "sessions_path", "start"]
