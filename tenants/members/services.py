"""Members of an org, their roles and the org's ownership. Each service is one transaction.

An org always keeps at least one active owner: every path that could break that (demote, deactivate, remove,
leave, transfer) is refused with 409 `last_owner`, checked under a row lock on the org so two concurrent
changes cannot each remove "the other" owner.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from rest_framework import status

from common import registry
from common.context import org_context
from common.errors import ApiError, Conflict, NotFound, field_error
from common.models import Profile, Role
from tenants.accounts.reauthentication import reauthentication_confirm
from tenants.audit import audit_record
from tenants.mail import email_send
from tenants.members.selectors import member_get
from tenants.models import Org, OrgStatus
from tenants.orgs.services import org_lock


def _forbidden(detail: str, code: str = "permission_denied") -> ApiError:
    return ApiError(detail, code=code, status_code=status.HTTP_403_FORBIDDEN)


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


# --- Ownership ------------------------------------------------------------------------------------------------


@transaction.atomic
def org_ownership_transfer(
    *, org: Org, actor: Profile, to_profile_id: Any, password: str = "", code: str = "", ip: str | None = None
) -> Profile:
    """The target becomes an owner; the acting owner steps down to admin. The owner proves who they are again
    (password, or a 2FA code) first."""
    reauthentication_confirm(user=actor.user, password=password, code=code, ip=ip)
    locked = org_lock(org)
    target = member_get(org=locked, profile_id=to_profile_id, for_update=True)
    if target.pk == actor.pk:
        raise field_error("profile_id", "invalid", "You already own this organisation.")
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


# --- Members --------------------------------------------------------------------------------------------------


def _check_may_manage(actor: Profile, target: Profile) -> None:
    """Admins manage everyone below owner; only owners touch owners."""
    if target.role == Role.OWNER and actor.role != Role.OWNER:
        raise _forbidden("Only an owner can change another owner.")


def _notify(profile: Profile, template: str, org: Org, **context: Any) -> None:
    email_send(to=profile.user.email, template=template, context={"org_name": org.name, **context}, org_id=org.pk)


@transaction.atomic
def member_role_change(*, org: Org, actor: Profile, profile_id: Any, role: str, ip: str | None = None) -> Profile:
    locked = org_lock(org)
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
    locked = org_lock(org)
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
        raise field_error("reassign_to", "invalid", "Choose another member.")
    if not destination.is_active or destination.removed_at is not None:
        raise field_error("reassign_to", "member_inactive", "Records can only go to an active member.")
    with org_context(org):
        return open_records_reassign(org=org, from_profile=source, to_profile=destination)


@transaction.atomic
def member_remove(
    *, org: Org, actor: Profile, profile_id: Any, reassign_to: Any = None, ip: str | None = None
) -> dict[str, int]:
    """Soft: the profile stays, so the member's records and history still show who they were."""
    locked = org_lock(org)
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
