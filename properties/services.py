"""Listings: the status machine, normalised areas, price history, spaces, and handing listings over.

Status transitions (anything else is a 409 `invalid_transition`; the same status is a no-op). A new listing may
start in any status (an agency bringing in its back catalogue):
    draft           -> coming_soon, active, withdrawn
    coming_soon     -> draft, active, off_market, withdrawn
    active          -> under_contract, leased, off_market, withdrawn
    under_contract  -> active (the deal fell through), sold, leased, withdrawn
    sold            -> off_market (kept on file; relisting goes through off_market)
    leased          -> active (the lease ended), off_market
    off_market      -> coming_soon, active, withdrawn
    withdrawn       -> draft, active (relisted)
A lease may go straight from active to leased (lettings rarely go under contract); a sale always goes through
under_contract. Only a listing for sale (`sale` or `both`) can be sold, only one for lease (`lease` or `both`)
leased; changing the listing type of a sold or leased listing to one that no longer fits is refused too.

Price history: every change of the asking price or the lease rate, and a currency change while one is set, is a
PriceChange row written in the same transaction; creating a listing with a price counts as its first change. A
lower amount in the same currency is a drop.

Who writes: managers and above any listing; a member the listings they created or are assigned to (the listing
agent always is: the agent keeps a seat among the assignees, as a deal's owner does); viewers none. Every
member reads every listing (Property.members_read_all).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from common.codes import CURRENCY_HELP, is_currency
from common.errors import Conflict, NotFound, field_error
from common.models import Profile
from properties.matching import services as matching
from properties.models import (
    ListingType,
    PriceChange,
    PricedField,
    Property,
    PropertyStatus,
    Space,
    new_public_slug,
    new_reference,
    square_metres,
)
from records import services as records
from tenants.models import Org

S = PropertyStatus
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.COMING_SOON, S.ACTIVE, S.WITHDRAWN}),
    S.COMING_SOON: frozenset({S.DRAFT, S.ACTIVE, S.OFF_MARKET, S.WITHDRAWN}),
    S.ACTIVE: frozenset({S.UNDER_CONTRACT, S.LEASED, S.OFF_MARKET, S.WITHDRAWN}),
    S.UNDER_CONTRACT: frozenset({S.ACTIVE, S.SOLD, S.LEASED, S.WITHDRAWN}),
    S.SOLD: frozenset({S.OFF_MARKET}),
    S.LEASED: frozenset({S.ACTIVE, S.OFF_MARKET}),
    S.OFF_MARKET: frozenset({S.COMING_SOON, S.ACTIVE, S.WITHDRAWN}),
    S.WITHDRAWN: frozenset({S.DRAFT, S.ACTIVE}),
}
# The listing types a closed listing needs.
CLOSED_NEEDS = {S.SOLD: (ListingType.SALE, ListingType.BOTH), S.LEASED: (ListingType.LEASE, ListingType.BOTH)}
# Closed listings keep their listing agent when a member leaves: the history says who closed them.
CLOSED_STATUSES = (S.SOLD, S.LEASED)

# Each stored area, with the unit it was given in and its square-metre twin.
AREAS = (("floor_area", "area_unit", "floor_area_sqm"), ("lot_size", "lot_size_unit", "lot_size_sqm"))
PRICED = (PricedField.ASKING_PRICE, PricedField.LEASE_RATE)


# --- Rules -------------------------------------------------------------------------------------------------


def _refuse_transition(old: str, new: str) -> Conflict:
    allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[old]))
    detail = f"A {old} listing cannot become {new}; it can become: {allowed}."
    return Conflict(
        detail, code="invalid_transition", fields={"status": [{"code": "invalid_transition", "detail": detail}]}
    )


def _check_status(record: Property | None, data: dict[str, Any]) -> None:
    """The transition table, then whether the status fits the listing type (both may change in one write)."""
    old_status = record.status if record is not None else None
    status = data.get("status", old_status or S.DRAFT)
    listing_type = data.get("listing_type", record.listing_type if record is not None else ListingType.SALE)
    moved = status != old_status
    if moved and old_status is not None and status not in ALLOWED_TRANSITIONS[old_status]:
        raise _refuse_transition(old_status, status)
    needs = CLOSED_NEEDS.get(status)
    if needs is None or listing_type in needs:
        return
    if moved:
        detail = f"A listing for {listing_type} cannot become {status}."
        raise Conflict(
            detail,
            code="invalid_transition",
            fields={"status": [{"code": "invalid_transition", "detail": detail}]},
        )
    raise field_error(
        "listing_type", "listing_type_mismatch", f"A {status} listing must stay listed for {' or '.join(needs)}."
    )


def _normalise(org: Org, record: Property | None, data: dict[str, Any]) -> None:
    """Currency, reference, square metres and coordinates, checked against the stored values on a change."""

    def current(name: str, default: Any = None) -> Any:
        return data[name] if name in data else (getattr(record, name) if record is not None else default)

    if "currency" in data:
        currency = (data["currency"] or "").strip().upper()
        if not is_currency(currency):
            raise field_error("currency", "invalid", f"Not a known currency. {CURRENCY_HELP}")
        data["currency"] = currency
    if "reference" in data:
        reference = (data["reference"] or "").strip()
        if not reference:
            raise field_error("reference", "blank", "A reference cannot be blank; omit it to get one.")
        others = Property.objects.for_org(org).filter(reference__iexact=reference)
        if record is not None:
            others = others.exclude(pk=record.pk)
        if others.exists():
            raise field_error("reference", "unique", "Another listing of the org has this reference.")
        data["reference"] = reference
    for value, unit, sqm in AREAS:
        if value in data or unit in data:
            data[sqm] = square_metres(current(value), current(unit, "sq_m"))
    if "latitude" in data or "longitude" in data:
        latitude, longitude = current("latitude"), current("longitude")
        if (latitude is None) != (longitude is None):
            missing = "latitude" if latitude is None else "longitude"
            raise field_error(missing, "required", "Give both latitude and longitude, or neither.")


def _prices_of(record: Property | None) -> dict[str, Any]:
    if record is None:
        return {"asking_price": None, "lease_rate": None, "currency": None}
    return {"asking_price": record.asking_price, "lease_rate": record.lease_rate, "currency": record.currency}


def _record_price_changes(record: Property, actor: Profile, before: dict[str, Any]) -> list[PriceChange]:
    """A row per priced field whose amount changed, or whose currency changed while it has an amount."""
    now, rows = timezone.now(), []
    same_currency = before["currency"] == record.currency
    for name in PRICED:
        old, new = before[name], getattr(record, name)
        if old == new and (same_currency or new is None):
            continue
        is_drop = same_currency and old is not None and new is not None and Decimal(new) < Decimal(old)
        rows.append(
            PriceChange(org=record.org, property=record, field=name, old_value=old, new_value=new,
                        currency=record.currency, is_drop=is_drop, changed_at=now, changed_by=actor,
                        created_by=actor, updated_by=actor)
        )  # fmt: skip
    return PriceChange.objects.bulk_create(rows) if rows else []


# --- Listings ----------------------------------------------------------------------------------------------


def property_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> Property:
    """A listing; the listing agent defaults to the creator, the currency to the org's, the reference to a
    generated one. Its public slug is the title's, with an unguessable suffix."""
    data = dict(data)
    with transaction.atomic():
        data.setdefault("currency", org.currency)
        data.setdefault("listing_agent_id", actor.pk)
        if "reference" not in data:
            data["reference"] = new_reference()
        _normalise(org, None, data)
        _check_status(None, data)
        records.holder_keeps_a_seat(None, data, "listing_agent_id")
        title_slug = slugify(data.get("title", ""))[:100].strip("-")
        data["public_slug"] = f"{title_slug}-{new_public_slug()}" if title_slug else new_public_slug()
        record = records.record_create(model=Property, org=org, actor=actor, data=data)
        _record_price_changes(record, actor, _prices_of(None))
        matching.listing_events_record(org=org, listing=record, data=data, created=True)
    return record


def property_change(*, org: Org, actor: Profile, record: Property, data: dict[str, Any]) -> None:
    """The listing rules on a locked listing (a PATCH, a PUT or one listing of a bulk; the kernel has checked
    the actor may change it): the status machine, normalised areas, the agent's seat, then the change and its
    price history."""
    data = dict(data)
    _normalise(org, record, data)
    _check_status(record, data)
    records.holder_keeps_a_seat(record, data, "listing_agent_id")
    before = _prices_of(record)
    records.apply_changes(record, actor, data)
    _record_price_changes(record, actor, before)
    matching.listing_events_record(org=org, listing=record, data=data)


def property_update(
    *, org: Org, actor: Profile, property_id: Any, data: dict[str, Any], if_match: str | None = None
) -> Property:
    return records.record_update(
        model=Property,
        org=org,
        actor=actor,
        record_id=property_id,
        data=data,
        if_match=if_match,
        change=property_change,
    )


def reassign_listings(org: Org, from_profile: Profile, to_profile: Profile) -> int:
    """For member removal: the member's live listings (as agent or assignee) go to `to_profile`, agent and seat.
    Sold and leased listings keep their agent, so the history still says who closed them."""
    moved = 0
    with transaction.atomic():
        listings = (
            Property.objects.for_org(org)
            .filter(archived_at__isnull=True)
            .exclude(status__in=CLOSED_STATUSES)
            .filter(Q(listing_agent=from_profile) | Q(assigned_to__contains=[from_profile.pk]))
            .select_for_update(of=("self",))
            .order_by("id")
        )
        for listing in listings:
            data: dict[str, Any] = {}
            if listing.listing_agent_id == from_profile.pk:
                data["listing_agent_id"] = to_profile.pk
            assignees = [to_profile.pk if pk == from_profile.pk else pk for pk in listing.assigned_to]
            data["assigned_to"] = list(dict.fromkeys(assignees))
            records.holder_keeps_a_seat(listing, data, "listing_agent_id")
            records.apply_changes(listing, to_profile, data)
            moved += 1
    return moved


# --- Spaces ------------------------------------------------------------------------------------------------


def _property_for_write(org: Org, actor: Profile, property_id: Any) -> Property:
    """The listing, row-locked: 404 if the actor cannot see it, 403 if they may not change it, 409 if archived."""
    return records.record_lock_for_write(Property, org=org, actor=actor, record_id=property_id)


def _normalise_space(org: Org, listing: Property, space: Space | None, data: dict[str, Any]) -> None:
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            raise field_error("name", "blank", "A space needs a name.")
        taken = Space.objects.for_org(org).filter(property=listing, name__iexact=name)
        if space is not None:
            taken = taken.exclude(pk=space.pk)
        if taken.exists():
            raise field_error("name", "unique", "This property already has a space with this name.")
        data["name"] = name
    if "size" in data or "size_unit" in data:
        size = data.get("size", space.size if space is not None else None)
        unit = data.get("size_unit", space.size_unit if space is not None else "sq_m")
        data["size_sqm"] = square_metres(size, unit)


def _space_of(org: Org, listing: Property, space_id: Any) -> Space:
    space: Space | None = (
        Space.objects.for_org(org).filter(property=listing, pk=space_id).select_for_update().first()
    )
    if space is None:
        raise NotFound()
    return space


def space_create(*, org: Org, actor: Profile, property_id: Any, data: dict[str, Any]) -> Space:
    data = dict(data)
    with transaction.atomic():
        listing = _property_for_write(org, actor, property_id)
        if "name" not in data:
            raise field_error("name", "required", "A space needs a name.")
        _normalise_space(org, listing, None, data)
        space = Space(org=org, property=listing, created_by=actor, updated_by=actor, **data)
        space.save()
        records.log_activity(listing, actor, "space_added", {"space_id": str(space.pk), "name": space.name})
    return space


def space_update(*, org: Org, actor: Profile, property_id: Any, space_id: Any, data: dict[str, Any]) -> Space:
    """Change a space; what changed (old -> new) is one `space_changed` entry on the property's timeline."""
    data = dict(data)
    with transaction.atomic():
        listing = _property_for_write(org, actor, property_id)
        space = _space_of(org, listing, space_id)
        _normalise_space(org, listing, space, data)
        changes: dict[str, list[Any]] = {}
        for name, value in data.items():
            old = getattr(space, name)
            if old != value:
                changes[name] = [_jsonable(old), _jsonable(value)]
            setattr(space, name, value)
        if changes:
            space.updated_by = actor
            space.save()
            records.log_activity(
                listing,
                actor,
                "space_changed",
                {"space_id": str(space.pk), "name": space.name, "changes": changes},
            )
    return space


def space_delete(*, org: Org, actor: Profile, property_id: Any, space_id: Any) -> None:
    with transaction.atomic():
        listing = _property_for_write(org, actor, property_id)
        space = _space_of(org, listing, space_id)
        details = {"space_id": str(space.pk), "name": space.name}
        space.delete()
        records.log_activity(listing, actor, "space_removed", details)


def _jsonable(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, bool)) else str(value)
