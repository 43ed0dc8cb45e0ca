"""Budget arithmetic, exact to the cent: each period spread over the campaign's days, the campaign's local days,
planned-to-date and the pacing tolerance."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal
from fractions import Fraction

import pytest

from campaigns.budgets import Span, campaign_span, pacing, spread, to_cents

D = datetime.date
UTC = datetime.UTC


def planned(amount: str, period: str, first: datetime.date, last: datetime.date) -> Decimal:
    return to_cents(spread(Decimal(amount), period, first, last))


def test_a_hundred_a_day_for_thirty_days_is_three_thousand() -> None:
    assert planned("100", "daily", D(2025, 3, 1), D(2025, 3, 30)) == Decimal("3000.00")


@pytest.mark.parametrize(
    ("amount", "period", "first", "last", "expected"),
    [
        # A partial week counts its days: 10 days of 70 a week.
        ("70", "weekly", D(2025, 1, 1), D(2025, 1, 10), "100.00"),
        ("100", "weekly", D(2025, 1, 1), D(2025, 1, 10), "142.86"),
        # A whole calendar month is the amount, whatever its length (leap February too).
        ("1000", "monthly", D(2025, 2, 1), D(2025, 2, 28), "1000.00"),
        ("1000", "monthly", D(2024, 2, 1), D(2024, 2, 29), "1000.00"),
        ("1000", "monthly", D(2025, 1, 1), D(2025, 3, 31), "3000.00"),
        # Crossing a month end: 12 of January's 31 days and 10 of February's 28.
        ("1000", "monthly", D(2025, 1, 20), D(2025, 2, 10), "744.24"),
        # Crossing a year end: 1 of December's 31 days and 1 of January's 31.
        ("310", "monthly", D(2024, 12, 31), D(2025, 1, 1), "20.00"),
        # Quarters: the whole first quarter of 2025 (90 days), and 17 days of Q1 plus 14 of Q2 (91 days).
        ("900", "quarterly", D(2025, 1, 1), D(2025, 3, 31), "900.00"),
        ("900", "quarterly", D(2025, 3, 15), D(2025, 4, 14), "308.46"),
        ("1000", "quarterly", D(2025, 10, 1), D(2025, 12, 31), "1000.00"),
        # A year: February 2024 is 29 of 366 days.
        ("36500", "annual", D(2024, 2, 1), D(2024, 2, 29), "2892.08"),
        ("36500", "annual", D(2025, 1, 1), D(2025, 12, 31), "36500.00"),
        # One day of a cent a day, and an empty span.
        ("0.01", "daily", D(2025, 5, 5), D(2025, 5, 5), "0.01"),
        ("100", "daily", D(2025, 5, 5), D(2025, 5, 4), "0.00"),
    ],
)
def test_each_period_is_spread_over_the_days_it_covers(
    amount: str, period: str, first: datetime.date, last: datetime.date, expected: str
) -> None:
    assert planned(amount, period, first, last) == Decimal(expected)


def test_shares_are_added_exactly_and_rounded_once_half_up() -> None:
    # 0.75 a month for one day of April (30 days) is exactly 0.025: half up gives 0.03 (banker's would give 0.02).
    assert planned("0.75", "monthly", D(2025, 4, 1), D(2025, 4, 1)) == Decimal("0.03")
    # A third of a cent each day of a month adds up to the whole amount, not 31 roundings of it.
    assert spread(Decimal("31"), "monthly", D(2025, 1, 1), D(2025, 1, 31)) == Fraction(31)
    assert planned("10", "weekly", D(2025, 1, 1), D(2025, 1, 1)) == Decimal("1.43")
    assert to_cents(Fraction(-1, 40)) == Decimal("-0.03")


def test_a_campaigns_days_are_the_orgs_local_days_and_a_midnight_end_ends_the_day_before() -> None:
    utc = zoneinfo.ZoneInfo("UTC")
    start = datetime.datetime(2025, 3, 1, tzinfo=UTC)
    assert campaign_span(start, datetime.datetime(2025, 3, 31, tzinfo=UTC), utc) == Span(
        D(2025, 3, 1), D(2025, 3, 30)
    )
    assert campaign_span(start, datetime.datetime(2025, 3, 31, 9, tzinfo=UTC), utc) == Span(
        D(2025, 3, 1), D(2025, 3, 31)
    )
    # 23:30 UTC on 31 March is 01:30 on 1 April in Berlin (summer time began on 30 March).
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    late = datetime.datetime(2025, 3, 31, 23, 30, tzinfo=UTC)
    span = campaign_span(late, late + datetime.timedelta(days=2), berlin)
    assert span == Span(D(2025, 4, 1), D(2025, 4, 3))
    assert span is not None and span.days == 3
    assert campaign_span(None, late, berlin) is None
    assert campaign_span(late, late, berlin) is None


def test_the_span_up_to_today_includes_today() -> None:
    span = Span(D(2025, 3, 1), D(2025, 3, 30))
    assert span.until(D(2025, 2, 28)) is None
    assert span.until(D(2025, 3, 1)) == Span(D(2025, 3, 1), D(2025, 3, 1))
    assert span.until(D(2025, 4, 9)) == span


@pytest.mark.parametrize(
    ("spent", "to_date", "expected"),
    [
        ("110.00", "100.00", "on_track"),  # exactly 10% over is still on track
        ("110.01", "100.00", "ahead"),
        ("90.00", "100.00", "on_track"),
        ("89.99", "100.00", "behind"),
        ("0.00", "100.00", "behind"),
        ("0.00", "0.00", "on_track"),  # not started, nothing spent
        ("0.01", "0.00", "ahead"),  # spending before anything was planned
    ],
)
def test_pacing_is_on_track_within_ten_percent_of_the_plan_to_date(
    spent: str, to_date: str, expected: str
) -> None:
    assert pacing(spent=Decimal(spent), planned_to_date=Decimal(to_date), has_plan=True) == expected


def test_without_a_plan_there_is_no_pacing() -> None:
    assert pacing(spent=Decimal("5"), planned_to_date=Decimal("0"), has_plan=False) is None
