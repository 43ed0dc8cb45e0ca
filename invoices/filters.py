"""List filters for invoices, quotes, payments and credit notes."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from invoices.customers import org_today
from invoices.models import (
    OVERDUE_STATUSES,
    CreditNote,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    Quote,
    QuoteStatus,
)
from records.filters import AnyOfFilter, RecordFilterSet
from tenants.pipeline.context import org_request


class _CustomerFilters(django_filters.FilterSet):
    company = django_filters.UUIDFilter(field_name="company_id")
    contact = django_filters.UUIDFilter(field_name="contact_id")
    currency = django_filters.CharFilter(lookup_expr="iexact")


class InvoiceFilter(RecordFilterSet, _CustomerFilters):
    status = AnyOfFilter(choices=InvoiceStatus.choices, help_text="Repeat for several.")
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        help_text="true: open or partially paid past the due date (today in "
        "the org's time zone); false: the others.",
    )
    deal = django_filters.UUIDFilter(field_name="deal_id")
    listing = django_filters.UUIDFilter(field_name="listing_id")
    issued_after = django_filters.DateFilter(field_name="issue_date", lookup_expr="gte")
    issued_before = django_filters.DateFilter(field_name="issue_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Invoice
        fields = ["status", "company", "contact", "currency", "deal", "listing"]

    def filter_overdue(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        overdue = Q(status__in=OVERDUE_STATUSES, due_date__lt=org_today(org_request(self.request).org))
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class QuoteFilter(RecordFilterSet, _CustomerFilters):
    status = AnyOfFilter(choices=QuoteStatus.choices, help_text="Repeat for several.")
    deal = django_filters.UUIDFilter(field_name="deal_id")

    class Meta:
        model = Quote
        fields = ["status", "company", "contact", "currency", "deal"]


class PaymentFilter(_CustomerFilters):
    kind = django_filters.ChoiceFilter(choices=PaymentKind.choices)
    method = django_filters.ChoiceFilter(choices=PaymentMethod.choices)
    invoice = django_filters.UUIDFilter(field_name="allocations__invoice_id", distinct=True)
    received_after = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_before = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")

    class Meta:
        model = Payment
        fields = ["kind", "method", "company", "contact", "currency"]


class CreditNoteFilter(_CustomerFilters):
    invoice = django_filters.UUIDFilter(field_name="invoice_id")

    class Meta:
        model = CreditNote
        fields = ["invoice", "company", "contact", "currency"]
