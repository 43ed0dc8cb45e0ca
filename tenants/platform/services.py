"""Platform administration: the lifecycle of orgs and users, and impersonation. Each is one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework import status
from rest_framework_simplejwt.tokens import AccessToken
from rest_framework_simplejwt.utils import datetime_from_epoch

from common.errors import ApiError, Conflict, NotFound, field_error
from common.models import Profile, Role, User
from common.tokens import IMPERSONATED_ORG_CLAIM, IMPERSONATOR_CLAIM, TOKEN_VERSION_CLAIM
from tenants.accounts.sessions import user_sessions_ended
from tenants.accounts.two_factor import PLATFORM_TWO_FACTOR_REQUIRED, platform_two_factor_blocks
from tenants.audit import audit_record, platform_audit_record
from tenants.mail import email_send
from tenants.members.services import orgs_owned_only_by
from tenants.models import Org, OrgStatus, PlatformAuditEvent
from tenants.orgs.deletion import DELETION_GRACE_DAYS
from tenants.platform.selectors import uuid_or_none

IMPERSONATION_LIFETIME = timedelta(minutes=15)

# Pool members and the template are machinery, not customers: listed only on request, never acted upon.
RESERVED_STATUSES = (OrgStatus.POOLED, OrgStatus.TEMPLATE)


def _require_platform_admin(actor: User) -> None:
    # Views are already behind the route table; this keeps the services safe from any other caller too.
    if not (actor.is_active and actor.is_platform_admin):
        raise NotFound()
    if platform_two_factor_blocks(actor):
        raise ApiError(
            PLATFORM_TWO_FACTOR_REQUIRED, code="two_factor_required", status_code=status.HTTP_403_FORBIDDEN
        )


# --- Orgs -----------------------------------------------------------------------------------------------------


def _lock_customer_org(org_id: Any) -> Org:
    org_pk = uuid_or_none(org_id)
    org = Org.objects.select_for_update().filter(pk=org_pk).first() if org_pk else None
    if org is None:
        raise NotFound()
    if org.status in RESERVED_STATUSES:
        raise Conflict("Pool and template schemas are not customer organisations.", code="org_reserved")
    return org


def _audit_both(
    *, org: Org, actor: User, action: str, ip: str | None, details: dict[str, Any] | None = None, **target: Any
) -> None:
    """A platform action is in the platform log and in the org's own log, where its admins can see it."""
    details = {**(details or {}), "by_platform": True}
    platform_audit_record(actor=actor, action=action, org_id=org.pk, details=details, ip=ip, **target)
    audit_record(org=org, actor=actor, action=action, details=details, ip=ip, **target)


@transaction.atomic
def org_suspend(*, actor: User, org_id: Any, reason: str = "", ip: str | None = None) -> Org:
    """Every tenant request of the org gets 403 `org_suspended` and it sends no email, from the commit on."""
    _require_platform_admin(actor)
    org = _lock_customer_org(org_id)
    if org.status == OrgStatus.SUSPENDED:
        raise Conflict("This organisation is already suspended.", code="already_suspended")
    if org.status == OrgStatus.DELETING:
        raise Conflict("This organisation is scheduled for deletion; cancel that first.", code="org_deleting")
    org.status = OrgStatus.SUSPENDED
    org.save(update_fields=["status", "updated_at"])
    _audit_both(org=org, actor=actor, action="org_suspended", ip=ip, details={"reason": reason})
    return org


@transaction.atomic
def org_ai_quota_set(*, actor: User, org_id: Any, quota: int | None, ip: str | None = None) -> Org:
    """The org's monthly AI token quota; None returns it to the platform default (settings)."""
    _require_platform_admin(actor)
    org = _lock_customer_org(org_id)
    if org.ai_monthly_token_quota != quota:
        old = org.ai_monthly_token_quota
        org.ai_monthly_token_quota = quota
        org.save(update_fields=["ai_monthly_token_quota", "updated_at"])
        _audit_both(
            org=org, actor=actor, action="ai_quota_changed", ip=ip, details={"changes": {"quota": [old, quota]}}
        )
    return org


@transaction.atomic
def org_reactivate(*, actor: User, org_id: Any, ip: str | None = None) -> Org:
    _require_platform_admin(actor)
    org = _lock_customer_org(org_id)
    if org.status == OrgStatus.DELETING:
        raise Conflict("This organisation is scheduled for deletion; cancel that instead.", code="org_deleting")
    if org.status != OrgStatus.SUSPENDED:
        raise Conflict("This organisation is not suspended.", code="not_suspended")
    org.status = OrgStatus.ACTIVE
    org.save(update_fields=["status", "updated_at"])
    _audit_both(org=org, actor=actor, action="org_reactivated", ip=ip)
    return org


_DELETION_FIELDS = [
    "status",
    "deletion_requested_at",
    "deletion_scheduled_for",
    "deletion_requested_by",
    "updated_at",
]


@transaction.atomic
def org_deletion_schedule(*, actor: User, org_id: Any, confirm_slug: str, ip: str | None = None) -> Org:
    """The owner's grace rules: `deleting` now, dropped after DELETION_GRACE_DAYS unless cancelled."""
    _require_platform_admin(actor)
    org = _lock_customer_org(org_id)
    if confirm_slug != org.slug:
        raise field_error("confirm", "confirmation_mismatch", "Type the organisation's slug to confirm.")
    if org.status == OrgStatus.DELETING:
        raise Conflict("Deletion is already scheduled.", code="already_deleting")
    previous_status = org.status
    now = timezone.now()
    org.status = OrgStatus.DELETING
    org.deletion_requested_at = now
    org.deletion_scheduled_for = now + timedelta(days=DELETION_GRACE_DAYS)
    org.deletion_requested_by = actor
    org.save(update_fields=_DELETION_FIELDS)
    scheduled_for = org.deletion_scheduled_for.isoformat()
    details = {"scheduled_for": scheduled_for, "previous_status": previous_status}
    _audit_both(org=org, actor=actor, action="deletion_requested", ip=ip, details=details)
    # A suspended org sends no email, and a deletion does not lift that.
    owners_to_tell = (
        Profile.objects.none()
        if previous_status == OrgStatus.SUSPENDED
        else Profile.objects.filter(org=org, role=Role.OWNER, is_active=True, removed_at__isnull=True)
    )
    for owner in owners_to_tell.select_related("user"):
        email_send(
            to=owner.user.email,
            template="org_deletion_scheduled",
            context={"org_name": org.name, "scheduled_for": org.deletion_scheduled_for.date().isoformat()},
            org_id=org.pk,
        )
    return org


def _status_before_deletion(org: Org) -> str:
    """Suspended stays suspended: a cancelled deletion must not be a way out of a suspension.

    Read from the platform log entry of this very request (written after `deletion_requested_at` was set); a
    deletion an owner requested started from an active org."""
    event = (
        PlatformAuditEvent.objects.filter(
            org_id=org.pk, action="deletion_requested", created_at__gte=org.deletion_requested_at
        )
        .order_by("-created_at")
        .first()
        if org.deletion_requested_at
        else None
    )
    previous = event.details.get("previous_status") if event else None
    return OrgStatus.SUSPENDED if previous == OrgStatus.SUSPENDED else OrgStatus.ACTIVE


@transaction.atomic
def org_deletion_unschedule(*, actor: User, org_id: Any, ip: str | None = None) -> Org:
    _require_platform_admin(actor)
    org = _lock_customer_org(org_id)
    if org.status != OrgStatus.DELETING:
        raise Conflict("This organisation is not scheduled for deletion.", code="not_deleting")
    restored = _status_before_deletion(org)
    org.status = restored
    org.deletion_requested_at = org.deletion_scheduled_for = None
    org.deletion_requested_by = None
    org.save(update_fields=_DELETION_FIELDS)
    _audit_both(org=org, actor=actor, action="deletion_cancelled", ip=ip, details={"status": restored})
    return org


# --- Users ----------------------------------------------------------------------------------------------------


def _lock_user(user_id: Any) -> User:
    user_pk = uuid_or_none(user_id)
    user = User.objects.select_for_update().filter(pk=user_pk).first() if user_pk else None
    if user is None:
        raise NotFound()
    return user


def _audit_user_change(*, actor: User, user: User, action: str, ip: str | None) -> None:
    """In the platform log, and in the log of every org the user belongs to (their admins see why)."""
    platform_audit_record(actor=actor, action=action, target_type="user", target_id=user.pk, ip=ip)
    for profile in Profile.objects.filter(user=user, removed_at__isnull=True).select_related("org"):
        audit_record(
            org=profile.org, actor=actor, action=action, target_type="profile", target_id=profile.pk,
            details={"by_platform": True}, ip=ip,
        )  # fmt: skip


@transaction.atomic
def user_deactivate(*, actor: User, user_id: Any, ip: str | None = None) -> User:
    """Across the platform: sign-in refused, and every token issued before dies on its next use."""
    _require_platform_admin(actor)
    user = _lock_user(user_id)
    if user.pk == actor.pk:
        raise Conflict("You cannot deactivate your own account.", code="cannot_deactivate_self")
    if not user.is_active:
        raise Conflict("This user is already inactive.", code="already_inactive")
    sole_owner_of = orgs_owned_only_by(user)
    if sole_owner_of:
        slugs = ", ".join(org.slug for org in sole_owner_of)
        raise Conflict(
            f"This user is the only active owner of {slugs}: make another member an owner, or suspend the "
            "organisation, first.",
            code="last_owner",
        )
    user.is_active = False
    user.token_version += 1
    user.save(update_fields=["is_active", "token_version", "updated_at"])
    user_sessions_ended(user_id=user.pk)
    _audit_user_change(actor=actor, user=user, action="user_deactivated", ip=ip)
    return user


@transaction.atomic
def user_reactivate(*, actor: User, user_id: Any, ip: str | None = None) -> User:
    """Sign-in works again; tokens from before the deactivation stay dead (their version is old)."""
    _require_platform_admin(actor)
    user = _lock_user(user_id)
    if user.is_active:
        raise Conflict("This user is already active.", code="already_active")
    user.is_active = True
    user.save(update_fields=["is_active", "updated_at"])
    _audit_user_change(actor=actor, user=user, action="user_reactivated", ip=ip)
    return user


@transaction.atomic
def user_platform_admin_set(*, actor: User, user_id: Any, is_platform_admin: bool, ip: str | None = None) -> User:
    """Granting or revoking the platform flag: the only way anyone becomes a platform admin, and audited."""
    _require_platform_admin(actor)
    user = _lock_user(user_id)
    if user.pk == actor.pk and not is_platform_admin:
        raise Conflict("You cannot revoke your own platform access.", code="cannot_revoke_self")
    if user.is_platform_admin == is_platform_admin:
        return user
    user.is_platform_admin = is_platform_admin
    user.save(update_fields=["is_platform_admin", "updated_at"])
    action = "platform_admin_granted" if is_platform_admin else "platform_admin_revoked"
    platform_audit_record(actor=actor, action=action, target_type="user", target_id=user.pk, ip=ip)
    return user


# --- Impersonation --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Impersonation:
    access: str
    expires_at: datetime
    profile: Profile
    org: Org


def impersonation_token_for(admin: User, profile: Profile) -> tuple[str, datetime]:
    """A short access token acting as `profile`'s user, good only in `profile`'s org, naming `admin`.

    Built like a login's access token (same user id and version claims), so revoking the user's tokens revokes
    it too; it has no refresh token and cannot be extended.
    """
    token = AccessToken.for_user(profile.user)
    token[TOKEN_VERSION_CLAIM] = profile.user.token_version
    token[IMPERSONATOR_CLAIM] = str(admin.pk)
    token[IMPERSONATED_ORG_CLAIM] = str(profile.org_id)
    token.set_exp(from_time=token.current_time, lifetime=IMPERSONATION_LIFETIME)
    return str(token), datetime_from_epoch(token["exp"])


@transaction.atomic
def impersonation_start(
    *, actor: User, org_id: Any, profile_id: Any, reason: str = "", ip: str | None = None
) -> Impersonation:
    """Only an active member of a serviceable org, and never a platform admin (no admin acts as another)."""
    _require_platform_admin(actor)
    org_pk = uuid_or_none(org_id)
    org = Org.objects.filter(pk=org_pk).first() if org_pk else None
    if org is None:
        raise NotFound()
    if org.status != OrgStatus.ACTIVE:
        code = {OrgStatus.SUSPENDED: "org_suspended", OrgStatus.DELETING: "org_deleting"}.get(org.status)
        raise Conflict("Only an active organisation can be entered.", code=code or "org_reserved")
    profile_pk = uuid_or_none(profile_id)
    profile = (
        Profile.objects.select_related("user", "org").filter(org=org, pk=profile_pk).first()
        if profile_pk
        else None
    )
    if profile is None or profile.removed_at is not None:
        raise field_error("profile_id", "does_not_exist", "No such member in this organisation.")
    if not (profile.is_active and profile.user.is_active):
        raise Conflict("This member is inactive.", code="membership_inactive")
    if profile.user.is_platform_admin:
        raise ApiError(
            "Platform admins cannot be impersonated.",
            code="cannot_impersonate_platform_admin",
            status_code=status.HTTP_403_FORBIDDEN,
        )
    access, expires_at = impersonation_token_for(actor, profile)
    details = {
        "profile_id": str(profile.pk),
        "user_id": str(profile.user_id),
        "email": profile.user.email,
        "role": profile.role,
        "reason": reason,
        "expires_at": expires_at.isoformat(),
    }
    platform_audit_record(
        actor=actor, action="impersonation_started", org_id=org.pk, target_type="profile", target_id=profile.pk,
        details=details, ip=ip,
    )  # fmt: skip
    audit_record(
        org=org, actor=actor, action="impersonation_started", target_type="profile", target_id=profile.pk,
        details=details, ip=ip, impersonator_user_id=actor.pk,
    )  # fmt: skip
    return Impersonation(access=access, expires_at=expires_at, profile=profile, org=org)
