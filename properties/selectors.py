"""Reading listings: one listing by id as the caller may see it, its spaces and its price history."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from common.errors import NotFound
from common.models import Profile
from properties.models import PriceChange, Property, Space
from records.visibility import visible_records
from tenants.models import Org


def property_visible(*, org: Org, actor: Profile, property_id: Any) -> Property:
    """The listing if the actor sees it (archived ones too); missing and another org's are the same 404."""
    try:
        pk = uuid.UUID(str(property_id))
    except ValueError:
        raise NotFound() from None
    listing: Property | None = visible_records(Property.objects.for_org(org), actor).filter(pk=pk).first()
    if listing is None:
        raise NotFound()
    return listing


def spaces_of(*, org: Org, listing: Property) -> QuerySet[Space]:
    return Space.objects.for_org(org).filter(property=listing).order_by("floor", "name", "id")


def space_of(*, org: Org, listing: Property, space_id: Any) -> Space:
    """One space of the listing; a space of another listing (or org) is a 404."""
    space: Space | None = spaces_of(org=org, listing=listing).filter(pk=space_id).first()
    if space is None:
        raise NotFound()
    return space


def price_history(*, org: Org, listing: Property) -> QuerySet[PriceChange]:
    return PriceChange.objects.for_org(org).filter(property=listing).order_by("-changed_at", "-id")
