"""Listings follow a contact or company when it is merged into another (called by contacts.services)."""

from __future__ import annotations

from common.models import Profile, RecordModel
from contacts.models import Contact
from properties.contact_links import contact_links_move
from properties.models import Property
from records import services as records
from tenants.models import Org


def property_references_move(*, org: Org, actor: Profile, gone: RecordModel, kept: RecordModel) -> int:
    """Every listing whose owner or landlord is `gone` (archived listings too) names `kept` instead, each change
    on the listing's timeline, and the gone contact's roles on listings become the kept one's. Returns how many
    listings and links moved."""
    moved = records.references_move(model=Property, org=org, actor=actor, gone=gone, kept=kept)
    if isinstance(gone, Contact):
        moved += contact_links_move(org=org, gone=gone, kept=kept)
    return moved
