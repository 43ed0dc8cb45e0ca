"""The rule for records that point at a listing and one of its spaces (deals, leads): the space must be the
listing's. Call with the record's current listing and space and the validated changes (model instances)."""

from __future__ import annotations

from typing import Any

from common.errors import field_error
from properties.models import Property, Space


def listing_and_space_settle(
    current_listing: Property | None, current_space: Space | None, data: dict[str, Any]
) -> None:
    """A space alone names its listing too; a space of another listing is a 400; moving to another listing (or
    to none) lets go of the old listing's space."""
    space: Space | None = data.get("space", current_space)
    if "listing" in data:
        listing: Property | None = data["listing"]
    else:
        listing = current_listing if current_listing is not None else (space.property if space else None)
        if space is not None and "space" in data and current_listing is None:
            data["listing"] = listing
    if space is None or (listing is not None and space.property_id == listing.pk):
        return
    if "space" not in data:
        data["space"] = None  # the listing changed under the space: the space stays with its own listing
        return
    raise field_error("space", "space_not_in_property", "This space belongs to another listing.")
