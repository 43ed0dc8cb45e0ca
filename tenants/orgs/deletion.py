"""An org's deletion: an owner asks for it, may cancel it during the grace period, and then it is purged."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_exists

from common.context import schema_connection
from common.errors import Conflict, NotFound, field_error
from common.models import Profile, Role
from tenants.accounts.reauthentication import reauthentication_confirm
from tenants.audit import audit_record, platform_audit_record
from tenants.mail import email_send
from tenants.models import ApiKey, Domain, Invitation, Org, OrgDeletionRecord, OrgStatus
from tenants.orgs.services import org_lock
from tenants.pipeline.tasks import OrgTask

logger = logging.getLogger("crm.tenants")

DELETION_GRACE_DAYS = 30


# --- Asked for, or taken back, by an owner --------------------------------------------------------------------


def org_deletion_request(
    *,
    org: Org,
    actor: Profile,
    confirm_slug: str,
    password: str = "",
    code: str = "",
    ip: str | None = None,
    by_platform: bool = False,
) -> Org:
    """The owner proves who they are again (password, or a 2FA code) and types the slug."""
    if confirm_slug != org.slug:
        raise field_error("confirm", "confirmation_mismatch", "Type the organisation's slug to confirm.")
    reauthentication_confirm(user=actor.user, password=password, code=code, ip=ip)
    with transaction.atomic():
        locked = org_lock(org)
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


# --- The end of the grace period: drop the schema, keep a record, remove the memberships ----------------------


@transaction.atomic
def org_purge(*, org_id: object) -> OrgDeletionRecord | None:
    """Idempotent: an org already gone, or no longer due, is left alone."""
    org = Org.objects.select_for_update().filter(pk=org_id).first()
    if org is None or org.status != OrgStatus.DELETING or org.deletion_scheduled_for is None:
        return None
    if org.deletion_scheduled_for > timezone.now():
        return None
    schema_connection.set_schema_to_public()
    members = Profile.objects.filter(org=org)
    record = OrgDeletionRecord.objects.create(
        org_id=org.pk,
        name=org.name,
        slug=org.slug,
        schema_name=org.schema_name,
        member_count=members.count(),
        requested_by_user_id=org.deletion_requested_by_id,
        requested_at=org.deletion_requested_at,
    )
    audit_record(org=org, actor=None, action="org_deleted", details={"schema": org.schema_name})
    platform_audit_record(actor=None, action="org_deleted", org_id=org.pk, details={"slug": org.slug})
    Invitation.objects.filter(org=org).delete()
    ApiKey.objects.filter(org=org).delete()
    Domain.objects.filter(tenant=org).delete()
    members.delete()
    if schema_exists(org.schema_name):
        org.delete(force_drop=True)  # DROP SCHEMA ... CASCADE, in this same transaction
    else:
        org.delete()
    return record


@shared_task(base=OrgTask, name="tenants.purge_due_orgs")
def purge_due_orgs() -> int:
    """Beat runs this hourly; each due org is purged in its own transaction."""
    due = Org.objects.filter(status=OrgStatus.DELETING, deletion_scheduled_for__lte=timezone.now())
    purged = 0
    for org_id in due.values_list("pk", flat=True):
        if org_purge(org_id=org_id) is not None:
            purged += 1
            logger.info("purged org %s after its deletion grace period", org_id)
    return purged
