"""Request and response shapes of campaigns, their budgets, spend, assets and report."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from campaigns import budgets, selectors
from campaigns.models import (
    ApprovalState,
    Asset,
    AssetKind,
    BudgetLine,
    BudgetPeriod,
    Campaign,
    Channel,
    SpendEntry,
)
from properties.models import Property
from records.fields import OrgProfileField, OrgProfileListField
from records.serializers import RECORD_FIELDS, RECORD_READ_ONLY, RecordSerializer
from tenants.pipeline.context import org_request, org_request_or_none

PROPERTIES_MAX = 100


class OrgMomentField(serializers.DateTimeField):
    """A moment read and shown in the org's time zone: a time without an offset is the org's local time, and
    every time comes back with the org's offset (the same instant whatever offset it was sent with)."""

    def default_timezone(self) -> datetime.tzinfo:
        request = self.context.get("request")
        resolved = org_request_or_none(request) if request is not None else None
        return budgets.org_zone(resolved.org if resolved is not None else None)


class OrgPropertyIdsField(serializers.ListField):
    """Listings of the request's org, by id; one query for the whole list. An archived listing, one of another
    org or a random id is `does_not_exist` alike, except a listing the campaign already markets, which may be
    sent back unchanged."""

    default_error_messages = {"does_not_exist": 'Invalid pk "{pk_value}" - object does not exist.'}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", serializers.UUIDField())
        kwargs.setdefault("max_length", PROPERTIES_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[uuid.UUID]:
        values = list(dict.fromkeys(super().to_internal_value(data)))
        campaign = getattr(self.parent, "instance", None)
        kept = set(campaign.property_ids) if isinstance(campaign, Campaign) else set()
        asked = [value for value in values if value not in kept]
        if asked:
            org = org_request(self.context["request"]).org
            live = Property.objects.for_org(org).filter(pk__in=asked, archived_at__isnull=True)
            known = set(live.values_list("pk", flat=True))
            for value in asked:
                if value not in known:
                    self.fail("does_not_exist", pk_value=value)
        return values


class ChannelListField(serializers.ListField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("child", serializers.ChoiceField(choices=Channel.choices))
        kwargs.setdefault("max_length", len(Channel.values))
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        chosen = set(super().to_internal_value(data))
        return [channel for channel in Channel.values if channel in chosen]  # de-duplicated, in a fixed order


class CampaignSerializer(RecordSerializer):
    channels = ChannelListField(
        required=False,
        help_text="Any of: email, google_ads, facebook, instagram, linkedin, x, sms, whatsapp "
        "(sms and whatsapp get copy only).",
    )
    property_ids = OrgPropertyIdsField(
        required=False, help_text="The listings it markets: property ids of this org."
    )
    owner = OrgProfileField(source="owner_id", required=False, help_text="A profile id; default: the creator.")
    watchers = OrgProfileListField(required=False, help_text="Profile ids told of status changes and comments.")
    starts_at = OrgMomentField(
        required=False,
        allow_null=True,
        help_text="Without an offset: the org's local time. Shown in the org's zone.",
    )
    ends_at = OrgMomentField(
        required=False, allow_null=True, help_text="After `starts_at`; the org's zone as well."
    )
    timezone = serializers.SerializerMethodField(help_text="The org's time zone the dates and budget days are in.")

    class Meta:
        model = Campaign
        fields = [
            "id", "name", "objective", "channels", "property_ids", "owner", "watchers", "starts_at", "ends_at",
            "timezone", "status", "currency", "description", *RECORD_FIELDS,
        ]  # fmt: skip
        read_only_fields = ["id", "currency", *RECORD_READ_ONLY]
        extra_kwargs = {"name": {"required": True}}

    def get_timezone(self, campaign: Campaign) -> str:
        field = self.fields["starts_at"]
        assert isinstance(field, OrgMomentField)
        return str(field.default_timezone())


class BudgetLineFiguresSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    channel = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    period = serializers.CharField()
    planned = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="Over the campaign's days.")
    planned_to_date = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Up to and including today."
    )


class FiguresSerializer(serializers.Serializer):
    planned = serializers.DecimalField(max_digits=16, decimal_places=2)
    planned_to_date = serializers.DecimalField(max_digits=16, decimal_places=2)
    spent = serializers.DecimalField(max_digits=16, decimal_places=2)
    remaining = serializers.DecimalField(max_digits=16, decimal_places=2, help_text="Negative once overspent.")
    percent_spent = serializers.DecimalField(
        max_digits=16, decimal_places=2, allow_null=True, help_text="Of `planned`; null with nothing planned."
    )
    pacing = serializers.CharField(
        allow_null=True, help_text="ahead, on_track or behind (within 10% of the plan to date is on track); null "
        "without dates or budget."
    )  # fmt: skip


class ChannelFiguresSerializer(FiguresSerializer):
    channel = serializers.CharField()


class BudgetSummarySerializer(serializers.Serializer):
    currency = serializers.CharField()
    today = serializers.DateField(help_text="In the org's time zone.")
    first_day = serializers.DateField(allow_null=True)
    last_day = serializers.DateField(allow_null=True)
    days = serializers.IntegerField()
    days_elapsed = serializers.IntegerField()
    lines = BudgetLineFiguresSerializer(many=True)
    channels = ChannelFiguresSerializer(many=True)
    total = FiguresSerializer()


class AssetCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    by_state = serializers.DictField(child=serializers.IntegerField())
    by_kind = serializers.DictField(child=serializers.IntegerField())


class CampaignDetailSerializer(CampaignSerializer):
    """One campaign with its budget, pacing and asset counts (read through the campaign selectors)."""

    budget = serializers.SerializerMethodField()
    assets = serializers.SerializerMethodField()

    class Meta(CampaignSerializer.Meta):
        fields = [*CampaignSerializer.Meta.fields, "budget", "assets"]

    @extend_schema_field(BudgetSummarySerializer)
    def get_budget(self, campaign: Campaign) -> dict[str, Any]:
        org = org_request(self.context["request"]).org
        body = selectors.budget_summary_body(selectors.budget_summary(org=org, campaign=campaign))
        return dict(BudgetSummarySerializer(body).data)

    @extend_schema_field(AssetCountsSerializer)
    def get_assets(self, campaign: Campaign) -> dict[str, Any]:
        return selectors.asset_counts(org=org_request(self.context["request"]).org, campaign=campaign)


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"), **kwargs)


class BudgetLineSerializer(serializers.ModelSerializer):
    channel = serializers.ChoiceField(choices=Channel.choices, help_text="One of the campaign's channels.")
    amount = _money(help_text="Per `period`, in the campaign's currency.")
    period = serializers.ChoiceField(choices=BudgetPeriod.choices, required=False)

    class Meta:
        model = BudgetLine
        fields = ["id", "campaign", "channel", "amount", "period", "created_at", "updated_at"]
        read_only_fields = ["id", "campaign", "created_at", "updated_at"]
        validators: list[object] = []


class BudgetLineChangeSerializer(serializers.Serializer):
    amount = _money(required=False)
    period = serializers.ChoiceField(choices=BudgetPeriod.choices, required=False)


class SpendEntrySerializer(serializers.ModelSerializer):
    spent_on = serializers.DateField(help_text="The org-local day it was spent; not after today.")
    channel = serializers.ChoiceField(choices=Channel.choices, help_text="One of the campaign's channels.")
    amount = _money(help_text="In the campaign's currency.")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    class Meta:
        model = SpendEntry
        fields = [
            "id",
            "campaign",
            "spent_on",
            "channel",
            "amount",
            "note",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "campaign", "created_by", "created_at", "updated_at"]


class SpendChangeSerializer(serializers.Serializer):
    spent_on = serializers.DateField(required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    amount = _money(required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class AssetSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(help_text="Uploads only; null for a linked listing image.")
    decided_by = serializers.UUIDField(source="decided_by_id", read_only=True, allow_null=True)

    class Meta:
        model = Asset
        fields = [
            "id", "campaign", "kind", "alt_text", "file_name", "content_type", "size", "sha256", "width", "height",
            "property_image_id", "approval_state", "approval_note", "decided_by", "decided_at", "download_url",
            "created_by", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_download_url(self, asset: Asset) -> str | None:
        if asset.is_link:
            return None
        return f"/api/campaigns/{asset.campaign_id}/assets/{asset.pk}/download/"


class AssetCreateSerializer(serializers.Serializer):
    """Either a file (multipart) or a listing image to link (`property_image_id`), never both."""

    file = serializers.FileField(
        required=False, allow_empty_file=True, help_text="PNG, JPEG, GIF, WebP, PDF, MP4, QuickTime or WebM."
    )
    property_image_id = serializers.UUIDField(
        required=False, help_text="A listing image to use instead of a file."
    )
    kind = serializers.ChoiceField(choices=AssetKind.choices, required=False, default=AssetKind.OTHER)
    alt_text = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "file" in attrs and "property_image_id" in attrs:
            raise serializers.ValidationError(
                {"property_image_id": "Send a file or a listing image, not both."}, code="invalid"
            )
        return attrs


class AssetChangeSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AssetKind.choices, required=False)
    alt_text = serializers.CharField(max_length=300, required=False, allow_blank=True)


class AssetDecisionSerializer(serializers.Serializer):
    approval_state = serializers.ChoiceField(
        choices=ApprovalState.choices, help_text="approved or rejected; draft reopens it."
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReportCampaignSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    objective = serializers.CharField()
    status = serializers.CharField()
    channels = serializers.ListField(child=serializers.CharField())
    starts_at = OrgMomentField(allow_null=True, help_text="In the org's time zone.")
    ends_at = OrgMomentField(allow_null=True, help_text="In the org's time zone.")
    timezone = serializers.CharField()


class CampaignReportSerializer(serializers.Serializer):
    campaign = ReportCampaignSerializer()
    budget = BudgetSummarySerializer()
    ai_usage = serializers.DictField(
        allow_null=True, help_text="From the AI-copy module (jobs and tokens); null while it is not installed."
    )
    assets = AssetCountsSerializer()
    sends = serializers.DictField(
        allow_null=True,
        help_text="Email send figures: `count`, `totals` and `sends` (each with its figures); null without sends.",
    )
    generated_at = serializers.DateTimeField()
