"""Who signs in (User), where they belong (Profile), and the BaseModel every tenant record inherits."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from common.context import require_active_org
from common.ids import uuid7
from common.roles import Role

__all__ = ["BaseModel", "Profile", "RecordModel", "RecoveryCode", "Role", "User"]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields["is_platform_admin"] = True
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser):
    """A person who signs in with an email. Platform admins are users with `is_platform_admin`, nothing else."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_platform_admin = models.BooleanField(default=False)
    # Bumped to revoke every access and refresh token issued before (password change, "sign out everywhere").
    token_version = models.PositiveIntegerField(default=0)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    # TOTP: the confirmed secret (2FA is on once two_factor_enabled_at is set) and one awaiting confirmation.
    two_factor_secret = models.CharField(max_length=64, blank=True)
    two_factor_pending_secret = models.CharField(max_length=64, blank=True)
    two_factor_enabled_at = models.DateTimeField(null=True, blank=True)
    # Notification kinds this person does not want by email (they still appear in the app).
    email_opt_outs = ArrayField(models.CharField(max_length=32), default=list, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def has_two_factor(self) -> bool:
        return self.two_factor_enabled_at is not None

    # The Django admin is for platform admins only; there is no other staff or permission model.
    @property
    def is_staff(self) -> bool:
        return self.is_platform_admin

    @property
    def is_superuser(self) -> bool:
        return self.is_platform_admin

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_active and self.is_platform_admin

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and self.is_platform_admin


class RecoveryCode(models.Model):
    """A single-use 2FA recovery code, stored hashed."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=128)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "used_at"], name="recovery_user_used_idx")]

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class Profile(models.Model):
    """A user's membership of one org, with a role; a request's acting member is one. Never hard-deleted."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="profiles")
    org = models.ForeignKey("tenants.Org", on_delete=models.PROTECT, related_name="profiles")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    # Removal is soft: the member's records and history keep pointing at this row and show who they were.
    removed_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "org"], name="profile_user_org_unique")]
        ordering = ["joined_at"]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.org_id} as {self.role}"


# --- Tenant records -----------------------------------------------------------------------------------------


class OrgMismatch(RuntimeError):
    """A tenant row was about to be written for an org other than the active one."""


class TenantQuerySet(models.QuerySet):
    def for_org(self, org: Any) -> TenantQuerySet:
        return self.filter(org=org)


class TenantManager(models.Manager):
    """Fail-closed: with no active org it refuses to build a query at all, so an unscoped read cannot happen."""

    def get_queryset(self) -> TenantQuerySet:
        org = require_active_org()
        return TenantQuerySet(self.model, using=self._db).filter(org=org)

    def for_org(self, org: Any) -> TenantQuerySet:
        return TenantQuerySet(self.model, using=self._db).filter(org=org)

    def none(self) -> TenantQuerySet:
        """Empty whatever org is active (tools such as the schema generator ask for it with none)."""
        return TenantQuerySet(self.model, using=self._db).none()

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        objs = list(objs)
        org = require_active_org()
        for obj in objs:
            obj.assign_or_check_org(org)
        return super().bulk_create(objs, *args, **kwargs)


class AllOrgsManager(models.Manager):
    """Every org's rows at once. Only for platform-wide jobs that iterate orgs on purpose; never in a request."""


class BaseModel(models.Model):
    """UUID key, audit fields and `org`: the second fence behind the schema.

    Foreign keys to public tables carry no database constraint and never cascade: Django's delete collector
    cannot follow them across schemas, and on Citus such constraints slow every new tenant down.
    """

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    org = models.ForeignKey(
        "tenants.Org", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )

    objects = TenantManager()
    all_orgs_unsafe = AllOrgsManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        # An invariant guard, not business logic: a row can only be written for the org that is active.
        self.assign_or_check_org(require_active_org())
        super().save(*args, **kwargs)

    def assign_or_check_org(self, org: Any) -> None:
        if self.org_id is None:
            self.org = org
        elif self.org_id != org.pk:
            raise OrgMismatch(f"{type(self).__name__} belongs to org {self.org_id}, but org {org.pk} is active.")


class RecordModel(BaseModel):
    """A business record (lead, contact, deal, case, task...): assignable, taggable, archivable, extensible.

    `assigned_to` holds profile ids (an array with a GIN index: visibility is one indexed `@>` test, no join);
    every id in it is checked against the org when written.
    """

    assigned_to = ArrayField(models.UUIDField(), default=list, blank=True)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        Profile, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )

    # What the new assignees of this kind of record are notified as.
    assignment_notification_kind: ClassVar[str] = "assigned"
    # Every member of the org reads every record of this type (an agency's shared inventory, its listings);
    # who may change one still follows the record's rule (records.visibility.may_write).
    members_read_all: ClassVar[bool] = False

    class Meta:
        abstract = True
        indexes = [
            GinIndex(fields=["assigned_to"], name="%(app_label)s_%(class)s_assignee"),
            GinIndex(fields=["tags"], name="%(app_label)s_%(class)s_tags"),
            GinIndex(fields=["custom_fields"], name="%(app_label)s_%(class)s_cf"),
            # The default list page: live rows newest first. Partial on `archived_at IS NULL` because the planner
            # does not read an IS NULL test as an equality, so (org, archived_at, created_at) cannot give the
            # order and every first page sorted the whole table. A model with another default order adds its own.
            models.Index(
                fields=["org", "-created_at", "-id"],
                name="%(app_label)s_%(class)s_list",
                condition=models.Q(archived_at__isnull=True),
            ),
        ]

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None
