"""Moments a client sends: ISO-8601, normalised to UTC, and a clear 400 for any PostgreSQL could not store.

PostgreSQL refuses a UTC offset beyond ±15:59 ("time zone displacement out of range") and years outside
4713 BC..294276 AD, while Python parses offsets up to ±23:59; normalising to UTC in Python first keeps a legal
but unusual offset (`+20:51`) from reaching the database as an error.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from common.errors import ApiError, field_error


def as_utc(moment: datetime.datetime) -> datetime.datetime:
    """The same instant in UTC (a naive one is read in the current time zone). ValueError if it has none."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:
        raise ValueError("the moment is outside the years that can be stored") from None


def moment_param(name: str, value: str) -> datetime.datetime:
    """A query parameter naming a moment, in UTC; anything else is that parameter's 400."""
    try:
        moment = parse_datetime(value.strip())
        if moment is None:
            raise ValueError("not ISO-8601")
        return as_utc(moment)
    except ValueError:
        raise moment_error(name) from None


def moment_error(name: str) -> ApiError:
    return field_error(name, "invalid", "Use an ISO-8601 date and time.")
