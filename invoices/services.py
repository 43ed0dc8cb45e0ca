"""Invoices: drafts, finalization (the number, the billing address, the public link), void, uncollectible,
credit notes, customer credit applied, and the state that follows every change of what is owed.

States (anything else is a 409 `invalid_transition`):
    draft -> open                      finalize: numbered, immutable from then on
    open -> partially_paid -> paid     by payments, credit notes and credit applied (and back, by refunds)
    open | partially_paid -> uncollectible   written off; a later payment still counts
    open | uncollectible -> void       only while nothing has been paid
An issued invoice is never deleted or archived; only a draft is. Overdue is derived (invoices.selectors).

Who: managers and above finalize, void, write off, credit and apply credit (the route table); members write
drafts they can see, for customers they can see (the serializers resolve ids among visible records).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from common.codes import CURRENCY_HELP, is_currency
from common.errors import Conflict, field_error
from common.models import Profile
from deals.models import Deal, StageKind
from invoices import lines as doc_lines
from invoices.customers import (
    billing_emails_of,
    billing_snapshot,
    credit_balance,
    customer_from,
    customer_lock,
    customer_of,
    customer_q,
    customer_required,
    org_today,
)
from invoices.models import (
    COLLECTIBLE,
    CreditEntry,
    CreditNote,
    CreditReason,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Series,
    new_public_nonce,
)
from invoices.numbering import number_take
from invoices.org_settings import invoice_settings_of
from records import services as records
from tenants.audit import audit_record
from tenants.models import Org

S = InvoiceStatus
ZERO = Decimal("0.00")
# What may still change on an issued invoice: how the agency files it, never what it says.
ISSUED_EDITABLE = frozenset({"tags", "assigned_to", "custom_fields"})


def invalid_transition(kind: str, old: str, action: str) -> Conflict:
    detail = f"A {old.replace('_', ' ')} {kind} cannot be {action}."
    return Conflict(detail, code="invalid_transition")


def currency_check(data: dict[str, Any]) -> None:
    if "currency" in data:
        currency = (data["currency"] or "").strip().upper()
        if not is_currency(currency):
            raise field_error("currency", "invalid", f"Not a known currency. {CURRENCY_HELP}")
        data["currency"] = currency


def deal_defaults(data: dict[str, Any]) -> None:
    """A document made from a deal: the deal must be won; the customer, currency, listing and a line for the
    deal's amount come from it unless the write gives its own."""
    deal: Deal | None = data.get("deal")
    if deal is None:
        return
    if deal.stage.kind != StageKind.WON:
        raise field_error("deal", "deal_not_won", "Only a won deal can be invoiced or quoted.")
    if "company" not in data and "contact" not in data:
        data["company"], data["contact"] = (deal.company, None) if deal.company else (None, deal.contact)
    data.setdefault("currency", deal.currency)
    data.setdefault("listing", deal.listing)
    if not data.get("lines"):
        about = f"{deal.name} ({deal.listing.title})" if deal.listing is not None else deal.name
        data["lines"] = [
            {
                "description": about[:500],
                "quantity": Decimal(1),
                "unit_price": deal.amount,
                "discount_type": "none",
                "discount_value": ZERO,
                "taxes": [],
            }
        ]


# --- Drafts -------------------------------------------------------------------------------------------------


def invoice_create(*, org: Org, actor: Profile | None, data: dict[str, Any]) -> Invoice:
    """A draft. The currency defaults to the org's; totals come from the lines."""
    data = dict(data)
    with transaction.atomic():
        deal_defaults(data)
        customer_required(customer_from(data))
        data.setdefault("currency", org.currency)
        currency_check(data)
        lines = data.pop("lines", None) or []
        data.update(doc_lines.lines_totals(lines))
        _dates_check(None, data)
        invoice = records.record_create(model=Invoice, org=org, actor=actor, data=data)  # type: ignore[arg-type]
        doc_lines.lines_replace(invoice, actor, lines)
    return invoice


def _dates_check(invoice: Invoice | None, data: dict[str, Any]) -> None:
    issue = data.get("issue_date", invoice.issue_date if invoice else None)
    due = data.get("due_date", invoice.due_date if invoice else None)
    if issue is not None and due is not None and due < issue:
        raise field_error("due_date", "before_issue_date", "The due date cannot be before the issue date.")


def invoice_change(*, org: Org, actor: Profile, record: Invoice, data: dict[str, Any]) -> None:
    """The invoice rules on a locked invoice (a PATCH, a PUT or one invoice of a bulk): a draft changes freely
    (its lines replaced as a whole, its totals recomputed); an issued one only in how it is filed."""
    data = dict(data)
    if record.status != S.DRAFT:
        fixed = sorted(set(data) - ISSUED_EDITABLE)
        if fixed:
            detail = "A finalized invoice cannot change; correct it with a credit note."
            raise Conflict(
                detail,
                code="invoice_finalized",
                fields={fixed[0]: [{"code": "invoice_finalized", "detail": detail}]},
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


def invoice_archive_check(invoice: Invoice) -> None:
    if invoice.status != S.DRAFT:
        raise Conflict("An issued invoice is never deleted; void it or credit it instead.", code="invoice_issued")


# --- Finalization -------------------------------------------------------------------------------------------


def invoice_finalize(
    *, org: Org, actor: Profile, invoice_id: Any, send: bool = False, if_match: str | None = None
) -> Invoice:
    """Draft -> open: numbered from the org's counter in this same transaction, dated, addressed, given a public
    link, then (after commit) rendered as a PDF by a worker and emailed if asked."""
    with transaction.atomic():
        invoice = records.record_lock_for_write(
            Invoice, org=org, actor=actor, record_id=invoice_id, if_match=if_match
        )
        invoice_finalize_locked(org=org, actor=actor, invoice=invoice, send=send)
    return invoice


def invoice_finalize_locked(*, org: Org, actor: Profile | None, invoice: Invoice, send: bool) -> None:
    """Finalize an invoice the caller has locked (a request, or a recurring run)."""
    from invoices.delivery import document_issued

    invoice.org = org  # the timeline and the audit log read it; no need to load it again

    if invoice.status != S.DRAFT:
        raise invalid_transition("invoice", invoice.status, "finalized")
    customer = customer_of(invoice)
    if customer is None:
        raise Conflict("Name the customer before finalizing.", code="customer_required")
    if not InvoiceLine.objects.for_org(org).filter(invoice=invoice).exists():
        raise Conflict("An invoice needs at least one line.", code="lines_required")
    settings_row = invoice_settings_of(org)
    issue_date = invoice.issue_date or org_today(org)
    terms = (
        invoice.payment_terms_days if invoice.payment_terms_days is not None else settings_row.payment_terms_days
    )
    due_date = invoice.due_date or issue_date + datetime.timedelta(days=terms)
    if due_date < issue_date:
        raise Conflict("The due date is before the issue date.", code="before_issue_date")
    data: dict[str, Any] = {
        **billing_snapshot(customer),
        "billing_emails": list(invoice.billing_emails) or billing_emails_of(org, customer),
        "issue_date": issue_date,
        "due_date": due_date,
        "payment_terms_days": terms,
        "finalized_at": timezone.now(),
        "finalized_by": actor,
        "public_nonce": new_public_nonce(),
        "balance_due": invoice.total,
        "status": S.PAID if invoice.total == 0 else S.OPEN,
    }
    if invoice.total == 0:
        data["paid_at"] = data["finalized_at"]
    # The number last: the counter row stays locked only for the rest of this short transaction.
    _, data["number"] = number_take(org=org, settings_row=settings_row, series=Series.INVOICE, on=issue_date)
    records.apply_changes(invoice, actor, data, verb="finalized")
    audit_record(
        org=org,
        actor=actor,
        action="invoice_finalized",
        target_type="invoices.invoice",
        target_id=invoice.pk,
        details={"number": invoice.number, "total": str(invoice.total), "currency": invoice.currency},
    )
    document_issued(invoice, send=send)


# --- Void, uncollectible, sending, the public link ----------------------------------------------------------


def _issued_for_write(org: Org, actor: Profile, invoice_id: Any, if_match: str | None = None) -> Invoice:
    invoice = records.record_lock_for_write(Invoice, org=org, actor=actor, record_id=invoice_id, if_match=if_match)
    invoice.org = org
    return invoice


def invoice_void(*, org: Org, actor: Profile, invoice_id: Any, reason: str = "") -> Invoice:
    """Open (or written off) with nothing paid -> void: it asks for nothing any more and its link says so."""
    from invoices.delivery import document_rerender

    with transaction.atomic():
        invoice = _issued_for_write(org, actor, invoice_id)
        if invoice.status not in (S.OPEN, S.UNCOLLECTIBLE):
            raise invalid_transition("invoice", invoice.status, "voided")
        if invoice.amount_paid > 0:
            raise Conflict(
                "Payments were recorded against this invoice: refund them or issue a credit note.",
                code="invoice_has_payments",
            )
        records.apply_changes(
            invoice,
            actor,
            {"status": S.VOID, "voided_at": timezone.now(), "void_reason": reason[:300], "balance_due": ZERO},
        )
        audit_record(
            org=org,
            actor=actor,
            action="invoice_voided",
            target_type="invoices.invoice",
            target_id=invoice.pk,
            details={"number": invoice.number, "reason": reason[:300]},
        )
        document_rerender(invoice)
    return invoice


def invoice_mark_uncollectible(*, org: Org, actor: Profile, invoice_id: Any) -> Invoice:
    with transaction.atomic():
        invoice = _issued_for_write(org, actor, invoice_id)
        if invoice.status not in (S.OPEN, S.PARTIALLY_PAID):
            raise invalid_transition("invoice", invoice.status, "written off")
        records.apply_changes(
            invoice, actor, {"status": S.UNCOLLECTIBLE, "marked_uncollectible_at": timezone.now()}
        )
        audit_record(
            org=org,
            actor=actor,
            action="invoice_marked_uncollectible",
            target_type="invoices.invoice",
            target_id=invoice.pk,
            details={"number": invoice.number, "balance_due": str(invoice.balance_due)},
        )
    return invoice


def invoice_send(*, org: Org, actor: Profile, invoice_id: Any) -> Invoice:
    """Email the invoice (its PDF attached) to its billing emails again, after commit."""
    from invoices.delivery import document_send

    with transaction.atomic():
        invoice = _issued_for_write(org, actor, invoice_id)
        if invoice.status in (S.DRAFT, S.VOID):
            raise invalid_transition("invoice", invoice.status, "sent")
        document_send(invoice)
    return invoice


def invoice_public_link_renew(*, org: Org, actor: Profile, invoice_id: Any) -> Invoice:
    """A new public link; every earlier one answers 410."""
    with transaction.atomic():
        invoice = _issued_for_write(org, actor, invoice_id)
        if invoice.status == S.DRAFT:
            raise invalid_transition("invoice", invoice.status, "shared")
        records.apply_changes(
            invoice,
            actor,
            {"public_nonce": new_public_nonce(), "public_link_revoked_at": None},
            verb="public_link_renewed",
        )
    return invoice


def invoice_public_link_revoke(*, org: Org, actor: Profile, invoice_id: Any) -> Invoice:
    with transaction.atomic():
        invoice = _issued_for_write(org, actor, invoice_id)
        if invoice.public_link_revoked_at is None and invoice.status != S.DRAFT:
            records.apply_changes(
                invoice, actor, {"public_link_revoked_at": timezone.now()}, verb="public_link_revoked"
            )
    return invoice


# --- What is owed -------------------------------------------------------------------------------------------


def invoice_settle(
    invoice: Invoice,
    actor: Profile | None,
    changes: dict[str, Any],
    *,
    verb: str,
    about: dict[str, Any] | None = None,
) -> None:
    """Apply a change of what was paid or credited (`changes`: amount_paid, amount_credited) with the balance
    and state that follow, as one write and one timeline entry (`about` adds what caused it). The balance never
    goes below zero: whatever was paid or credited beyond the total is the customer's credit (written by the
    caller)."""
    paid = changes.get("amount_paid", invoice.amount_paid)
    credited = changes.get("amount_credited", invoice.amount_credited)
    balance = max(ZERO, invoice.total - paid - credited)
    status = invoice.status
    if status in (S.OPEN, S.PARTIALLY_PAID, S.PAID, S.UNCOLLECTIBLE):
        if balance == 0:
            status = S.PAID
        elif paid > 0:
            status = S.PARTIALLY_PAID
        elif status != S.UNCOLLECTIBLE:
            status = S.OPEN
    data: dict[str, Any] = {**changes, "balance_due": balance, "status": status}
    if status == S.PAID and invoice.paid_at is None:
        data["paid_at"] = timezone.now()
    elif status != S.PAID:
        data["paid_at"] = None
    applied = {name: [None, value] for name, value in (about or {}).items()}
    records.apply_changes(invoice, actor, data, applied=applied, verb=verb)


def invoices_lock(org: Org, ids: list[Any]) -> dict[Any, Invoice]:
    """Invoices locked in one order (by id), so concurrent payments over the same invoices never deadlock."""
    rows = Invoice.objects.for_org(org).filter(pk__in=ids).select_related("company", "contact")
    return {row.pk: row for row in rows.select_for_update(of=("self",)).order_by("id")}


def invoice_apply_credit(*, org: Org, actor: Profile, invoice_id: Any, amount: Decimal | None) -> Invoice:
    """Use the customer's credit (same currency) on this invoice: all it needs, or `amount`."""
    with transaction.atomic():
        invoice = _issued_for_write(org, actor, invoice_id)
        if invoice.status not in COLLECTIBLE:
            raise invalid_transition("invoice", invoice.status, "paid with credit")
        customer = customer_required(customer_of(invoice))
        customer_lock(customer)
        available = credit_balance(org, customer, invoice.currency)
        wanted = min(available, invoice.balance_due) if amount is None else amount
        if wanted <= 0 or wanted > available:
            raise field_error(
                "amount", "insufficient_credit", f"The customer has {invoice.currency} {available} of credit."
            )
        if wanted > invoice.balance_due:
            raise field_error("amount", "over_balance", f"The invoice asks for {invoice.balance_due}.")
        CreditEntry.objects.create(
            org=org,
            created_by=actor,
            updated_by=actor,
            company=invoice.company,
            contact=invoice.contact,
            currency=invoice.currency,
            amount=-wanted,
            reason=CreditReason.APPLIED,
            invoice=invoice,
        )
        invoice_settle(invoice, actor, {"amount_paid": invoice.amount_paid + wanted}, verb="credit_applied")
        audit_record(
            org=org,
            actor=actor,
            action="invoice_credit_applied",
            target_type="invoices.invoice",
            target_id=invoice.pk,
            details={"amount": str(wanted), "currency": invoice.currency},
        )
    return invoice


# --- Credit notes -------------------------------------------------------------------------------------------


def credit_note_create(*, org: Org, actor: Profile, invoice_id: Any, data: dict[str, Any]) -> CreditNote:
    """A numbered credit note against an issued invoice: its lines (all of the invoice's when none are given)
    may credit at most what the invoice still totals after earlier credit notes. It lowers the balance; what
    it credits beyond the balance becomes the customer's credit."""
    from invoices.delivery import document_issued

    with transaction.atomic():
        invoice = _issued_for_write(org, actor, invoice_id)
        if invoice.status in (S.DRAFT, S.VOID):
            raise invalid_transition("invoice", invoice.status, "credited")
        lines = data.get("lines") or doc_lines.lines_as_input(invoice)
        totals = doc_lines.lines_totals(lines)
        creditable = invoice.total - invoice.amount_credited
        if totals["total"] <= 0 or totals["total"] > creditable:
            raise field_error(
                "lines",
                "over_credit",
                f"A credit note for this invoice totals more than 0 and at most {creditable}.",
            )
        customer = customer_of(invoice)
        if customer is not None:
            customer_lock(customer)
        issue_date = org_today(org)
        _, number = number_take(
            org=org, settings_row=invoice_settings_of(org), series=Series.CREDIT_NOTE, on=issue_date
        )
        note = CreditNote(
            org=org,
            created_by=actor,
            updated_by=actor,
            invoice=invoice,
            number=number,
            currency=invoice.currency,
            issue_date=issue_date,
            reason=str(data.get("reason") or "")[:300],
            company=invoice.company,
            contact=invoice.contact,
            **{name: getattr(invoice, name) for name in _BILLING},
            **totals,
        )
        note.save()
        doc_lines.lines_replace(note, actor, lines)
        balance_before = invoice.balance_due
        invoice_settle(
            invoice,
            actor,
            {"amount_credited": invoice.amount_credited + note.total},
            verb="credit_note_issued",
            about={"credit_note": number},
        )
        beyond = note.total - balance_before
        if beyond > 0 and customer is not None:
            CreditEntry.objects.create(
                org=org,
                created_by=actor,
                updated_by=actor,
                company=invoice.company,
                contact=invoice.contact,
                currency=invoice.currency,
                amount=beyond,
                reason=CreditReason.CREDIT_NOTE,
                credit_note=note,
                invoice=invoice,
            )
        audit_record(
            org=org,
            actor=actor,
            action="credit_note_issued",
            target_type="invoices.creditnote",
            target_id=note.pk,
            details={
                "number": number,
                "invoice": invoice.number,
                "total": str(note.total),
                "currency": note.currency,
            },
        )
        document_issued(note, send=bool(data.get("send")))
    return note


_BILLING = (
    "billing_name",
    "billing_street",
    "billing_city",
    "billing_region",
    "billing_postal_code",
    "billing_country",
)


# --- Member removal and merges ------------------------------------------------------------------------------


def reassign_drafts(org: Org, from_profile: Profile, to_profile: Profile) -> int:
    """For member removal: the drafts (invoices and quotes) a member holds go to `to_profile`. Issued documents
    keep their history as it is."""
    from invoices.models import Quote

    moved = 0
    with transaction.atomic():
        for model in (Invoice, Quote):
            held = (
                model.objects.for_org(org)
                .filter(records.held_by(from_profile), status="draft", archived_at__isnull=True)
                .select_for_update(of=("self",))
                .order_by("id")
            )
            for record in held:
                assignees = records.assignees_handed_over(list(record.assigned_to), from_profile, to_profile)
                records.apply_changes(record, to_profile, {"assigned_to": assignees})
                moved += 1
    return moved


def invoice_references_move(*, org: Org, actor: Profile, gone: Any, kept: Any) -> int:
    """A merged contact's or company's documents, payments, credit and schedules follow it to the kept one."""
    from invoices.models import CreditEntry as Credit
    from invoices.models import Payment, Quote, RecurringSchedule

    moved = 0
    for model in (Invoice, Quote):
        moved += records.references_move(model=model, org=org, actor=actor, gone=gone, kept=kept)
    for plain in (CreditNote, Payment, Credit, RecurringSchedule):
        moved += plain.objects.for_org(org).filter(customer_q(gone)).update(**{_side(gone): kept})
    return moved


def _side(customer: Any) -> str:
    from contacts.models import Company

    return "company" if isinstance(customer, Company) else "contact"
