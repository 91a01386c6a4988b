"""Quarantine: the closed list of reasons a row is not loaded, and the record kept for each problem.

A row with several problems gets one record per problem (each names its own column and value) but
counts once in the file's ``rows_quarantined``. A few reasons are findings that do not hold the
row back (``Reason.keeps_row``): the row is loaded and the record is listed all the same. Values
are masked (``cpr.py``) before they are recorded so that a CPR number never reaches the quarantine
table, even when it sits in the wrong column.
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
    AFTER_AS_OF = "dato efter opgørelsesdatoen"  # a finding: the row is loaded (keeps_row)
    ROW_AFTER_AS_OF = "rækkens dato er efter opgørelsesdatoen"
    BEFORE_START = "afsluttet før start"
    NOT_HELD_NOR_EXEMPTED = "hverken afholdt eller registreret med undtagelse"
    MORE_MEASURABLE_THAN_GOALS = "flere målbare mål end mål i alt"

    def __str__(self) -> str:
        return self.value

    @property
    def keeps_row(self) -> bool:
        """A data-quality finding, not a reason to hold the row back: it is loaded and listed.

        A completion (or other non-planned date) after the as-of date is an error in the data,
        but quarantining the row would drop the step, and an overdue step that disappears
        improves the figure. Loaded, the date counts as not yet happened (the engine's as-of
        rule), so the step stays pending or late."""
        return self is Reason.AFTER_AS_OF


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
