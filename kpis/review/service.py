"""Drawing a programme's sample from a snapshot: the frame, the exclusions and the draw, ready
to be stored (store.save_sample) or printed (``python -m kpis review sample``). The command line
and the app call this one function, so they draw the same cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from kpis.review import sampling, store
from kpis.review.frame import Window, case_frame
from kpis.review.model import PerCaseworker, Programme
from kpis.rules.calendar import add_months


@dataclass(frozen=True)
class Draft:
    """A drawn sample not yet stored."""

    sample: store.NewSample
    window: Window
    excluded: frozenset[str]


def draw_sample(conn: duckdb.DuckDBPyConnection, snapshot_id: str, as_of: date,
                programme: Programme, seed: int, *, window_label: str | None = None,
                round_: str | None = None, teams: frozenset[str] | None = None,
                reviews_db: Path | None = None) -> Draft:
    """The sample the programme's rule draws with ``seed`` from the snapshot. Ledelsestilsyn
    leaves out cases drawn for the programme in a window ending within ``exclude_months``
    before this window starts. ``teams`` limits the frame to a department head's teams."""
    rule = programme.sampling
    window = sampling.window_for(rule, as_of, window_label)
    if programme.rounds:
        round_ = round_ or programme.rounds[0]
        if round_ not in programme.rounds:
            raise ValueError(f"ukendt runde {round_!r}; programmets runder: "
                             + ", ".join(programme.rounds))
    else:
        round_ = round_ or window.label
    frame = case_frame(conn, window, criteria=rule.criteria, teams=teams)
    excluded: frozenset[str] = frozenset()
    if isinstance(rule, PerCaseworker) and rule.exclude_months:
        since = add_months(window.start, -rule.exclude_months)
        excluded = store.recently_drawn(programme.id, since, path=reviews_db)
    drawn = sampling.draw(rule, frame, seed, excluded)
    new = store.NewSample(
        programme_id=programme.id, round=round_, window_label=window.label,
        window_start=window.start, window_end=window.end, seed=seed, snapshot_id=snapshot_id,
        rule={**rule.model_dump(mode="json"), "teams": None if teams is None else sorted(teams),
              "excluded": sorted(excluded)},
        frame_ids=tuple(frame["case_id"].to_list()), cases=tuple(drawn))
    return Draft(new, window, excluded)


def sample_window(sample: dict) -> Window:
    """The window a stored sample (a row of store.samples) was drawn for."""
    return Window(sample["window_label"], date.fromisoformat(sample["window_start"]),
                  date.fromisoformat(sample["window_end"]))


def applicability(conn: duckdb.DuckDBPyConnection, programme: Programme, window: Window
                  ) -> dict[str, list]:
    """Case id → the programme's questions that apply to it in the window (``applies_when``)."""
    exprs = {f"q{i}": q.applies_when for i, q in enumerate(programme.questions) if q.applies_when}
    out = {}
    for row in case_frame(conn, window, expressions=exprs).iter_rows(named=True):
        out[row["case_id"]] = [q for i, q in enumerate(programme.questions)
                               if not q.applies_when or row[f"q{i}"]]
    return out


def applicable_questions(conn: duckdb.DuckDBPyConnection, programme: Programme, window: Window,
                         case_id: str) -> list:
    """The questions that apply to one case. A case no longer in the snapshot gets every
    question: the reviewer answers 'ikke relevant' where one does not apply."""
    return applicability(conn, programme, window).get(case_id, list(programme.questions))
