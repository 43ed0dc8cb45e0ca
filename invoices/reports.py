"""Receivables reports, each computed in SQL (grouped and summed by PostgreSQL, a fixed number of queries
whatever the number of invoices): accounts-receivable aging, revenue invoiced and collected per month, and what
each customer owes and holds as credit. Every figure is per currency; money in different currencies is never
added up. Each report is also a CSV.

Aging buckets count days past the due date on the report date (the org's today unless `as_of` is given):
`current` (not yet due), 1-30, 31-60, 61-90 and 90+ days. Open and partially paid invoices count with their
balance; written-off (uncollectible) and void ones do not.
"""

from __future__ import annotations

import csv
import datetime
import io
import uuid
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, CharField, Count, DecimalField, F, Sum, Value, When
from django.db.models.functions import Coalesce, Concat, Trim, TruncMonth

from contacts.models import Company, Contact
from invoices.models import OVERDUE_STATUSES, CreditEntry, CreditNote, Invoice, InvoiceStatus, Payment, PaymentKind
from records.export import neutralised
from tenants.models import Org

ZERO = Decimal("0.00")
BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "days_over_90")
MONEY = DecimalField(max_digits=16, decimal_places=2)


def _customer_name() -> Coalesce:
    """The customer's current name, from whichever of company and contact is set."""
    person = Trim(Concat(F("contact__first_name"), Value(" "), F("contact__last_name"), output_field=CharField()))
    return Coalesce(F("company__name"), person, Value(""), output_field=CharField())


def _customer_key(row: dict[str, Any]) -> dict[str, Any]:
    if row["company_id"] is not None:
        return {"customer_type": "company", "customer_id": row["company_id"]}
    return {"customer_type": "contact", "customer_id": row["contact_id"]}


# One scan for both the per-customer rows and the per-currency totals (GROUPING SETS), over the covering partial
# index `invoice_aging`, so PostgreSQL reads the index only; names come from the customers' own tables after.
_AGING_SQL = """
SELECT currency, company_id, contact_id, GROUPING(company_id, contact_id) <> 0 AS is_total, COUNT(*) AS invoices,
       COALESCE(SUM(balance_due) FILTER (WHERE due_date >= %(as_of)s), 0) AS current,
       COALESCE(SUM(balance_due) FILTER (WHERE due_date BETWEEN %(d30)s AND %(d1)s), 0) AS days_1_30,
       COALESCE(SUM(balance_due) FILTER (WHERE due_date BETWEEN %(d60)s AND %(d31)s), 0) AS days_31_60,
       COALESCE(SUM(balance_due) FILTER (WHERE due_date BETWEEN %(d90)s AND %(d61)s), 0) AS days_61_90,
       COALESCE(SUM(balance_due) FILTER (WHERE due_date <= %(d91)s), 0) AS days_over_90,
       SUM(balance_due) AS total
  FROM invoices_invoice
 WHERE org_id = %(org)s AND status IN ('open', 'partially_paid') AND archived_at IS NULL AND balance_due > 0
 GROUP BY GROUPING SETS ((currency, company_id, contact_id), (currency))
"""


def _customer_names(company_ids: set[Any], contact_ids: set[Any], org: Org) -> dict[Any, str]:
    names: dict[Any, str] = {}
    if company_ids:
        names.update(Company.objects.for_org(org).filter(pk__in=company_ids).values_list("pk", "name"))
    if contact_ids:
        for pk, first, last, email in (
            Contact.objects.for_org(org)
            .filter(pk__in=contact_ids)
            .values_list("pk", "first_name", "last_name", "email")
        ):
            names[pk] = f"{first} {last}".strip() or email
    return names


def aging(*, org: Org, as_of: datetime.date) -> dict[str, Any]:
    """Per customer and currency, and in total per currency: one grouped scan, then the customers' names."""
    days = {f"d{n}": as_of - datetime.timedelta(days=n) for n in (1, 30, 31, 60, 61, 90, 91)}
    with connection.cursor() as cursor:
        cursor.execute(_AGING_SQL, {"org": org.pk, "as_of": as_of, **days})
        columns = [column[0] for column in cursor.description or []]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    figures = (*BUCKETS, "total")
    groups = [row for row in rows if not row["is_total"]]
    names = _customer_names(
        {row["company_id"] for row in groups if row["company_id"]},
        {row["contact_id"] for row in groups if row["contact_id"]},
        org,
    )
    customers = [
        {**_customer_key(row), "name": names.get(row["company_id"] or row["contact_id"], ""),
         "currency": row["currency"], "invoices": row["invoices"], **{name: row[name] for name in figures}}
        for row in groups
    ]  # fmt: skip
    customers.sort(key=lambda row: (row["currency"], -row["total"], str(row["customer_id"])))
    totals = [
        {"currency": row["currency"], "invoices": row["invoices"], **{name: row[name] for name in figures}}
        for row in sorted((row for row in rows if row["is_total"]), key=lambda row: row["currency"])
    ]
    return {"as_of": as_of, "customers": customers, "totals": totals}


def revenue(*, org: Org, start: datetime.date, end: datetime.date) -> dict[str, Any]:
    """Per month (of the issue date, of the payment date) and currency: invoiced (issued, not void), credited
    (credit notes) and collected (payments less refunds). Three grouped queries."""
    invoiced = (
        Invoice.objects.for_org(org)
        .exclude(status__in=[InvoiceStatus.DRAFT, InvoiceStatus.VOID])
        .filter(issue_date__gte=start, issue_date__lte=end)
        .annotate(month=TruncMonth("issue_date"))
        .values("month", "currency")
        .annotate(amount=Sum("total"))
        .order_by()
    )
    credited = (
        CreditNote.objects.for_org(org)
        .filter(issue_date__gte=start, issue_date__lte=end)
        .annotate(month=TruncMonth("issue_date"))
        .values("month", "currency")
        .annotate(amount=Sum("total"))
        .order_by()
    )
    signed = Case(When(kind=PaymentKind.REFUND, then=-F("amount")), default=F("amount"), output_field=MONEY)
    collected = (
        Payment.objects.for_org(org)
        .filter(received_on__gte=start, received_on__lte=end)
        .annotate(month=TruncMonth("received_on"))
        .values("month", "currency")
        .annotate(amount=Sum(signed))
        .order_by()
    )
    months: dict[tuple[datetime.date, str], dict[str, Any]] = {}
    for name, rows in (("invoiced", invoiced), ("credited", credited), ("collected", collected)):
        for row in rows:
            month = row["month"] if isinstance(row["month"], datetime.date) else row["month"].date()
            key = (month.replace(day=1), row["currency"])
            entry = months.setdefault(
                key,
                {
                    "month": key[0].strftime("%Y-%m"),
                    "currency": key[1],
                    "invoiced": ZERO,
                    "credited": ZERO,
                    "collected": ZERO,
                },
            )
            entry[name] = row["amount"] or ZERO
    return {"start": start, "end": end, "months": [months[key] for key in sorted(months)]}


def outstanding(*, org: Org) -> dict[str, Any]:
    """Per customer and currency: what open invoices still ask for, and the customer's unused credit."""
    owed = (
        Invoice.objects.for_org(org)
        .filter(status__in=OVERDUE_STATUSES, balance_due__gt=0, archived_at__isnull=True)
        .values("currency", "company_id", "contact_id")
        .annotate(amount=Sum("balance_due"), name=_customer_name(), invoices=Count("id"))
        .order_by()
    )
    credit = (
        CreditEntry.objects.for_org(org)
        .values("currency", "company_id", "contact_id")
        .annotate(amount=Sum("amount"), name=_customer_name())
        .filter(amount__gt=0)
        .order_by()
    )
    found: dict[tuple[Any, Any, str], dict[str, Any]] = {}
    for name, rows in (("outstanding", owed), ("credit", credit)):
        for row in rows:
            key = (row["company_id"], row["contact_id"], row["currency"])
            entry = found.setdefault(
                key,
                {
                    **_customer_key(row),
                    "name": row["name"],
                    "currency": row["currency"],
                    "invoices": 0,
                    "outstanding": ZERO,
                    "credit": ZERO,
                },
            )
            entry[name] = row["amount"]
            if name == "outstanding":
                entry["invoices"] = row["invoices"]
    customers = sorted(found.values(), key=lambda entry: (entry["currency"], -entry["outstanding"], entry["name"]))
    return {"customers": customers}


def jsonable(value: Any) -> Any:
    """A report as JSON: money as strings with two decimals, dates in ISO, ids as text. Built directly rather
    than through serializers: an aging report can hold thousands of rows (its shape is documented by the
    serializers in invoices.serializers)."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


# --- CSV ----------------------------------------------------------------------------------------------------


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralised("" if value is None else str(jsonable(value))) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes spreadsheets read it as UTF-8


def aging_csv(report: dict[str, Any]) -> bytes:
    header = ["customer_type", "customer_id", "name", "currency", "invoices", *BUCKETS, "total"]
    rows = [[row[name] for name in header] for row in report["customers"]]
    rows += [
        ["total", "", "", row["currency"], row["invoices"], *(row[name] for name in BUCKETS), row["total"]]
        for row in report["totals"]
    ]
    return _csv(header, rows)


def revenue_csv(report: dict[str, Any]) -> bytes:
    header = ["month", "currency", "invoiced", "credited", "collected"]
    return _csv(header, [[row[name] for name in header] for row in report["months"]])


def outstanding_csv(report: dict[str, Any]) -> bytes:
    header = ["customer_type", "customer_id", "name", "currency", "invoices", "outstanding", "credit"]
    return _csv(header, [[row[name] for name in header] for row in report["customers"]])
