"""The version history of a configuration file: who saved what, when and why, and the way back.

One mechanism for every file an analyst edits in the app — the KPI definitions
(``config/kpis.yaml``), the udviklingsplan (``config/plan.yaml``, ``kpis.plan.versions``) and the
case-review programmes (``config/reviews.yaml``, ``kpis.review.versions``). Each file stays plain
YAML that people may edit by hand or in git; what differs between them is only the validation a
save must pass (a ``Check``) and the folder its history lives in. The history lives outside git,
in a folder of its own (for the definitions ``definitions_history/`` next to the database):

    versions/<sha256>.yaml   every text the file ever had, stored once per content
    log.jsonl                one JSON line per change: seq, at, who, action, reason, hash, previous

Saving (from the app's editor) validates first — an invalid text is never written — then checks
that the file is still the one the analyst opened (optimistic concurrency: the save carries the
hash of the opened text), and only then replaces the file atomically: a temporary file in the same
folder, fsync, ``os.replace``. A change made outside the app is noticed the next time anybody looks
(``versions``, ``save``, ``restore``) and logged as "ændret uden for appen".

Saves and look-ups are serialised by a lock file, across sessions and processes.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

from kpis.private_files import create_private
from kpis.rules.definitions import KpiSet
from kpis.rules.validate import Problem, validate_text

HISTORY_ENV = "PEJLEMAERKER_HISTORY"
HISTORY_DIR_NAME = "definitions_history"
OUTSIDE_WHO = "ukendt"
OUTSIDE_REASON = "ændret uden for appen"
# The file the history starts from came with the installation (or was there before the app):
# nobody unknown wrote it.
FIRST_WHO = "installationen"
FIRST_REASON = "installationens startversion: filen, som den var, da historikken begyndte"
_OLD_FIRST = ("ukendt", "første version i historikken")  # how logs before 2026-12 recorded it


class Action(str, Enum):
    FIRST = "first"  # the file as it was when the history started
    SAVE = "save"
    RESTORE = "restore"
    OUTSIDE = "outside"  # found changed by hand, in git or by another program

    @property
    def label_da(self) -> str:
        return {Action.FIRST: "Startversion", Action.SAVE: "Gemt",
                Action.RESTORE: "Gendannet", Action.OUTSIDE: "Ændret uden for appen"}[self]


def text_hash(text: str) -> str:
    """The identity of a text (for the definitions, ``DefinitionsStore``'s ``file_hash``)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# What keeps a text from being saved: (text, file name) -> every problem, each with its line.
Check = Callable[[str, str], list[Problem]]


def default_history_dir(db: Path, env: str = HISTORY_ENV, dir_name: str = HISTORY_DIR_NAME
                        ) -> Path:
    """``$env``, else ``dir_name/`` beside the database (for the definitions
    ``$PEJLEMAERKER_HISTORY``, else ``definitions_history/``)."""
    return Path(os.environ.get(env) or Path(db).parent / dir_name)


@dataclass(frozen=True)
class Version:
    seq: int  # 1, 2, 3 … in the order the changes were recorded
    at: datetime
    who: str
    action: Action
    reason: str
    hash: str
    previous: str | None  # the hash of the text it replaced
    restored_from: int | None = None  # for a restore: the seq brought back

    def to_json(self) -> str:
        return json.dumps({
            "seq": self.seq, "at": self.at.isoformat(timespec="seconds"), "who": self.who,
            "action": self.action.value, "reason": self.reason, "hash": self.hash,
            "previous": self.previous, "restored_from": self.restored_from,
        }, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> Version:
        d = json.loads(line)
        if d["action"] == Action.FIRST.value and (d["who"], d["reason"]) == _OLD_FIRST:
            d["who"], d["reason"] = FIRST_WHO, FIRST_REASON
        return cls(d["seq"], datetime.fromisoformat(d["at"]), d["who"], Action(d["action"]),
                   d["reason"], d["hash"], d.get("previous"), d.get("restored_from"))


class InvalidText(ValueError):
    """The text does not validate: nothing was written."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(er) i filen: intet er gemt")


InvalidDefinitions = InvalidText  # the name the definitions' editor and its tests know it by


class SaveConflict(RuntimeError):
    """The file changed since the analyst opened it: nothing was written, their text is kept here."""

    def __init__(self, mine: str, opened_hash: str, current: str, changed_since: str,
                 mine_vs_current: str, versions_since: list[Version]):
        self.mine = mine  # the text the analyst tried to save
        self.opened_hash = opened_hash
        self.current = current  # the file as it is now
        self.changed_since = changed_since  # unified diff: opened → now (what the other did)
        self.mine_vs_current = mine_vs_current  # unified diff: now → the analyst's text
        self.versions_since = versions_since  # who changed it meanwhile
        super().__init__("filen er ændret, siden du åbnede den: intet er gemt")


class NothingToSave(ValueError):
    """The text equals the file: no new version."""


@dataclass
class ConfigHistory:
    """The history of one file: ``path`` is the file, ``check`` what a save must pass."""

    path: Path
    history_dir: Path
    check: Check = field(repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self.history_dir = Path(self.history_dir)

    # --- reading -------------------------------------------------------------------------------
    @property
    def log_path(self) -> Path:
        return self.history_dir / "log.jsonl"

    def _version_path(self, digest: str) -> Path:
        if not all(c in "0123456789abcdef" for c in digest) or len(digest) != 64:
            raise ValueError(f"ikke en versions-hash: {digest!r}")
        return self.history_dir / "versions" / f"{digest}.yaml"

    def current(self) -> tuple[str, str]:
        """The file's text now and its hash; a missing file reads as empty (restoring a version
        brings it back)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        return text, text_hash(text)

    def _read_log(self) -> list[Version]:
        if not self.log_path.exists():
            return []
        with self.log_path.open(encoding="utf-8") as fh:
            return [Version.from_json(line) for line in fh if line.strip()]

    def versions(self, now: datetime | None = None) -> list[Version]:
        """Every recorded version, newest first (an outside edit is recorded first)."""
        with self._locked():
            self._sync(now)
            return list(reversed(self._read_log()))

    def version(self, seq: int) -> Version:
        for v in self._read_log():
            if v.seq == seq:
                return v
        raise KeyError(f"ingen version nr. {seq}")

    def text_of(self, version: Version | str) -> str:
        digest = version.hash if isinstance(version, Version) else version
        return self._version_path(digest).read_text(encoding="utf-8")

    def diff(self, old: Version | None, new: Version | None = None) -> str:
        """Unified diff between two versions (None: empty before / the file as it is now)."""
        old_text = self.text_of(old) if old else ""
        new_text = self.text_of(new) if new else self.current()[0]
        return unified_diff(old_text, new_text,
                            f"version {old.seq}" if old else "tom",
                            f"version {new.seq}" if new else "filen nu")

    # --- writing -------------------------------------------------------------------------------
    def save(self, text: str, *, opened_hash: str, who: str, reason: str,
             now: datetime | None = None) -> Version:
        """Validate, check nobody else saved meanwhile, write atomically, log. Returns the version.

        Raises ``InvalidText``, ``SaveConflict``, ``NothingToSave`` or ``ValueError`` (no
        name or reason) — in every case without touching the file.
        """
        return self._write(text, opened_hash, who, reason, Action.SAVE, None, now)

    def restore(self, seq: int, *, opened_hash: str, who: str, reason: str,
                now: datetime | None = None) -> Version:
        """Bring back version ``seq`` the same way as a save (validated, checked, atomic, logged)."""
        text = self.text_of(self.version(seq))
        return self._write(text, opened_hash, who, reason, Action.RESTORE, seq, now)

    def _write(self, text: str, opened_hash: str, who: str, reason: str, action: Action,
               restored_from: int | None, now: datetime | None) -> Version:
        who, reason = " ".join(who.split()), " ".join(reason.split())
        if not who:
            raise ValueError("skriv dit navn, så historikken viser, hvem der ændrede")
        if not reason:
            raise ValueError("skriv en begrundelse for ændringen")
        problems = self.problems_of(text)
        if problems:
            raise InvalidText(problems)
        with self._locked():
            self._sync(now)
            current, current_hash = self.current()
            if current_hash != opened_hash:
                raise self._conflict(text, opened_hash, current)
            if text == current:
                raise NothingToSave("teksten er den samme som filen: der er intet at gemme")
            self._store_text(text)
            atomic_write_text(self.path, text)
            return self._append(action, who, reason, text_hash(text), current_hash,
                                restored_from, now)

    def problems_of(self, text: str) -> list[Problem]:
        """What keeps ``text`` from being saved: the file's own validation."""
        return self.check(text, self.path.name)

    def _conflict(self, mine: str, opened_hash: str, current: str) -> SaveConflict:
        log = self._read_log()
        try:
            opened = self.text_of(opened_hash)
        except (OSError, ValueError):
            opened = ""  # never recorded (the page was opened before the history existed)
        start = max((v.seq for v in log if v.hash == opened_hash), default=0)
        return SaveConflict(
            mine, opened_hash, current,
            unified_diff(opened, current, "da du åbnede filen", "filen nu"),
            unified_diff(current, mine, "filen nu", "din tekst"),
            [v for v in log if v.seq > start],
        )

    # --- internals -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        (self.history_dir / "versions").mkdir(parents=True, exist_ok=True)
        with (self.history_dir / ".lock").open("a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _sync(self, now: datetime | None) -> Version | None:
        """Record the file as it is now when it differs from the last recorded version (a missing
        file is no version)."""
        if not self.path.exists():
            return None
        text, digest = self.current()
        log = self._read_log()
        last = log[-1] if log else None
        if last is not None and last.hash == digest:
            return None
        self._store_text(text)
        if last is None:
            return self._append(Action.FIRST, FIRST_WHO, FIRST_REASON, digest, None, None, now)
        return self._append(Action.OUTSIDE, OUTSIDE_WHO, OUTSIDE_REASON, digest, last.hash, None,
                            now)

    def _store_text(self, text: str) -> None:
        path = self._version_path(text_hash(text))
        if not path.exists():
            atomic_write_text(path, text)

    def _append(self, action: Action, who: str, reason: str, digest: str, previous: str | None,
                restored_from: int | None, now: datetime | None) -> Version:
        log = self._read_log()
        version = Version(
            seq=(log[-1].seq + 1) if log else 1,
            # UTC without an offset, as every stored moment; shown in Danish time.
            at=(now or datetime.now(UTC).replace(tzinfo=None)).replace(microsecond=0),
            who=who, action=action, reason=reason, hash=digest, previous=previous,
            restored_from=restored_from,
        )
        create_private(self.log_path)
        with self.log_path.open("a", encoding="utf-8") as fh:
            fh.write(version.to_json() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        return version


def history_for(kpis_path: Path, history_dir: Path, extra_checks=()) -> ConfigHistory:
    """The history of one KPI definitions file. ``extra_checks`` are ``(KpiSet, text) ->
    [Problem]`` run on a valid text before saving (e.g. a template's placeholder id left
    unchanged)."""
    checks = tuple(extra_checks)
    return ConfigHistory(Path(kpis_path), Path(history_dir),
                         lambda text, file: validate_draft(text, file, checks)[1])


def unified_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    return "".join(difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name))


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` so that readers see the old file or the new one, never half of it.

    A temporary file in the same folder (so ``os.replace`` is a rename on one file system),
    flushed to disk before the rename, and the folder synced after it so the rename survives a
    crash. The file keeps its permissions.
    """
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def validate_draft(text: str, file: str, extra_checks=()) -> tuple[KpiSet | None, list[Problem]]:
    """The engine's validation plus the extra checks: what "Valider" shows and "Gem" requires."""
    kpiset, problems = validate_text(text, file)
    if kpiset is not None:
        problems = [p for check in extra_checks for p in check(kpiset, text)]
        if problems:
            return None, problems
    return kpiset, problems
