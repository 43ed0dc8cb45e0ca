"""Org settings, ownership, deletion, members and their roles. Each service is one transaction.

An org always keeps at least one active owner: every path that could break that (demote, deactivate, remove,
leave, transfer) is refused with 409 `last_owner`, checked under a row lock on the org so two concurrent
changes cannot each remove "the other" owner.
"""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework import status

from common import registry
from common.context import org_context
from common.errors import ApiError, Conflict, NotFound
from common.models import Profile, Role
from tenants.audit import audit_record
from tenants.mail import email_send
from tenants.models import Org, OrgStatus

DATE_FORMATS = ("YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY")
DELETION_GRACE_DAYS = 30
_SETTINGS_FIELDS = ("name", "timezone", "currency", "date_format", "requires_two_factor")


def _field_error(field: str, code: str, detail: str) -> ApiError:
    return ApiError(detail, code=code, fields={field: [{"code": code, "detail": detail}]})


def _forbidden(detail: str, code: str = "permission_denied") -> ApiError:
    return ApiError(detail, code=code, status_code=status.HTTP_403_FORBIDDEN)


def _lock_org(org: Org) -> Org:
    return Org.objects.select_for_update().get(pk=org.pk)


def _active_owner_count(org: Org) -> int:
    # An owner whose account the platform deactivated cannot sign in, so they do not keep the org owned.
    return Profile.objects.filter(
        org=org, role=Role.OWNER, is_active=True, removed_at__isnull=True, user__is_active=True
    ).count()


def _refuse_if_last_owner(org: Org, profile: Profile) -> None:
    """Call with the org row locked, before `profile` stops being an active owner."""
    is_active_owner = (
        profile.role == Role.OWNER and profile.is_active and profile.removed_at is None and profile.user.is_active
    )
    if is_active_owner and _active_owner_count(org) <= 1:
        raise Conflict("An organisation must keep at least one active owner.", code="last_owner")


def orgs_owned_only_by(user: Any) -> list[Org]:
    """Active orgs that would be left with no active owner if `user` could no longer sign in; rows locked.

    Suspended and deleting orgs are left out: nobody works in them, so a platform admin may disable their owner.
    """
    owned = Org.objects.select_for_update(of=("self",)).filter(
        status=OrgStatus.ACTIVE,
        profiles__user=user,
        profiles__role=Role.OWNER,
        profiles__is_active=True,
        profiles__removed_at__isnull=True,
    )
    return [org for org in owned.order_by("slug") if _active_owner_count(org) <= 1]


# --- Settings -------------------------------------------------------------------------------------------------


def _validated_settings(changes: dict[str, Any]) -> dict[str, Any]:
    clean = {key: value for key, value in changes.items() if key in _SETTINGS_FIELDS}
    if "name" in clean:
        clean["name"] = str(clean["name"]).strip()
        if not clean["name"]:
            raise _field_error("name", "blank", "The name cannot be blank.")
    if "timezone" in clean and clean["timezone"] not in zoneinfo.available_timezones():
        raise _field_error("timezone", "invalid_choice", "Not a known IANA time zone (e.g. Europe/London).")
    if "currency" in clean:
        clean["currency"] = str(clean["currency"]).upper()
        if len(clean["currency"]) != 3 or not clean["currency"].isalpha():
            raise _field_error("currency", "invalid", "Use a three-letter ISO 4217 code (e.g. USD, EUR).")
    if "date_format" in clean and clean["date_format"] not in DATE_FORMATS:
        raise _field_error("date_format", "invalid_choice", f"Choose one of {', '.join(DATE_FORMATS)}.")
    return clean


@transaction.atomic
def org_settings_update(*, org: Org, actor: Profile, changes: dict[str, Any], ip: str | None = None) -> Org:
    locked = _lock_org(org)
    clean = _validated_settings(changes)
    diff = {key: [getattr(locked, key), value] for key, value in clean.items() if getattr(locked, key) != value}
    for key, (_, value) in diff.items():
        setattr(locked, key, value)
    if diff:
        locked.save(update_fields=[*diff, "updated_at"])
        two_factor = diff.pop("requires_two_factor", None)
        if diff:
            audit_record(org=locked, actor=actor, action="settings_changed", details={"changes": diff}, ip=ip)
        if two_factor is not None:
            action = "two_factor_requirement_enabled" if two_factor[1] else "two_factor_requirement_disabled"
            audit_record(org=locked, actor=actor, action=action, ip=ip)
    return locked


@transaction.atomic
def org_logo_set(*, org: Org, actor: Profile, upload: Any, ip: str | None = None) -> Org:
    locked = _lock_org(org)
    old = locked.logo.name if locked.logo else ""
    # Content-addressed name under the org's own folder: no user-chosen path, no collisions.
    locked.logo.save(f"{org.pk.hex}/{upload.name}", upload, save=False)
    locked.save(update_fields=["logo", "updated_at"])
    if old:
        transaction.on_commit(lambda: locked.logo.storage.delete(old))
    audit_record(
        org=locked,
        actor=actor,
        action="settings_changed",
        details={"changes": {"logo": [old, locked.logo.name]}},
        ip=ip,
    )
    return locked


@transaction.atomic
def org_logo_clear(*, org: Org, actor: Profile, ip: str | None = None) -> Org:
    locked = _lock_org(org)
    old = locked.logo.name if locked.logo else ""
    if old:
        storage = locked.logo.storage
        locked.logo = ""
        locked.save(update_fields=["logo", "updated_at"])
        transaction.on_commit(lambda: storage.delete(old))
        audit_record(
            org=locked, actor=actor, action="settings_changed", details={"changes": {"logo": [old, ""]}}, ip=ip
        )
    return locked


# --- Ownership and deletion -----------------------------------------------------------------------------------


@transaction.atomic
def org_ownership_transfer(*, org: Org, actor: Profile, to_profile_id: Any, ip: str | None = None) -> Profile:
    """The target becomes an owner; the acting owner steps down to admin."""
    locked = _lock_org(org)
    target = member_get(org=locked, profile_id=to_profile_id, for_update=True)
    if target.pk == actor.pk:
        raise _field_error("profile_id", "invalid", "You already own this organisation.")
    if not target.is_active or target.removed_at is not None or not target.user.is_active:
        # The acting owner steps down, so handing over to someone who cannot sign in leaves no active owner.
        raise Conflict(
            "Ownership can only go to an active member: the organisation must keep an active owner.",
            code="last_owner",
        )
    me = Profile.objects.select_for_update().get(pk=actor.pk)
    target.role = Role.OWNER
    target.save(update_fields=["role", "updated_at"])
    me.role = Role.ADMIN
    me.save(update_fields=["role", "updated_at"])
    audit_record(
        org=locked,
        actor=actor,
        action="ownership_transferred",
        target_type="profile",
        target_id=target.pk,
        details={"from": str(actor.pk), "to": str(target.pk)},
        ip=ip,
    )
    return target


def org_deletion_request(
    *, org: Org, actor: Profile, confirm_slug: str, ip: str | None = None, by_platform: bool = False
) -> Org:
    if confirm_slug != org.slug:
        raise _field_error("confirm", "confirmation_mismatch", "Type the organisation's slug to confirm.")
    with transaction.atomic():
        locked = _lock_org(org)
        if locked.status == OrgStatus.DELETING:
            raise Conflict("Deletion is already scheduled.", code="already_deleting")
        now = timezone.now()
        locked.status = OrgStatus.DELETING
        locked.deletion_requested_at = now
        locked.deletion_scheduled_for = now + timedelta(days=DELETION_GRACE_DAYS)
        locked.deletion_requested_by = actor.user
        locked.save(
            update_fields=[
                "status",
                "deletion_requested_at",
                "deletion_scheduled_for",
                "deletion_requested_by",
                "updated_at",
            ]
        )
        audit_record(
            org=locked,
            actor=actor,
            action="deletion_requested",
            details={"scheduled_for": locked.deletion_scheduled_for.isoformat()},
            ip=ip,
        )
        for owner in Profile.objects.filter(org=locked, role=Role.OWNER, is_active=True).select_related("user"):
            email_send(
                to=owner.user.email,
                template="org_deletion_scheduled",
                context={
                    "org_name": locked.name,
                    "scheduled_for": locked.deletion_scheduled_for.date().isoformat(),
                },
                org_id=locked.pk,
            )
    return locked


@transaction.atomic
def org_deletion_cancel(*, org_id: Any, user: Any, ip: str | None = None) -> Org:
    """Public-scope on purpose: while deleting, the org refuses tenant requests, so the owner cancels here."""
    org = Org.objects.select_for_update().filter(pk=org_id).first()
    owner = (
        Profile.objects.filter(
            org=org, user=user, role=Role.OWNER, is_active=True, removed_at__isnull=True
        ).first()
        if org
        else None
    )
    if org is None or owner is None:
        raise NotFound()
    if org.status != OrgStatus.DELETING:
        raise Conflict("This organisation is not scheduled for deletion.", code="not_deleting")
    if not Profile.objects.filter(org=org, user_id=org.deletion_requested_by_id).exists():
        # Scheduled by the platform (possibly after a suspension): only the platform can take it back.
        raise Conflict(
            "The platform scheduled this deletion; contact support to cancel it.", code="deletion_by_platform"
        )
    org.status = OrgStatus.ACTIVE
    org.deletion_requested_at = org.deletion_scheduled_for = None
    org.deletion_requested_by = None
    org.save(
        update_fields=[
            "status",
            "deletion_requested_at",
            "deletion_scheduled_for",
            "deletion_requested_by",
            "updated_at",
        ]
    )
    audit_record(org=org, actor=owner, action="deletion_cancelled", ip=ip)
    return org


# --- Members --------------------------------------------------------------------------------------------------


def members_of(org: Org, *, include_removed: bool = False) -> QuerySet[Profile]:
    queryset = Profile.objects.filter(org=org).select_related("user")
    if not include_removed:
        queryset = queryset.filter(removed_at__isnull=True)
    return queryset.order_by("user__email")


def members_search(queryset: QuerySet[Profile], term: str) -> QuerySet[Profile]:
    return queryset.filter(Q(user__email__icontains=term) | Q(user__name__icontains=term))


def member_get(*, org: Org, profile_id: Any, for_update: bool = False) -> Profile:
    queryset = Profile.objects.filter(org=org, pk=profile_id).select_related("user")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        profile = queryset.first()
    except Exception:  # a malformed id is simply not found
        profile = None
    if profile is None:
        raise NotFound()
    return profile


def _check_may_manage(actor: Profile, target: Profile) -> None:
    """Admins manage everyone below owner; only owners touch owners."""
    if target.role == Role.OWNER and actor.role != Role.OWNER:
        raise _forbidden("Only an owner can change another owner.")


def _notify(profile: Profile, template: str, org: Org, **context: Any) -> None:
    email_send(to=profile.user.email, template=template, context={"org_name": org.name, **context}, org_id=org.pk)


@transaction.atomic
def member_role_change(*, org: Org, actor: Profile, profile_id: Any, role: str, ip: str | None = None) -> Profile:
    locked = _lock_org(org)
    target = member_get(org=locked, profile_id=profile_id, for_update=True)
    _check_may_manage(actor, target)
    if role == Role.OWNER and actor.role != Role.OWNER:
        raise _forbidden("Only an owner can make someone an owner.")
    if target.removed_at is not None:
        raise NotFound()
    if target.role == role:
        return target
    if role != Role.OWNER:
        _refuse_if_last_owner(locked, target)
    old = target.role
    target.role = role
    target.save(update_fields=["role", "updated_at"])
    audit_record(
        org=locked, actor=actor, action="member_role_changed", target_type="profile", target_id=target.pk,
        details={"role": [old, role]}, ip=ip,
    )  # fmt: skip
    _notify(
        target, "role_changed", locked, old_role=old, new_role=role, actor_name=actor.user.name or actor.user.email
    )
    return target


@transaction.atomic
def member_set_active(
    *, org: Org, actor: Profile, profile_id: Any, is_active: bool, ip: str | None = None
) -> Profile:
    locked = _lock_org(org)
    target = member_get(org=locked, profile_id=profile_id, for_update=True)
    _check_may_manage(actor, target)
    if target.removed_at is not None:
        raise NotFound()
    if target.is_active == is_active:
        return target
    if not is_active:
        _refuse_if_last_owner(locked, target)
    target.is_active = is_active
    target.save(update_fields=["is_active", "updated_at"])
    action = "member_reactivated" if is_active else "member_deactivated"
    audit_record(org=locked, actor=actor, action=action, target_type="profile", target_id=target.pk, ip=ip)
    return target


def open_records_reassign(*, org: Org, from_profile: Profile, to_profile: Profile) -> dict[str, int]:
    """Every installed module hands the member's open records to another, in the caller's transaction and
    inside the org's context. Returns how many records each module moved."""
    reassigners = sorted(registry.reassigners().items())
    return {module: reassign(org, from_profile, to_profile) for module, reassign in reassigners}


def _reassign(org: Org, source: Profile, to_profile_id: Any) -> dict[str, int]:
    destination = member_get(org=org, profile_id=to_profile_id)
    if destination.pk == source.pk:
        raise _field_error("reassign_to", "invalid", "Choose another member.")
    if not destination.is_active or destination.removed_at is not None:
        raise _field_error("reassign_to", "member_inactive", "Records can only go to an active member.")
    with org_context(org):
        # Every installed module hands on the member's open records, in this one transaction.
        return {
            name: reassign(org, source, destination) for name, reassign in sorted(registry.reassigners().items())
        }


@transaction.atomic
def member_remove(
    *, org: Org, actor: Profile, profile_id: Any, reassign_to: Any = None, ip: str | None = None
) -> dict[str, int]:
    """Soft: the profile stays, so the member's records and history still show who they were."""
    locked = _lock_org(org)
    target = member_get(org=locked, profile_id=profile_id, for_update=True)
    if target.pk != actor.pk:
        _check_may_manage(actor, target)
    if target.removed_at is not None:
        raise NotFound()
    _refuse_if_last_owner(locked, target)
    reassigned = _reassign(locked, target, reassign_to) if reassign_to else {}
    target.is_active = False
    target.removed_at = timezone.now()
    target.save(update_fields=["is_active", "removed_at", "updated_at"])
    action = "member_left" if target.pk == actor.pk else "member_removed"
    audit_record(
        org=locked, actor=actor, action=action, target_type="profile", target_id=target.pk,
        details={"reassigned": reassigned, "reassigned_to": str(reassign_to or "")}, ip=ip,
    )  # fmt: skip
    if target.pk != actor.pk:
        _notify(target, "member_removed", locked, actor_name=actor.user.name or actor.user.email)
    return reassigned


@transaction.atomic
def member_reassign_records(
    *, org: Org, actor: Profile, profile_id: Any, reassign_to: Any, ip: str | None = None
) -> dict[str, int]:
    source = member_get(org=org, profile_id=profile_id)
    reassigned = _reassign(org, source, reassign_to)
    audit_record(
        org=org, actor=actor, action="records_reassigned", target_type="profile", target_id=source.pk,
        details={"reassigned": reassigned, "reassigned_to": str(reassign_to)}, ip=ip,
    )  # fmt: skip
    return reassigned


def role_at_most(actor_role: str, role: str) -> bool:
    return Role(role).rank <= Role(actor_role).rank


def deletion_is_due(org: Org) -> bool:
    return (
        org.status == OrgStatus.DELETING
        and org.deletion_scheduled_for is not None
        and org.deletion_scheduled_for <= timezone.now()
    )
