"""The municipality's identity provider (OIDC): claims → a Pejlemærker user.

``config/roles.yaml`` maps the values of a groups or roles claim to a role and to teams. With
Microsoft Entra ID, an app registration either sends app roles in the ``roles`` claim (values you
choose, e.g. ``Pejlemaerker.Analytiker``) or security groups in the ``groups`` claim (group object
ids). A person in several mapped groups gets the highest of their roles; a department head sees
the teams of all their team groups. A person with no mapped role gets no access.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kpis import CONFIG_DIR
from kpis.access.roles import Role, parse_role
from kpis.access.users import User

ROLES_ENV = "PEJLEMAERKER_ROLES"
DEFAULT_ROLES = CONFIG_DIR / "roles.yaml"
# Least to most: the highest wins when a person is in several mapped groups.
ROLE_ORDER = (Role.COMMITTEE, Role.DEPARTMENT_HEAD, Role.ANALYST, Role.ADMINISTRATOR)


class IdentityError(PermissionError):
    """The signed-in person may not use Pejlemærker; the message says why, in Danish."""


class RoleMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Claims whose values are looked up in roles and teams (a claim may be a string or a list).
    group_claims: tuple[str, ...] = ("roles", "groups")
    # The first of these claims present names the user (audit log) and the sidebar.
    username_claims: tuple[str, ...] = ("preferred_username", "email", "upn", "sub")
    display_name_claims: tuple[str, ...] = ("name", "preferred_username", "email")
    roles: dict[str, Role] = Field(default_factory=dict)
    teams: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("roles", mode="before")
    @classmethod
    def _parse_roles(cls, value: object) -> object:
        if isinstance(value, Mapping):
            return {str(k): parse_role(v) if isinstance(v, str) and not isinstance(v, Role)
                    else v for k, v in value.items()}
        return value

    @field_validator("teams", mode="before")
    @classmethod
    def _teams_as_lists(cls, value: object) -> object:
        if isinstance(value, Mapping):
            return {str(k): (v,) if isinstance(v, str) else v for k, v in value.items()}
        return value


def roles_path() -> Path:
    return Path(os.environ.get(ROLES_ENV) or DEFAULT_ROLES)


def load_mapping(path: Path | None = None) -> RoleMapping:
    """The claims mapping; every problem of the file reported at once, with the file's name."""
    path = path or roles_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return RoleMapping()
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: {exc}") from None
    try:
        return RoleMapping.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ValueError(f"{path} har fejl:\n  " + "\n  ".join(problems)) from None


def _values(claims: Mapping[str, object], names: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    for name in names:
        value = claims.get(name)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            found += [str(v) for v in value]
    return found


def _first(claims: Mapping[str, object], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def user_from_claims(claims: Mapping[str, object], mapping: RoleMapping) -> User:
    """The user the identity provider vouches for, or IdentityError when they have no access."""
    username = _first(claims, mapping.username_claims)
    if username is None:
        raise IdentityError("Kommunens login sendte ikke et brugernavn. Kontakt en administrator.")
    values = _values(claims, mapping.group_claims)
    roles = {mapping.roles[v] for v in values if v in mapping.roles}
    if not roles:
        raise IdentityError(f"Du ({username}) er logget ind, men har ikke adgang til Pejlemærker. "
                            "Bed en administrator om at give dig en rolle.")
    role = max(roles, key=ROLE_ORDER.index)
    teams = None
    if role is Role.DEPARTMENT_HEAD:
        teams = frozenset(t for v in values for t in mapping.teams.get(v, ()))
        if not teams:
            raise IdentityError(f"Du ({username}) er afdelings- eller teamleder, men ingen af dine "
                                "grupper giver adgang til et team. Kontakt en administrator.")
    display = _first(claims, mapping.display_name_claims) or username
    return User(username=username.lower(), display_name=display, role=role, teams=teams)
