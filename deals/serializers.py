"""Request and response shapes of deals, pipelines and stages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from common.fields import CurrencyField
from common.models import BaseModel
from contacts.models import Company, Contact
from deals.models import Deal, Pipeline, Stage
from properties.fields import ListingSummarySerializer, PropertyRelatedField, SpaceRelatedField
from records.fields import OrgProfileField, OrgScopedRelatedField
from records.serializers import RECORD_FIELDS, RECORD_READ_ONLY, RecordSerializer
from tenants.pipeline.context import org_request


class OrgConfigRelatedField(serializers.PrimaryKeyRelatedField):
    """The id of one of the org's configuration objects (a pipeline, a stage), looked up inside the request's
    org only. Unlike records these have no owner or archive, so every member may name any of them; an id of
    another org is `does_not_exist`, exactly like a random one."""

    def __init__(self, model: type[BaseModel], **kwargs: Any) -> None:
        self.model = model
        kwargs.setdefault("queryset", model.all_orgs_unsafe.none())  # replaced per request in get_queryset
        kwargs.setdefault("pk_field", serializers.UUIDField())
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        return self.model.objects.for_org(org_request(self.context["request"]).org)

    def to_representation(self, value: Any) -> Any:
        return str(value.pk) if hasattr(value, "pk") else str(value)


# --- Pipelines and stages ----------------------------------------------------------------------------------


class PipelineStageSerializer(serializers.ModelSerializer):
    probability = serializers.IntegerField(
        min_value=0, max_value=100, required=False, help_text="Chance of winning (%); 100 for won, 0 otherwise."
    )

    class Meta:
        model = Stage
        fields = ["id", "name", "position", "probability", "kind"]
        read_only_fields = ["id", "position"]
        validators: list[object] = []  # name uniqueness is the service's 409


class PipelineSerializer(serializers.ModelSerializer):
    stages = PipelineStageSerializer(
        many=True, required=False, help_text="In order. Omitted on create: the standard sales stages."
    )

    class Meta:
        model = Pipeline
        fields = ["id", "name", "is_default", "position", "stages", "created_at", "updated_at"]
        read_only_fields = ["id", "position", "created_at", "updated_at"]
        validators: list[object] = []

    def validate_stages(self, stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(stages) > 50:
            raise serializers.ValidationError("At most 50 stages.", code="max_length")
        return stages


PIPELINE_POSITION_MAX = 100_000


class PipelineUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Pipeline
        fields = ["name", "is_default", "position"]
        validators: list[object] = []
        # A new pipeline goes after the last one: a position near the column's limit would leave it no room.
        extra_kwargs = {"position": {"max_value": PIPELINE_POSITION_MAX}}


class StageReorderSerializer(serializers.Serializer):
    stage_ids = serializers.ListField(
        child=serializers.UUIDField(), min_length=1, max_length=50, help_text="Every stage, in the new order."
    )


# --- Deals -------------------------------------------------------------------------------------------------


class DealContactSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "first_name", "last_name", "email"]
        read_only_fields = fields


class DealCompanySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "name"]
        read_only_fields = fields


class DealSerializer(RecordSerializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0), required=False)
    currency = CurrencyField(
        min_length=3, max_length=3, required=False, help_text="ISO 4217; the org's currency when omitted."
    )
    weighted_amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, help_text="amount x the stage's probability."
    )
    pipeline = OrgConfigRelatedField(Pipeline, required=False, help_text="Default: the stage's, or the default.")
    stage = OrgConfigRelatedField(
        Stage, required=False, help_text="Must belong to the pipeline. Default: its first open stage."
    )
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    # A plain string, not an enum: the stage's `kind` enum is declared once, on the stage.
    stage_kind = serializers.CharField(source="stage.kind", read_only=True, help_text="open, won or lost")
    probability = serializers.IntegerField(source="stage.probability", read_only=True)
    owner = OrgProfileField(source="owner_id", required=False, help_text="A profile id; default: the creator.")
    contact = OrgScopedRelatedField(Contact, required=False, allow_null=True)
    contact_summary = DealContactSummarySerializer(source="contact", read_only=True, allow_null=True)
    company = OrgScopedRelatedField(Company, required=False, allow_null=True)
    company_summary = DealCompanySummarySerializer(source="company", read_only=True, allow_null=True)
    property = PropertyRelatedField(
        source="listing", required=False, allow_null=True, help_text="The listing the deal is about."
    )
    property_summary = ListingSummarySerializer(source="listing", read_only=True, allow_null=True)
    space = SpaceRelatedField(
        required=False, allow_null=True, help_text="A space of the listing; a space alone names its listing too."
    )
    lost_reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text="Required to move into a lost stage."
    )

    class Meta:
        model = Deal
        fields = [
            "id", "name", "amount", "currency", "weighted_amount", "pipeline", "stage", "stage_name", "stage_kind",
            "probability", "expected_close_date", "owner", "contact", "contact_summary", "company",
            "company_summary", "property", "property_summary", "space", "lost_reason", "closed_at",
            "source_lead_id", *RECORD_FIELDS,
        ]  # fmt: skip
        read_only_fields = ["id", "closed_at", "source_lead_id", *RECORD_READ_ONLY]


class DealMoveSerializer(serializers.Serializer):
    stage = OrgConfigRelatedField(Stage, help_text="A stage of the deal's pipeline.")
    lost_reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, help_text="Required for a lost stage."
    )


class DealSummaryPipelineSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class DealSummaryTotalSerializer(serializers.Serializer):
    currency = serializers.CharField()
    count = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    weighted_amount = serializers.DecimalField(max_digits=20, decimal_places=2)


class DealSummaryStageSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text="open, won or lost")
    probability = serializers.IntegerField()
    position = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Deals in this stage, all currencies.")
    totals = DealSummaryTotalSerializer(many=True, help_text="Per currency.")


class DealSummarySerializer(serializers.Serializer):
    pipeline = DealSummaryPipelineSerializer(allow_null=True)
    stages = DealSummaryStageSerializer(many=True)
    open_totals = DealSummaryTotalSerializer(many=True, help_text="Open stages only, per currency: the forecast.")
