"""CPR numbers: validation, birth date, keyed pseudonym, and where the key comes from.

A CPR number is read from the export, checked, turned into a birth date and an HMAC-SHA256 pseudonym,
and then dropped: it is never stored, logged or put into a message. Nothing here includes the number
in an exception.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from datetime import date
from pathlib import Path

from kpis.settings import PrivacySettings

# The documented key of the demo municipality. It protects nothing (it is public); a real
# installation keeps its own key outside the repository (see docs/data-model.md).
DEMO_KEY: bytes = b"pejlemaerker-demo-key-not-secret-2025"

MIN_KEY_BYTES = 16
PSEUDONYM_PREFIX = "barn-"

_CPR = re.compile(r"(\d{6})-?(\d{4})")
_CPR_SEARCH = re.compile(r"(?<!\d)(\d{6})-?(\d{4})(?!\d)")


class MissingKey(Exception):
    """No pseudonym key could be found; the message says where one is looked for."""


def _century(digit7: int, yy: int) -> int:
    """The century of a CPR number from its 7th digit and two-digit year (CPR-kontoret's table)."""
    if digit7 <= 3:
        return 1900
    if digit7 in (4, 9):
        return 2000 if yy <= 36 else 1900
    # 5-8
    return 2000 if yy <= 57 else 1800


def _birth_date(six: str, serial: str) -> date | None:
    day, month, yy = int(six[0:2]), int(six[2:4]), int(six[4:6])
    try:
        return date(_century(int(serial[0]), yy) + yy, month, day)
    except ValueError:
        return None


def cpr_birth_date(text: str, *, not_after: date | None = None) -> date | None:
    """The birth date of a valid CPR number (10 digits, hyphen optional after the 6th), else None.

    A number whose date is impossible, or lies after ``not_after`` (a child not yet born on the
    as-of date), is invalid. There is no modulus-11 check: CPR numbers without it exist since 2007.
    """
    m = _CPR.fullmatch(text.strip())
    if m is None:
        return None
    born = _birth_date(m.group(1), m.group(2))
    if born is None or (not_after is not None and born > not_after):
        return None
    return born


def normalise_cpr(text: str) -> str:
    """The ten digits of a CPR number already known to be valid."""
    return text.strip().replace("-", "")


def pseudonym(cpr: str, key: bytes) -> str:
    """The child's pseudonym: keyed HMAC-SHA256 of the ten digits, 64 bits in hex groups of four.

    The groups keep a pseudonym from ever containing a run of ten digits (it cannot look like a CPR
    number), and the prefix makes it recognisable as a pseudonym.
    """
    digest = hmac.new(key, normalise_cpr(cpr).encode("ascii"), hashlib.sha256).hexdigest()[:16]
    return PSEUDONYM_PREFIX + "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def looks_like_cpr(text: str) -> bool:
    """True when the text contains ten digits (hyphen optional) that form a valid CPR date."""
    if len(text) < 10:  # most ids and words: no need for the expression
        return False
    return any(_birth_date(m.group(1), m.group(2)) for m in _CPR_SEARCH.finditer(text))


def key_check(key: bytes | None) -> str:
    """A value that changes with the key but does not reveal it (part of an import's fingerprint)."""
    if key is None:
        return "ingen nøgle"
    return hmac.new(key, b"pejlemaerker-key-check", hashlib.sha256).hexdigest()[:16]


def resolve_key(explicit: bytes | None, privacy: PrivacySettings) -> bytes | None:
    """The pseudonym key: explicit argument, else the environment variable, else the key file."""
    if explicit is not None:
        key = explicit
    elif os.environ.get(privacy.pseudonym_key_env):
        key = os.environ[privacy.pseudonym_key_env].encode("utf-8")
    else:
        path = Path(privacy.pseudonym_key_file).expanduser()
        if not path.is_file():
            return None
        key = path.read_bytes().strip()
    if len(key) < MIN_KEY_BYTES:
        raise MissingKey(f"Pseudonymnøglen er for kort: den skal være mindst {MIN_KEY_BYTES} tegn.")
    return key


def missing_key_message(privacy: PrivacySettings) -> str:
    return (
        "Eksporten indeholder CPR-numre, men der er ingen pseudonymnøgle. Sæt miljøvariablen "
        f"{privacy.pseudonym_key_env} eller læg nøglen i filen {privacy.pseudonym_key_file} "
        "(uden for projektmappen). Se docs/data-model.md."
    )
