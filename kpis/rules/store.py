"""The definitions a running app computes with: the last valid version of config/kpis.yaml.

The file may be edited by hand, in git or in the app's editor. Every read checks whether its
content changed; a new valid version replaces the old one at once, and an invalid one never does:
the app keeps serving the last valid definitions and shows the problems beside them.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

from kpis.rules.definitions import KpiSet
from kpis.rules.validate import Problem, validate_text


@dataclass(frozen=True)
class Loaded:
    kpis: KpiSet | None  # the last valid definitions (None only if no version was ever valid)
    problems: tuple[Problem, ...]  # problems of the file as it is now (empty when it is valid)
    file_hash: str  # hash of the file as it is now


class DefinitionsStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._valid: KpiSet | None = None
        self._seen_hash: str | None = None
        self._problems: tuple[Problem, ...] = ()

    def get(self) -> Loaded:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            # A file moved away, unreadable or saved in another encoding is a problem to show
            # beside the last valid definitions, like any other invalid edit.
            return self._unreadable(exc)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self._lock:
            if digest != self._seen_hash:
                kpiset, problems = validate_text(text, str(self.path))
                if kpiset is not None:
                    self._valid = kpiset
                self._problems = tuple(problems)
                self._seen_hash = digest
            return Loaded(self._valid, self._problems, digest)

    def _unreadable(self, exc: Exception) -> Loaded:
        if isinstance(exc, FileNotFoundError):
            message, hint = "filen findes ikke", "gendan den fra git eller versionshistorikken"
        elif isinstance(exc, UnicodeDecodeError):
            message, hint = "filen er ikke gemt som UTF-8", "gem den igen som UTF-8"
        else:
            message, hint = f"filen kan ikke læses ({exc.strerror or exc})", ""
        problem = Problem(str(self.path), None, None, "", message, hint)
        with self._lock:
            self._problems = (problem,)
            self._seen_hash = None  # read again next time, whatever comes back
            return Loaded(self._valid, self._problems, "")


_stores: dict[Path, DefinitionsStore] = {}
_stores_lock = threading.Lock()


def store_for(path: Path) -> DefinitionsStore:
    """One store per file per process, shared by every session of the app."""
    key = Path(path).resolve()
    with _stores_lock:
        if key not in _stores:
            _stores[key] = DefinitionsStore(key)
        return _stores[key]
