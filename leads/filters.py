"""List filters for leads: every status-like field, owner and assignee, tags, and the date ranges."""

import django_filters

from common.filters import RecordFilterSet
from leads.models import Lead, LeadRating, LeadSource, LeadStatus


class LeadFilter(RecordFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=LeadStatus.choices, help_text="Repeat for several.")
    source = django_filters.MultipleChoiceFilter(choices=LeadSource.choices, help_text="Repeat for several.")
    rating = django_filters.MultipleChoiceFilter(choices=LeadRating.choices, help_text="Repeat for several.")
    industry = django_filters.CharFilter(lookup_expr="iexact")
    next_follow_up_after = django_filters.IsoDateTimeFilter(field_name="next_follow_up_at", lookup_expr="gte")
    next_follow_up_before = django_filters.IsoDateTimeFilter(field_name="next_follow_up_at", lookup_expr="lt")
    converted_after = django_filters.IsoDateTimeFilter(field_name="converted_at", lookup_expr="gte")
    converted_before = django_filters.IsoDateTimeFilter(field_name="converted_at", lookup_expr="lt")

    class Meta:
        model = Lead
        fields = ["status", "source", "rating", "industry"]
