"""Leads (prospects not yet converted into contacts, companies and deals) and the web forms that create them."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Upper

from common.models import BaseModel, Profile, RecordModel
from common.search import accent_free_trigram_index


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    QUALIFIED = "qualified", "Qualified"
    UNQUALIFIED = "unqualified", "Unqualified"
    CONVERTED = "converted", "Converted"
    LOST = "lost", "Lost"


# Where a lead may move by an edit (PATCH, PUT, bulk). `converted` is reached only through conversion and is
# terminal; `lost` and `unqualified` can be reopened, because prospects come back.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    LeadStatus.NEW: frozenset(
        {LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.UNQUALIFIED, LeadStatus.LOST}
    ),
    LeadStatus.CONTACTED: frozenset({LeadStatus.QUALIFIED, LeadStatus.UNQUALIFIED, LeadStatus.LOST}),
    LeadStatus.QUALIFIED: frozenset({LeadStatus.CONTACTED, LeadStatus.UNQUALIFIED, LeadStatus.LOST}),
    LeadStatus.UNQUALIFIED: frozenset({LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.LOST}),
    LeadStatus.LOST: frozenset({LeadStatus.CONTACTED, LeadStatus.QUALIFIED}),
    LeadStatus.CONVERTED: frozenset(),
}
CONVERTIBLE_STATUSES = frozenset({LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED})
# A repeat web submission with the same email lands on an open lead instead of making a duplicate.
OPEN_STATUSES = frozenset({LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.QUALIFIED, LeadStatus.UNQUALIFIED})


class LeadSource(models.TextChoices):
    WEB_FORM = "web_form", "Web form"
    API = "api", "API"
    WEBSITE = "website", "Website"
    REFERRAL = "referral", "Referral"
    PARTNER = "partner", "Partner"
    CAMPAIGN = "campaign", "Campaign"
    EVENT = "event", "Event"
    COLD_CALL = "cold_call", "Cold call"
    EMAIL = "email", "Email"
    SOCIAL = "social", "Social media"
    ADVERTISEMENT = "advertisement", "Advertisement"
    EXISTING_CUSTOMER = "existing_customer", "Existing customer"
    OTHER = "other", "Other"


class LeadRating(models.TextChoices):
    HOT = "hot", "Hot"
    WARM = "warm", "Warm"
    COLD = "cold", "Cold"


class Lead(RecordModel):
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=100, blank=True)
    company_name = models.CharField(max_length=200, blank=True)
    website = models.URLField(max_length=300, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=16, choices=LeadStatus.choices, default=LeadStatus.NEW)
    source = models.CharField(max_length=20, choices=LeadSource.choices, blank=True)
    rating = models.CharField(max_length=8, choices=LeadRating.choices, blank=True)
    estimated_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    # The services default it to the org's currency; this default only covers rows made outside them.
    currency = models.CharField(max_length=3, default="USD")
    next_follow_up_at = models.DateTimeField(null=True, blank=True)
    description = models.TextField(blank=True)
    # Marketing email consent the person gave on a web form or a listing inquiry (when, and through what);
    # conversion carries it to the contact.
    email_consent_at = models.DateTimeField(null=True, blank=True)
    email_consent_source = models.CharField(max_length=40, blank=True)

    # Set by conversion only. The lead and its deal keep each other by id (Deal.source_lead_id), not by foreign
    # key: a key either way would tie the two modules' schemas together.
    # The listing an inquiry came from (or that the lead is about); SET_NULL so a purge keeps the lead.
    listing = models.ForeignKey(
        "properties.Property", on_delete=models.SET_NULL, null=True, blank=True, related_name="leads"
    )
    converted_contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.SET_NULL, null=True, blank=True, related_name="converted_from_leads"
    )
    converted_company = models.ForeignKey(
        "contacts.Company", on_delete=models.SET_NULL, null=True, blank=True, related_name="converted_from_leads"
    )
    converted_deal_id = models.UUIDField(null=True, blank=True)
    converted_at = models.DateTimeField(null=True, blank=True)
    converted_by = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )

    class Meta(RecordModel.Meta):
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(estimated_value__isnull=True) | Q(estimated_value__gte=0),
                name="lead_estimated_value_not_negative",
            ),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="lead_currency_iso_code"),
            # Nothing can mark a lead converted without going through conversion, which stamps the time.
            models.CheckConstraint(
                condition=(Q(status=LeadStatus.CONVERTED) & Q(converted_at__isnull=False))
                | (~Q(status=LeadStatus.CONVERTED) & Q(converted_at__isnull=True)),
                name="lead_converted_iff_converted_at",
            ),
        ]
        indexes = [
            *RecordModel.Meta.indexes,
            models.Index(fields=["org", "status", "-created_at"], name="lead_status_idx"),
            models.Index(fields=["org", "next_follow_up_at"], name="lead_follow_up_idx"),
            models.Index(Lower("email"), "org", name="lead_email_ci_idx"),
            accent_free_trigram_index("first_name", "lead_first_trgm"),
            accent_free_trigram_index("last_name", "lead_last_trgm"),
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="lead_email_trgm"),
            GinIndex(OpClass(Upper("phone"), name="gin_trgm_ops"), name="lead_phone_trgm"),
            accent_free_trigram_index("company_name", "lead_company_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.company_name or self.email or str(self.pk)


class WebForm(BaseModel):
    """A public web-to-lead form of one org. Its token is `<org id>.<secret>`; only the secret's hash is kept."""

    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)
    # New leads from this form are created by and assigned to this member (or nobody).
    default_assignee = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=20, choices=LeadSource.choices, default=LeadSource.WEB_FORM)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["org", "token_hash"], name="webform_token_unique_per_org"),
        ]

    def __str__(self) -> str:
        return self.name
