"""What an import did: counts per file, the snapshot made, and a Danish summary for people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from kpis.data.quarantine import Reason
from kpis.data.schema import TABLES

# After a finding that keeps its row (Reason.keeps_row): what happened to the row.
_KEPT = " (rækken er indlæst; datoen regnes som endnu ikke sket)"
_KEPT_REASONS = frozenset(r.value for r in Reason if r.keeps_row)


@dataclass(frozen=True)
class FileCount:
    file: str
    table: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    ignored_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportResult:
    db: Path
    source: str
    profile: str
    as_of: date
    snapshot_id: str
    imported_at: datetime
    files: tuple[FileCount, ...]
    unchanged: bool = False  # an identical export was imported before: nothing was written
    ignored_files: tuple[str, ...] = ()
    absent_tables: tuple[str, ...] = ()  # optional tables without a file: empty
    reasons: tuple[tuple[str, int], ...] = ()  # quarantine records per reason, most first
    blank_rows: int = 0

    def file(self, table: str) -> FileCount:
        return next(f for f in self.files if f.table == table)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    def summary_text(self) -> str:
        lines = [
            f"Import fra {self.source} (profil: {self.profile})",
            f"Opgørelsesdato: {self.as_of:%d-%m-%Y} · snapshot {self.snapshot_id}",
            f"Database: {self.db}",
        ]
        if self.unchanged:
            lines.append("Eksporten er uændret siden sidste import (samme filer, profil og "
                         "opgørelsesdato): databasen er ikke ændret.")
        lines += ["", *_count_table(self)]
        if self.reasons:
            lines += ["", "Fejl fundet i udtrækket:"]
            lines += [f"  {reason}: {_n(count)}{_KEPT if reason in _KEPT_REASONS else ''}"
                      for reason, count in self.reasons]
            lines.append("  (hver fejl med fil, række, kolonne og værdi: tabellen quarantine i "
                         "databasen)")
        ignored = [f"{f.file}: {', '.join(f.ignored_columns)}" for f in self.files
                   if f.ignored_columns]
        if ignored:
            lines += ["", "Ukendte kolonner (ikke indlæst):", *(f"  {x}" for x in ignored)]
        if self.ignored_files:
            lines += ["", "Filer der ikke hører til en tabel (ikke indlæst): "
                      + ", ".join(self.ignored_files)]
        if self.absent_tables:
            absent = ", ".join(f"{TABLES[t].label_da} ({t})" for t in self.absent_tables)
            lines += ["", f"Ingen fil til disse valgfrie tabeller, de er tomme: {absent}"]
        if self.blank_rows:
            lines += ["", f"Helt tomme rækker sprunget over: {_n(self.blank_rows)}"]
        return "\n".join(lines)


def _n(number: int) -> str:
    """A count the Danish way: 12.345."""
    return f"{number:,}".replace(",", ".")


def _count_table(result: ImportResult) -> list[str]:
    header = ("Fil", "Tabel", "Læst", "Indlæst", "Karantæne")
    body = [(f.file, f.table, _n(f.rows_read), _n(f.rows_loaded), _n(f.rows_quarantined))
            for f in result.files]
    total = ("I alt", "", _n(result.rows_read), _n(result.rows_loaded),
             _n(result.rows_quarantined))
    rows = [header, *body, total]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        left = [row[i].ljust(widths[i]) for i in range(2)]
        right = [row[i].rjust(widths[i]) for i in range(2, len(row))]
        return "  ".join(left + right).rstrip()

    rule = "-" * len(line(header))
    return [line(header), rule, *(line(r) for r in body), rule, line(total)]
