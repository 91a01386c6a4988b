"""Command line: python -m kpis {import,demo,validate,compute,disclosure-check,users,plan}. Each
command delegates to the engine."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from kpis import DEFAULT_DB, DEFAULT_KPIS


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"ikke en dato (YYYY-MM-DD): {text!r}") from exc


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m kpis", description="Pejlemærker engine")
    sub = p.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="import an export (folder of CSV/Parquet or one .xlsx)")
    imp.add_argument("path", type=Path)
    imp.add_argument("--db", type=Path, default=DEFAULT_DB)
    imp.add_argument("--profile", default=None, help="export profile in config/sources.yaml")
    imp.add_argument("--as-of", type=_date, default=None, help="the day the export was taken")

    demo = sub.add_parser("demo", help="generate the demo municipality's export")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--scale", type=float, default=1.0)
    demo.add_argument("--out", type=Path, default=Path("data/demo_export"))
    demo.add_argument("--as-of", type=_date, default=None)
    demo.add_argument("--import", dest="do_import", action="store_true",
                      help="also import the generated export into --db")
    demo.add_argument("--db", type=Path, default=DEFAULT_DB)

    val = sub.add_parser("validate", help="validate KPI definitions")
    val.add_argument("file", type=Path, nargs="?", default=DEFAULT_KPIS)

    comp = sub.add_parser("compute", help="compute KPIs")
    comp.add_argument("--db", type=Path, default=DEFAULT_DB)
    comp.add_argument("--kpis-file", type=Path, default=DEFAULT_KPIS)
    comp.add_argument("--as-of", type=_date, default=None)
    comp.add_argument("--period", required=True, action="append",
                      help="2025-03, 2025-Q1, 2025 or R12-2025-03 (repeatable)")
    comp.add_argument("--kpi", nargs="*", default=None)
    comp.add_argument("--by", default="", help="comma-separated dimensions")
    comp.add_argument("--role", default=None,
                      help="committee/udvalgsmedlem, department_head/afdelingsleder, analyst")
    comp.add_argument("--teams", default=None, help="the teams of a department head (comma-separated)")
    comp.add_argument("--format", choices=["table", "csv", "json", "xlsx"], default="table")
    comp.add_argument("--out", type=Path, default=None)
    check = sub.add_parser("disclosure-check",
                           help="try to recover withheld small counts from every committee view")
    check.add_argument("--db", type=Path, default=DEFAULT_DB)
    check.add_argument("--kpis-file", type=Path, default=DEFAULT_KPIS)
    check.add_argument("--format", choices=["table", "json"], default="table")
    from kpis.access.users_cli import add_parser as add_users_parser

    add_users_parser(sub)
    from kpis.review.cli import add_parser as add_review_parser

    add_review_parser(sub)
    from kpis.plan.cli import add_parser as add_plan_parser

    add_plan_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "import":
        from kpis.data.importer import cli_import

        code = cli_import(args.path, args.db, profile=args.profile, as_of=args.as_of)
        _audit_import(args.path, args.db, code)
        return code
    if args.command == "demo":
        from kpis.data.demo import cli_demo

        code = cli_demo(args.out, seed=args.seed, scale=args.scale, as_of=args.as_of,
                        db=args.db if args.do_import else None)
        if args.do_import:
            _audit_import(args.out, args.db, code, "demodata")
        return code
    if args.command == "validate":
        from kpis.rules.validate import cli_validate

        return cli_validate(args.file)
    if args.command == "compute":
        from kpis.compute.cli_compute import cli_compute

        return cli_compute(args)
    if args.command == "review":
        from kpis.review.cli import cli_review

        return cli_review(args)
    if args.command == "plan":
        from kpis.plan.cli import cli_plan

        return cli_plan(args)
    if args.command == "disclosure-check":
        from kpis.access.disclosure import cli_disclosure_check

        return cli_disclosure_check(args)
    if args.command == "users":
        from kpis.access.users_cli import cli_users

        return cli_users(args)
    return 2  # pragma: no cover - argparse rejects unknown commands


def _audit_import(path: Path, db: Path, code: int, what: str = "udtræk") -> None:
    """An import from the command line goes in the audit log under the OS user's name."""
    import getpass

    from kpis.access.audit import AuditAction, record

    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        import os

        who = f"uid {os.getuid()}"
    outcome = "indlæst" if code == 0 else f"afvist (kode {code})"
    record(who, "kommandolinje", "*", AuditAction.IMPORT, page="python -m kpis",
           detail=f"{what} {path} → {db}: {outcome}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
