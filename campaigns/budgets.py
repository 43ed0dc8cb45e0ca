"""Budget arithmetic: a budget line spread over the campaign's days, planned-to-date, and pacing. Pure functions.

How a line is spread (every period is a rate; the campaign's days are the org-local calendar days it runs):
- daily: the amount on each day.
- weekly: the amount over 7 days, a seventh a day, so a partial week counts its days (10 days of 70/week = 100).
- monthly, quarterly, annual: the amount over the calendar month, quarter or year each day falls in, so a day
  of February is 1/28 (or 1/29) of a monthly amount and a day of March 1/31; a full calendar period is exactly
  the amount, a partial one its share of days, and a campaign crossing a month end takes each month's share at
  that month's length.
The shares are added as exact fractions and rounded once, half up, to the cent: each line's figure is that
rounding, and channel and campaign totals are sums of line figures, so every total adds up to the cent.

Pacing compares what was spent with what was planned to date (the days up to and including today):
more than PACING_TOLERANCE above is `ahead` (spending faster than planned), more than PACING_TOLERANCE below is
`behind`, anything in between `on_track`. With nothing planned to date, spending anything is `ahead` and
spending nothing `on_track`; with no dates or no budget there is no pacing (null).
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

CENT = Decimal("0.01")
# Within 10% of the plan either way is on track.
PACING_TOLERANCE = Fraction(1, 10)

DAILY, WEEKLY, MONTHLY, QUARTERLY, ANNUAL = "daily", "weekly", "monthly", "quarterly", "annual"
AHEAD, ON_TRACK, BEHIND = "ahead", "on_track", "behind"


def org_zone(org: Any) -> zoneinfo.ZoneInfo:
    """The org's time zone (tenants Org.timezone); UTC if the stored name is unknown (it is validated when set,
    so only by accident)."""
    try:
        return zoneinfo.ZoneInfo(getattr(org, "timezone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def to_cents(value: Fraction) -> Decimal:
    """An exact fraction as money: rounded half up (away from zero) to the cent, once."""
    # Decimal division of the numerator by the denominator is exact only for some denominators, so round the
    # fraction itself: cents = floor(|value| * 100 + 1/2).
    hundredths = abs(value) * 100
    cents = int(hundredths + Fraction(1, 2))
    sign = -1 if value < 0 else 1
    return (Decimal(sign * cents) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _month_days(day: datetime.date) -> int:
    following = datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return (following - day.replace(day=1)).days


def _quarter_days(day: datetime.date) -> int:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = datetime.date(day.year, first_month, 1)
    end = datetime.date(day.year + (first_month + 3 > 12), (first_month + 2) % 12 + 1, 1)
    return (end - start).days


def _year_days(day: datetime.date) -> int:
    return (datetime.date(day.year + 1, 1, 1) - datetime.date(day.year, 1, 1)).days


def _period_days(period: str, day: datetime.date) -> int:
    if period == DAILY:
        return 1
    if period == WEEKLY:
        return 7
    if period == MONTHLY:
        return _month_days(day)
    if period == QUARTERLY:
        return _quarter_days(day)
    if period == ANNUAL:
        return _year_days(day)
    raise ValueError(f"unknown budget period {period!r}")


def _month_starts(first: datetime.date, last: datetime.date) -> Iterable[tuple[datetime.date, datetime.date]]:
    """(first day, last day) of each calendar month the span touches, clipped to the span."""
    start = first
    while start <= last:
        following = datetime.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        end = min(last, following - datetime.timedelta(days=1))
        yield start, end
        start = following


def spread(amount: Decimal, period: str, first: datetime.date, last: datetime.date) -> Fraction:
    """The exact share of a line of `amount` per `period` for the days first..last (both included); nothing
    for an empty span. Days of one calendar month always share a period length (months nest in quarters and
    years), so the span is summed a month at a time."""
    if last < first:
        return Fraction(0)
    total = Fraction(0)
    rate = Fraction(amount)
    for start, end in _month_starts(first, last):
        days = (end - start).days + 1
        total += rate * days / _period_days(period, start)
    return total


@dataclass(frozen=True)
class Span:
    """The org-local calendar days a campaign runs, both ends included; None when it has no dates."""

    first: datetime.date
    last: datetime.date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def until(self, today: datetime.date) -> Span | None:
        """The part of the span up to and including `today`; None before the first day."""
        if today < self.first:
            return None
        return Span(self.first, min(self.last, today))


def campaign_span(
    starts_at: datetime.datetime | None, ends_at: datetime.datetime | None, zone: datetime.tzinfo
) -> Span | None:
    """The local days from the start's date to the end's date; an end at local midnight ends the day before
    (a campaign from 1 March 00:00 to 31 March 00:00 runs 30 days)."""
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        return None
    first = starts_at.astimezone(zone).date()
    local_end = ends_at.astimezone(zone)
    last = local_end.date()
    if local_end.time() == datetime.time(0, 0):
        last -= datetime.timedelta(days=1)
    return Span(first, max(first, last))


def pacing(*, spent: Decimal, planned_to_date: Decimal, has_plan: bool) -> str | None:
    if not has_plan:
        return None
    if planned_to_date <= 0:
        return AHEAD if spent > 0 else ON_TRACK
    ratio = Fraction(spent) / Fraction(planned_to_date)
    if ratio > 1 + PACING_TOLERANCE:
        return AHEAD
    if ratio < 1 - PACING_TOLERANCE:
        return BEHIND
    return ON_TRACK
