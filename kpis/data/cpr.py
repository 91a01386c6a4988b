"""The one CPR detector: what counts as a CPR number in a cell, header, sheet or file name of an
export, in a message, and in the audit log. Every place that looks for CPR numbers asks this module.

A CPR number is ``ddmmyy`` + a four-digit serial, its date part a real date (the century from the
7th digit by CPR-kontoret's table). Found in these forms:

- ``ddmmyy-ssss`` and ``ddmmyyssss``, the separator a space, hyphen or dash, dot or slash, with or
  without spaces around it (``260208 6950``, ``260208/6950``, ``260208 - 6950``);
- the date part written with separators (``26.02.08-6950``, ``26-02-08 6950``, ``26/02/08/6950``);
- a number cell of ten digits (``2602086950``);
- inside a longer run of digits, or a number cell of nine digits (a leading zero a spreadsheet lost),
  only when the ten digits also pass the modulus-11 check.

Why modulus-11 only there: CPR numbers without it exist since 2007 (most of the children in an
export), so a CPR-shaped number with a real date counts whatever its check digit. The check is used
for the two forms where a date-shaped match is too common by chance: ten digits picked out of a
longer number (an account or EAN number) and nine-digit ids. Dates (``2025-04-16``, ``16.04.2025``),
ISO times and case numbers do not match: a date has a four-digit year, not a four-digit serial.
See docs/data-model.md §5.
"""

from __future__ import annotations

import math
import re
from datetime import date

# The date part: dd mm yy, with one separator used twice or none.
_DATE = r"(\d{2})([./ -]?)(\d{2})\2(\d{2})"
# Between the date part and the serial: nothing, or one separator with optional spaces around it.
_GAP = r"[ \u00a0]*[-\u2010\u2011\u2012\u2013\u2014/.]?[ \u00a0]*"
# Not right after "<digit>T": an ISO time with dots and a suffix ("2025-06-30T14.07.38-1a2b", a
# snapshot id) has the dotted form's shape.
_FORMS = re.compile(rf"(?<!\d)(?<!\dT){_DATE}{_GAP}(\d{{4}})(?!\d)")
_LONG_RUN = re.compile(r"(?<!\d)\d{11,}(?!\d)")
_STRICT = re.compile(r"(\d{6})-?(\d{4})")  # the cpr column itself: ddmmyy-ssss or ten digits
_MOD11_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
_SHORTEST = 10  # no form is shorter: most ids and words need no expression


def _century(digit7: int, yy: int) -> int:
    """The century of a CPR number from its 7th digit and two-digit year (CPR-kontoret's table)."""
    if digit7 <= 3:
        return 1900
    if digit7 in (4, 9):
        return 2000 if yy <= 36 else 1900
    # 5-8
    return 2000 if yy <= 57 else 1800


def birth_date(six: str, serial: str) -> date | None:
    """The birth date of ``ddmmyy`` and its serial, or None when the date does not exist."""
    day, month, yy = int(six[0:2]), int(six[2:4]), int(six[4:6])
    try:
        return date(_century(int(serial[0]), yy) + yy, month, day)
    except ValueError:
        return None


def modulus_11(ten: str) -> bool:
    return sum(int(d) * w for d, w in zip(ten, _MOD11_WEIGHTS, strict=True)) % 11 == 0


def cpr_birth_date(text: str, *, not_after: date | None = None) -> date | None:
    """The birth date of a valid CPR number in the ``cpr`` column (``ddmmyy-ssss`` or ten digits),
    else None.

    The column is strict about its form: an identifier written another way is quarantined as
    invalid (its value hidden), not guessed at. A number whose date is impossible, or lies after
    ``not_after`` (a child not yet born on the as-of date), is invalid. No modulus-11 check.
    """
    m = _STRICT.fullmatch(text.strip())
    if m is None:
        return None
    born = birth_date(m.group(1), m.group(2))
    if born is None or (not_after is not None and born > not_after):
        return None
    return born


def normalise_cpr(text: str) -> str:
    """The ten digits of a CPR number already known to be valid."""
    return re.sub(r"\D", "", text)


def _spans(text: str) -> list[tuple[int, int]]:
    """Where the CPR numbers in the text are (start, end), in order."""
    found = [m.span() for m in _FORMS.finditer(text) if _real(m)]
    found += [m.span() for m in _LONG_RUN.finditer(text) if _holds_checked_cpr(m.group())]
    return sorted(found)


def _real(m: re.Match[str]) -> bool:
    return birth_date(m.group(1) + m.group(3) + m.group(4), m.group(5)) is not None


def _holds_checked_cpr(run: str) -> bool:
    return any(_is_checked_cpr(run[i:i + 10]) for i in range(len(run) - 9))


def _is_checked_cpr(ten: str) -> bool:
    return birth_date(ten[:6], ten[6:]) is not None and modulus_11(ten)


def contains_cpr(text: str) -> bool:
    """True when the text holds a CPR number in any of the forms above."""
    if len(text) < _SHORTEST or (_FORMS.search(text) is None and _LONG_RUN.search(text) is None):
        return False  # most text: one pass of each expression
    return (any(_real(m) for m in _FORMS.finditer(text))
            or any(_holds_checked_cpr(m.group()) for m in _LONG_RUN.finditer(text)))


def mask_cpr(text: str, marker: str) -> str:
    """The text with every CPR number in it replaced by ``marker``."""
    if len(text) < _SHORTEST:
        return text
    out, last = [], 0
    for start, end in _spans(text):
        if start >= last:
            out += [text[last:start], marker]
            last = end
    return "".join(out) + text[last:] if out else text


def number_is_cpr(value: float) -> bool:
    """True for a number cell that is a CPR number: ten digits with a real date, or nine digits
    (the leading zero lost) that also pass modulus-11."""
    if isinstance(value, bool) or not math.isfinite(value) or value != int(value):
        return False
    n = int(value)
    if not 10**8 <= n < 10**10:
        return False
    ten = f"{n:010d}"
    return _is_checked_cpr(ten) if n < 10**9 else birth_date(ten[:6], ten[6:]) is not None


def cell_has_cpr(cell: object) -> bool:
    """True when an export's cell (text, or a native number from Parquet or Excel) is or holds a
    CPR number. Dates and booleans never are."""
    if isinstance(cell, str):
        return contains_cpr(cell)
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return number_is_cpr(cell)
    return False


CPR_HIDDEN = "«CPR skjult»"  # what a masked CPR number in an import's record or message reads


def masked(text: str) -> str:
    """An import's text (a name, a value, a message) with every CPR number hidden."""
    return mask_cpr(text, CPR_HIDDEN)
