"""Review records as a reviewer reads them (Danish headings), shared by the pages."""

from __future__ import annotations

import polars as pl

MANGLER_COLUMNS_DA = {"case_id": "Sag", "team": "Team", "caseworker": "Sagsbehandler",
                      "what": "Hvad skal rettes", "due_on": "Frist"}


def mangler_table(df: pl.DataFrame) -> pl.DataFrame:
    """Open mangler (store.mangler) with Danish headings, the due date a date."""
    return (df.select(list(MANGLER_COLUMNS_DA))
            .with_columns(pl.col("due_on").str.to_date())
            .rename(MANGLER_COLUMNS_DA))
