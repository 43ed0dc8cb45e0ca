"""List filters of generation jobs and suggestions."""

from __future__ import annotations

import django_filters

from campaigns.ai.channels import CHANNEL_LABELS
from campaigns.ai.models import GenerationJob, JobState, Suggestion, SuggestionState


class JobFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=JobState.choices)

    class Meta:
        model = GenerationJob
        fields: list[str] = []


class SuggestionFilter(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(choices=list(CHANNEL_LABELS.items()))
    state = django_filters.ChoiceFilter(choices=SuggestionState.choices)
    job = django_filters.UUIDFilter(field_name="job_id", help_text="Only this job's suggestions.")
    language = django_filters.CharFilter()

    class Meta:
        model = Suggestion
        fields: list[str] = []
