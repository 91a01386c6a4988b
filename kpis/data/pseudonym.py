"""The keyed pseudonym that replaces a CPR number, and where the key comes from.

A CPR number is read from the export, checked (``cpr.py``), turned into a birth date and an
HMAC-SHA256 pseudonym, and then dropped: it is never stored, logged or put into a message. Nothing
here includes the number in an exception.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from kpis.data.cpr import normalise_cpr
from kpis.settings import PrivacySettings

# The documented key of the demo municipality. It protects nothing (it is public); a real
# installation keeps its own key outside the repository (see docs/data-model.md).
DEMO_KEY: bytes = b"pejlemaerker-demo-key-not-secret-2025"

MIN_KEY_BYTES = 16
PSEUDONYM_PREFIX = "barn-"


class MissingKey(Exception):
    """No pseudonym key could be found; the message says where one is looked for."""


def pseudonym(cpr: str, key: bytes) -> str:
    """The child's pseudonym: keyed HMAC-SHA256 of the ten digits, 64 bits in hex groups of four.

    The groups keep a pseudonym from ever containing a run of ten digits (it cannot look like a CPR
    number), and the prefix makes it recognisable as a pseudonym.
    """
    digest = hmac.new(key, normalise_cpr(cpr).encode("ascii"), hashlib.sha256).hexdigest()[:16]
    return PSEUDONYM_PREFIX + "-".join(digest[i : i + 4] for i in range(0, 16, 4))


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
