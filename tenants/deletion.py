"""The end of an org's deletion grace period: drop its schema, keep a record, remove its memberships."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_exists

from common.context import schema_connection
from common.models import Profile
from tenants.audit import audit_record, platform_audit_record
from tenants.models import ApiKey, Domain, Invitation, Org, OrgDeletionRecord, OrgStatus
from tenants.pipeline.tasks import OrgTask

logger = logging.getLogger("crm.tenants")


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
