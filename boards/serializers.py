"""Request and response shapes of boards, columns, swimlanes, labels, cards, checklists and recurring cards."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from boards.models import (
    Board,
    BoardRole,
    Card,
    ChecklistItem,
    Column,
    Frequency,
    Label,
    RecurringCard,
    Swimlane,
    Visibility,
    WipMode,
)
from records.services import record_etag

COLOR = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False, allow_blank=True)


class Strict(serializers.Serializer):
    """A body with a key this operation does not know is a 400 `unknown_field`."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [serializers.ErrorDetail("Unknown field.", code="unknown_field")] for name in unknown}
                )
        return super().to_internal_value(data)


class BoardMemberSerializer(Strict):
    profile = serializers.UUIDField()
    role = serializers.ChoiceField(choices=BoardRole.choices, default=BoardRole.EDITOR)


class BoardWriteSerializer(Strict):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    source = serializers.CharField(  # type: ignore[assignment]  # a declared field, not Field.source
        max_length=50, required=False, allow_blank=True,
        help_text="A record module to show by its status (`deals`, `leads`, `cases`, `tasks`); empty: cards.",
    )  # fmt: skip
    source_filters = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="The module's own list filters."
    )
    members = BoardMemberSerializer(many=True, required=False)
    columns = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50,
        help_text="Column names, in order (default: To do, Doing, Done).",
    )  # fmt: skip


class BoardUpdateSerializer(Strict):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    source_filters = serializers.DictField(child=serializers.CharField(), required=False)
    members = BoardMemberSerializer(many=True, required=False)


class BoardSerializer(serializers.ModelSerializer):
    my_role = serializers.SerializerMethodField()
    etag = serializers.SerializerMethodField()

    class Meta:
        model = Board
        fields = ["id", "name", "description", "visibility", "source", "source_filters", "archived_at",
                  "created_by", "created_at", "updated_at", "my_role", "etag"]  # fmt: skip

    def get_my_role(self, board: Board) -> str | None:
        return self.context.get("roles", {}).get(board.pk)

    def get_etag(self, board: Board) -> str:
        return record_etag(board)


class ColumnWriteSerializer(Strict):
    name = serializers.CharField(max_length=100)
    color = COLOR
    wip_limit = serializers.IntegerField(min_value=1, max_value=10000, required=False, allow_null=True)
    wip_mode = serializers.ChoiceField(choices=WipMode.choices, required=False)
    is_done = serializers.BooleanField(required=False)


class ColumnUpdateSerializer(ColumnWriteSerializer):
    name = serializers.CharField(max_length=100, required=False)
    after = serializers.UUIDField(
        required=False, allow_null=True, help_text="Move the column after this one (null: first)."
    )


class ColumnSerializer(serializers.ModelSerializer):
    etag = serializers.SerializerMethodField()

    class Meta:
        model = Column
        fields = ["id", "board", "name", "color", "position", "wip_limit", "wip_mode", "is_done", "archived_at",
                  "updated_at", "etag"]  # fmt: skip

    def get_etag(self, column: Column) -> str:
        return record_etag(column)


class SwimlaneWriteSerializer(Strict):
    name = serializers.CharField(max_length=100)


class SwimlaneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Swimlane
        fields = ["id", "board", "name", "position", "archived_at"]


class LabelWriteSerializer(Strict):
    name = serializers.CharField(max_length=50)
    color = COLOR


class LabelUpdateSerializer(LabelWriteSerializer):
    name = serializers.CharField(max_length=50, required=False)


class LabelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ["id", "board", "name", "color"]


class CardFieldsSerializer(Strict):
    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(required=False, allow_blank=True, help_text="Markdown.")
    assignees = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=50)
    label_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=50)
    due_at = serializers.DateTimeField(required=False, allow_null=True)
    cover_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    link_type = serializers.CharField(
        required=False, allow_blank=True, max_length=60, help_text="A record type, e.g. `deals.deal`."
    )
    link_id = serializers.UUIDField(required=False, allow_null=True)
    swimlane = serializers.UUIDField(required=False, allow_null=True)


class CardCreateSerializer(CardFieldsSerializer):
    title = serializers.CharField(max_length=300)
    column = serializers.UUIDField()
    after = serializers.UUIDField(required=False, allow_null=True, help_text="Place it after this card.")


class CardMoveSerializer(Strict):
    column = serializers.UUIDField()
    after = serializers.UUIDField(allow_null=True, help_text="The card it goes after; null: first in the column.")
    swimlane = serializers.UUIDField(required=False, allow_null=True)


class ChecklistItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", "text", "is_done", "assignee", "position"]


class ChecklistWriteSerializer(Strict):
    text = serializers.CharField(max_length=300)
    is_done = serializers.BooleanField(required=False)
    assignee = serializers.UUIDField(required=False, allow_null=True)


class ChecklistUpdateSerializer(ChecklistWriteSerializer):
    text = serializers.CharField(max_length=300, required=False)


class CardSerializer(serializers.ModelSerializer):
    checklist = ChecklistItemSerializer(many=True, read_only=True)
    etag = serializers.SerializerMethodField()

    class Meta:
        model = Card
        fields = ["id", "board", "column", "swimlane", "position", "title", "description", "assignees",
                  "label_ids", "due_at", "cover_url", "link_type", "link_id", "archived_at", "checklist",
                  "created_by", "created_at", "updated_at", "etag"]  # fmt: skip

    def get_etag(self, card: Card) -> str:
        return record_etag(card)


class BoardDetailSerializer(serializers.Serializer):
    """A whole board in one answer (rows as plain values)."""

    board = BoardSerializer()
    members = serializers.ListField(child=serializers.DictField())
    columns = serializers.ListField(child=serializers.DictField())
    swimlanes = serializers.ListField(child=serializers.DictField())
    labels = serializers.ListField(child=serializers.DictField())
    cards = serializers.ListField(child=serializers.DictField())


class RecurringWriteSerializer(Strict):
    column = serializers.UUIDField()
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    assignees = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=50)
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    next_run_on = serializers.DateField(required=False, help_text="The first period (default: today).")
    is_active = serializers.BooleanField(required=False)


class RecurringUpdateSerializer(RecurringWriteSerializer):
    column = serializers.UUIDField(required=False)
    title = serializers.CharField(max_length=300, required=False)
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)


class RecurringSerializer(serializers.ModelSerializer):
    class Meta:
        model = RecurringCard
        fields = ["id", "board", "column", "title", "description", "assignees", "frequency", "next_run_on",
                  "is_active"]  # fmt: skip


class TemplateSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    columns = serializers.ListField(child=serializers.CharField())


class FromTemplateSerializer(Strict):
    template = serializers.CharField()
    name = serializers.CharField(max_length=200, required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)


class ViewMoveSerializer(Strict):
    record = serializers.UUIDField()
    to = serializers.CharField(help_text="The target column's value (a status, or a deal's stage id).")
    changes = serializers.DictField(
        required=False, help_text="Other fields the module's rules ask for on this move (a lost deal's reason)."
    )


class ViewMoveResponseSerializer(serializers.Serializer):
    record = serializers.DictField()
    etag = serializers.CharField()


class BoardViewSerializer(serializers.Serializer):
    source = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.source
    field = serializers.CharField()
    columns = serializers.ListField(child=serializers.DictField())
