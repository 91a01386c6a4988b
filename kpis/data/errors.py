"""The one error an import raises on purpose."""

from __future__ import annotations


class ImportRefused(Exception):
    """The export cannot be imported at all (a missing file or column, an unreadable file, no key).

    The message is Danish, names the file and column, and never contains a CPR number. The
    database is left exactly as it was.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
