"""The legal regime a case step is measured under: Serviceloven before 2024, Barnets Lov from 2024.

A step is measured under the regime in force on the date that triggers it (domain.md, "Two legal
regimes"); which date that is belongs to each KPI's definition, not to this module.
"""

from __future__ import annotations

from datetime import date
from enum import Enum

# Barnets Lov replaced the child rules of Serviceloven on this day (LBK nr 282 af 17/03/2025).
BARNETS_LOV_START = date(2024, 1, 1)


class Regime(str, Enum):
    SEL = "sel"
    BARNETS_LOV = "barnets_lov"

    @property
    def label_da(self) -> str:
        return _LABELS_DA[self]


_LABELS_DA: dict[Regime, str] = {
    Regime.SEL: "Serviceloven",
    Regime.BARNETS_LOV: "Barnets Lov",
}


def regime_for(d: date) -> Regime:
    """The regime in force on the triggering date `d`."""
    return Regime.BARNETS_LOV if d >= BARNETS_LOV_START else Regime.SEL


def regime_sql(date_sql: str) -> str:
    """A SQL CASE expression giving 'sel' or 'barnets_lov' for the DATE expression `date_sql`.

    `date_sql` must be SQL the caller built from validated identifiers, never a user's value. The
    only literal is the code constant BARNETS_LOV_START. A NULL date gives NULL: no regime can be
    claimed for a step whose triggering date is unknown.
    """
    start = BARNETS_LOV_START.isoformat()
    return (
        f"CASE WHEN ({date_sql}) IS NULL THEN NULL "
        f"WHEN CAST({date_sql} AS DATE) >= DATE '{start}' THEN '{Regime.BARNETS_LOV.value}' "
        f"ELSE '{Regime.SEL.value}' END"
    )
