"""Who a document is for: one company or one contact of the org, their printed name and address, the people
who get its emails, and the customer's credit balance."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Q, Sum

from common.errors import field_error
from contacts.models import Company, Contact
from invoices.models import CreditEntry
from tenants.models import Org

# A company's contacts carrying this tag get its invoices by email (a contact customer gets them at its email).
BILLING_TAG = "billing"
MAX_BILLING_EMAILS = 10


def org_today(org: Org) -> datetime.date:
    """Today in the org's time zone: what issue dates, due dates and "overdue" are counted in."""
    try:
        zone = zoneinfo.ZoneInfo(org.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return datetime.datetime.now(zone).date()


def customer_of(record: Any) -> Company | Contact | None:
    return record.company or record.contact


def customer_fields(customer: Company | Contact | None) -> dict[str, Any]:
    """The `company` / `contact` pair for a customer: one set, the other cleared."""
    return {
        "company": customer if isinstance(customer, Company) else None,
        "contact": customer if isinstance(customer, Contact) else None,
    }


def customer_from(data: dict[str, Any], current: Any = None) -> Company | Contact | None:
    """The customer a write names (`company` or `contact`, not both), else the record's current one. Pops both
    keys from `data` and puts back the pair to store when the write names a customer."""
    names_company, names_contact = "company" in data, "contact" in data
    company, contact = data.pop("company", None), data.pop("contact", None)
    if company is not None and contact is not None:
        raise field_error("contact", "one_customer", "A customer is a company or a contact, not both.")
    if not names_company and not names_contact:
        return customer_of(current) if current is not None else None
    chosen = company or contact
    if chosen is None and current is not None and not (names_company and names_contact):
        # Clearing one side alone keeps a customer set on the other side.
        other = current.contact if names_company else current.company
        chosen = other
    data.update(customer_fields(chosen))
    return chosen


def customer_required(customer: Any) -> Any:
    if customer is None:
        raise field_error("company", "required", "Name the customer: a `company` or a `contact`.")
    return customer


def customer_q(customer: Company | Contact, prefix: str = "") -> Q:
    if isinstance(customer, Company):
        return Q(**{f"{prefix}company": customer})
    return Q(**{f"{prefix}contact": customer})


def same_customer(record: Any, customer: Company | Contact) -> bool:
    if isinstance(customer, Company):
        return bool(record.company_id == customer.pk)
    return bool(record.contact_id == customer.pk)


def customer_name(customer: Company | Contact) -> str:
    return str(customer)[:200]


def billing_snapshot(customer: Company | Contact) -> dict[str, Any]:
    """The printed name and address of a customer; a contact without an address of its own is billed at its
    company's."""
    source: Company | Contact = customer
    if isinstance(customer, Contact) and not (customer.street or customer.city) and customer.company is not None:
        source = customer.company
    name = customer_name(customer)
    if isinstance(customer, Contact) and customer.company is not None:
        name = f"{name}, {customer.company.name}"[:200]
    return {
        "billing_name": name,
        "billing_street": source.street,
        "billing_city": source.city,
        "billing_region": source.region,
        "billing_postal_code": source.postal_code,
        "billing_country": source.country,
    }


def billing_emails_of(org: Org, customer: Company | Contact) -> list[str]:
    """Where a customer's documents are emailed when the document names nobody: a contact at its email (unless
    it asked not to be contacted), a company at its contacts tagged `billing`."""
    if isinstance(customer, Contact):
        return [customer.email] if customer.email and not customer.do_not_contact else []
    emails = (
        Contact.objects.for_org(org)
        .filter(company=customer, tags__contains=[BILLING_TAG], do_not_contact=False, archived_at__isnull=True)
        .exclude(email="")
        .order_by("last_name", "first_name", "id")
        .values_list("email", flat=True)[:MAX_BILLING_EMAILS]
    )
    return list(emails)


def customer_lock(customer: Company | Contact) -> None:
    """Serialize every write to one customer's credit ledger (payments, refunds, credit notes, credit applied)
    for the rest of the transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"invoices.credit:{customer.pk}"])


def credit_balance(org: Org, customer: Company | Contact, currency: str) -> Decimal:
    total = (
        CreditEntry.objects.for_org(org)
        .filter(customer_q(customer), currency=currency)
        .aggregate(total=Sum("amount"))["total"]
    )
    return total or Decimal("0.00")
