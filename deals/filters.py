"""List filters for deals (also applied to the summary)."""

import django_filters

from deals.models import Deal, StageKind
from records.filters import IsoDateTimeFilter, RecordFilterSet


class DealFilter(RecordFilterSet):
    pipeline = django_filters.UUIDFilter(field_name="pipeline_id")
    stage = django_filters.UUIDFilter(field_name="stage_id")
    stage_kind = django_filters.ChoiceFilter(field_name="stage__kind", choices=StageKind.choices)
    owner = django_filters.UUIDFilter(field_name="owner_id", help_text="A profile id.")
    contact = django_filters.UUIDFilter(field_name="contact_id")
    company = django_filters.UUIDFilter(field_name="company_id")
    property = django_filters.UUIDFilter(field_name="listing_id", help_text="A listing's id.")
    space = django_filters.UUIDFilter(field_name="space_id")
    source_lead = django_filters.UUIDFilter(field_name="source_lead_id", help_text="The converted lead's id.")
    currency = django_filters.CharFilter(lookup_expr="iexact")
    amount_min = django_filters.NumberFilter(field_name="amount", lookup_expr="gte", help_text="Included.")
    amount_max = django_filters.NumberFilter(field_name="amount", lookup_expr="lte", help_text="Included.")
    expected_close_after = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="gte", help_text="A date, included."
    )
    expected_close_before = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="lte", help_text="A date, included."
    )
    closed_after = IsoDateTimeFilter(field_name="closed_at", lookup_expr="gte")
    closed_before = IsoDateTimeFilter(field_name="closed_at", lookup_expr="lt")

    class Meta:
        model = Deal
        fields = [
            "pipeline", "stage", "stage_kind", "owner", "contact", "company", "property", "space", "source_lead",
            "currency",
        ]  # fmt: skip
