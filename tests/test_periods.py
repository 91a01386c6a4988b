from datetime import date

import pytest

from kpis.compute.periods import PeriodError, PeriodKind, parse_period, period_of, periods_back


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        ("2025-03", date(2025, 3, 1), date(2025, 3, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2023-02", date(2023, 2, 1), date(2023, 2, 28)),
        ("2025-Q1", date(2025, 1, 1), date(2025, 3, 31)),
        ("2025-q4", date(2025, 10, 1), date(2025, 12, 31)),
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("R12-2025-03", date(2024, 4, 1), date(2025, 3, 31)),
        ("R12-2024-02", date(2023, 3, 1), date(2024, 2, 29)),
    ],
)
def test_parse(label, start, end):
    p = parse_period(label)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize("bad", ["2025-13", "2025-Q5", "25", "R12-2025", "marts"])
def test_bad_periods(bad):
    with pytest.raises(PeriodError):
        parse_period(bad)


def test_previous_and_last_year():
    assert parse_period("2025-Q1").previous().label == "2024-Q4"
    assert parse_period("2025-01").previous().label == "2024-12"
    assert parse_period("2025").previous().label == "2024"
    assert parse_period("R12-2025-03").previous().label == "R12-2025-02"
    assert parse_period("2025-Q2").same_last_year().label == "2024-Q2"
    assert parse_period("R12-2025-03").same_last_year().label == "R12-2024-03"


def test_periods_back():
    labels = [p.label for p in periods_back(parse_period("2025-Q2"), 4)]
    assert labels == ["2024-Q3", "2024-Q4", "2025-Q1", "2025-Q2"]
    assert parse_period("2025-Q2").kind is PeriodKind.QUARTER


def test_twelve_months_ending_at_a_quarter_step_a_quarter():
    # The committee's rolling window (issue 11): the same days as R12-2025-06, a quarter apart.
    p = parse_period("R12-2025-Q2")
    assert (p.start, p.end) == (date(2024, 7, 1), date(2025, 6, 30))
    assert (p.start, p.end) == (parse_period("R12-2025-06").start, parse_period("R12-2025-06").end)
    assert p.previous().label == "R12-2025-Q1" and p.same_last_year().label == "R12-2024-Q2"
    assert period_of(PeriodKind.ROLLING_12_QUARTERS, date(2026, 11, 20)).label == "R12-2026-Q4"
