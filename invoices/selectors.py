"""Reading invoices, quotes, credit notes, payments and schedules; a missing id and another org's are the same
404. Payments, credit notes and schedules hold every customer's money, so members do not read them (the route
table); everyone else reads all of them."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from common.errors import NotFound
from common.models import Profile
from invoices.models import CreditNote, Invoice, Payment, PaymentAllocation, Quote, RecurringSchedule
from records.visibility import visible_records
from tenants.models import Org


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def invoice_visible(*, org: Org, actor: Profile, invoice_id: Any) -> Invoice:
    invoice: Invoice | None = (
        visible_records(Invoice.objects.for_org(org), actor).filter(pk=_uuid(invoice_id)).first()
    )
    if invoice is None:
        raise NotFound()
    return invoice


def quote_visible(*, org: Org, actor: Profile, quote_id: Any) -> Quote:
    quote: Quote | None = visible_records(Quote.objects.for_org(org), actor).filter(pk=_uuid(quote_id)).first()
    if quote is None:
        raise NotFound()
    return quote


def credit_notes(*, org: Org) -> QuerySet[CreditNote]:
    return (
        CreditNote.objects.for_org(org)
        .select_related("invoice", "company", "contact")
        .order_by("-issue_date", "-created_at", "-id")
    )


def credit_note_of(*, org: Org, credit_note_id: Any) -> CreditNote:
    note: CreditNote | None = credit_notes(org=org).filter(pk=_uuid(credit_note_id)).first()
    if note is None:
        raise NotFound()
    return note


def payments(*, org: Org) -> QuerySet[Payment]:
    return (
        Payment.objects.for_org(org)
        .select_related("company", "contact", "refund_of")
        .order_by("-received_on", "-created_at", "-id")
    )


def payment_of(*, org: Org, payment_id: Any) -> Payment:
    payment: Payment | None = payments(org=org).filter(pk=_uuid(payment_id)).first()
    if payment is None:
        raise NotFound()
    return payment


def allocations_of_payments(*, org: Org, payment_ids: list[Any]) -> dict[Any, list[PaymentAllocation]]:
    """Each payment's allocations with their invoice numbers, one query for a page of payments."""
    found: dict[Any, list[PaymentAllocation]] = {pk: [] for pk in payment_ids}
    rows = (
        PaymentAllocation.objects.for_org(org)
        .filter(payment_id__in=payment_ids)
        .select_related("invoice")
        .order_by("created_at", "id")
    )
    for row in rows:
        found[row.payment_id].append(row)
    return found


def allocations_of_invoice(*, org: Org, invoice: Invoice) -> QuerySet[PaymentAllocation]:
    return (
        PaymentAllocation.objects.for_org(org)
        .filter(invoice=invoice)
        .select_related("payment", "invoice")
        .order_by("created_at", "id")
    )


def schedules(*, org: Org) -> QuerySet[RecurringSchedule]:
    return RecurringSchedule.objects.for_org(org).select_related("company", "contact").order_by("name", "id")


def schedule_of(*, org: Org, schedule_id: Any) -> RecurringSchedule:
    schedule: RecurringSchedule | None = schedules(org=org).filter(pk=_uuid(schedule_id)).first()
    if schedule is None:
        raise NotFound()
    return schedule
