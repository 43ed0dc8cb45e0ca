"""Leads follow a contact or company when it is merged into another (called by contacts.services)."""

from __future__ import annotations

from django.db import transaction

from common import records
from common.models import Profile, RecordModel
from leads.models import Lead
from tenants.models import Org


def lead_references_move(*, org: Org, actor: Profile, gone: RecordModel, kept: RecordModel) -> int:
    """Every lead converted into `gone` (archived leads too) points at `kept` instead, each change on the
    lead's timeline. Returns how many leads moved."""
    links = [
        field for field in Lead._meta.concrete_fields if field.is_relation and field.related_model is type(gone)
    ]
    moved = 0
    with transaction.atomic():
        for link in links:
            for lead in Lead.objects.for_org(org).filter(**{link.attname: gone.pk}).select_for_update():
                records.apply_changes(lead, actor, {link.name: kept})
                moved += 1
    return moved
