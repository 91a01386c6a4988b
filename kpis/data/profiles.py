"""Export profiles (config/sources.yaml): how one case system names files, headers and values.

A profile maps each canonical table to a file (or sheet) name, each canonical column to the
export's header, and the export's words for enum values to canonical values. Everything is matched
case-insensitively, ignoring surrounding spaces. Whatever a profile does not list keeps its
canonical name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kpis import CONFIG_DIR
from kpis.data.schema import TABLES

CANONICAL = "canonical"


def fold(text: str) -> str:
    """The form names are compared in: trimmed and case-folded."""
    return text.strip().casefold()


@dataclass(frozen=True)
class Profile:
    name: str
    description: str = ""
    files: Mapping[str, str] = field(default_factory=dict)  # table -> file stem / sheet name
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # table -> col -> header
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # column -> word -> value

    def file_stem(self, table: str) -> str:
        return self.files.get(table, table)

    def header(self, table: str, column: str) -> str:
        return self.columns.get(table, {}).get(column, column)

    def words(self, column: str) -> Mapping[str, str]:
        return self.values.get(column, {})

    def table_for_stem(self, stem: str) -> str | None:
        wanted = fold(stem)
        for table in TABLES:
            if fold(self.file_stem(table)) == wanted:
                return table
        return None


class ProfileError(Exception):
    """config/sources.yaml names something that is not in the data model, or a profile is unknown."""


def _check(profile: Profile) -> None:
    """Refuse a profile that names tables or columns the data model does not have."""
    problems = [f"ukendt tabel {t!r}" for t in profile.files if t not in TABLES]
    for table, cols in profile.columns.items():
        if table not in TABLES:
            problems.append(f"ukendt tabel {table!r}")
            continue
        problems += [f"ukendt kolonne {table}.{c}" for c in cols if not TABLES[table].has(c)]
    known_columns = {c.name for t in TABLES.values() for c in t.columns}
    problems += [f"ukendt kolonne {c!r} under values" for c in profile.values if c not in known_columns]
    if problems:
        raise ProfileError(f"Profilen {profile.name!r} i sources.yaml: " + "; ".join(problems))


def load_profiles(path: Path | None = None) -> dict[str, Profile]:
    path = path or CONFIG_DIR / "sources.yaml"
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ten times faster
    raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader) or {}
    profiles: dict[str, Profile] = {CANONICAL: Profile(CANONICAL)}
    for name, body in (raw.get("profiles") or {}).items():
        body = body or {}
        profile = Profile(
            name=name,
            description=str(body.get("description", "")).strip(),
            files=dict(body.get("files") or {}),
            columns={t: dict(c or {}) for t, c in (body.get("columns") or {}).items()},
            values={c: {str(k): str(v) for k, v in (w or {}).items()}
                    for c, w in (body.get("values") or {}).items()},
        )
        _check(profile)
        profiles[name] = profile
    return profiles


def choose_profile(profiles: Mapping[str, Profile], name: str | None,
                   stems: Iterable[str]) -> Profile:
    """The named profile, or the one whose own file names match the export best, else canonical."""
    if name is not None:
        if name not in profiles:
            known = ", ".join(sorted(profiles))
            raise ProfileError(f"Ukendt profil {name!r}. Kendte profiler: {known}.")
        return profiles[name]
    folded = {fold(s) for s in stems}
    best, best_hits = profiles.get(CANONICAL, Profile(CANONICAL)), 0
    for profile in profiles.values():
        hits = sum(1 for stem in profile.files.values() if fold(stem) in folded)
        if hits > best_hits:
            best, best_hits = profile, hits
    return best
