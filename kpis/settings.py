"""Municipal settings (config/settings.yaml): the choices domain law leaves to the municipality."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kpis import CONFIG_DIR


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CalendarSettings(_Frozen):
    grundlovsdag_closed: bool = False
    christmas_eve_closed: bool = False
    new_years_eve_closed: bool = False


class PrivacySettings(_Frozen):
    # Committee views withhold counts below this (domain: 5). Under 1 nothing would be withheld;
    # above 100 a municipality's committee would see almost nothing.
    suppression_threshold: int = Field(default=5, ge=1, le=100)
    pseudonym_key_env: str = "PEJLEMAERKER_PSEUDONYM_KEY"
    pseudonym_key_file: str = "~/.config/pejlemaerker/pseudonym.key"


class DepartmentSettings(_Frozen):
    # Open cases one caseworker is expected to carry: the line on the caseload page.
    caseload_norm: int = Field(default=25, ge=1, le=500)


class AccessSettings(_Frozen):
    # Minutes without any use after which a signed-in person must sign in again.
    session_timeout_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Hours after signing in after which everyone signs in again, however busy.
    session_max_hours: int = Field(default=10, ge=1, le=7 * 24)


class PerformanceSettings(_Frozen):
    # Memory the per-snapshot cache of case steps may hold per app process before DuckDB moves
    # the rest to temporary files (kpis.compute.unit_cache). At national scale the cache grows
    # past 1 GB when every page has been used; spilling keeps a process under 2 GiB.
    cache_memory_mb: int = Field(default=768, ge=128, le=256 * 1024)


class Settings(_Frozen):
    calendar: CalendarSettings = CalendarSettings()
    privacy: PrivacySettings = PrivacySettings()
    department: DepartmentSettings = DepartmentSettings()
    access: AccessSettings = AccessSettings()
    performance: PerformanceSettings = PerformanceSettings()


class SettingsError(ValueError):
    """config/settings.yaml has problems; the message lists each with its line, in Danish."""


def load_settings(path: Path | None = None) -> Settings:
    path = path or CONFIG_DIR / "settings.yaml"
    if not path.exists():
        return Settings()
    from kpis.rules import yaml_loader

    text = path.read_text(encoding="utf-8")
    try:
        doc = yaml_loader.load(text)
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path}: YAML kan ikke læses: {exc}") from None
    try:
        return Settings.model_validate(doc or {})
    except ValidationError as err:
        from kpis.rules.validate import message_da

        lines = []
        for e in err.errors():
            line = yaml_loader.line_of(doc, e["loc"])
            where = f"{path}" + (f", linje {line}" if line else "")
            lines.append(f"{where} {'.'.join(str(x) for x in e['loc'])}: {message_da(e)}")
        raise SettingsError("\n".join(lines)) from None


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    return load_settings()
