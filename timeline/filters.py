"""List filters for comments, attachments and notifications."""

from __future__ import annotations

import uuid
from typing import Any

import django_filters
from django.db.models import QuerySet

from records.filters import IsoDateTimeFilter
from timeline.models import Attachment, Comment, Notification, NotificationKind


class _DateRangeFilterSet(django_filters.FilterSet):
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")


class CommentFilter(_DateRangeFilterSet):
    author = django_filters.UUIDFilter(field_name="created_by_id", help_text="A profile id.")
    parent = django_filters.UUIDFilter(field_name="parent_id", help_text="Replies in this thread.")
    is_reply = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull", exclude=True)
    mentions = django_filters.UUIDFilter(method="filter_mentions", help_text="Comments mentioning this profile.")
    is_deleted = django_filters.BooleanFilter(field_name="deleted_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Comment
        fields: list[str] = []

    def filter_mentions(self, queryset: QuerySet[Any], name: str, value: uuid.UUID) -> QuerySet[Any]:
        return queryset.filter(mentions__contains=[value])


class AttachmentFilter(_DateRangeFilterSet):
    author = django_filters.UUIDFilter(field_name="created_by_id", help_text="A profile id.")
    content_type = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Attachment
        fields: list[str] = []


class NotificationFilter(_DateRangeFilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", help_text="true: unread only."
    )
    kind = django_filters.ChoiceFilter(choices=NotificationKind.choices)
    target_type = django_filters.CharFilter()
    target_id = django_filters.UUIDFilter()

    class Meta:
        model = Notification
        fields: list[str] = []
