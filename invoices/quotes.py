"""Quotes (estimates): drafts, then sent (numbered from the quote series, PDF, email), accepted, declined or
expired, and an accepted quote converted into a draft invoice exactly once.

    draft -> sent -> accepted -> (converted, once)
                  -> declined
                  -> expired     past `valid_until` (beat, or an accept that comes too late)
Sending a sent quote again emails it again. Writers send, accept, decline and convert quotes they may change;
an invoice made from a quote is a draft that a manager finalizes.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from common.errors import Conflict, field_error
from common.models import Profile
from deals.models import StageKind
from invoices import lines as doc_lines
from invoices.customers import (
    billing_emails_of,
    billing_snapshot,
    customer_from,
    customer_of,
    customer_required,
    org_today,
)
from invoices.models import Invoice, Quote, QuoteStatus, Series
from invoices.numbering import number_take
from invoices.org_settings import invoice_settings_of
from invoices.services import ISSUED_EDITABLE, currency_check, deal_defaults, invalid_transition, invoice_create
from records import services as records
from tenants.models import Org

Q = QuoteStatus


def quote_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> Quote:
    data = dict(data)
    with transaction.atomic():
        deal_defaults(data)
        customer_required(customer_from(data))
        data.setdefault("currency", org.currency)
        currency_check(data)
        lines = data.pop("lines", None) or []
        data.update(doc_lines.lines_totals(lines))
        _dates_check(None, data)
        quote = records.record_create(model=Quote, org=org, actor=actor, data=data)
        doc_lines.lines_replace(quote, actor, lines)
    return quote


def _dates_check(quote: Quote | None, data: dict[str, Any]) -> None:
    issue = data.get("issue_date", quote.issue_date if quote else None)
    valid = data.get("valid_until", quote.valid_until if quote else None)
    if issue is not None and valid is not None and valid < issue:
        raise field_error("valid_until", "before_issue_date", "A quote cannot expire before it is issued.")


def quote_change(*, org: Org, actor: Profile, record: Quote, data: dict[str, Any]) -> None:
    """A draft changes freely; a sent quote only in how it is filed (send a new quote to change an offer)."""
    data = dict(data)
    if record.status != Q.DRAFT:
        fixed = sorted(set(data) - ISSUED_EDITABLE)
        if fixed:
            detail = "A sent quote cannot change; make a new one."
            raise Conflict(
                detail, code="quote_sent", fields={fixed[0]: [{"code": "quote_sent", "detail": detail}]}
            )
        records.apply_changes(record, actor, data)
        return
    if data.get("deal") is not None and data["deal"].stage.kind != StageKind.WON:
        raise field_error("deal", "deal_not_won", "Only a won deal can be invoiced or quoted.")
    customer_from(data, record)
    currency_check(data)
    _dates_check(record, data)
    lines = data.pop("lines", None)
    if lines is not None:
        data.update(doc_lines.lines_totals(lines))
        doc_lines.lines_replace(record, actor, lines)
    records.apply_changes(record, actor, data)


def quote_archive_check(quote: Quote) -> None:
    if quote.status != Q.DRAFT:
        raise Conflict("A sent quote is kept; decline it or let it expire.", code="quote_sent")


def _for_write(org: Org, actor: Profile, quote_id: Any, if_match: str | None = None) -> Quote:
    return records.record_lock_for_write(Quote, org=org, actor=actor, record_id=quote_id, if_match=if_match)


def quote_send(*, org: Org, actor: Profile, quote_id: Any, if_match: str | None = None) -> Quote:
    """Draft -> sent: numbered, dated (valid for the org's validity days unless it says), addressed, then drawn
    and emailed after commit. A sent quote is emailed again."""
    from invoices.delivery import document_issued, document_send

    with transaction.atomic():
        quote = _for_write(org, actor, quote_id, if_match)
        if quote.status == Q.SENT:
            document_send(quote)
            return quote
        if quote.status != Q.DRAFT:
            raise invalid_transition("quote", quote.status, "sent")
        customer = customer_of(quote)
        if customer is None:
            raise Conflict("Name the customer before sending.", code="customer_required")
        settings_row = invoice_settings_of(org)
        issue_date = quote.issue_date or org_today(org)
        valid_until = quote.valid_until or issue_date + datetime.timedelta(days=settings_row.quote_validity_days)
        data: dict[str, Any] = {
            **billing_snapshot(customer),
            "billing_emails": list(quote.billing_emails) or billing_emails_of(org, customer),
            "issue_date": issue_date,
            "valid_until": valid_until,
            "status": Q.SENT,
            "sent_at": timezone.now(),
        }
        _, data["number"] = number_take(org=org, settings_row=settings_row, series=Series.QUOTE, on=issue_date)
        records.apply_changes(quote, actor, data, verb="sent")
        document_issued(quote, send=True)
    return quote


def quote_accept(*, org: Org, actor: Profile, quote_id: Any) -> Quote:
    with transaction.atomic():
        quote = _for_write(org, actor, quote_id)
        if quote.status == Q.SENT and quote.valid_until is not None and quote.valid_until < org_today(org):
            raise Conflict(f"This quote expired on {quote.valid_until}.", code="quote_expired")
        if quote.status != Q.SENT:
            raise invalid_transition("quote", quote.status, "accepted")
        records.apply_changes(quote, actor, {"status": Q.ACCEPTED, "accepted_at": timezone.now()})
    return quote


def quote_decline(*, org: Org, actor: Profile, quote_id: Any) -> Quote:
    with transaction.atomic():
        quote = _for_write(org, actor, quote_id)
        if quote.status != Q.SENT:
            raise invalid_transition("quote", quote.status, "declined")
        records.apply_changes(quote, actor, {"status": Q.DECLINED, "declined_at": timezone.now()})
    return quote


def quote_convert(*, org: Org, actor: Profile, quote_id: Any) -> tuple[Invoice, bool]:
    """The invoice of an accepted quote: made (a draft with the quote's customer, lines and notes) the first
    time, the same one every later time. Returns (invoice, whether it was made now)."""
    with transaction.atomic():
        quote = _for_write(org, actor, quote_id)
        if quote.converted_at is not None:
            invoice = Invoice.objects.for_org(org).filter(pk=quote.converted_invoice_id).first()
            if invoice is None:
                raise Conflict(
                    "This quote was converted; the draft invoice it became was deleted.",
                    code="converted_invoice_deleted",
                )
            return invoice, False
        if quote.status != Q.ACCEPTED:
            raise invalid_transition("quote", quote.status, "converted")
        invoice = invoice_create(
            org=org,
            actor=actor,
            data={
                "company": quote.company,
                "contact": quote.contact,
                "currency": quote.currency,
                "notes": quote.notes,
                "deal": None,
                "listing": quote.listing,
                "billing_emails": list(quote.billing_emails),
                "lines": doc_lines.lines_as_input(quote),
            },
        )
        if quote.deal_id is not None:
            Invoice.objects.for_org(org).filter(pk=invoice.pk).update(deal_id=quote.deal_id)
            invoice.deal_id = quote.deal_id
        records.apply_changes(
            quote, actor, {"converted_invoice": invoice, "converted_at": timezone.now()}, verb="converted"
        )
    return invoice, True


def quotes_expire(*, org: Org, today: datetime.date) -> int:
    """Sent quotes past their date become expired (beat)."""
    expired = 0
    with transaction.atomic():
        stale = (
            Quote.objects.for_org(org)
            .filter(status=Q.SENT, valid_until__lt=today)
            .select_for_update(of=("self",), skip_locked=True)
            .order_by("id")[:500]
        )
        for quote in stale:
            records.apply_changes(quote, None, {"status": Q.EXPIRED, "expired_at": timezone.now()})
            expired += 1
    return expired
