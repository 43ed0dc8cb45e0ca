"""Recurring invoices: each period issued exactly once however often beat runs, finalized (and numbered) when the
schedule says so, until its end date or count; the schedule routes."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from common.context import org_context
from invoices import recurring
from invoices.models import Invoice, RecurringRun, RecurringSchedule
from invoices.recurring import add_months
from invoices.tests.helpers import company, line
from tenants.testing.fixtures import Cast, client_for

pytestmark = pytest.mark.django_db
SCHEDULES = "/api/invoice-schedules/"


def _schedule(cast: Cast, **data: object) -> RecurringSchedule:
    values = {
        "company": company(cast),
        "name": "Harbour retainer",
        "frequency": "monthly",
        "start_date": datetime.date(2026, 1, 31),
        "lines": [line("Retainer", 1, "2500", taxes=[("VAT", "20")])],
        **data,
    }
    with org_context(cast.org_a):
        return recurring.schedule_create(org=cast.org_a, actor=cast.manager, data=values)


def _issue(cast: Cast, today: datetime.date) -> int:
    with org_context(cast.org_a):
        return recurring.recurring_issue_due(org=cast.org_a, today=today)


def _invoices(cast: Cast) -> list[tuple[str, str, str, str]]:
    with org_context(cast.org_a):
        rows = Invoice.objects.order_by("issue_date").values_list("issue_date", "status", "number", "total")
        return [(str(issued), status, number, str(total)) for issued, status, number, total in rows]


def test_each_period_is_issued_once_however_often_beat_runs(cast: Cast) -> None:
    _schedule(cast)

    first, again = _issue(cast, datetime.date(2026, 3, 15)), _issue(cast, datetime.date(2026, 3, 15))

    assert (first, again) == (2, 0)  # January 31 and February 28; March 31 is not due yet
    year = 2026
    assert _invoices(cast) == [
        ("2026-01-31", "open", f"INV-{year}-00001", "3000.00"),
        ("2026-02-28", "open", f"INV-{year}-00002", "3000.00"),
    ]
    with org_context(cast.org_a):
        assert sorted(RecurringRun.objects.values_list("period_start", flat=True)) == [
            datetime.date(2026, 1, 31),
            datetime.date(2026, 2, 28),
        ]
        assert RecurringSchedule.objects.get().next_period == datetime.date(2026, 3, 31)


def test_a_period_already_issued_is_never_issued_again(cast: Cast) -> None:
    schedule = _schedule(cast, start_date=datetime.date(2026, 5, 1))
    with org_context(cast.org_a):
        # A run that died after its RecurringRun row committed but before the schedule moved on.
        RecurringRun.objects.create(org=cast.org_a, schedule=schedule, period_start=datetime.date(2026, 5, 1))

    issued = _issue(cast, datetime.date(2026, 5, 2))

    assert issued == 0
    assert _invoices(cast) == []
    with org_context(cast.org_a):
        assert RecurringSchedule.objects.get().next_period == datetime.date(2026, 6, 1)


def test_a_schedule_stops_at_its_count_or_end_date(cast: Cast) -> None:
    _schedule(cast, frequency="quarterly", start_date=datetime.date(2025, 1, 1), max_count=3, auto_finalize=False)
    _schedule(
        cast,
        name="Yearly",
        frequency="yearly",
        start_date=datetime.date(2024, 6, 1),
        end_date=datetime.date(2025, 12, 31),
    )

    _issue(cast, datetime.date(2026, 6, 1))

    with org_context(cast.org_a):
        quarterly = Invoice.objects.filter(schedule__name="Harbour retainer").order_by("issue_date")
        assert [(str(row.issue_date), row.status) for row in quarterly] == [
            ("2025-01-01", "draft"),
            ("2025-04-01", "draft"),
            ("2025-07-01", "draft"),
        ]
        yearly = Invoice.objects.filter(schedule__name="Yearly").order_by("issue_date")
        assert [str(row.issue_date) for row in yearly] == ["2024-06-01", "2025-06-01"]
        assert not RecurringSchedule.objects.filter(is_active=True).exists()


def test_months_keep_the_schedules_day_or_the_months_last() -> None:
    assert add_months(datetime.date(2026, 1, 31), 1, 31) == datetime.date(2026, 2, 28)
    assert add_months(datetime.date(2026, 2, 28), 1, 31) == datetime.date(2026, 3, 31)
    assert add_months(datetime.date(2026, 11, 30), 3, 30) == datetime.date(2027, 2, 28)


def test_managers_set_up_a_retainer_and_everyone_else_reads_or_is_refused(cast: Cast) -> None:
    customer = company(cast)
    body = {
        "company": str(customer.pk),
        "name": "Social retainer",
        "frequency": "monthly",
        "start_date": "2026-07-01",
        "max_count": 12,
        "auto_send": True,
        "lines": [{"description": "Social media management", "quantity": "1", "unit_price": "1200"}],
    }

    created = client_for(cast.manager).post(SCHEDULES, body, format="json")
    member = client_for(cast.member).post(SCHEDULES, body, format="json")
    listed = client_for(cast.viewer).get(SCHEDULES)
    stopped = client_for(cast.manager).delete(f"{SCHEDULES}{created.json()['id']}/")

    assert created.status_code == 201, created.json()
    assert (
        created.json()["next_period"],
        created.json()["issued_count"],
        created.json()["lines"][0]["unit_price"],
    ) == ("2026-07-01", 0, "1200.0000")
    assert member.status_code == 403
    assert [row["name"] for row in listed.json()["results"]] == ["Social retainer"]
    assert stopped.status_code == 204
    with org_context(cast.org_a):
        assert RecurringSchedule.objects.get().is_active is False
        assert RecurringSchedule.objects.get().lines[0]["unit_price"] == str(Decimal("1200.0000"))
