"""Organisations (tenants, one PostgreSQL schema each) and their optional hostnames."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.timezone import now
from django_tenants.models import DomainMixin, TenantMixin

from common.ids import uuid7
from common.models import Profile, Role, User


class OrgStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    DELETING = "deleting", "Deleting"
    # The fully migrated schema that new orgs can be cloned from; never served to anyone.
    TEMPLATE = "template", "Template"
    # A ready, fully migrated spare schema waiting to be claimed by a sign-up; never served to anyone.
    POOLED = "pooled", "Pooled"


def schema_name_for(org_id: Any) -> str:
    """Derived from the id, never from user text, so no name can collide or need quoting."""
    return f"org_{org_id.hex}"


class Org(TenantMixin):
    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=63, unique=True)
    status = models.CharField(max_length=16, choices=OrgStatus.choices, default=OrgStatus.ACTIVE)
    logo = models.ImageField(upload_to="org-logos/", blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    currency = models.CharField(max_length=3, default="USD")
    date_format = models.CharField(max_length=16, default="YYYY-MM-DD")
    requires_two_factor = models.BooleanField(default=False)
    # The least role that may export record lists as CSV: exports are how data leaves an agency.
    export_min_role = models.CharField(max_length=16, choices=Role.choices, default=Role.MANAGER)
    # The language AI copy is written in unless a request names another (an AI_LANGUAGES code).
    language = models.CharField(max_length=8, default="en")
    # Websites allowed to call the public listing API from a browser (CORS), as exact origins.
    public_origins = models.JSONField(default=list, blank=True)
    # Set by the platform; null means settings.AI_MONTHLY_TOKEN_QUOTA.
    ai_monthly_token_quota = models.PositiveIntegerField(null=True, blank=True)
    # Deletion has a grace period: requested -> `deleting` until `deletion_scheduled_for`, then dropped.
    deletion_requested_at = models.DateTimeField(null=True, blank=True)
    deletion_scheduled_for = models.DateTimeField(null=True, blank=True)
    deletion_requested_by = models.ForeignKey(
        "common.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_activity_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    # Provisioning decides how a schema is made (tenants.orgs.provisioning); a plain save never migrates.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]
        # Sign-up's pool claim and the platform's status filter look orgs up by status among many rows.
        indexes = [models.Index(fields=["status", "created_at"], name="org_status_created_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def is_active(self) -> bool:
        return self.status == OrgStatus.ACTIVE


class Domain(DomainMixin):
    """An optional hostname for an org. Requests pick their org by the `org` header, not by host."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)


class Invitation(models.Model):
    """An invitation to join an org with a role; the token is shown once (in the email) and stored hashed."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)
    last_sent_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["org", "email"], name="invitation_org_email_idx")]

    def __str__(self) -> str:
        return f"{self.email} to {self.org_id} as {self.role}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now()


class ApiKey(models.Model):
    """An org's integration key: shown once, stored hashed, found by its visible prefix."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    org = models.ForeignKey(Org, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    role = models.CharField(max_length=16, choices=Role.choices)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class AccountTokenPurpose(models.TextChoices):
    VERIFY_EMAIL = "verify_email", "Verify email"
    PASSWORD_RESET = "password_reset", "Password reset"


class AccountToken(models.Model):
    """A single-use emailed link token (email verification, password reset), stored hashed."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="account_tokens")
    purpose = models.CharField(max_length=32, choices=AccountTokenPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose"], name="account_token_user_idx")]

    def __str__(self) -> str:
        return f"{self.purpose} for {self.user_id}"


class AuditEvent(models.Model):
    """The org audit log: who did what, when, from where. Kept after the org is gone (no foreign keys)."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    org_id = models.UUIDField(db_index=True)
    actor_user_id = models.UUIDField(null=True, blank=True)
    actor_email = models.EmailField(max_length=254, blank=True)
    # Set when a platform admin acted through impersonation.
    impersonator_user_id = models.UUIDField(null=True, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["org_id", "-created_at"], name="audit_org_created_idx")]

    def __str__(self) -> str:
        return f"{self.action} in {self.org_id}"


class PlatformAuditEvent(models.Model):
    """What platform admins did, across orgs, including every request made while impersonating."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    actor_user_id = models.UUIDField(null=True, blank=True)
    actor_email = models.EmailField(max_length=254, blank=True)
    action = models.CharField(max_length=64)
    org_id = models.UUIDField(null=True, blank=True, db_index=True)
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_email}"


class OrgDeletionRecord(models.Model):
    """What remains of an org after its grace period ended and its schema was dropped."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    org_id = models.UUIDField(unique=True)
    name = models.CharField(max_length=200)
    slug = models.CharField(max_length=63)
    schema_name = models.CharField(max_length=63)
    member_count = models.PositiveIntegerField(default=0)
    requested_by_user_id = models.UUIDField(null=True, blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    dropped_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"deleted {self.slug}"
