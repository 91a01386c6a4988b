"""Municipal settings (config/settings.yaml): the choices domain law leaves to the municipality."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from kpis import CONFIG_DIR


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CalendarSettings(_Frozen):
    grundlovsdag_closed: bool = False
    christmas_eve_closed: bool = False
    new_years_eve_closed: bool = False


class PrivacySettings(_Frozen):
    suppression_threshold: int = 5
    pseudonym_key_env: str = "PEJLEMAERKER_PSEUDONYM_KEY"
    pseudonym_key_file: str = "~/.config/pejlemaerker/pseudonym.key"


class DepartmentSettings(_Frozen):
    # Open cases one caseworker is expected to carry: the line on the caseload page.
    caseload_norm: int = Field(default=25, ge=1)


class AccessSettings(_Frozen):
    # Minutes without any use after which a signed-in person must sign in again.
    session_timeout_minutes: int = Field(default=30, ge=1)
    # Hours after signing in after which everyone signs in again, however busy.
    session_max_hours: int = Field(default=10, ge=1)


class PerformanceSettings(_Frozen):
    # Memory the per-snapshot cache of case steps may hold per app process before DuckDB moves
    # the rest to temporary files (kpis.compute.unit_cache). At national scale the cache grows
    # past 1 GB when every page has been used; spilling keeps a process under 2 GiB.
    cache_memory_mb: int = Field(default=768, ge=128)


class Settings(_Frozen):
    calendar: CalendarSettings = CalendarSettings()
    privacy: PrivacySettings = PrivacySettings()
    department: DepartmentSettings = DepartmentSettings()
    access: AccessSettings = AccessSettings()
    performance: PerformanceSettings = PerformanceSettings()


def load_settings(path: Path | None = None) -> Settings:
    path = path or CONFIG_DIR / "settings.yaml"
    if not path.exists():
        return Settings()
    return Settings.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    return load_settings()
