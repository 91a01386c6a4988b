"""The one error an import raises on purpose."""

from __future__ import annotations

from kpis.data.cpr import masked


class ImportRefused(Exception):
    """The export cannot be imported at all (a missing file or column, an unreadable file, no key).

    The message is Danish, names the file and column, and never contains a CPR number: one in a
    path or name it quotes is masked here. The database is left exactly as it was.
    """

    def __init__(self, message: str) -> None:
        message = masked(message)
        super().__init__(message)
        self.message = message
