"""``python -m kpis plan validate [FILE]``: check the udviklingsplan against the KPI definitions."""

from __future__ import annotations

from pathlib import Path

from kpis import DEFAULT_KPIS
from kpis.plan.validate import DEFAULT_PLAN


def add_parser(sub) -> None:
    plan = sub.add_parser("plan", help="the udviklingsplan: validate config/plan.yaml")
    psub = plan.add_subparsers(dest="plan_command", required=True)
    val = psub.add_parser("validate", help="validate config/plan.yaml")
    val.add_argument("file", type=Path, nargs="?", default=DEFAULT_PLAN)
    val.add_argument("--kpis-file", type=Path, default=DEFAULT_KPIS)


def cli_plan(args) -> int:
    from kpis.plan.validate import cli_validate_plan

    return cli_validate_plan(args.file, args.kpis_file)  # "validate" is the only sub-command
