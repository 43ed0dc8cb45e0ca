"""Recurring invoices: a schedule (monthly, quarterly or yearly; from a start, until an end date or a count) and
the beat run that issues each period's invoice exactly once.

Each period is one transaction: the schedule row is locked (rows another run holds are skipped), a
RecurringRun row for (schedule, period) is inserted (unique: a second beat for the same period finds it and
does nothing), the invoice is made from the schedule's lines, finalized if the schedule says so (its number
from the same locked counter as any finalization), and the schedule moves on to the next period. The PDF and
the email follow after commit.
"""

from __future__ import annotations

import calendar
import datetime
import logging
from typing import Any

from django.db import IntegrityError, transaction

from common.errors import field_error
from common.models import Profile
from invoices import lines as doc_lines
from invoices.customers import customer_from, customer_of, customer_required
from invoices.models import MONTHS_OF, Frequency, RecurringRun, RecurringSchedule
from invoices.services import currency_check, invoice_create, invoice_finalize_locked
from tenants.audit import audit_record
from tenants.models import Org

logger = logging.getLogger("crm.invoices")
# Periods one beat run catches up per schedule (a beat that was down for a while), so one run stays bounded.
CATCH_UP_PERIODS = 24


def add_months(day: datetime.date, months: int, anchor_day: int) -> datetime.date:
    """`day` moved by whole months, on the schedule's day of the month (the month's last day when shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def next_period_after(schedule: RecurringSchedule, period: datetime.date) -> datetime.date:
    return add_months(period, MONTHS_OF[Frequency(schedule.frequency)], schedule.start_date.day)


def _schedule_check(data: dict[str, Any], schedule: RecurringSchedule | None) -> None:
    start = data.get("start_date", schedule.start_date if schedule else None)
    end = data.get("end_date", schedule.end_date if schedule else None)
    if start is not None and end is not None and end < start:
        raise field_error("end_date", "before_start", "A schedule cannot end before it starts.")
    if "lines" in data:
        if not data["lines"]:
            raise field_error("lines", "required", "A recurring invoice needs at least one line.")
        doc_lines.lines_check(data["lines"])
        data["lines"] = doc_lines.jsonable_lines(data["lines"])


def schedule_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> RecurringSchedule:
    data = dict(data)
    with transaction.atomic():
        customer_required(customer_from(data))
        data.setdefault("currency", org.currency)
        currency_check(data)
        if "lines" not in data:
            raise field_error("lines", "required", "A recurring invoice needs at least one line.")
        _schedule_check(data, None)
        schedule = RecurringSchedule.objects.create(
            org=org, created_by=actor, updated_by=actor, next_period=data["start_date"], **data
        )
        audit_record(
            org=org,
            actor=actor,
            action="invoice_schedule_created",
            target_type="invoices.schedule",
            target_id=schedule.pk,
            details={
                "name": schedule.name,
                "frequency": schedule.frequency,
                "auto_finalize": schedule.auto_finalize,
            },
        )
    return schedule


def schedule_update(*, org: Org, actor: Profile, schedule_id: Any, data: dict[str, Any]) -> RecurringSchedule:
    """Change what the next invoices will be; issued ones stay as they are. A new start date before anything
    was issued moves the first period."""
    data = dict(data)
    with transaction.atomic():
        schedule = _locked(org, schedule_id)
        customer_from(data, schedule)
        currency_check(data)
        _schedule_check(data, schedule)
        if "start_date" in data and schedule.issued_count == 0:
            data["next_period"] = data["start_date"]
        for name, value in data.items():
            setattr(schedule, name, value)
        schedule.updated_by = actor
        schedule.save()
        audit_record(
            org=org,
            actor=actor,
            action="invoice_schedule_changed",
            target_type="invoices.schedule",
            target_id=schedule.pk,
            details={"fields": sorted(data)},
        )
    return schedule


def schedule_stop(*, org: Org, actor: Profile, schedule_id: Any) -> None:
    """Stop issuing (the schedule and its invoices are kept)."""
    with transaction.atomic():
        schedule = _locked(org, schedule_id)
        if schedule.is_active:
            schedule.is_active, schedule.updated_by = False, actor
            schedule.save(update_fields=["is_active", "updated_by", "updated_at"])
            audit_record(
                org=org,
                actor=actor,
                action="invoice_schedule_stopped",
                target_type="invoices.schedule",
                target_id=schedule.pk,
            )


def _locked(org: Org, schedule_id: Any) -> RecurringSchedule:
    from common.errors import NotFound

    schedule: RecurringSchedule | None = (
        RecurringSchedule.objects.for_org(org).filter(pk=schedule_id).select_for_update().first()
    )
    if schedule is None:
        raise NotFound()
    return schedule


def _is_finished(schedule: RecurringSchedule, period: datetime.date) -> bool:
    if schedule.end_date is not None and period > schedule.end_date:
        return True
    return schedule.max_count is not None and schedule.issued_count >= schedule.max_count


def _issue_one(org: Org, schedule_id: Any, today: datetime.date) -> str:
    """Issue the schedule's next period if it is due: `issued`, `skipped` (that period was issued already), or
    "" when there is nothing (more) to do now."""
    with transaction.atomic():
        schedule: RecurringSchedule | None = (
            RecurringSchedule.objects.for_org(org)
            .filter(pk=schedule_id, is_active=True, next_period__lte=today)
            .select_related("company", "contact")
            .select_for_update(of=("self",), skip_locked=True)
            .first()
        )
        if schedule is None:
            return ""
        period = schedule.next_period
        if _is_finished(schedule, period) or customer_of(schedule) is None:
            schedule.is_active = False
            schedule.save(update_fields=["is_active", "updated_at"])
            return ""
        try:
            with transaction.atomic():
                run = RecurringRun.objects.create(org=org, schedule=schedule, period_start=period)
        except IntegrityError:  # issued already (a run that died before moving the schedule on)
            schedule.next_period = next_period_after(schedule, period)
            schedule.save(update_fields=["next_period", "updated_at"])
            return "skipped"
        actor = schedule.created_by
        invoice = invoice_create(
            org=org,
            actor=actor,
            data={
                "company": schedule.company,
                "contact": schedule.contact,
                "currency": schedule.currency,
                "notes": schedule.notes,
                "issue_date": period,
                "payment_terms_days": schedule.payment_terms_days,
                "billing_emails": list(schedule.billing_emails),
                "lines": schedule.lines,
                "schedule": schedule,
            },
        )
        if schedule.auto_finalize:
            invoice_finalize_locked(org=org, actor=actor, invoice=invoice, send=schedule.auto_send)
        run.invoice = invoice
        run.save(update_fields=["invoice", "updated_at"])
        schedule.next_period = next_period_after(schedule, period)
        schedule.issued_count += 1
        schedule.save(update_fields=["next_period", "issued_count", "updated_at"])
    return "issued"


def recurring_issue_due(*, org: Org, today: datetime.date) -> int:
    """Every due period of every active schedule of the org, each in its own transaction."""
    due = list(
        RecurringSchedule.objects.for_org(org)
        .filter(is_active=True, next_period__lte=today)
        .order_by("next_period", "id")
        .values_list("pk", flat=True)
    )
    issued = 0
    for schedule_id in due:
        for _ in range(CATCH_UP_PERIODS):
            try:
                outcome = _issue_one(org, schedule_id, today)
            except Exception:  # one broken schedule must not stop the org's others
                logger.exception("recurring invoice failed for schedule %s", schedule_id)
                break
            if not outcome:
                break
            issued += outcome == "issued"
    return issued
