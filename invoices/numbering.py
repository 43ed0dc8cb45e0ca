"""Gapless document numbers: one counter row per (org, series, period), taken under a row lock.

`number_take` must run inside the transaction that issues the document. The counter row is locked
(SELECT ... FOR UPDATE) until that transaction ends: a second finalization in the same org waits for the first to
commit or roll back, and a rollback gives the number back, so numbers have no gaps and no duplicates. Keep
that transaction small: PDFs, emails and notifications run after commit.
"""

from __future__ import annotations

import datetime

from django.db import connection

from common.ids import uuid7
from invoices.models import InvoiceSettings, NumberCounter
from tenants.models import Org


def period_of(settings_row: InvoiceSettings, on: datetime.date) -> int:
    return on.year if settings_row.number_resets_yearly else 0


def number_format(settings_row: InvoiceSettings, series: str, value: int, on: datetime.date) -> str:
    """`INV-2026-00042` (with the year), or `INV-00042`; no prefix gives `2026-00042`."""
    parts = [settings_row.prefix_of(series)] if settings_row.prefix_of(series) else []
    if settings_row.number_includes_year:
        parts.append(str(on.year))
    parts.append(str(value).zfill(settings_row.number_digits))
    return "-".join(parts)


def number_take(*, org: Org, settings_row: InvoiceSettings, series: str, on: datetime.date) -> tuple[int, str]:
    """The next number of `series` for a document issued `on`, as (sequence, formatted)."""
    period = period_of(settings_row, on)
    counters = NumberCounter.objects.for_org(org).select_for_update()
    counter = counters.filter(series=series, period=period).first()
    if counter is None:
        # The series' first number in this period: make the row. A concurrent maker is harmless (DO NOTHING);
        # both then queue on the same row lock.
        table = NumberCounter._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (id, org_id, series, period, last_value, created_at, updated_at) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, 0, now(), now()) ON CONFLICT (org_id, series, period) DO NOTHING",
                [uuid7(), org.pk, series, period],
            )
        counter = counters.get(series=series, period=period)
    counter.last_value += 1
    counter.save(update_fields=["last_value", "updated_at"])
    return counter.last_value, number_format(settings_row, series, counter.last_value, on)
