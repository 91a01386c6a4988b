"""Quarantine: the closed list of reasons a row is not loaded, and the record kept for each problem.

A row with several problems gets one record per problem (each names its own column and value) but
counts once in the file's ``rows_quarantined``. Values are masked (``cpr.py``) before they are
recorded so that a CPR number never reaches the quarantine table, even when it sits in the wrong
column.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kpis.data.cpr import masked


class Reason(str, Enum):
    """Why a value or a row was quarantined. The text is what a person reads (Danish)."""

    MISSING = "mangler påkrævet værdi"
    INVALID_DATE = "ugyldig dato"
    INVALID_TIMESTAMP = "ugyldigt tidspunkt"
    INVALID_BOOL = "ugyldig ja/nej-værdi"
    INVALID_INT = "ugyldigt heltal"
    UNKNOWN_VALUE = "ukendt værdi"
    INVALID_CPR = "ugyldigt CPR-nummer"
    CPR_IN_TEXT = "ligner et CPR-nummer (værdien er ikke gemt)"
    EXTRA_FIELDS = "flere felter end kolonneoverskrifter"
    DUPLICATE_ID = "gentaget id (første række er indlæst)"
    UNKNOWN_CASE = "ukendt sag"
    QUARANTINED_CASE = "sagen er i karantæne"
    UNKNOWN_MEASURE = "ukendt indsats"
    QUARANTINED_MEASURE = "indsatsen er i karantæne"
    MEASURE_OF_OTHER_CASE = "indsatsen hører til en anden sag"
    AFTER_AS_OF = "dato efter opgørelsesdatoen"
    BEFORE_START = "afsluttet før start"
    NOT_HELD_NOR_EXEMPTED = "hverken afholdt eller registreret med undtagelse"
    MORE_MEASURABLE_THAN_GOALS = "flere målbare mål end mål i alt"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Problem:
    """One quarantine record: one problem in one row. ``value`` is already masked."""

    file: str
    table: str
    row_number: int  # as a spreadsheet shows it: the header is row 1
    column: str  # canonical column name, or the export's header when it maps to none
    value: str | None
    reason: Reason


def display_value(value: object) -> str | None:
    """How an offending value is recorded: as text, with every CPR number masked."""
    if value is None:
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return masked(text)
