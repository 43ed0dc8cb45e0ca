"""Deals follow a contact or company when it is merged into another (called by contacts.services)."""

from __future__ import annotations

from django.db import transaction

from common import records
from common.models import Profile, RecordModel
from deals.models import Deal
from tenants.models import Org


def deal_references_move(*, org: Org, actor: Profile, gone: RecordModel, kept: RecordModel) -> int:
    """Every deal linking `gone` (archived deals too) links `kept` instead, each change on the deal's timeline.
    Returns how many deals moved."""
    links = [
        field for field in Deal._meta.concrete_fields if field.is_relation and field.related_model is type(gone)
    ]
    moved = 0
    with transaction.atomic():
        for link in links:
            for deal in Deal.objects.for_org(org).filter(**{link.attname: gone.pk}).select_for_update():
                records.apply_changes(deal, actor, {link.name: kept})
                moved += 1
    return moved
