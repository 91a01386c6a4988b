"""OIDC claims → user: the mapping in config/roles.yaml, with claims shaped like Microsoft Entra
ID's (app roles in ``roles``, group object ids in ``groups``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpis.access.identity import IdentityError, RoleMapping, load_mapping, user_from_claims
from kpis.access.roles import Role
from kpis.access.users import User

GROUP_NORD = "3f0c9a52-1b7e-4d4f-9a51-0c8d7e2f6b11"
MAPPING = RoleMapping.model_validate({
    "roles": {"Pejlemaerker.Udvalg": "udvalgsmedlem", "Pejlemaerker.Afdelingsleder": "afdelingsleder",
              "Pejlemaerker.Analytiker": "analyst", "Pejlemaerker.Administrator": "admin",
              GROUP_NORD: "afdelingsleder"},
    "teams": {"Pejlemaerker.Team.Syd": "Team Syd", GROUP_NORD: ["Team Nord"],
              "Pejlemaerker.Team.Unge": ["Team Unge", "Team Unge 2"]},
})


def entra(**extra) -> dict:
    """An ID token's claims as Entra ID sends them (v2.0 endpoint), plus ``extra``."""
    return {"iss": "https://login.microsoftonline.com/tenant-id/v2.0", "sub": "AAAAbbbb",
            "oid": "00000000-0000-0000-0000-000000000001", "name": "Anne Jensen",
            "preferred_username": "Anne.Jensen@Kommune.dk", **extra}


@pytest.mark.parametrize(("claims", "role", "teams"), [
    (entra(roles=["Pejlemaerker.Udvalg"]), Role.COMMITTEE, None),
    (entra(roles=["Pejlemaerker.Analytiker"]), Role.ANALYST, None),
    (entra(roles="Pejlemaerker.Administrator"), Role.ADMINISTRATOR, None),  # a single string
    # A department head by app role, teams by app role and by group object id.
    (entra(roles=["Pejlemaerker.Afdelingsleder", "Pejlemaerker.Team.Syd"], groups=[GROUP_NORD]),
     Role.DEPARTMENT_HEAD, {"Team Nord", "Team Syd"}),
    # A group that gives both the role and its team.
    (entra(groups=[GROUP_NORD, "ukendt-gruppe"]), Role.DEPARTMENT_HEAD, {"Team Nord"}),
    (entra(roles=["Pejlemaerker.Afdelingsleder", "Pejlemaerker.Team.Unge"]),
     Role.DEPARTMENT_HEAD, {"Team Unge", "Team Unge 2"}),
    # Several roles: the highest wins, and teams do not limit an analyst.
    (entra(roles=["Pejlemaerker.Udvalg", "Pejlemaerker.Analytiker", "Pejlemaerker.Team.Syd"]),
     Role.ANALYST, None),
    (entra(roles=["Pejlemaerker.Afdelingsleder", "Pejlemaerker.Udvalg", "Pejlemaerker.Team.Syd"]),
     Role.DEPARTMENT_HEAD, {"Team Syd"}),
])
def test_claims_give_role_and_teams(claims: dict, role: Role, teams: set | None):
    user = user_from_claims(claims, MAPPING)
    assert user == User("anne.jensen@kommune.dk", "Anne Jensen", role,
                        frozenset(teams) if teams is not None else None)


@pytest.mark.parametrize(("claims", "message"), [
    (entra(), "har ikke adgang"),                                   # no roles or groups at all
    (entra(roles=["Andet.System"], groups=["ukendt"]), "har ikke adgang"),
    (entra(roles=["Pejlemaerker.Team.Syd"]), "har ikke adgang"),    # a team is not a role
    (entra(roles=["Pejlemaerker.Afdelingsleder"]), "ingen af dine grupper giver adgang til et team"),
    ({"roles": ["Pejlemaerker.Analytiker"]}, "sendte ikke et brugernavn"),
])
def test_no_mapped_role_means_no_access(claims: dict, message: str):
    with pytest.raises(IdentityError, match=message):
        user_from_claims(claims, MAPPING)


def test_names_fall_back_through_the_configured_claims():
    user = user_from_claims({"sub": "abc", "email": "Bo@Kommune.dk",
                             "roles": ["Pejlemaerker.Udvalg"]}, MAPPING)
    assert (user.username, user.display_name) == ("bo@kommune.dk", "Bo@Kommune.dk")
    only_groups = RoleMapping(group_claims=("groups",), roles=MAPPING.roles)
    with pytest.raises(IdentityError):  # roles claim not searched
        user_from_claims(entra(roles=["Pejlemaerker.Udvalg"]), only_groups)


def test_the_shipped_mapping_loads_and_matches_the_docs():
    mapping = load_mapping(Path(__file__).resolve().parent.parent / "config" / "roles.yaml")
    assert set(mapping.roles.values()) == set(Role)
    assert mapping.group_claims == ("roles", "groups")
    docs = (Path(__file__).resolve().parent.parent / "docs" / "authentication.md").read_text()
    for value in mapping.roles:
        assert value in docs


def test_a_broken_mapping_names_the_file_and_every_problem(tmp_path: Path):
    path = tmp_path / "roles.yaml"
    path.write_text("roles:\n  A: chef\n  B: analyst\nteams: 5\ncolour: blue\n", encoding="utf-8")
    with pytest.raises(ValueError) as exc:
        load_mapping(path)
    text = str(exc.value)
    assert str(path) in text and "chef" in text and "teams" in text and "colour" in text


def test_missing_mapping_file_maps_nobody(tmp_path: Path):
    mapping = load_mapping(tmp_path / "none.yaml")
    with pytest.raises(IdentityError):
        user_from_claims(entra(roles=["Pejlemaerker.Analytiker"]), mapping)


def test_the_secrets_example_has_what_st_login_needs_and_no_secret():
    import tomllib

    root = Path(__file__).resolve().parent.parent
    auth = tomllib.loads((root / ".streamlit" / "secrets.example.toml").read_text())["auth"]
    assert {"redirect_uri", "cookie_secret", "client_id", "client_secret",
            "server_metadata_url"} <= set(auth)
    assert auth["redirect_uri"].endswith("/oauth2callback")
    assert auth["cookie_secret"].startswith("REPLACE") and auth["client_secret"].startswith("REPLACE")
    assert ".streamlit/secrets.toml" in (root / ".gitignore").read_text().splitlines()
