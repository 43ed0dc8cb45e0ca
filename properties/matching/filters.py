"""List filters of saved searches."""

from __future__ import annotations

import django_filters

from properties.matching.models import Frequency, SavedSearch


class SavedSearchFilter(django_filters.FilterSet):
    owner = django_filters.UUIDFilter(field_name="owner_id", help_text="A profile id.")
    contact = django_filters.UUIDFilter(field_name="contact_id", help_text="A contact id: its requirements.")
    frequency = django_filters.ChoiceFilter(choices=Frequency.choices)
    is_active = django_filters.BooleanFilter()
    is_requirement = django_filters.BooleanFilter(
        field_name="contact", lookup_expr="isnull", exclude=True, help_text="true: requirements of contacts."
    )

    class Meta:
        model = SavedSearch
        fields = ["owner", "contact", "frequency", "is_active"]
