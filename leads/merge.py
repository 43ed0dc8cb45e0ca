"""Leads follow a contact or company when it is merged into another (called by contacts.services)."""

from __future__ import annotations

from common.models import Profile, RecordModel
from leads.models import Lead
from records import services as records
from tenants.models import Org


def lead_references_move(*, org: Org, actor: Profile, gone: RecordModel, kept: RecordModel) -> int:
    """Every lead converted into `gone` (archived leads too) points at `kept` instead, each change on the
    lead's timeline. Returns how many leads moved."""
    return records.references_move(model=Lead, org=org, actor=actor, gone=gone, kept=kept)
