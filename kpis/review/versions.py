"""Versions of the case-review programmes (config/reviews.yaml): analysts and administrators
configure programmes in the app with the history every edited file has (kpis/rules/history.py:
validation first, a reason, atomic saves, restore), in a folder of its own
(``$PEJLEMAERKER_REVIEWS_HISTORY``, else ``reviews_history/`` beside the database)."""

from __future__ import annotations

from pathlib import Path

from kpis.review.validate import validate_text
from kpis.rules.history import ConfigHistory, default_history_dir

REVIEWS_HISTORY_ENV = "PEJLEMAERKER_REVIEWS_HISTORY"


def default_reviews_history_dir(db: Path) -> Path:
    return default_history_dir(db, REVIEWS_HISTORY_ENV, "reviews_history")


def reviews_history_for(config_path: Path, history_dir: Path, kpis_file: Path | None = None
                        ) -> ConfigHistory:
    """The programmes' history; a save is validated as ``python -m kpis review validate`` does,
    with pre-fill KPIs checked against ``kpis_file`` (the definitions the app reads)."""
    return ConfigHistory(Path(config_path), Path(history_dir),
                         lambda text, file: validate_text(text, file, kpis_file=kpis_file)[1])
