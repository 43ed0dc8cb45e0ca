"""Payments and refunds: money in, split across one customer's invoices, the rest kept as the customer's credit;
money given back, from the credit first and then from the invoices the payment paid.

Every write is one transaction that locks the customer's credit ledger and the invoices it touches (in id
order), records the money, moves each invoice's amount paid, balance and state, and writes the org audit log.
A payment never leaves a negative balance: what no invoice asks for becomes credit.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from common.errors import ApiError, Conflict, NotFound, field_error
from common.models import Profile
from contacts.models import Company, Contact
from invoices.customers import credit_balance, customer_fields, customer_lock, customer_of, same_customer
from invoices.models import (
    COLLECTIBLE,
    CreditEntry,
    CreditReason,
    Invoice,
    Payment,
    PaymentAllocation,
    PaymentKind,
)
from invoices.services import currency_check, invoice_settle, invoices_lock
from tenants.audit import audit_record
from tenants.models import Org

ZERO = Decimal("0.00")
AUTO_ALLOCATE_MAX = 200


def _allocation_error(index: int, code: str, detail: str, *, name: str = "invoice") -> ApiError:
    return field_error(f"allocations.{index}.{name}", code, detail)


def _customer_of_payment(data: dict[str, Any], allocations: list[dict[str, Any]]) -> Company | Contact:
    company, contact = data.pop("company", None), data.pop("contact", None)
    if company is not None and contact is not None:
        raise field_error("contact", "one_customer", "A payment is from a company or a contact, not both.")
    customer = company or contact
    if customer is None and allocations:
        customer = customer_of(allocations[0]["invoice"])
    if customer is None:
        raise field_error(
            "company", "required", "Name the customer (`company` or `contact`) or the invoices paid."
        )
    return customer


def payment_record(
    *, org: Org, actor: Profile | None, data: dict[str, Any], source: str = "manual", only_credit: bool = False
) -> Payment:
    """Record money received. `allocations` ([{invoice, amount}]) say which of the customer's invoices it pays;
    without them it pays the customer's open invoices in that currency, oldest due first (unless
    `only_credit`). What is left is the customer's credit."""
    data = dict(data)
    allocations = list(data.pop("allocations", None) or [])
    with transaction.atomic():
        customer = _customer_of_payment(data, allocations)
        data.setdefault("currency", allocations[0]["invoice"].currency if allocations else org.currency)
        currency_check(data)
        amount: Decimal = data["amount"]
        customer_lock(customer)
        plan = [] if only_credit else _allocation_plan(org, customer, data["currency"], amount, allocations)
        payment = Payment.objects.create(
            org=org,
            created_by=actor,
            updated_by=actor,
            kind=PaymentKind.PAYMENT,
            **customer_fields(customer),
            **data,
        )
        applied = ZERO
        for invoice, share in plan:
            PaymentAllocation.objects.create(
                org=org, created_by=actor, updated_by=actor, payment=payment, invoice=invoice, amount=share
            )
            _paid(invoice, actor, share, payment)
            applied += share
        left = amount - applied
        if left > 0:
            CreditEntry.objects.create(
                org=org,
                created_by=actor,
                updated_by=actor,
                **customer_fields(customer),
                currency=payment.currency,
                amount=left,
                reason=CreditReason.OVERPAYMENT,
                payment=payment,
            )
        audit_record(
            org=org,
            actor=actor,
            action="payment_recorded",
            target_type="invoices.payment",
            target_id=payment.pk,
            details={
                "amount": str(amount),
                "currency": payment.currency,
                "source": source,
                "allocations": {invoice.number: str(share) for invoice, share in plan},
                "credit": str(left),
            },
        )
    return payment


def _allocation_plan(
    org: Org, customer: Company | Contact, currency: str, amount: Decimal, allocations: list[dict[str, Any]]
) -> list[tuple[Invoice, Decimal]]:
    """(invoice, amount) pairs, each invoice locked and checked: the customer's, in the payment's currency,
    issued and still owing at least that much."""
    if not allocations:
        return _auto_plan(org, customer, currency, amount)
    ids = [row["invoice"].pk for row in allocations]
    if len(set(ids)) != len(ids):
        raise field_error("allocations", "duplicate_invoice", "Name each invoice once.")
    if sum((row["amount"] for row in allocations), ZERO) > amount:
        raise field_error("allocations", "over_payment", "The allocations add up to more than the payment.")
    locked = invoices_lock(org, ids)
    plan = []
    for index, row in enumerate(allocations):
        invoice = locked.get(row["invoice"].pk)
        if invoice is None:  # purged between the check and the lock
            raise _allocation_error(
                index, "does_not_exist", f'Invalid pk "{row["invoice"].pk}" - object does not exist.'
            )
        if not same_customer(invoice, customer):
            raise _allocation_error(index, "customer_mismatch", "This invoice is another customer's.")
        if invoice.currency != currency:
            raise _allocation_error(index, "currency_mismatch", f"This invoice is in {invoice.currency}.")
        if invoice.status not in COLLECTIBLE:
            raise _allocation_error(index, "not_collectible", f"A {invoice.status} invoice takes no payments.")
        if row["amount"] > invoice.balance_due:
            raise _allocation_error(
                index, "over_balance", f"The invoice asks for {invoice.balance_due}.", name="amount"
            )
        plan.append((invoice, row["amount"]))
    return plan


def _auto_plan(
    org: Org, customer: Company | Contact, currency: str, amount: Decimal
) -> list[tuple[Invoice, Decimal]]:
    from invoices.customers import customer_q

    owing = (
        Invoice.objects.for_org(org)
        .filter(customer_q(customer), currency=currency, status__in=COLLECTIBLE, balance_due__gt=0)
        .order_by("due_date", "id")
        .values_list("pk", flat=True)[:AUTO_ALLOCATE_MAX]
    )
    locked = invoices_lock(org, list(owing))
    plan, left = [], amount
    for invoice in sorted(locked.values(), key=lambda row: (row.due_date or datetime.date.max, row.pk)):
        if left <= 0:
            break
        share = min(left, invoice.balance_due)
        if share > 0:
            plan.append((invoice, share))
            left -= share
    return plan


def _paid(invoice: Invoice, actor: Profile | None, amount: Decimal, payment: Payment) -> None:
    verb = "payment_recorded" if amount > 0 else "payment_refunded"
    invoice_settle(
        invoice,
        actor,
        {"amount_paid": invoice.amount_paid + amount},
        verb=verb,
        about={"payment": str(payment.pk)},
    )


# --- Refunds ------------------------------------------------------------------------------------------------


def _still_applied(org: Org, payment: Payment) -> dict[Any, Decimal]:
    """What of this payment each invoice still holds: its allocations less what its refunds took back."""
    rows = (
        PaymentAllocation.objects.for_org(org)
        .filter(payment__in=[payment.pk, *payment.refunds.values_list("pk", flat=True)])
        .values("invoice_id")
        .annotate(held=Sum("amount"))
        .order_by()
    )
    return {row["invoice_id"]: row["held"] for row in rows if row["held"] > 0}


def payment_refund(*, org: Org, actor: Profile, payment_id: Any, data: dict[str, Any]) -> Payment:
    """Give back (part of) a payment: from the customer's credit first, then from the invoices this payment
    paid, newest first; those invoices owe again. At most what the payment still holds."""
    with transaction.atomic():
        payment: Payment | None = (
            Payment.objects.for_org(org)
            .filter(pk=payment_id, kind=PaymentKind.PAYMENT)
            .select_related("company", "contact")
            .select_for_update(of=("self",))
            .first()
        )
        if payment is None:
            raise NotFound()
        customer = customer_of(payment)
        if customer is None:
            raise Conflict("The customer of this payment was deleted.", code="customer_missing")
        customer_lock(customer)
        amount: Decimal = data["amount"]
        refunded = payment.refunds.aggregate(total=Sum("amount"))["total"] or ZERO
        if amount > payment.amount - refunded:
            raise field_error("amount", "over_refund", f"At most {payment.amount - refunded} is left to refund.")
        held = _still_applied(org, payment)
        credit = min(credit_balance(org, customer, payment.currency), amount)
        if amount - credit > sum(held.values(), ZERO):
            raise field_error(
                "amount",
                "over_refund",
                "The customer's credit from this payment was used: refund at most what it still pays.",
            )
        refund = Payment.objects.create(
            org=org,
            created_by=actor,
            updated_by=actor,
            kind=PaymentKind.REFUND,
            refund_of=payment,
            **customer_fields(customer),
            currency=payment.currency,
            amount=amount,
            received_on=data.get("received_on") or payment.received_on,
            method=data.get("method") or payment.method,
            reference=data.get("reference", ""),
            payer=payment.payer,
            notes=data.get("notes", ""),
        )
        if credit > 0:
            CreditEntry.objects.create(
                org=org,
                created_by=actor,
                updated_by=actor,
                **customer_fields(customer),
                currency=payment.currency,
                amount=-credit,
                reason=CreditReason.REFUNDED,
                payment=refund,
            )
        left = amount - credit
        invoices = invoices_lock(org, list(held)) if left > 0 else {}
        for invoice in sorted(
            invoices.values(), key=lambda row: row.issue_date or datetime.date.min, reverse=True
        ):
            if left <= 0:
                break
            back = min(left, held[invoice.pk])
            PaymentAllocation.objects.create(
                org=org, created_by=actor, updated_by=actor, payment=refund, invoice=invoice, amount=-back
            )
            _paid(invoice, actor, -back, refund)
            left -= back
        audit_record(
            org=org,
            actor=actor,
            action="payment_refunded",
            target_type="invoices.payment",
            target_id=payment.pk,
            details={
                "refund_id": str(refund.pk),
                "amount": str(amount),
                "currency": payment.currency,
                "from_credit": str(credit),
            },
        )
    return refund
