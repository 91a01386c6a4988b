"""The demo's users: one per role, with passwords documented in docs/authentication.md.

They are written only when there is no users file yet AND the database is the demo (or does not
exist yet, so the app's first start will build the demo). Each is marked ``demo = true`` in the
users file, and a demo user is refused on any database that is not the demo: an installation
that later imports its real export cannot be opened with these published passwords.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kpis.access.roles import Role
from kpis.access.users import LocalUser, User, hash_password, save_users, users_path
from kpis.data.upload import DEMO_SOURCE_PREFIX


@dataclass(frozen=True)
class DemoUser:
    user: User
    password: str


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(User("udvalg", "Demo: udvalgsmedlem", Role.COMMITTEE), "demo-udvalg"),
    DemoUser(User("afdeling", "Demo: afdelingsleder", Role.DEPARTMENT_HEAD,
                  frozenset({"Team Nord", "Team Syd"})), "demo-afdeling"),
    DemoUser(User("analytiker", "Demo: analytiker", Role.ANALYST), "demo-analytiker"),
    DemoUser(User("admin", "Demo: administrator", Role.ADMINISTRATOR), "demo-administrator"),
)


def demo_user(role: Role) -> DemoUser:
    return next(d for d in DEMO_USERS if d.user.role is role)


def is_demo_database(db: Path) -> bool:
    """True when ``db`` holds the demo municipality (imported by ``kpis.data.demo``)."""
    from kpis.data.inventory import SnapshotUnavailable, snapshot_info

    try:
        meta = snapshot_info(db)
    except SnapshotUnavailable:
        return False
    return is_demo_snapshot(meta.source)


def is_demo_snapshot(source: str) -> bool:
    """True when a snapshot imported from ``source`` (its meta's ``source``) is the demo's."""
    return Path(source).name.startswith(DEMO_SOURCE_PREFIX)


def write_demo_users(path: Path | None = None) -> Path:
    """Write the demo users file (replacing any file at ``path``)."""
    return save_users([LocalUser(d.user, hash_password(d.password), demo=True) for d in DEMO_USERS],
                      path)


def ensure_demo_users(db: Path, path: Path | None = None) -> bool:
    """Create the demo users when there is no users file and ``db`` is (or will be) the demo.

    Returns True when it wrote the file. Never touches an existing users file, and never writes
    one beside a database that holds anything but the demo."""
    path = path or users_path()
    if path.exists():
        return False
    if db.exists() and not is_demo_database(db):
        return False
    write_demo_users(path)
    return True


@dataclass(frozen=True)
class DemoLockout:
    """What importing a municipality's own export over the demo does to signing in: the demo's
    users (refused on anything but the demo from then on) and the administrators who remain."""

    demo_usernames: tuple[str, ...]
    real_administrators: tuple[str, ...]

    @property
    def locks_everyone_out(self) -> bool:
        """No local administrator would be left to create users (unless the municipality's login
        is set up: the caller knows)."""
        return not self.real_administrators


def lockout_by_import(db: Path, path: Path | None = None) -> DemoLockout | None:
    """How an import into ``db`` changes who can sign in: None when it changes nothing (the
    database is not the demo, or the users file holds no demo users)."""
    from kpis.access.users import UsersFileError, load_users

    try:
        users = load_users(path or users_path())
    except UsersFileError:
        return None  # the login page already says the file cannot be read
    demo = tuple(sorted(name for name, entry in users.items() if entry.demo))
    if not demo or not db.exists() or not is_demo_database(db):
        return None
    admins = tuple(sorted(name for name, entry in users.items()
                          if not entry.demo and entry.user.role is Role.ADMINISTRATOR))
    return DemoLockout(demo, admins)
