"""Marketing campaigns: the campaign record, its budget lines and spend, and its creative assets."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q

from common.models import BaseModel, Profile, RecordModel
from common.search import accent_free_trigram_index


class Objective(models.TextChoices):
    AWARENESS = "awareness", "Awareness"
    LEAD_GENERATION = "lead_generation", "Lead generation"
    LEASE_UP = "lease_up", "Lease-up"
    SALE = "sale", "Sale"
    OPEN_HOUSE = "open_house", "Open house"
    EVENT = "event", "Event"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    GOOGLE_ADS = "google_ads", "Google Ads"
    FACEBOOK = "facebook", "Facebook"
    INSTAGRAM = "instagram", "Instagram"
    LINKEDIN = "linkedin", "LinkedIn"
    X = "x", "X"
    # Copy only: the CRM writes the text, the agency sends it with its own tools.
    SMS = "sms", "SMS"
    WHATSAPP = "whatsapp", "WhatsApp"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Campaign(RecordModel):
    name = models.CharField(max_length=200)
    objective = models.CharField(max_length=20, choices=Objective.choices, default=Objective.AWARENESS)
    channels = ArrayField(models.CharField(max_length=20, choices=Channel.choices), default=list, blank=True)
    # The listings it markets: ids of this org's properties, checked when written (an array like `assigned_to`,
    # so the record kernel diffs, exports and filters it as any other field).
    property_ids = ArrayField(models.UUIDField(), default=list, blank=True)
    owner = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    # Profile ids told of status changes and comments.
    watchers = ArrayField(models.UUIDField(), default=list, blank=True)
    # Instants; the org's time zone says which calendar days they cover (budgets are planned per day).
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT)
    # Budgets and spend are in this currency: the org's when the campaign was made.
    currency = models.CharField(max_length=3, help_text="ISO 4217; the org's currency.")
    description = models.TextField(blank=True)

    assignment_notification_kind: ClassVar[str] = "assigned"

    class Meta(RecordModel.Meta):
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CampaignStatus.values), name="campaign_status_valid"),
            models.CheckConstraint(condition=Q(objective__in=Objective.values), name="campaign_objective_valid"),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=models.F("starts_at")),
                name="campaign_ends_after_start",
            ),
        ]
        indexes = [
            *RecordModel.Meta.indexes,
            accent_free_trigram_index("name", "campaign_name_trgm"),
            GinIndex(fields=["property_ids"], name="campaign_property_ids"),
            GinIndex(fields=["watchers"], name="campaign_watchers"),
            # The schedule sweep: scheduled ones by start, active ones by end.
            models.Index(fields=["status", "starts_at"], name="campaign_schedule"),
            models.Index(fields=["status", "ends_at"], name="campaign_schedule_end"),
        ]

    def __str__(self) -> str:
        return self.name


class BudgetPeriod(models.TextChoices):
    DAILY = "daily", "Per day"
    WEEKLY = "weekly", "Per week"
    MONTHLY = "monthly", "Per calendar month"
    QUARTERLY = "quarterly", "Per calendar quarter"
    ANNUAL = "annual", "Per calendar year"


def _money() -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=2)


class BudgetLine(BaseModel):
    """What a campaign may spend on one channel, as a rate per period (campaigns.budgets spreads it over the
    campaign's days). In the campaign's currency; one line per channel."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="budget_lines")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    amount = _money()
    period = models.CharField(max_length=12, choices=BudgetPeriod.choices, default=BudgetPeriod.DAILY)

    class Meta:
        ordering = ["channel", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "campaign", "channel"], name="budget_line_one_per_channel"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_line_amount_positive"),
            models.CheckConstraint(condition=Q(period__in=BudgetPeriod.values), name="budget_line_period_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="budget_line_channel_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.amount} {self.period}"


class SpendEntry(BaseModel):
    """Money spent on a channel on one (org-local) day, in the campaign's currency."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="spend_entries")
    spent_on = models.DateField()
    channel = models.CharField(max_length=20, choices=Channel.choices)
    amount = _money()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-spent_on", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="spend_entry_amount_positive"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="spend_entry_channel_valid"),
        ]
        indexes = [models.Index(fields=["campaign", "channel", "spent_on"], name="spend_entry_campaign")]

    def __str__(self) -> str:
        return f"{self.channel} {self.amount} on {self.spent_on}"


# The budget an alert is about: one channel's, or this one for the whole campaign.
TOTAL_SCOPE = "total"


class BudgetAlert(BaseModel):
    """That a budget was overspent and the owner told: the unique row is what makes it once."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="budget_alerts")
    scope = models.CharField(max_length=20, help_text="A channel, or `total`.")
    planned = _money()
    spent = _money()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "campaign", "scope"], name="budget_alert_once_per_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} over budget"


class AssetKind(models.TextChoices):
    HERO_IMAGE = "hero_image", "Hero image"
    SOCIAL_IMAGE = "social_image", "Social post image"
    BANNER = "banner", "Banner"
    BROCHURE = "brochure", "Brochure"
    FLOOR_PLAN = "floor_plan", "Floor plan"
    LOGO = "logo", "Logo"
    VIDEO = "video", "Video"
    OTHER = "other", "Other"


class ApprovalState(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


def asset_upload_to(instance: Asset, filename: str) -> str:
    """campaign-assets/<org id>/<asset id>/<safe name>: one folder per org, one per file."""
    folder = f"campaign-assets/{uuid.UUID(str(instance.org_id)).hex}/{uuid.UUID(str(instance.pk)).hex}"
    return f"{folder}/{filename or 'file'}"


class Asset(BaseModel):
    """A creative of a campaign: a file uploaded for it (checked by content) or a link to one of the listing
    images (never uploaded twice). Managers and above approve or reject it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField(max_length=20, choices=AssetKind.choices, default=AssetKind.OTHER)
    alt_text = models.CharField(max_length=300, blank=True)
    # An upload: the stored file and what its content says it is.
    file = models.FileField(upload_to=asset_upload_to, max_length=300, blank=True)
    file_name = models.CharField(max_length=120, blank=True)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    # Or a listing image (properties.media), by id, checked through its selector when linked.
    property_image_id = models.UUIDField(null=True, blank=True)
    approval_state = models.CharField(max_length=10, choices=ApprovalState.choices, default=ApprovalState.DRAFT)
    approval_note = models.CharField(max_length=500, blank=True)
    decided_by = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approval_state__in=ApprovalState.values), name="asset_approval_state_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=AssetKind.values), name="asset_kind_valid"),
            # A file or a listing image, never both, never neither.
            models.CheckConstraint(
                condition=(Q(property_image_id__isnull=True) & ~Q(file=""))
                | (Q(property_image_id__isnull=False) & Q(file="")),
                name="asset_file_or_listing_image",
            ),
            models.UniqueConstraint(
                fields=["org", "campaign", "sha256"], condition=~Q(sha256=""), name="asset_file_once_per_campaign"
            ),
            models.UniqueConstraint(
                fields=["org", "campaign", "property_image_id"],
                condition=Q(property_image_id__isnull=False),
                name="asset_listing_image_once_per_campaign",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "-created_at"], name="asset_campaign")]

    def __str__(self) -> str:
        return self.file_name or f"listing image {self.property_image_id}"

    @property
    def is_link(self) -> bool:
        return self.property_image_id is not None
