"""People and the companies they work for."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Lower, Upper

from common.models import RecordModel
from common.search import accent_free_trigram_index


class Address(models.Model):
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")

    class Meta:
        abstract = True


class CompanySize(models.TextChoices):
    SOLO = "1", "1"
    SMALL = "2-10", "2-10"
    MEDIUM = "11-50", "11-50"
    LARGE = "51-200", "51-200"
    XLARGE = "201-1000", "201-1000"
    ENTERPRISE = "1000+", "1000+"


class Company(RecordModel, Address):
    name = models.CharField(max_length=200)
    domain = models.CharField(max_length=200, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    size = models.CharField(max_length=10, choices=CompanySize.choices, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(max_length=300, blank=True)

    class Meta(RecordModel.Meta):
        ordering = ["name", "id"]
        verbose_name_plural = "companies"
        constraints = [
            # One company per web domain in an org, whatever the case; blank domains do not count.
            models.UniqueConstraint(
                Lower("domain"), "org", name="company_domain_ci_unique_per_org", condition=~models.Q(domain="")
            ),
        ]
        indexes = [
            *RecordModel.Meta.indexes,
            # Every column the list searches (`icontains`, i.e. UPPER(col) LIKE UPPER('%term%')) has one.
            # The default list page, in the default order (see RecordModel's list index).
            models.Index(
                fields=["org", "name", "id"],
                name="company_list_order",
                condition=models.Q(archived_at__isnull=True),
            ),
            accent_free_trigram_index("name", "company_name_trgm"),
            GinIndex(OpClass(Upper("domain"), name="gin_trgm_ops"), name="company_domain_trgm"),
            GinIndex(OpClass(Upper("phone"), name="gin_trgm_ops"), name="company_phone_trgm"),
        ]

    def __str__(self) -> str:
        return self.name


class EmailConsent(models.TextChoices):
    """Whether a person may be sent marketing email. Bounced and complained are set by the mail provider's
    feedback; only subscribed (and never asked, where the org allows it) are ever sent to."""

    SUBSCRIBED = "subscribed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    BOUNCED = "bounced", "Bounced"
    COMPLAINED = "complained", "Complained"
    NEVER_ASKED = "never_asked", "Never asked"


class Contact(RecordModel, Address):
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    secondary_email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    mobile = models.CharField(max_length=40, blank=True)
    title = models.CharField(max_length=100, blank=True)
    company = models.ForeignKey(Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts")
    source = models.CharField(max_length=50, blank=True)
    do_not_contact = models.BooleanField(default=False)
    # Marketing email consent, where it came from (a web form, an unsubscribe link, a bounce...) and when.
    email_consent = models.CharField(max_length=16, choices=EmailConsent.choices, default=EmailConsent.NEVER_ASKED)
    email_consent_source = models.CharField(max_length=40, blank=True)
    email_consent_at = models.DateTimeField(null=True, blank=True)

    class Meta(RecordModel.Meta):
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email_consent__in=EmailConsent.values), name="contact_email_consent_valid"
            ),
            # One person per email in an org, whatever the case; blank emails do not count.
            models.UniqueConstraint(
                Lower("email"), "org", name="contact_email_ci_unique_per_org", condition=~models.Q(email="")
            ),
        ]
        indexes = [
            *RecordModel.Meta.indexes,
            # Every column the list searches (`icontains`, i.e. UPPER(col) LIKE UPPER('%term%')) has one.
            # The default list page, in the default order (see RecordModel's list index).
            models.Index(
                fields=["org", "last_name", "first_name", "id"],
                name="contact_list_order",
                condition=models.Q(archived_at__isnull=True),
            ),
            accent_free_trigram_index("first_name", "contact_first_trgm"),
            accent_free_trigram_index("last_name", "contact_last_trgm"),
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="contact_email_trgm"),
            GinIndex(OpClass(Upper("phone"), name="gin_trgm_ops"), name="contact_phone_trgm"),
            GinIndex(OpClass(Upper("secondary_email"), name="gin_trgm_ops"), name="contact_email2_trgm"),
            GinIndex(OpClass(Upper("mobile"), name="gin_trgm_ops"), name="contact_mobile_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email
