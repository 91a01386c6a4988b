"""A tiny export in the canonical profile whose counts are known by hand (shared by tests)."""

from __future__ import annotations

from pathlib import Path

# A tiny export in the canonical profile whose counts are known by hand. cases: 3 rows read, the
# repeated C2 is quarantined. notifications: 2 read, N2 refers to an unknown case.
# investigations and measures: headers only. The optional tables are absent.
TINY_EXPORT = {
    "cases.csv": (
        "case_id,team,caseworker,opened_on\n"
        "C1,Nord,Anne,2025-01-02\n"
        "C2,Syd,Bo,2025-02-03\n"
        "C2,Syd,Bo,2025-02-04\n"
    ),
    "notifications.csv": (
        "notification_id,case_id,received_at,notifier_type\n"
        "N1,C1,2025-03-01T10:00,professional\n"
        "N2,C9,2025-03-02T11:00,private\n"
    ),
    "investigations.csv": "investigation_id,case_id,aware_on\n",
    "measures.csv": "measure_id,case_id,decided_on\n",
}
TINY_KEY = b"test-key-for-tiny-export"


def write_tiny_export(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in TINY_EXPORT.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
