"""Sales pipelines, their ordered stages, and the deals that move through them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import models

from common.models import BaseModel, Profile, RecordModel
from common.search import accent_free_trigram_index


class Pipeline(BaseModel):
    """A sales process of the org. Exactly one is the default (where new and converted deals land)."""

    name = models.CharField(max_length=100)
    is_default = models.BooleanField(default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "name"], name="pipeline_name_unique_per_org"),
            # Two defaults would make "where does a converted lead go" a coin toss.
            models.UniqueConstraint(
                fields=["org"], condition=models.Q(is_default=True), name="pipeline_one_default_per_org"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StageKind(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


CLOSED_KINDS = (StageKind.WON, StageKind.LOST)


class Stage(BaseModel):
    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    probability = models.PositiveSmallIntegerField(default=0, help_text="Chance of winning, 0-100 (%).")
    kind = models.CharField(max_length=8, choices=StageKind.choices, default=StageKind.OPEN)

    class Meta:
        ordering = ["pipeline_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "pipeline", "name"], name="stage_name_unique_per_pipeline"),
            models.CheckConstraint(
                condition=models.Q(probability__gte=0, probability__lte=100), name="stage_probability_0_100"
            ),
            models.CheckConstraint(condition=models.Q(kind__in=StageKind.values), name="stage_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.kind in CLOSED_KINDS


class Deal(RecordModel):
    name = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, help_text="ISO 4217; the org's currency unless given.")
    # PROTECT: a stage or pipeline with deals (archived ones too) cannot vanish from under them.
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals")
    expected_close_date = models.DateField(null=True, blank=True)
    # SET_NULL: purging a contact or company must not fail or take the sales history with it.
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="deals"
    )
    company = models.ForeignKey(
        "contacts.Company", on_delete=models.SET_NULL, null=True, blank=True, related_name="deals"
    )
    # The listing the deal is about and, for a lease of part of a building, the space; SET_NULL for purges.
    listing = models.ForeignKey(
        "properties.Property", on_delete=models.SET_NULL, null=True, blank=True, related_name="deals"
    )
    space = models.ForeignKey(
        "properties.Space", on_delete=models.SET_NULL, null=True, blank=True, related_name="deals"
    )
    owner = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    lost_reason = models.CharField(max_length=300, blank=True)
    # Set by deals.services only, when the deal enters a won or lost stage; cleared when it reopens.
    closed_at = models.DateTimeField(null=True, blank=True)
    source_lead_id = models.UUIDField(null=True, blank=True)

    class Meta(RecordModel.Meta):
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="deal_amount_not_negative"),
            # A lead converts into one deal; a retried conversion must not make a second one.
            models.UniqueConstraint(
                fields=["org", "source_lead_id"],
                condition=models.Q(source_lead_id__isnull=False),
                name="deal_one_per_source_lead",
            ),
        ]
        indexes = [
            *RecordModel.Meta.indexes,
            accent_free_trigram_index("name", "deal_name_trgm"),
            models.Index(fields=["org", "expected_close_date"], name="deal_expected_close"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def weighted_amount(self) -> Decimal:
        return (self.amount * self.stage.probability / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
