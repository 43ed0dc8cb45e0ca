"""Widgets over the API: the kernel's record viewset and a serializer, nothing more."""

from records.serializers import RECORD_FIELDS, RECORD_READ_ONLY, RecordSerializer
from records.viewsets import RecordViewSet
from tests.widgets.models import Widget


class WidgetSerializer(RecordSerializer):
    class Meta:
        model = Widget
        fields = ["id", "name", *RECORD_FIELDS]
        read_only_fields = ["id", *RECORD_READ_ONLY]


class WidgetViewSet(RecordViewSet[Widget]):
    model = Widget
    serializer_class = WidgetSerializer
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
