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
(valid ``TOKEN_LIFETIME_S`` seconds) that ``serve.py`` exchanges for the cookie. The token is
bound to the browser that signed in: ``serve.py`` gives every browser a random id in a cookie of
its own (``BROWSER_COOKIE``) on its first page load, the sign-in stores a hash of it with the
token, and the exchange refuses a token brought by any other browser (else a token sent to
someone else would sign them in as the sender: login CSRF) and ends the session it stood for.

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
from collections.abc import Mapping
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
# The browser's own random id, which a sign-in's one-time token is bound to. Behind TLS the
# __Host- name: a cookie of that name cannot be planted by a sibling domain or over plain http.
BROWSER_COOKIE = "pejlemaerker_browser"
BROWSER_COOKIE_TLS = "__Host-" + BROWSER_COOKIE
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
  expires    REAL NOT NULL,
  browser_hash TEXT
)""",
)
OTHER_BROWSER_REASON = "login-link brugt i en anden browser"


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


@dataclass(frozen=True)
class Redemption:
    """What a one-time token was worth: the session to set the cookie for, or nothing; or, when
    another browser brought it, a refusal and whose sign-in that was (now ended)."""

    session_id: str | None = None
    other_browser: bool = False
    username: str | None = None


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
    if "browser_hash" not in {r[1] for r in conn.execute("PRAGMA table_info(tokens)")}:
        try:  # a store from before tokens were bound: its unbound tokens are refused
            conn.execute("ALTER TABLE tokens ADD COLUMN browser_hash TEXT")
        except sqlite3.OperationalError as exc:  # another process added it meanwhile
            if "duplicate column" not in str(exc):
                raise
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


# --- the browser's id ------------------------------------------------------------------------


def new_browser_id() -> str:
    return secrets.token_urlsafe(32)


def browser_cookie_name(tls: bool) -> str:
    return BROWSER_COOKIE_TLS if tls else BROWSER_COOKIE


def browser_id(cookies: Mapping[str, str]) -> str | None:
    """The browser's id among a request's cookies: the __Host- one when there is one (a plain
    one beside it may have been planted), else the plain one, else None."""
    value = cookies.get(BROWSER_COOKIE_TLS) or cookies.get(BROWSER_COOKIE)
    return value or None


# --- sessions ------------------------------------------------------------------------------


def start(username: str, *, browser: str, now: float | None = None,
          path: Path | None = None) -> tuple[str, str]:
    """A new active session of ``username`` and a one-time token that ``redeem`` exchanges for
    its id (once, within ``TOKEN_LIFETIME_S``, and only for the browser whose id ``browser``
    is). Returns (session id, token)."""
    if not browser:
        raise ValueError("a sign-in's token is bound to a browser id")
    now = time.time() if now is None else now
    session_id, token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with closing(_connect(path)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM tokens WHERE expires < ?", [now])
        # sessions older than any may live are over: the store does not grow without end
        conn.execute("DELETE FROM sessions WHERE started < ?", [now - max_session_seconds()])
        conn.execute("INSERT INTO sessions (id_hash, username, started, last_seen) "
                     "VALUES (?, ?, ?, ?)", [_hash(session_id), username, now, now])
        conn.execute("INSERT INTO tokens (token_hash, session_id, expires, browser_hash) "
                     "VALUES (?, ?, ?, ?)",
                     [_hash(token), session_id, now + TOKEN_LIFETIME_S, _hash(browser)])
        conn.execute("COMMIT")
    return session_id, token


def redeem(token: str | None, browser: str | None, *, now: float | None = None,
           path: Path | None = None) -> Redemption:
    """The session a fresh, unused token of this browser stands for; the token is used up either
    way. A token another browser brings (or a browser with no id) is refused, and the session it
    stood for is ended: someone sent a sign-in on, or tried to."""
    if not token:
        return Redemption()
    now = time.time() if now is None else now
    with closing(_connect(path)) as conn:
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute("DELETE FROM tokens WHERE token_hash = ? "
                           "RETURNING session_id, expires, browser_hash",
                           [_hash(token)]).fetchone()
        if row is None or row[1] < now:
            conn.execute("COMMIT")
            return Redemption()
        session_id, _, bound_to = row
        if browser and bound_to is not None and secrets.compare_digest(bound_to, _hash(browser)):
            conn.execute("COMMIT")
            return Redemption(session_id=session_id)
        conn.execute("UPDATE sessions SET ended = ?, end_reason = ? "
                     "WHERE id_hash = ? AND ended IS NULL",
                     [now, OTHER_BROWSER_REASON, _hash(session_id)])
        owner = conn.execute("SELECT username FROM sessions WHERE id_hash = ?",
                             [_hash(session_id)]).fetchone()
        conn.execute("COMMIT")
    return Redemption(other_browser=True, username=owner[0] if owner else None)


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
        path: Path | None = None) -> str | None:
    """End the session for every tab and process (logout); whose it was, or None when it had
    ended already (or is unknown)."""
    now = time.time() if now is None else now
    with closing(_connect(path)) as conn:
        row = conn.execute("UPDATE sessions SET ended = ?, end_reason = ? "
                           "WHERE id_hash = ? AND ended IS NULL RETURNING username",
                           [now, reason, _hash(session_id)]).fetchone()
    return row[0] if row else None


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
END_ROUTE = "/auth/session/end"  # not /auth/logout: that is Streamlit's own (OIDC)
_mounted: list[str] = []


def mark_routes_mounted(prefix: str = "") -> None:
    """Called by ``serve.py``: this process serves ``OPEN_ROUTE`` and ``END_ROUTE`` (under
    ``prefix``)."""
    _mounted[:] = [prefix.rstrip("/") + OPEN_ROUTE, prefix.rstrip("/") + END_ROUTE]


def open_route() -> str | None:
    """The address that exchanges a token for the cookie, or None when this process was started
    without ``serve.py`` (``streamlit run app.py``): then a sign-in lasts one browser session."""
    return _mounted[0] if _mounted else None


def end_route() -> str | None:
    """The address (POST) that ends the cookie's session and clears the cookie, or None
    without ``serve.py``."""
    return _mounted[1] if _mounted else None


def safe_next(target: str | None) -> str:
    """Where to send the browser after the cookie is set: a path on this site only (no scheme,
    no host, no protocol-relative ``//``), else the start page."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return "/"
    return target


__all__ = [
    "BROWSER_COOKIE",
    "BROWSER_COOKIE_TLS",
    "COOKIE_NAME",
    "END_ROUTE",
    "IDLE_TIMEOUT_ENV",
    "OPEN_ROUTE",
    "OTHER_BROWSER_REASON",
    "SECRET_ENV",
    "SESSIONS_ENV",
    "Redemption",
    "Session",
    "SessionSecretError",
    "Status",
    "browser_cookie_name",
    "browser_id",
    "check",
    "cookie_value",
    "end",
    "end_all_of",
    "end_route",
    "has_ended",
    "idle_timeout_seconds",
    "mark_routes_mounted",
    "max_session_seconds",
    "new_browser_id",
    "open_route",
    "redeem",
    "safe_next",
    "secret",
    "session_id_from_cookie",
    "sessions_path",
    "start",
]
