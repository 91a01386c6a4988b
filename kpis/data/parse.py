"""Value parsers: one export cell (text, or a native value from Parquet/Excel) to a canonical value.

Every reader hands cells to the same parsers, so CSV, Parquet and Excel follow one set of rules.
A parser returns None for an empty cell, the parsed value otherwise, or raises ``BadValue`` with
the quarantine reason. Parsers of text are cached: exports repeat the same dates and words
thousands of times.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from kpis.data.quarantine import Reason
from kpis.data.schema import ColType, Column

Parser = Callable[[object], object]

_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY_DATE = re.compile(r"(\d{1,2})([-./])(\d{1,2})\2(\d{4})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?")
_DATE_TIME_SPLIT = re.compile(r"\s*[T ]\s*")
# "3.0" and "3,00" are a spreadsheet's number cells; "1.000" is ambiguous (Danish thousands) and refused
_INT = re.compile(r"\+?(\d+)(?:[.,]0{1,2})?")

_TRUE = frozenset({"ja", "j", "1", "true", "sand"})
_FALSE = frozenset({"nej", "n", "0", "false", "falsk"})


class BadValue(Exception):
    """A cell that cannot be read; ``reason`` is what the quarantine records."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason.value)
        self.reason = reason


def is_empty(raw: object) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    return isinstance(raw, float) and math.isnan(raw)


def _date_from_text(text: str) -> date | None:
    if m := _ISO_DATE.fullmatch(text):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    elif m := _DMY_DATE.fullmatch(text):
        d, mo, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
    else:
        return None
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def _time_from_text(text: str) -> time | None:
    m = _TIME.fullmatch(text)
    if m is None:
        return None
    micro = int((m.group(4) or "0").ljust(6, "0"))
    try:
        return time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0), micro)
    except ValueError:
        return None


@lru_cache(maxsize=65536)
def _moment_from_text(text: str) -> tuple[datetime, bool] | None:
    """(moment, has_time) of a date or date-and-time text, or None if it is neither.

    A time of exactly midnight counts as "no time given": Excel and many case systems write a
    bare date that way, and the deadline rules must then not pretend to know the hour.
    """
    parts = _DATE_TIME_SPLIT.split(text.strip(), maxsplit=1)
    day = _date_from_text(parts[0])
    if day is None:
        return None
    if len(parts) == 1:
        return datetime.combine(day, time()), False
    clock = _time_from_text(parts[1])
    if clock is None:
        return None
    return datetime.combine(day, clock), clock != time()


def _local(moment: datetime) -> datetime:
    """Danish local time without a zone: a zone-aware native value (Parquet) is converted first."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(ZoneInfo("Europe/Copenhagen")).replace(tzinfo=None)


def _moment(raw: object, reason: Reason) -> tuple[datetime, bool]:
    if isinstance(raw, datetime):
        local = _local(raw)
        return local, local.time() != time()
    if isinstance(raw, date):
        return datetime.combine(raw, time()), False
    if isinstance(raw, str) and (found := _moment_from_text(raw)) is not None:
        return found
    raise BadValue(reason)


def parse_date(raw: object) -> date | None:
    """A date; a date-and-time at midnight (how Excel writes a date) is accepted as its date."""
    if is_empty(raw):
        return None
    moment, has_time = _moment(raw, Reason.INVALID_DATE)
    if has_time:
        raise BadValue(Reason.INVALID_DATE)
    return moment.date()


def parse_timestamp(raw: object) -> tuple[datetime, bool] | None:
    """(moment, has_time): a date without a time is stored at 00:00 with has_time False."""
    if is_empty(raw):
        return None
    return _moment(raw, Reason.INVALID_TIMESTAMP)


def parse_bool(raw: object) -> bool | None:
    if is_empty(raw):
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int | float) and raw in (0, 1):
        return bool(raw)
    text = str(raw).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise BadValue(Reason.INVALID_BOOL)


def parse_int(raw: object) -> int | None:
    """A count (0 or more); "3.0" from a spreadsheet's number cell is 3."""
    if is_empty(raw):
        return None
    if isinstance(raw, bool):
        raise BadValue(Reason.INVALID_INT)
    if isinstance(raw, int | float):
        if not math.isfinite(raw) or raw < 0 or raw != int(raw):
            raise BadValue(Reason.INVALID_INT)
        return int(raw)
    m = _INT.fullmatch(str(raw).strip())
    if m is None:
        raise BadValue(Reason.INVALID_INT)
    return int(m.group(1))


def parse_text(raw: object) -> str | None:
    if type(raw) is str:  # the common case first: every CSV cell
        return raw.strip() or None
    if is_empty(raw):
        return None
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))  # an id that a spreadsheet stored as a number
    if isinstance(raw, datetime | date):
        return raw.isoformat()
    return str(raw).strip()


def enum_parser(canonical: tuple[str, ...], export_words: Mapping[str, str]) -> Parser:
    """Map an export's word (case-insensitive, trimmed) to a canonical value; canonical values
    themselves are always accepted."""
    lookup = {v.casefold(): v for v in canonical}
    lookup.update({k.strip().casefold(): v for k, v in export_words.items()})

    def parse_enum(raw: object) -> str | None:
        if is_empty(raw):
            return None
        try:
            return lookup[str(raw).strip().casefold()]
        except KeyError:
            raise BadValue(Reason.UNKNOWN_VALUE) from None

    return parse_enum


def parser_for(column: Column, export_words: Mapping[str, str]) -> Parser:
    match column.type:
        case ColType.TEXT:
            return parse_text
        case ColType.DATE:
            return parse_date
        case ColType.TIMESTAMP:
            return parse_timestamp
        case ColType.BOOL:
            return parse_bool
        case ColType.INT:
            return parse_int
        case ColType.ENUM:
            return enum_parser(column.values, export_words)
