"""Overdue reminders: on the org's schedule of days after the due date (say 3, 14 and 30), each step once.

An invoice is overdue while it is open or partially paid after its due date. Each run looks at the overdue
invoices that have reached a step they have no row for; per invoice, one transaction locks it (skipping one
another run holds), inserts a ReminderSent row for every step reached (unique per invoice and step: a second
run inserts nothing), and queues one email, after commit, for the latest step. An invoice first seen 20 days
late gets one reminder for step 14, not two.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction

from invoices.models import OVERDUE_STATUSES, Invoice, ReminderSent
from invoices.org_settings import invoice_settings_of
from records import services as records
from tenants.models import Org
from tenants.pipeline.tasks import enqueue

BATCH = 500


def reminders_send_due(*, org: Org, today: datetime.date) -> int:
    """Queue the reminders that are due now; returns how many invoices get one."""
    steps = sorted(set(invoice_settings_of(org).reminder_days or []))
    if not steps:
        return 0
    first = steps[0]
    overdue = Invoice.objects.for_org(org).filter(
        status__in=OVERDUE_STATUSES, due_date__lte=today - datetime.timedelta(days=first), archived_at__isnull=True
    )
    # Only invoices with a reached step still missing: the latest reached step has no row yet.
    candidates = []
    for invoice_id, due_date in overdue.order_by("due_date", "id").values_list("pk", "due_date")[: BATCH * 4]:
        reached = [step for step in steps if (today - due_date).days >= step]
        candidates.append((invoice_id, reached))
    done = _steps_done(org, [invoice_id for invoice_id, _ in candidates])
    reminded = 0
    for invoice_id, reached in candidates:
        missing = [step for step in reached if step not in done.get(invoice_id, set())]
        if missing and _remind(org, invoice_id, missing, today):
            reminded += 1
            if reminded >= BATCH:
                break
    return reminded


def _steps_done(org: Org, invoice_ids: list[object]) -> dict[object, set[int]]:
    done: dict[object, set[int]] = {}
    rows = ReminderSent.objects.for_org(org).filter(invoice_id__in=invoice_ids).values_list("invoice_id", "step")
    for invoice_id, step in rows:
        done.setdefault(invoice_id, set()).add(step)
    return done


def _remind(org: Org, invoice_id: object, steps: list[int], today: datetime.date) -> bool:
    from invoices import tasks

    with transaction.atomic():
        invoice: Invoice | None = (
            Invoice.objects.for_org(org)
            .filter(pk=invoice_id, status__in=OVERDUE_STATUSES)
            .select_for_update(skip_locked=True)
            .first()
        )
        if invoice is None or invoice.due_date is None:
            return False
        inserted = []
        for step in steps:
            try:
                with transaction.atomic():
                    ReminderSent.objects.create(
                        org=org, invoice=invoice, step=step, emailed_to=list(invoice.billing_emails)
                    )
                inserted.append(step)
            except IntegrityError:  # another run did this step
                continue
        if not inserted:
            return False
        latest, days_overdue = max(inserted), (today - invoice.due_date).days
        records.log_activity(invoice, None, "reminder_due", {"step": latest, "days_overdue": days_overdue})
        enqueue(tasks.document_email, "invoice", str(invoice.pk), "reminder", latest, days_overdue)
    return True
