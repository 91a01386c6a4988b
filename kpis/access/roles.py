"""Roles and what each may see. Pages build their menu from this; the engine enforces it.

| role | sees |
|---|---|
| committee (udvalgsmedlem) | aggregated KPIs and meeting papers, suppression on, no case-level data |
| department_head (afdelingsleder / teamleder) | their teams, drill-down to their case steps |
| analyst (analytiker) | everything, the definitions editor and the data page |
| administrator | users, settings, the audit log (and everything an analyst sees) |
"""

from __future__ import annotations

from enum import Enum

from kpis.compute.engine import Scope
from kpis.settings import Settings, default_settings


class Role(str, Enum):
    COMMITTEE = "committee"
    DEPARTMENT_HEAD = "department_head"
    ANALYST = "analyst"
    ADMINISTRATOR = "administrator"

    @property
    def label_da(self) -> str:
        return {
            Role.COMMITTEE: "Udvalgsmedlem",
            Role.DEPARTMENT_HEAD: "Afdelings- eller teamleder",
            Role.ANALYST: "Analytiker",
            Role.ADMINISTRATOR: "Administrator",
        }[self]


# Danish names accepted wherever a role is typed (CLI, users file).
ALIASES = {"udvalgsmedlem": Role.COMMITTEE, "udvalg": Role.COMMITTEE,
           "afdelingsleder": Role.DEPARTMENT_HEAD, "teamleder": Role.DEPARTMENT_HEAD,
           "analytiker": Role.ANALYST, "admin": Role.ADMINISTRATOR}


def parse_role(text: str) -> Role:
    key = text.strip().lower()
    if key in ALIASES:
        return ALIASES[key]
    try:
        return Role(key)
    except ValueError:
        valid = ", ".join([r.value for r in Role] + sorted(ALIASES))
        raise ValueError(f"ukendt rolle {text!r}; gyldige: {valid}") from None


def scope_for(role: Role, teams: frozenset[str] | None = None,
              settings: Settings | None = None) -> Scope:
    """The scope every engine call of this user runs with."""
    settings = settings or default_settings()
    if role is Role.COMMITTEE:
        return Scope(teams=None, suppress_below=settings.privacy.suppression_threshold,
                     case_level=False)
    if role is Role.DEPARTMENT_HEAD:
        return Scope(teams=frozenset(teams or ()), suppress_below=None, case_level=True)
    return Scope()


# Who edits the configuration files in the app: the KPI definitions, the udviklingsplan and the
# case-review programmes. A department head updates their activities' status (kpis.plan.
# status_store), not the plan; the committee reads.
CONFIGURERS = frozenset({Role.ANALYST, Role.ADMINISTRATOR})


def may_configure(role: Role) -> bool:
    return role in CONFIGURERS


def require_configure(role: Role) -> None:
    """Refuse a change of a configuration file by a role that does not make them."""
    if not may_configure(role):
        raise PermissionError(f"en {role.label_da.lower()} kan ikke ændre konfigurationen; det "
                              "gør analytikere og administratorer")
