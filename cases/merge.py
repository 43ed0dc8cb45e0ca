"""Cases follow a contact or company when it is merged into another (called by contacts.services)."""

from __future__ import annotations

from cases.models import Case
from common.models import Profile, RecordModel
from records import services as records
from tenants.models import Org


def case_references_move(*, org: Org, actor: Profile, gone: RecordModel, kept: RecordModel) -> int:
    """Every case linking `gone` (archived cases too) links `kept` instead, each change on the case's timeline.
    Returns how many cases moved."""
    return records.references_move(model=Case, org=org, actor=actor, gone=gone, kept=kept)
