"""Local users for small installations and the demo: a TOML file of argon2 password hashes.

Production installations sign in through the municipality's identity provider (OIDC, see
``kpis.access.identity``); this file is for installations without one, and for the demo. The file
lives outside git (``data/users.toml`` by default, or ``$PEJLEMAERKER_USERS``) and is written only
by ``python -m kpis users`` (or the demo bootstrap), atomically and readable by its owner only::

    [users.afdeling]
    display_name = "Anne Afdelingsleder"
    role = "department_head"
    teams = ["Team Nord", "Team Syd"]
    password_hash = "$argon2id$v=19$m=65536,t=3,p=4$..."

No streamlit here: the app's glue is ``pages/_auth.py``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kpis import DATA_DIR
from kpis.access.roles import Role, parse_role

USERS_ENV = "PEJLEMAERKER_USERS"
DEFAULT_USERS = DATA_DIR / "users.toml"
MIN_PASSWORD_LENGTH = 10
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
_ENTRY_KEYS = {"display_name", "role", "teams", "password_hash", "demo"}


@dataclass(frozen=True)
class User:
    """A signed-in person. ``teams`` limits a department head (None: not limited by team)."""

    username: str
    display_name: str
    role: Role
    teams: frozenset[str] | None = None

    @property
    def label(self) -> str:
        """Name and role as the sidebar shows them."""
        return f"{self.display_name} · {self.role.label_da}"


@dataclass(frozen=True)
class LocalUser:
    """One entry of the users file: the user, its hash, and whether it is a demo user."""

    user: User
    password_hash: str
    demo: bool = False


class UsersFileError(ValueError):
    """The users file cannot be read; the message names the file and every problem in it."""


def users_path() -> Path:
    """The users file: ``$PEJLEMAERKER_USERS``, else ``data/users.toml``."""
    return Path(os.environ.get(USERS_ENV) or DEFAULT_USERS)


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with the library's current defaults (~100 ms here)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so both failures take as long."""
    return _hasher().hash("ingen bruger med dette navn")


def normalise_username(name: str) -> str:
    return name.strip().lower()


def check_username(name: str) -> str:
    key = normalise_username(name)
    if not USERNAME_RE.match(key):
        raise ValueError(
            f"ugyldigt brugernavn {name!r}: små bogstaver, tal og . _ @ - (højst 64 tegn)")
    return key


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"adgangskoden skal have mindst {MIN_PASSWORD_LENGTH} tegn")


def hash_password(password: str) -> str:
    check_password(password)
    return _hasher().hash(password)


# --- reading -------------------------------------------------------------------------------


def _parse_entry(name: str, raw: object, problems: list[str]) -> LocalUser | None:
    where = f"[users.{name}]"
    if not isinstance(raw, dict):
        problems.append(f"{where}: skal være en tabel")
        return None
    start = len(problems)
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        problems.append(f"{where}: ukendte felter {', '.join(sorted(unknown))}")
    if not USERNAME_RE.match(name):
        problems.append(f"{where}: ugyldigt brugernavn")
    role = None
    try:
        role = parse_role(str(raw.get("role", "")))
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
    teams = raw.get("teams")
    if teams is not None and not (isinstance(teams, list)
                                  and all(isinstance(t, str) and t.strip() for t in teams)):
        problems.append(f"{where}: teams skal være en liste af teamnavne")
    if role is Role.DEPARTMENT_HEAD and not teams:
        problems.append(f"{where}: en afdelings- eller teamleder skal have mindst ét team")
    password_hash = raw.get("password_hash")
    if not isinstance(password_hash, str) or not password_hash.startswith("$argon2"):
        problems.append(f"{where}: password_hash skal være en argon2-hash")
    display_name = raw.get("display_name", name)
    if not isinstance(display_name, str) or not display_name.strip():
        problems.append(f"{where}: display_name skal være en tekst")
    if len(problems) > start or role is None:
        return None
    user = User(username=name, display_name=display_name.strip(), role=role,
                teams=frozenset(t.strip() for t in teams) if teams else None)
    return LocalUser(user=user, password_hash=password_hash, demo=bool(raw.get("demo", False)))


def load_users(path: Path | None = None) -> dict[str, LocalUser]:
    """Every user in the file, by username; {} when there is no file.

    Raises ``UsersFileError`` with every problem of the file at once."""
    path = path or users_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsersFileError(f"brugerfilen {path} kan ikke læses: {exc}") from None
    problems: list[str] = []
    unknown = set(data) - {"users"}
    if unknown:
        problems.append(f"ukendte afsnit {', '.join(sorted(unknown))}")
    users: dict[str, LocalUser] = {}
    for name, raw in (data.get("users") or {}).items():
        entry = _parse_entry(name, raw, problems)
        if entry is not None:
            users[name] = entry
    if problems:
        raise UsersFileError(f"brugerfilen {path} har fejl:\n  " + "\n  ".join(problems))
    return users


def list_users(path: Path | None = None) -> list[User]:
    return [u.user for _, u in sorted(load_users(path).items())]


# --- signing in ----------------------------------------------------------------------------


def verify(username: str, password: str, path: Path | None = None) -> LocalUser | None:
    """The user's entry when the password is right, else None.

    An unknown user costs the same argon2 verification as a wrong password, and both answer
    None: the caller cannot tell (nor show) which part was wrong."""
    try:
        entry = load_users(path).get(normalise_username(username))
    except UsersFileError:
        entry = None
    target = entry.password_hash if entry else _dummy_hash()
    try:
        _hasher().verify(target, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    return entry  # None for an unknown user, whose dummy hash matched by chance


def authenticate(username: str, password: str, path: Path | None = None) -> User | None:
    """The user when username and password match, else None (same time and answer either way)."""
    entry = verify(username, password, path)
    return entry.user if entry else None


class LoginThrottle:
    """Refuses further tries at one username after ``max_failures`` wrong logins within
    ``window_s`` seconds, for every session of the server (one instance per process).

    Keyed by the username as typed, whether it exists or not, so the refusal tells nothing about
    which usernames exist."""

    def __init__(self, max_failures: int = 5, window_s: float = 900.0):
        self.max_failures, self.window_s = max_failures, window_s
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> list[float]:
        recent = [t for t in self._failures.get(key, []) if now - t < self.window_s]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return recent

    def blocked(self, username: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        with self._lock:
            return len(self._recent(normalise_username(username), now)) >= self.max_failures

    def failed(self, username: str, now: float | None = None) -> None:
        now = time.time() if now is None else now
        key = normalise_username(username)
        with self._lock:
            self._failures[key] = [*self._recent(key, now), now]

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(normalise_username(username), None)


# --- writing -------------------------------------------------------------------------------


def _toml_str(text: str) -> str:
    # A JSON string is a valid TOML basic string (same escapes), non-ASCII kept as is.
    return json.dumps(text, ensure_ascii=False)


def render_users(users: Iterable[LocalUser]) -> str:
    lines = [
        "# Pejlemærker: local users (argon2 password hashes). Keep this file out of git.",
        "# Change it with `python -m kpis users add|remove|list`.",
    ]
    for entry in sorted(users, key=lambda e: e.user.username):
        u = entry.user
        lines += ["", f"[users.{_toml_str(u.username)}]",
                  f"display_name = {_toml_str(u.display_name)}",
                  f"role = {_toml_str(u.role.value)}"]
        if u.teams is not None:
            lines.append(f"teams = [{', '.join(_toml_str(t) for t in sorted(u.teams))}]")
        lines.append(f"password_hash = {_toml_str(entry.password_hash)}")
        if entry.demo:
            lines.append("demo = true")
    return "\n".join(lines) + "\n"


def save_users(users: Iterable[LocalUser], path: Path | None = None) -> Path:
    """Write the file atomically, readable and writable by its owner only."""
    path = path or users_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = render_users(users)
    fd, tmp = tempfile.mkstemp(prefix=".users-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def make_user(username: str, role: Role | str, teams: Iterable[str] | None = None,
              display_name: str | None = None) -> User:
    """A checked User: a department head needs teams; other roles are not limited by team."""
    name = check_username(username)
    role = role if isinstance(role, Role) else parse_role(role)
    team_set = frozenset(t.strip() for t in teams or () if t.strip())
    if role is Role.DEPARTMENT_HEAD and not team_set:
        raise ValueError("en afdelings- eller teamleder skal have mindst ét team (--teams)")
    if role is not Role.DEPARTMENT_HEAD and team_set:
        raise ValueError(f"rollen {role.value} ser alle teams; --teams gælder kun afdelingsledere")
    return User(username=name, display_name=(display_name or "").strip() or name, role=role,
                teams=team_set if role is Role.DEPARTMENT_HEAD else None)


def add_user(user: User, password: str, path: Path | None = None, *, replace: bool = False,
             demo: bool = False) -> None:
    users = load_users(path)
    if user.username in users and not replace:
        raise ValueError(f"brugeren {user.username!r} findes allerede (brug --replace)")
    users[user.username] = LocalUser(user=user, password_hash=hash_password(password), demo=demo)
    save_users(users.values(), path)


def remove_user(username: str, path: Path | None = None) -> None:
    users = load_users(path)
    key = normalise_username(username)
    if key not in users:
        raise ValueError(f"brugeren {username!r} findes ikke")
    del users[key]
    save_users(users.values(), path)
