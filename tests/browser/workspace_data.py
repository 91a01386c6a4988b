"""A few bad rows added to a demo export, each with the quarantine record it must produce."""

from __future__ import annotations

import zipfile
from pathlib import Path

from kpis.data.quarantine import Reason


def _encoding(data: bytes) -> str:
    try:
        data.decode("utf-8")
        return "utf-8"  # with or without BOM: the BOM stays at the start
    except UnicodeDecodeError:
        return "cp1252"


def _append(path: Path, change) -> int:
    """Append a changed copy of the file's last row; returns its row number (header = 1)."""
    data = path.read_bytes()
    enc = _encoding(data)
    text = data.decode(enc)
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.rstrip("\r\n").split(newline)
    fields = lines[-1].split(";")
    lines.append(";".join(change(fields)))
    path.write_bytes((newline.join(lines) + newline).encode(enc))
    return len(lines)


def add_bad_rows(folder: Path) -> set[tuple[str, int, str, str]]:
    """Three new rows with one fault each: (file, row, column, reason) of each."""
    out = set()

    def bad_time(f):
        return ["U9990001", f[1], "32-01-2025 10:00", *f[3:]]
    row = _append(folder / "underretninger.csv", bad_time)
    out.add(("underretninger.csv", row, "received_at", Reason.INVALID_TIMESTAMP.value))

    def unknown_case(f):
        return ["I9990001", "1999-99998", *f[2:]]
    row = _append(folder / "indsatser.csv", unknown_case)
    out.add(("indsatser.csv", row, "case_id", Reason.UNKNOWN_CASE.value))

    def too_measurable(f):
        return ["P9990001", *f[1:5], "2", "3"]
    row = _append(folder / "planer.csv", too_measurable)
    out.add(("planer.csv", row, "goals_measurable", Reason.MORE_MEASURABLE_THAN_GOALS.value))
    return out


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f"udtraek/{f.name}")
    return target
