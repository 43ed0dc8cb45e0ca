"""Deals follow a contact or company when it is merged into another (called by contacts.services)."""

from __future__ import annotations

from common.models import Profile, RecordModel
from deals.models import Deal
from records import services as records
from tenants.models import Org


def deal_references_move(*, org: Org, actor: Profile, gone: RecordModel, kept: RecordModel) -> int:
    """Every deal linking `gone` (archived deals too) links `kept` instead, each change on the deal's timeline.
    Returns how many deals moved."""
    return records.references_move(model=Deal, org=org, actor=actor, gone=gone, kept=kept)
