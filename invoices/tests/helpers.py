"""Making customers, deals, invoices, quotes and payments for the invoice tests, each in its org."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from common.context import org_context
from common.models import Profile
from contacts.models import Company, Contact
from invoices import payments, quotes, services
from invoices.models import Invoice, Quote
from tenants.models import Org
from tenants.testing.fixtures import Cast

INVOICES = "/api/invoices/"
QUOTES = "/api/quotes/"
PAYMENTS = "/api/payments/"


def D(value: Any) -> Decimal:
    return Decimal(str(value))


def line(
    description: str = "Photography", quantity: Any = 1, unit_price: Any = "100.00", **extra: Any
) -> dict[str, Any]:
    return {
        "description": description,
        "quantity": D(quantity),
        "unit_price": D(unit_price),
        "discount_type": extra.pop("discount_type", "none"),
        "discount_value": D(extra.pop("discount_value", 0)),
        "taxes": [{"name": name, "rate": D(rate)} for name, rate in extra.pop("taxes", [])],
        **extra,
    }


def json_line(
    description: str = "Photography", quantity: Any = "1", unit_price: Any = "100.00", **extra: Any
) -> dict[str, Any]:
    return {
        "description": description,
        "quantity": str(quantity),
        "unit_price": str(unit_price),
        "taxes": [{"name": name, "rate": str(rate)} for name, rate in extra.pop("taxes", [])],
        **extra,
    }


def owner_of(cast: Cast, org: Org) -> Profile:
    return cast.owner if org.pk == cast.org_a.pk else cast.other_owner


def company(cast: Cast, org: Org | None = None, **fields: Any) -> Company:
    org = org or cast.org_a
    values = {
        "name": "Harbour Holdings",
        "street": "1 Quay Street",
        "city": "Bristol",
        "postal_code": "BS1 4DJ",
        "country": "GB",
        "created_by": owner_of(cast, org),
        **fields,
    }
    with org_context(org):
        return Company.objects.create(org=org, **values)


def contact(cast: Cast, org: Org | None = None, **fields: Any) -> Contact:
    org = org or cast.org_a
    values = {
        "first_name": "Ada",
        "last_name": "Byron",
        "email": "ada@example.test",
        "created_by": owner_of(cast, org),
        **fields,
    }
    with org_context(org):
        return Contact.objects.create(org=org, **values)


def draft(
    cast: Cast,
    *,
    org: Org | None = None,
    actor: Profile | None = None,
    customer: Any = None,
    lines: list[dict[str, Any]] | None = None,
    **data: Any,
) -> Invoice:
    org = org or cast.org_a
    customer = customer or company(cast, org)
    key = "company" if isinstance(customer, Company) else "contact"
    with org_context(org):
        return services.invoice_create(
            org=org, actor=actor or owner_of(cast, org), data={key: customer, "lines": lines or [line()], **data}
        )


def issued(cast: Cast, *, org: Org | None = None, **kwargs: Any) -> Invoice:
    invoice = draft(cast, org=org, **kwargs)
    org = org or cast.org_a
    with org_context(org):
        services.invoice_finalize(org=org, actor=owner_of(cast, org), invoice_id=invoice.pk)
    return stored(invoice)


def stored(invoice: Invoice) -> Invoice:
    with org_context(invoice.org):
        return Invoice.objects.get(pk=invoice.pk)


def pay(cast: Cast, invoice: Invoice, amount: Any, allocated: Any = None, **data: Any) -> Any:
    """A payment of `amount` from the invoice's customer, `allocated` (all of it by default) to the invoice."""
    with org_context(invoice.org):
        return payments.payment_record(
            org=invoice.org,
            actor=owner_of(cast, invoice.org),
            data={
                "company": invoice.company,
                "contact": invoice.contact,
                "amount": D(amount),
                "currency": invoice.currency,
                "received_on": datetime.date(2026, 3, 1),
                "method": "bank_transfer",
                "allocations": [{"invoice": invoice, "amount": D(allocated if allocated is not None else amount)}],
                **data,
            },
        )


def quote(cast: Cast, *, org: Org | None = None, customer: Any = None, **data: Any) -> Quote:
    org = org or cast.org_a
    customer = customer or company(cast, org)
    key = "company" if isinstance(customer, Company) else "contact"
    with org_context(org):
        return quotes.quote_create(
            org=org, actor=owner_of(cast, org), data={key: customer, "lines": [line()], **data}
        )


def won_deal(cast: Cast, *, org: Org | None = None, amount: str = "12500.00", **fields: Any) -> Any:
    from deals.models import Deal, Stage, StageKind
    from deals.pipeline_services import pipeline_ensure_default

    org = org or cast.org_a
    with org_context(org):
        pipeline = pipeline_ensure_default(org=org)
        kind = fields.pop("kind", StageKind.WON)
        stage = Stage.objects.filter(pipeline=pipeline, kind=kind).order_by("position").first()
        return Deal.objects.create(
            org=org,
            name="Harbour lease",
            amount=D(amount),
            currency="EUR",
            pipeline=pipeline,
            stage=stage,
            created_by=owner_of(cast, org),
            **fields,
        )
