"""Writing the canonical tables in an export profile's dialect (Danish file names, headers and
words, ';', dd-mm-yyyy, Ja/Nej, Windows-1252 or UTF-8 with BOM), so the demo goes through the
real import path. The mapping is the profile in config/sources.yaml (read by kpis.data.profiles),
never repeated here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from kpis.data.profiles import Profile, load_profiles
from kpis.data.schema import TABLE_ORDER, TABLES, ColType

DATE_FMT = "%d-%m-%Y"
TIMESTAMP_FMT = "%d-%m-%Y %H:%M"
DATE_ONLY_SHARE = 0.03  # real exports lose the time of day on a few values
# Columns the demo leaves out: a real case-system export identifies the child by CPR, from which
# the importer derives both the pseudonym and the birth date.
OMITTED = {("cases", "child_id"), ("cases", "birth_date")}
# Alternate the two encodings Danish exports come in, so both are exercised on every import.
ENCODINGS = {t: ("cp1252" if i % 2 == 0 else "utf-8-sig") for i, t in enumerate(TABLE_ORDER)}


def load_profile(name: str) -> Profile:
    return load_profiles()[name]


def file_name(profile: Profile, table: str) -> str:
    return f"{profile.file_stem(table)}.csv"


def exported_columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table].columns if (table, c.name) not in OMITTED]


def to_text(
    table: str, df: pl.DataFrame, profile: Profile, rng: np.random.Generator
) -> pl.DataFrame:
    """Every column as the export's text (canonical column names still); empty = no value."""
    spec = TABLES[table]
    words = {
        col: {canon: word for word, canon in reversed(list(mapping.items()))}
        for col, mapping in profile.values.items()
    }
    out: dict[str, pl.Expr] = {}
    for name in exported_columns(table):
        col, kind = pl.col(name), spec.column(name).type
        if kind is ColType.DATE:
            out[name] = col.dt.strftime(DATE_FMT)
        elif kind is ColType.TIMESTAMP:
            date_only = pl.Series(rng.random(df.height) < DATE_ONLY_SHARE)
            # Only drop a completion's time when it is on a later day than its start: a same-day
            # date-only completion could read as "before its start" and be quarantined.
            for start, done in spec.order_checks:
                if done == name and spec.column(start).type is ColType.TIMESTAMP:
                    later = (df[name].dt.date() > df[start].dt.date()).fill_null(False)
                    date_only = date_only & later
            out[name] = (
                pl.when(pl.lit(date_only))
                .then(col.dt.strftime(DATE_FMT))
                .otherwise(col.dt.strftime(TIMESTAMP_FMT))
            )
        elif kind is ColType.BOOL:
            out[name] = pl.when(col).then(pl.lit("Ja")).when(~col).then(pl.lit("Nej"))
        elif kind is ColType.ENUM and name in words:
            out[name] = col.replace_strict(words[name], default=None, return_dtype=pl.String)
        else:
            out[name] = col.cast(pl.String)
    return df.select(**out)


def write_csv(
    out_dir: Path, table: str, text: pl.DataFrame, profile: Profile
) -> Path:
    path = out_dir / file_name(profile, table)
    named = text.rename({c: profile.header(table, c) for c in text.columns})
    body = named.write_csv(
        separator=";", line_terminator="\r\n", null_value="", quote_style="necessary"
    )
    path.write_bytes(body.encode(ENCODINGS[table]))
    return path
