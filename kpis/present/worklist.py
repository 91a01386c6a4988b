"""The deadline worklist ("Fristoversigt"): every open case step, most urgent first.

Takes the engine's ``open_steps`` frame (pending and overdue steps on the as-of date) and gives
the page everything it shows: urgency buckets, filters, the table with Danish column names, a
count per caseworker, and CSV and Excel bytes built from the very table on the screen, so an
export can never say something the screen does not.

No streamlit here: the page reads its widgets, calls these functions and renders the result.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from enum import Enum

import polars as pl

from kpis.rules.regime import Regime
from kpis.safe_cells import excel_csv_bytes


class Bucket(str, Enum):
    """Disjoint urgency classes by days left to the due date on the as-of date."""

    OVERDUE = "overdue"
    WITHIN_7 = "within_7"
    WITHIN_14 = "within_14"
    WITHIN_30 = "within_30"
    LATER = "later"

    @property
    def label_da(self) -> str:
        return BUCKET_LABELS_DA[self]


BUCKET_LABELS_DA = {
    Bucket.OVERDUE: "Overskredet",
    Bucket.WITHIN_7: "Frist om 0–7 dage",
    Bucket.WITHIN_14: "Frist om 8–14 dage",
    Bucket.WITHIN_30: "Frist om 15–30 dage",
    Bucket.LATER: "Frist om mere end 30 dage",
}
BUCKET_ORDER = tuple(Bucket)


class Horizon(str, Enum):
    """The page's "which deadlines" filter. Cumulative, unlike the buckets: "within 14 days"
    includes those due within 7, because that is the question a team leader asks. Overdue steps
    have already missed their deadline and are a choice of their own."""

    ALL = "all"
    OVERDUE = "overdue"
    DUE_7 = "due_7"
    DUE_14 = "due_14"
    DUE_30 = "due_30"

    @property
    def label_da(self) -> str:
        return HORIZON_LABELS_DA[self]


HORIZON_LABELS_DA = {
    Horizon.ALL: "Alle åbne frister",
    Horizon.OVERDUE: "Overskredne",
    Horizon.DUE_7: "Frist inden for 7 dage",
    Horizon.DUE_14: "Frist inden for 14 dage",
    Horizon.DUE_30: "Frist inden for 30 dage",
}
_HORIZON_DAYS = {Horizon.DUE_7: 7, Horizon.DUE_14: 14, Horizon.DUE_30: 30}

REGIME_LABELS_DA = {r.value: r.label_da for r in Regime}


@dataclass(frozen=True)
class WorklistFilter:
    """Empty tuples mean "all". Values are the data's own (team names, KPI ids, regime codes)."""

    horizon: Horizon = Horizon.ALL
    teams: tuple[str, ...] = ()
    caseworkers: tuple[str, ...] = ()
    kpis: tuple[str, ...] = ()
    regimes: tuple[str, ...] = ()


# The table on the screen and in both exports: (column, Danish heading), in this order.
COLUMNS_DA: tuple[tuple[str, str], ...] = (
    ("bucket_label", "Hastende"),
    ("due_date", "Frist"),
    ("days_over", "Dage over fristen"),
    ("days_left", "Dage til fristen"),
    ("case_id", "Sagsnummer"),
    ("kpi_name", "Trin"),
    ("caseworker", "Sagsbehandler"),
    ("team", "Team"),
    ("regime_label", "Lovgrundlag"),
    ("start_date", "Startdato"),
    ("rule", "Frist efter"),
)
DATE_COLUMNS_DA = ("Frist", "Startdato")
INT_COLUMNS_DA = ("Dage over fristen", "Dage til fristen")
DATE_FORMAT = "%d.%m.%Y"  # as the screen shows dates (DD.MM.YYYY)

_EMPTY_SCHEMA = {
    "unit_id": pl.String, "case_id": pl.String, "team": pl.String, "caseworker": pl.String,
    "regime": pl.String, "start_date": pl.Date, "due_date": pl.Date, "status": pl.String,
    "rule": pl.String, "kpi": pl.String, "kpi_name": pl.String,
}


def prepare(open_steps: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Add days left/over and the urgency bucket, and sort most urgent first.

    Urgency is the due date: an overdue step's deadline lies before every pending one's, and
    the longest-overdue comes first. Ties are broken by team, caseworker, case and step so the
    order (and so the export) is the same on every run.
    """
    df = open_steps if open_steps.width else pl.DataFrame(schema=_EMPTY_SCHEMA)
    # An hour deadline's due moment is a timestamp; the worklist counts in whole days.
    df = df.with_columns(
        pl.col("due_date").cast(pl.Date), pl.col("start_date").cast(pl.Date)
    )
    left = (pl.col("due_date") - pl.lit(as_of)).dt.total_days().cast(pl.Int64)
    df = df.with_columns(left.alias("_left"))
    bucket = (
        pl.when(pl.col("_left") < 0).then(pl.lit(Bucket.OVERDUE.value))
        .when(pl.col("_left") <= 7).then(pl.lit(Bucket.WITHIN_7.value))
        .when(pl.col("_left") <= 14).then(pl.lit(Bucket.WITHIN_14.value))
        .when(pl.col("_left") <= 30).then(pl.lit(Bucket.WITHIN_30.value))
        .otherwise(pl.lit(Bucket.LATER.value))
    )
    return (
        df.with_columns(
            bucket.alias("bucket"),
            pl.when(pl.col("_left") < 0).then(-pl.col("_left")).alias("days_over"),
            pl.when(pl.col("_left") >= 0).then(pl.col("_left")).alias("days_left"),
            pl.col("regime").replace_strict(REGIME_LABELS_DA, default=pl.col("regime"),
                                            return_dtype=pl.String).alias("regime_label"),
        )
        .with_columns(
            pl.col("bucket").replace_strict({b.value: b.label_da for b in Bucket},
                                            return_dtype=pl.String).alias("bucket_label")
        )
        .drop("_left")
        .sort(["due_date", "team", "caseworker", "case_id", "kpi", "unit_id"], nulls_last=True)
    )


def apply_filter(df: pl.DataFrame, f: WorklistFilter) -> pl.DataFrame:
    """The rows the page shows for a filter; order is kept."""
    conds = []
    if f.horizon is Horizon.OVERDUE:
        conds.append(pl.col("bucket") == Bucket.OVERDUE.value)
    elif f.horizon in _HORIZON_DAYS:
        conds.append(pl.col("days_left").is_not_null()
                     & (pl.col("days_left") <= _HORIZON_DAYS[f.horizon]))
    for column, wanted in (("team", f.teams), ("caseworker", f.caseworkers), ("kpi", f.kpis),
                           ("regime", f.regimes)):
        if wanted:
            conds.append(pl.col(column).is_in(list(wanted)))
    return df.filter(*conds) if conds else df


def filter_text_da(f: WorklistFilter) -> str:
    """The filter in words, as the audit log keeps it: "Overskredne; team: Team Nord"."""
    parts = [f.horizon.label_da]
    for label, values in (("team", f.teams), ("sagsbehandler", f.caseworkers),
                          ("trin", f.kpis), ("lovgrundlag", f.regimes)):
        if values:
            parts.append(f"{label}: {', '.join(values)}")
    return "; ".join(parts)


def bucket_counts(df: pl.DataFrame) -> dict[Bucket, int]:
    """Rows per bucket; every bucket is present, zero when empty."""
    counts = dict(df.group_by("bucket").len().iter_rows()) if df.height else {}
    return {b: int(counts.get(b.value, 0)) for b in BUCKET_ORDER}


def horizon_counts(df: pl.DataFrame) -> dict[Horizon, int]:
    """How many rows each choice of the horizon filter would show."""
    return {h: apply_filter(df, WorklistFilter(horizon=h)).height for h in Horizon}


@dataclass(frozen=True)
class Options:
    """What the filters can offer, from the data the user may see."""

    teams: tuple[str, ...]
    caseworkers: dict[str, tuple[str, ...]]  # team -> its caseworkers
    kpis: dict[str, str]  # id -> Danish name, in the order the definitions list them
    regimes: tuple[str, ...]

    def caseworkers_of(self, team: str | None) -> tuple[str, ...]:
        if team is not None:
            return self.caseworkers.get(team, ())
        return tuple(sorted({c for cs in self.caseworkers.values() for c in cs}))


def options(df: pl.DataFrame, kpi_order: list[str] | None = None) -> Options:
    pairs = df.select("team", "caseworker").unique().drop_nulls().sort("team", "caseworker")
    by_team: dict[str, list[str]] = {}
    for team, caseworker in pairs.iter_rows():
        by_team.setdefault(team, []).append(caseworker)
    names = dict(df.select("kpi", "kpi_name").unique().iter_rows())
    order = [k for k in (kpi_order or []) if k in names] + sorted(
        k for k in names if k not in (kpi_order or []))
    regimes = [r.value for r in Regime if r.value in set(df["regime"].to_list())]
    return Options(
        teams=tuple(by_team),
        caseworkers={t: tuple(cs) for t, cs in by_team.items()},
        kpis={k: names[k] for k in order},
        regimes=tuple(regimes),
    )


def table(df: pl.DataFrame) -> pl.DataFrame:
    """The worklist as shown: Danish headings, dates as dates, days as whole numbers."""
    return df.select([pl.col(c).alias(label) for c, label in COLUMNS_DA])


def for_grid(shown: pl.DataFrame) -> pl.DataFrame:
    """The shown table as it is sent to the browser's grid: a text column that repeats a few
    values (urgency, stage, rule, team, regime, caseworker) as a dictionary column, so each
    text crosses the wire once. A national worklist (100,005 open steps) then takes about a
    quarter of its 26 MB; the grid shows the same texts. Exports keep ``shown`` as it is."""
    few = [c for c, t in shown.schema.items()
           if t == pl.String and shown[c].n_unique() * 10 <= shown.height]
    return shown.with_columns(pl.col(few).cast(pl.Categorical)) if few else shown


def per_caseworker(df: pl.DataFrame) -> pl.DataFrame:
    """Whose are they: the given (filtered) steps per caseworker, most first, with how many of
    them are overdue and the earliest deadline among them."""
    schema = {"Team": pl.String, "Sagsbehandler": pl.String, "Sagstrin": pl.Int64,
              "Heraf overskredne": pl.Int64, "Tidligste frist": pl.Date}
    if df.height == 0:
        return pl.DataFrame(schema=schema)
    return (
        df.group_by("team", "caseworker")
        .agg(
            pl.len().alias("Sagstrin"),
            (pl.col("bucket") == Bucket.OVERDUE.value).sum().alias("Heraf overskredne"),
            pl.col("due_date").min().alias("Tidligste frist"),
        )
        .rename({"team": "Team", "caseworker": "Sagsbehandler"})
        .cast(schema)
        .sort(["Sagstrin", "Tidligste frist", "Team", "Sagsbehandler"],
              descending=[True, False, False, False])
    )


def to_csv_bytes(shown: pl.DataFrame) -> bytes:
    """The shown table as CSV for Danish Excel, dates DD.MM.YYYY (a name that would start a
    formula stays text)."""
    return excel_csv_bytes(shown.with_columns(
        [pl.col(c).dt.strftime(DATE_FORMAT) for c in DATE_COLUMNS_DA if c in shown.columns]
    ))


def to_excel_bytes(shown: pl.DataFrame, sheet: str = "Fristoversigt") -> bytes:
    """The shown table as an .xlsx workbook with real dates and numbers."""
    buf = io.BytesIO()
    shown.write_excel(
        workbook=buf,
        worksheet=sheet,
        dtype_formats={pl.Date: "dd.mm.yyyy"},
        autofit=True,
        header_format={"bold": True},
        table_style="Table Style Light 1",
    )
    return buf.getvalue()

