"""``python -m kpis users {add,remove,list}``: the local users file from the command line.

A password is never an argument (it would stay in the shell's history and in the process list):
it is asked for twice on a terminal, or read as one line from standard input
(``printf '%s\\n' "$PW" | python -m kpis users add ...``).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path


def add_parser(sub) -> None:
    users = sub.add_parser("users", help="local users (small installations and the demo)")
    users.add_argument("--file", type=Path, default=None,
                       help="users file (default $PEJLEMAERKER_USERS or data/users.toml)")
    act = users.add_subparsers(dest="action", required=True)
    add = act.add_parser("add", help="add a user (the password is asked for, or read from stdin)")
    add.add_argument("username")
    add.add_argument("--role", required=True,
                     help="udvalg/committee, afdelingsleder/department_head, analytiker/analyst, "
                          "admin/administrator")
    add.add_argument("--teams", default=None,
                     help="a department head's teams, comma-separated (as in the export)")
    add.add_argument("--display-name", default=None, help="the name shown in the app")
    add.add_argument("--replace", action="store_true",
                     help="replace an existing user (new role, teams and password)")
    rm = act.add_parser("remove", help="remove a user")
    rm.add_argument("username")
    act.add_parser("list", help="list the users (never their hashes)")


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Adgangskode: ")
        if getpass.getpass("Gentag adgangskode: ") != first:
            raise ValueError("de to adgangskoder er ikke ens")
        return first
    line = sys.stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


def _sign_out_everywhere(username: str, reason: str) -> None:
    """A changed or removed user signs in again: their sessions end in every tab and process."""
    from kpis.access.sessions import end_all_of, sessions_path
    from kpis.access.users import normalise_username

    if sessions_path().exists():
        ended = end_all_of(normalise_username(username), reason)
        if ended:
            print(f"{ended} {'session' if ended == 1 else 'sessioner'} afsluttet: "
                  "brugeren skal logge ind igen")


def cli_users(args: argparse.Namespace) -> int:
    # Imported here: building the parser for another command must not load argon2 and the engine.
    from kpis.access.users import (
        UsersFileError,
        add_user,
        check_password,
        load_users,
        make_user,
        remove_user,
        users_path,
    )

    path = args.file or users_path()
    try:
        if args.action == "add":
            teams = args.teams.split(",") if args.teams else None
            user = make_user(args.username, args.role, teams, args.display_name)
            password = _read_password()
            check_password(password)
            add_user(user, password, path, replace=args.replace)
            print(f"Bruger {user.username} ({user.role.label_da}) gemt i {path}")
            if args.replace:
                _sign_out_everywhere(user.username, "brugeren er ændret")
        elif args.action == "remove":
            remove_user(args.username, path)
            print(f"Bruger {args.username} fjernet fra {path}")
            _sign_out_everywhere(args.username, "brugeren er fjernet")
        else:
            entries = load_users(path)
            if not entries:
                print(f"Ingen brugere i {path}")
            for name, entry in sorted(entries.items()):
                u = entry.user
                teams = f" [{', '.join(sorted(u.teams))}]" if u.teams else ""
                demo = " (demo)" if entry.demo else ""
                print(f"{name}\t{u.role.value}{teams}\t{u.display_name}{demo}")
    except (ValueError, UsersFileError) as exc:
        print(f"fejl: {exc}", file=sys.stderr)
        return 1
    return 0
