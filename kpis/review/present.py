"""Review records as a reviewer reads them (Danish headings), shared by the pages."""

from __future__ import annotations

import polars as pl

from kpis.present.formatting import estimate_da

MANGLER_COLUMNS_DA = {"case_id": "Sag", "team": "Team", "caseworker": "Sagsbehandler",
                      "what": "Hvad skal rettes", "due_on": "Frist"}


def mangler_table(df: pl.DataFrame) -> pl.DataFrame:
    """Open mangler (store.mangler) with Danish headings, the due date a date."""
    return (df.select(list(MANGLER_COLUMNS_DA))
            .with_columns(pl.col("due_on").str.to_date())
            .rename(MANGLER_COLUMNS_DA))


def share_text_da(share: float | None, low: float | None, high: float | None, n: int | None
                  ) -> str:
    """``60 % (95 %-interval 42–75 %, n = 30 sager)``: a share from a sample always with its
    95 % interval and the number of answers it rests on; ``–`` when no answer counts."""
    return estimate_da(share, low, high, n)


def comparison_table_da(cmp: pl.DataFrame, labels: dict[str, str]) -> pl.DataFrame:
    """figures.compare_rounds in Danish: what, before, after, the change in points and whether
    the intervals overlap (then the change may be chance)."""
    level = cmp.columns[0]
    rows = []
    for r in cmp.iter_rows(named=True):
        change = r["change"]
        rows.append({
            "Spørgsmål" if level == "question_id" else "Pejlemærke": labels.get(r[level], r[level]),
            "Før": share_text_da(r["share_before"], r["low_before"], r["high_before"],
                                 r["n_before"]),
            "Efter": share_text_da(r["share_after"], r["low_after"], r["high_after"],
                                   r["n_after"]),
            "Ændring": "–" if change is None else f"{100 * change:+.0f} procentpoint".replace(
                "-", "−"),
            "Sikker forskel": "–" if r["overlap"] is None else (
                "Nej, kan være tilfældig" if r["overlap"] else "Ja"),
        })
    return pl.DataFrame(rows)


PURPOSE_DA = {"ledelsestilsyn": "Ledelsestilsyn", "sagsmaaling": "Sagsmåling"}


def programmes_table_da(config) -> pl.DataFrame:
    """The programmes of a ReviewConfig, one row each, for the programmes' editor."""
    from kpis.review.model import PerCaseworker, round_label_da

    rows = []
    for p in config.programmes:
        s = p.sampling
        if isinstance(s, PerCaseworker):
            draw = f"{s.n} pr. sagsbehandler pr. {'måned' if s.window == 'month' else 'kvartal'}"
        else:
            spread = ", fordelt på teams" if s.method == "team_stratified" else ""
            draw = f"{s.n} sager{spread}, seneste {s.lookback_months} måneder"
        rows.append({"Program": p.name, "Formål": PURPOSE_DA[p.purpose.value],
                     "Udtræk": draw, "Runder": ", ".join(round_label_da(r) for r in p.rounds)
                     or "–", "Spørgsmål": len(p.questions)})
    return pl.DataFrame(rows, schema={"Program": pl.String, "Formål": pl.String,
                                      "Udtræk": pl.String, "Runder": pl.String,
                                      "Spørgsmål": pl.Int64})
