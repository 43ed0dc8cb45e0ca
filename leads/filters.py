"""List filters for leads: every status-like field, owner and assignee, tags, and the date ranges."""

import django_filters

from leads.models import Lead, LeadRating, LeadSource, LeadStatus
from records.filters import AnyOfFilter, IsoDateTimeFilter, RecordFilterSet


class LeadFilter(RecordFilterSet):
    status = AnyOfFilter(choices=LeadStatus.choices, help_text="Repeat for several.")
    source = AnyOfFilter(choices=LeadSource.choices, help_text="Repeat for several.")
    rating = AnyOfFilter(choices=LeadRating.choices, help_text="Repeat for several.")
    industry = django_filters.CharFilter(lookup_expr="iexact")
    property = django_filters.UUIDFilter(field_name="listing_id", help_text="A listing's id.")
    next_follow_up_after = IsoDateTimeFilter(field_name="next_follow_up_at", lookup_expr="gte")
    next_follow_up_before = IsoDateTimeFilter(field_name="next_follow_up_at", lookup_expr="lt")
    converted_after = IsoDateTimeFilter(field_name="converted_at", lookup_expr="gte")
    converted_before = IsoDateTimeFilter(field_name="converted_at", lookup_expr="lt")

    class Meta:
        model = Lead
        fields = ["status", "source", "rating", "industry", "property"]
