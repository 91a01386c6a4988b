"""Before saving: the saved and the edited definitions computed on the same data, side by side.

Both sets go through the engine for one period; the totals are joined on KPI and period. A row is
"ændret" when its value, target or status differs, "ny" or "fjernet" when the KPI exists on one
side only. Values are formatted as the tiles format them, so the preview reads like the overview.
"""

from __future__ import annotations

from enum import Enum

import polars as pl

from kpis.compute.engine import ALL, Scope, compute
from kpis.compute.periods import Period
from kpis.present.formatting import MISSING
from kpis.present.tiles import STATUS_TEXT_DA, format_value, rounded
from kpis.rules.definitions import KpiSet


class Change(str, Enum):
    SAME = "uændret"
    CHANGED = "ændret"
    ADDED = "ny"
    REMOVED = "fjernet"


CHANGE_ORDER = {Change.CHANGED: 0, Change.ADDED: 1, Change.REMOVED: 2, Change.SAME: 3}
_SIDE_COLUMNS = ("value", "target", "status", "numerator", "denominator")

PREVIEW_SCHEMA = {
    "kpi": pl.String, "name": pl.String, "period": pl.String, "change": pl.String,
    "old_value": pl.Float64, "new_value": pl.Float64, "old_target": pl.Float64,
    "new_target": pl.Float64, "old_status": pl.String, "new_status": pl.String,
    "old_n": pl.Int64, "new_n": pl.Int64, "old_text": pl.String, "new_text": pl.String,
    "old_target_text": pl.String, "new_target_text": pl.String, "old_status_text": pl.String,
    "new_status_text": pl.String, "what_changed": pl.String, "summary": pl.String,
}


def _totals(results: pl.DataFrame, period: str) -> dict[str, dict]:
    rows = results.filter((pl.col("group_level") == "") & (pl.col("period") == period))
    return {r["kpi"]: r for r in rows.iter_rows(named=True)}


def _status_text(status: str | None) -> str:
    if status in STATUS_TEXT_DA:
        symbol, word, _ = STATUS_TEXT_DA[status]
        return f"{symbol} {word}"
    return MISSING


def _differs(kpi, old: dict, new: dict) -> list[str]:
    """What a reader would see change: the figure as shown, the target, the status, the n."""
    out = []
    if rounded(old["value"], kpi.unit) != rounded(new["value"], kpi.unit):
        out.append("værdi")
    if old["target"] != new["target"]:
        out.append("mål")
    if old["status"] != new["status"]:
        out.append("status")
    if (old["numerator"], old["denominator"]) != (new["numerator"], new["denominator"]):
        out.append("antal")
    return out


def compare(old_kpis: KpiSet | None, old_results: pl.DataFrame, new_kpis: KpiSet,
            new_results: pl.DataFrame, period: Period | str) -> pl.DataFrame:
    """One row per KPI on either side, the changed first, then in the new file's order."""
    label = period.label if isinstance(period, Period) else period
    old_rows = _totals(old_results, label) if old_kpis is not None else {}
    new_rows = _totals(new_results, label)
    order = list(new_kpis.ids) + [k for k in (old_kpis.ids if old_kpis else []) if k not in new_kpis]
    out = []
    for kpi_id in order:
        old_kpi = old_kpis[kpi_id] if old_kpis is not None and kpi_id in old_kpis else None
        new_kpi = new_kpis[kpi_id] if kpi_id in new_kpis else None  # noqa: SIM401 - no .get
        old = old_rows.get(kpi_id) if old_kpi else None
        new = new_rows.get(kpi_id) if new_kpi else None
        kpi = new_kpi or old_kpi
        if old is None:
            change, what = Change.ADDED, []
        elif new is None:
            change, what = Change.REMOVED, []
        else:
            what = _differs(kpi, old, new)
            change = Change.CHANGED if what else Change.SAME
        # A unit may change with the definition: each side is formatted in its own.
        row = {"kpi": kpi_id, "name": kpi.name, "period": label, "change": change.value,
               **_side("old", old, old_kpi), **_side("new", new, new_kpi),
               "what_changed": ", ".join(what)}
        out.append({**row, "summary": _summary(row, change, what)})
    out.sort(key=lambda r: CHANGE_ORDER[Change(r["change"])])
    return pl.DataFrame(out, schema=PREVIEW_SCHEMA)


def _summary(r: dict, change: Change, what: list[str]) -> str:
    """The change in one line of Danish, naming only what differs."""
    if change is Change.ADDED:
        return f"ny: {r['new_text']}" + (f", mål {r['new_target_text']}"
                                         if r["new_target"] is not None else "")
    if change is Change.REMOVED:
        return f"fjernes (var {r['old_text']})"
    if change is Change.SAME:
        return "uændret"
    parts = []
    if "værdi" in what:
        parts.append(f"{r['old_text']} → {r['new_text']}")
    if "mål" in what:
        parts.append(f"mål {r['old_target_text']} → {r['new_target_text']}")
    if "status" in what:
        parts.append(f"status {r['old_status_text']} → {r['new_status_text']}")
    if "antal" in what and "værdi" not in what:
        parts.append(f"n {r['old_n']} → {r['new_n']}")
    return "; ".join(parts)


def _side(prefix: str, row: dict | None, kpi) -> dict:
    if row is None:
        return {f"{prefix}_value": None, f"{prefix}_target": None, f"{prefix}_status": None,
                f"{prefix}_n": None, f"{prefix}_text": MISSING, f"{prefix}_target_text": MISSING,
                f"{prefix}_status_text": MISSING}
    n = row["denominator"] if row["denominator"] is not None else row["numerator"]
    return {
        f"{prefix}_value": row["value"], f"{prefix}_target": row["target"],
        f"{prefix}_status": row["status"], f"{prefix}_n": n,
        f"{prefix}_text": format_value(rounded(row["value"], kpi.unit), kpi.unit),
        f"{prefix}_target_text": (format_value(row["target"], kpi.unit)
                                  if row["target"] is not None else MISSING),
        f"{prefix}_status_text": _status_text(row["status"]),
    }


def preview(source, old_kpis: KpiSet | None, new_kpis: KpiSet, period: Period | str,
            *, scope: Scope = ALL, as_of=None) -> pl.DataFrame:
    """Compute both sets for ``period`` on ``source`` (a snapshot connection or unit cache)."""
    label = period.label if isinstance(period, Period) else period
    new = compute(source, new_kpis, [label], scope=scope, as_of=as_of)
    old = (compute(source, old_kpis, [label], scope=scope, as_of=as_of)
           if old_kpis is not None else new.clear())
    return compare(old_kpis, old, new_kpis, new, label)


def counts(table: pl.DataFrame) -> dict[str, int]:
    """How many KPIs changed, were added, removed or stayed the same."""
    return {c.value: int((table["change"] == c.value).sum()) for c in Change}
