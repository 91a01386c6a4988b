"""``python -m kpis compute``: KPI results as a Danish table, CSV, JSON or an Excel workbook."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import duckdb
import polars as pl
import xlsxwriter.exceptions

from kpis.access.suppression import HIDDEN_TEXT
from kpis.compute.compile import DIMENSION_LABELS_DA, DIMENSIONS
from kpis.compute.engine import AccessDenied, AsOfAfterExport, compute
from kpis.compute.periods import PeriodError, parse_period
from kpis.data.snapshot import SnapshotUnavailable, open_snapshot
from kpis.present.formatting import format_number_da, format_pct_da
from kpis.rules.definitions import Unit
from kpis.rules.validate import KpiDefinitionError, load_and_validate
from kpis.safe_cells import neutralised

STATUS_DA = {"green": "Grøn", "yellow": "Gul", "red": "Rød", "none": "–"}


def _fail(message: str, code: int = 2) -> int:
    print(message, file=sys.stderr)
    return code


def result_records(df: pl.DataFrame, by: list[str]) -> list[dict]:
    """The JSON shape of a result: one object per KPI × period × group."""
    out = []
    for r in df.iter_rows(named=True):
        level = [d for d in r["group_level"].split(",") if d]
        out.append({
            "kpi": r["kpi"], "period": r["period"],
            "group": {d: r[d] for d in level},
            "numerator": r["numerator"], "denominator": r["denominator"], "value": r["value"],
            "pending": r["pending"], "overdue_open": r["overdue_open"], "status": r["status"],
            "target": r["target"], "suppressed": r["suppressed"], "p90": r["p90"],
            "rule": r["rule"],
        })
    return out


def _format_value(value, unit: Unit, suppressed: bool = False) -> str:
    if suppressed:
        return HIDDEN_TEXT
    if value is None:
        return "–"
    if unit is Unit.PERCENT:
        return format_pct_da(value)
    if unit is Unit.COUNT:
        return format_number_da(value)
    return format_number_da(value, 1)


def _count(n, suppressed: bool) -> str:
    if suppressed:
        return HIDDEN_TEXT
    return "" if n is None else format_number_da(n)


def danish_table(df: pl.DataFrame, kpiset, by: list[str]) -> str:
    headers = ["Nøgletal", "Periode", *[DIMENSION_LABELS_DA[d] for d in by],
               "Værdi", "Tæller", "Nævner", "Mål", "Status", "Afventer", "Over frist"]
    rows = []
    for r in df.iter_rows(named=True):
        kpi = kpiset[r["kpi"]]
        rows.append([
            kpi.name, r["period"], *[(r[d] if r[d] is not None else "I alt") for d in by],
            _format_value(r["value"], kpi.unit, r["suppressed"]),
            _count(r["numerator"], r["suppressed"]), _count(r["denominator"], r["suppressed"]),
            _format_value(r["target"], kpi.unit), STATUS_DA[r["status"]],
            _count(r["pending"], r["pending_suppressed"]),
            _count(r["overdue_open"], r["overdue_suppressed"]),
        ])
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    lines = ["  ".join(str(h).ljust(w) for h, w in zip(headers, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def cli_compute(args) -> int:
    from kpis.access.roles import Role, parse_role, scope_for

    try:
        role = parse_role(args.role) if args.role else Role.ANALYST
    except ValueError as exc:
        return _fail(str(exc))
    if role is Role.DEPARTMENT_HEAD and not args.teams:
        return _fail("rollen afdelingsleder kræver --teams TEAM[,TEAM]")
    teams = frozenset(t.strip() for t in (args.teams or "").split(",") if t.strip()) or None
    scope = scope_for(role, teams)
    by = [d.strip() for d in args.by.split(",") if d.strip()]
    for d in by:
        if d not in DIMENSIONS:
            return _fail(f"ukendt dimension {d!r}; vælg blandt {', '.join(DIMENSIONS)}")
    try:
        periods = [parse_period(p) for p in args.period]
    except PeriodError as exc:
        return _fail(str(exc))
    try:
        kpiset = load_and_validate(args.kpis_file)
    except KpiDefinitionError as exc:
        return _fail(f"nøgletallene er ugyldige:\n{exc}", 1)
    for k in args.kpi or []:
        if k not in kpiset:
            return _fail(f"ukendt nøgletal {k!r}; kendte: {', '.join(kpiset.ids)}")
    if args.out is not None and (problem := _out_problem(Path(args.out))):
        return _fail(problem)
    try:
        conn, _ = open_snapshot(Path(args.db))
    except SnapshotUnavailable as exc:
        return _fail(str(exc))
    try:
        df = compute(conn, kpiset, periods, by, as_of=args.as_of, kpi_ids=args.kpi or None,
                     scope=scope)
    # AccessDenied: e.g. the committee asking for figures per caseworker
    except (AccessDenied, AsOfAfterExport) as exc:
        return _fail(str(exc))
    except duckdb.Error as exc:  # e.g. a case date outside the installed calendar
        return _fail(f"beregningen fejlede i databasen: {exc}")
    finally:
        conn.close()
    return _write(df, kpiset, by, args.format, args.out)


def _out_problem(out: Path) -> str | None:
    """Why ``--out`` cannot be written, checked before anything is computed."""
    if out.is_dir():
        return f"--out {out} er en mappe; angiv et filnavn"
    folder = out.parent
    if not folder.is_dir():
        return f"mappen {folder} findes ikke (--out {out}); opret den først"
    if not os.access(folder, os.W_OK):
        return f"der kan ikke skrives i mappen {folder} (--out {out})"
    return None


def _write_whole(out: Path, write) -> None:
    """``write(tmp)`` into a temporary file beside ``out``, then moved onto it: a failed write
    leaves no half-written file and an existing one untouched."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _write(df: pl.DataFrame, kpiset, by: list[str], fmt: str, out: Path | None) -> int:
    if fmt == "xlsx":
        if out is None:
            return _fail("--format xlsx kræver --out FIL.xlsx")
        try:
            _write_whole(Path(out), lambda tmp: df.write_excel(tmp, worksheet="Nøgletal",
                                                                autofit=True))
        except (OSError, xlsxwriter.exceptions.FileCreateError) as exc:
            return _fail(f"kunne ikke skrive {out}: {exc}")
        print(f"Skrev {len(df)} rækker til {out}")
        return 0
    if fmt == "json":
        text = json.dumps(result_records(df, by), ensure_ascii=False, indent=2, default=str)
    elif fmt == "csv":
        text = neutralised(df).write_csv()
    else:
        text = danish_table(df, kpiset, by)
    if out:
        try:
            _write_whole(Path(out), lambda tmp: tmp.write_text(text + "\n", encoding="utf-8"))
        except OSError as exc:
            return _fail(f"kunne ikke skrive {out}: {exc}")
    else:
        print(text)
    return 0
