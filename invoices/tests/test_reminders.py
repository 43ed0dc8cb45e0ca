"""Overdue reminders on the org's schedule (days after the due date), each step once even if beat runs twice, the
invoice attached; and the beat task's real name."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.conf import settings
from django.core import mail

from common.context import org_context
from invoices import tasks
from invoices.models import ReminderSent
from invoices.org_settings import invoice_settings_update
from invoices.reminders import reminders_send_due
from invoices.tests.helpers import contact, issued, pay
from tenants.testing.fixtures import Cast

pytestmark = pytest.mark.django_db
DUE = datetime.date(2026, 3, 1)


def _remind(cast: Cast, today: datetime.date, callbacks: Any) -> int:
    with callbacks(execute=True), org_context(cast.org_a):
        return reminders_send_due(org=cast.org_a, today=today)


def _steps(invoice: Any) -> list[int]:
    with org_context(invoice.org):
        return sorted(ReminderSent.objects.filter(invoice=invoice).values_list("step", flat=True))


def test_each_step_is_reminded_once_with_the_invoice_attached(
    cast: Cast, run_tasks_inline: None, django_capture_on_commit_callbacks: Any
) -> None:
    with org_context(cast.org_a):
        invoice_settings_update(org=cast.org_a, actor=cast.owner, data={"reminder_days": [14, 3, 30]})
    invoice = issued(
        cast, customer=contact(cast, email="ap@harbour.test"), issue_date=datetime.date(2026, 2, 1), due_date=DUE
    )

    before = _remind(cast, DUE + datetime.timedelta(days=2), django_capture_on_commit_callbacks)
    first = _remind(cast, DUE + datetime.timedelta(days=3), django_capture_on_commit_callbacks)
    twice = _remind(cast, DUE + datetime.timedelta(days=3), django_capture_on_commit_callbacks)
    late = _remind(cast, DUE + datetime.timedelta(days=31), django_capture_on_commit_callbacks)

    assert (before, first, twice, late) == (0, 1, 0, 1)
    # The second run found steps 14 and 30 both reached: both recorded, one email (for 30 days).
    assert _steps(invoice) == [3, 14, 30]
    assert [message.subject for message in mail.outbox] == [
        f"Alpha Realty: reminder, invoice {invoice.number} is 3 days overdue",
        f"Alpha Realty: reminder, invoice {invoice.number} is 31 days overdue",
    ]
    assert mail.outbox[0].to == ["ap@harbour.test"]
    assert mail.outbox[0].attachments[0][0] == f"{invoice.number}.pdf"


def test_a_paid_invoice_is_not_reminded(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    invoice = issued(cast, issue_date=datetime.date(2026, 2, 1), due_date=DUE)
    pay(cast, invoice, "100.00")

    assert _remind(cast, DUE + datetime.timedelta(days=40), django_capture_on_commit_callbacks) == 0
    assert _steps(invoice) == []


def test_the_beat_entries_name_the_tasks_that_exist() -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["invoice-recurring"]["task"] == tasks.recurring_issue.name == "invoices.recurring_issue"
    assert schedule["invoice-reminders"]["task"] == tasks.overdue_reminders.name == "invoices.overdue_reminders"


def test_the_beat_sweep_runs_every_active_org(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    invoice = issued(cast, issue_date=datetime.date(2026, 1, 1), due_date=datetime.date(2026, 1, 10))

    with django_capture_on_commit_callbacks(execute=False):
        reminded = tasks.overdue_reminders.apply().get()

    assert reminded >= 1
    assert _steps(invoice) == [3, 14, 30]
