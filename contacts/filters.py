"""List filters for contacts and companies."""

import django_filters

from contacts.models import Company, Contact
from records.filters import RecordFilterSet


class CompanyFilter(RecordFilterSet):
    industry = django_filters.CharFilter(lookup_expr="iexact")
    size = django_filters.CharFilter()
    country = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Company
        fields = ["industry", "size", "country"]


class ContactFilter(RecordFilterSet):
    company = django_filters.UUIDFilter(field_name="company_id")
    source = django_filters.CharFilter(lookup_expr="iexact")
    do_not_contact = django_filters.BooleanFilter()
    country = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Contact
        fields = ["company", "source", "do_not_contact", "country"]
