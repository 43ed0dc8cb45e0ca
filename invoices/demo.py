"""Demo invoices: drafts, issued invoices (some overdue, some paid, one credited), payments (one split over two
invoices, one leaving credit), quotes in every state, and a monthly retainer that beat keeps issuing.

Made through the services (numbers, totals and balances exactly as in production); the volume grows slowly
with the scale, since every issued invoice takes a numbered, locked write.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from contacts.models import Company, Contact
from demo.context import DemoContext
from invoices import payments, quotes, recurring, services
from invoices.customers import org_today
from invoices.models import Invoice, InvoiceStatus
from invoices.org_settings import invoice_settings_of, invoice_settings_update

WORK = [
    ("Marketing retainer", Decimal("2500.00")),
    ("Professional photography, 24 images", Decimal("650.00")),
    ("Drone video tour", Decimal("480.00")),
    ("Floor plans and 3D walkthrough", Decimal("390.00")),
    ("Portal listing upgrade (30 days)", Decimal("129.99")),
    ("Letting fee", Decimal("1850.00")),
    ("Valuation report", Decimal("750.00")),
    ("Print brochures, 200 copies", Decimal("0.85")),
]
VAT = [{"name": "VAT", "rate": Decimal("20")}]


def _line(ctx: DemoContext) -> dict[str, Any]:
    description, price = ctx.rng.choice(WORK)
    quantity = Decimal(200) if price < 1 else Decimal(ctx.rng.choice([1, 1, 1, 2, 3]))
    discount = ctx.rng.random() < 0.2
    return {
        "description": description,
        "quantity": quantity,
        "unit_price": price,
        "discount_type": "percent" if discount else "none",
        "discount_value": Decimal(10) if discount else 0,
        "taxes": VAT,
    }


def _customers(ctx: DemoContext) -> list[Company | Contact]:
    companies = list(Company.objects.for_org(ctx.org).filter(pk__in=ctx.some("contacts.company", 6)))
    contacts = list(Contact.objects.for_org(ctx.org).filter(pk__in=ctx.some("contacts.contact", 3)))
    return [*companies, *contacts]


def _customer_data(customer: Company | Contact | None) -> dict[str, Any]:
    return {"company": customer} if isinstance(customer, Company) else {"contact": customer}


def seed(ctx: DemoContext) -> dict[str, int]:
    customers = _customers(ctx)
    managers = [member for member in ctx.members if member.role in ("owner", "admin", "manager")]
    if not customers or not managers:
        return {"invoices": 0}
    manager, org, rng = managers[0], ctx.org, ctx.rng
    today = org_today(org)
    invoice_settings_update(
        org=org,
        actor=manager,
        data={
            "address": f"{org.name}\n1 Harbour Way\nLondon EC2A 1AA",
            "tax_ids": [{"name": "VAT", "value": "GB123456789"}],
            "payment_instructions": "Bank transfer to Keystone Demo Bank, IBAN GB00 DEMO 0000 0000 0000 00.",
        },
    )
    invoice_settings_of(org)
    made: list[Invoice] = []
    for n in range(6 + 2 * ctx.scale):
        customer = rng.choice(customers)
        issued_on = today - datetime.timedelta(days=rng.randint(0, 120))
        data = {
            **_customer_data(customer),
            "issue_date": issued_on,
            "notes": "Thank you for your business.",
            "lines": [_line(ctx) for _ in range(rng.randint(1, 4))],
        }
        invoice = services.invoice_create(org=org, actor=ctx.member(), data=data)
        if n % 5 != 4:  # every fifth stays a draft
            services.invoice_finalize(org=org, actor=manager, invoice_id=invoice.pk)
            invoice.refresh_from_db()
        made.append(invoice)
    issued_invoices = [invoice for invoice in made if invoice.status == InvoiceStatus.OPEN]
    paid = 0
    for invoice in issued_invoices[: len(issued_invoices) // 2]:
        share = invoice.total if rng.random() < 0.7 else (invoice.total / 2).quantize(Decimal("0.01"))
        payments.payment_record(
            org=org,
            actor=manager,
            data={
                **_customer_data(invoice.company or invoice.contact),
                "amount": share,
                "currency": invoice.currency,
                "received_on": min(
                    today, (invoice.issue_date or today) + datetime.timedelta(days=rng.randint(3, 40))
                ),
                "method": rng.choice(["bank_transfer", "card"]),
                "reference": f"DEMO-{paid + 1:04d}",
                "allocations": [{"invoice": invoice, "amount": share}],
            },
        )
        paid += 1
    rest = [invoice for invoice in issued_invoices[len(issued_invoices) // 2 :]]
    if rest:
        # An overpayment: the balance is paid and the rest is the customer's credit.
        target = rest[0]
        payments.payment_record(
            org=org,
            actor=manager,
            data={
                **_customer_data(target.company or target.contact),
                "amount": target.total + Decimal("100.00"),
                "currency": target.currency,
                "received_on": today,
                "method": "bank_transfer",
                "reference": "DEMO-OVER",
                "allocations": [{"invoice": target, "amount": target.total}],
            },
        )
        paid += 1
    if len(rest) > 1:
        services.credit_note_create(
            org=org,
            actor=manager,
            invoice_id=rest[1].pk,
            data={
                "lines": [
                    {
                        "description": "Goodwill discount",
                        "quantity": 1,
                        "unit_price": Decimal("50.00"),
                        "taxes": VAT,
                    }
                ],
                "reason": "Photos delivered late",
            },
        )
    quote_count = _quotes(ctx, customers, manager)
    retainer = customers[0]
    recurring.schedule_create(
        org=org,
        actor=manager,
        data={
            **_customer_data(retainer),
            "name": f"Monthly marketing retainer: {retainer}",
            "frequency": "monthly",
            "start_date": today.replace(day=1),
            "lines": [
                {
                    "description": "Marketing retainer",
                    "quantity": 1,
                    "unit_price": Decimal("2500.00"),
                    "taxes": VAT,
                }
            ],
            "auto_finalize": True,
            "auto_send": False,
        },
    )
    retained = recurring.recurring_issue_due(org=org, today=today)
    return {"invoices": len(made) + retained, "payments": paid, "quotes": quote_count, "recurring schedules": 1}


def _quotes(ctx: DemoContext, customers: list[Company | Contact], manager: Any) -> int:
    outcomes = ["draft", "sent", "accepted", "declined", "converted"]
    for outcome in outcomes:
        customer = ctx.rng.choice(customers)
        quote = quotes.quote_create(
            org=ctx.org,
            actor=manager,
            data={
                **_customer_data(customer),
                "lines": [_line(ctx) for _ in range(2)],
                "notes": "Valid for 30 days.",
            },
        )
        if outcome == "draft":
            continue
        quotes.quote_send(org=ctx.org, actor=manager, quote_id=quote.pk)
        if outcome in ("accepted", "converted"):
            quotes.quote_accept(org=ctx.org, actor=manager, quote_id=quote.pk)
        if outcome == "declined":
            quotes.quote_decline(org=ctx.org, actor=manager, quote_id=quote.pk)
        if outcome == "converted":
            quotes.quote_convert(org=ctx.org, actor=manager, quote_id=quote.pk)
    return len(outcomes)
