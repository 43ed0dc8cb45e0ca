"""Cases follow a contact or company when it is merged into another (called by contacts.services)."""

from __future__ import annotations

from django.db import transaction

from cases.models import Case
from common import records
from common.models import Profile, RecordModel
from tenants.models import Org


def case_references_move(*, org: Org, actor: Profile, gone: RecordModel, kept: RecordModel) -> int:
    """Every case linking `gone` (archived cases too) links `kept` instead, each change on the case's timeline.
    Returns how many cases moved."""
    links = [
        field for field in Case._meta.concrete_fields if field.is_relation and field.related_model is type(gone)
    ]
    moved = 0
    with transaction.atomic():
        for link in links:
            for case in Case.objects.for_org(org).filter(**{link.attname: gone.pk}).select_for_update():
                records.apply_changes(case, actor, {link.name: kept})
                moved += 1
    return moved
