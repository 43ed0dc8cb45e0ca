"""Who a listing's people are: contacts linked to a listing as its owner, tenants, prospects or buyers.

A link is part of its listing: writing one needs the right to change the listing (403 otherwise) and a contact
the actor sees (another org's contact, or one hidden from the actor, is the same "does not exist" as a random
id). Each link and unlink is on the timelines of both the listing and the contact.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from common.errors import NotFound, field_error
from common.models import Profile
from contacts.models import Contact
from properties.models import Property, PropertyContact
from records import services as records
from records.visibility import visible_records
from tenants.models import Org


def _visible_contacts(org: Org, actor: Profile) -> QuerySet[Contact]:
    return visible_records(Contact.objects.for_org(org), actor)


def links_of_listing(*, org: Org, actor: Profile, listing: Property) -> QuerySet[PropertyContact]:
    """The listing's links to contacts the actor sees, oldest first."""
    return (
        PropertyContact.objects.for_org(org)
        .filter(property=listing, contact__in=_visible_contacts(org, actor))
        .select_related("contact")
        .order_by("created_at", "id")
    )


def links_of_contact(*, org: Org, actor: Profile, contact_id: Any) -> QuerySet[PropertyContact]:
    """The listings a contact the actor sees is linked to, newest link first (every member reads listings)."""
    contact = _visible_contacts(org, actor).filter(pk=_uuid_or_404(contact_id)).first()
    if contact is None:
        raise NotFound()
    return (
        PropertyContact.objects.for_org(org)
        .filter(contact=contact, property__archived_at__isnull=True)
        .select_related("property")
        .order_by("-created_at", "-id")
    )


def _uuid_or_404(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound() from None


def _link_entry(link: PropertyContact) -> dict[str, Any]:
    return {
        "link_id": str(link.pk),
        "contact_id": str(link.contact_id),
        "property_id": str(link.property_id),
        "role": link.role,
    }


def _log_both(listing: Property, contact: Contact, actor: Profile, verb: str, entry: dict[str, Any]) -> None:
    records.log_activity(listing, actor, verb, {**entry, "contact": str(contact)})
    records.log_activity(contact, actor, verb, {**entry, "property": str(listing)})


def contact_link(
    *, org: Org, actor: Profile, property_id: Any, contact_id: Any, role: str, note: str = ""
) -> PropertyContact:
    """Link a contact to a listing in a role. Linking the same contact in the same role again is a 409."""
    with transaction.atomic():
        listing = records.record_lock_for_write(Property, org=org, actor=actor, record_id=property_id)
        contact = _visible_contacts(org, actor).filter(pk=contact_id, archived_at__isnull=True).first()
        if contact is None:
            raise field_error("contact", "does_not_exist", f'Invalid pk "{contact_id}" - object does not exist.')
        if PropertyContact.objects.for_org(org).filter(property=listing, contact=contact, role=role).exists():
            raise field_error("role", "unique", f"This contact is already linked to the listing as {role}.")
        link = PropertyContact.objects.create(
            org=org, property=listing, contact=contact, role=role, note=note, created_by=actor, updated_by=actor
        )
        _log_both(listing, contact, actor, "contact_linked", _link_entry(link))
    return link


def _link_for_write(org: Org, actor: Profile, property_id: Any, link_id: Any) -> tuple[Property, PropertyContact]:
    listing = records.record_lock_for_write(Property, org=org, actor=actor, record_id=property_id)
    link = (
        PropertyContact.objects.for_org(org)
        .filter(property=listing, pk=_uuid_or_404(link_id), contact__in=_visible_contacts(org, actor))
        .select_related("contact")
        .select_for_update(of=("self",))
        .first()
    )
    if link is None:
        raise NotFound()
    return listing, link


def contact_link_update(*, org: Org, actor: Profile, property_id: Any, link_id: Any, data: dict[str, Any]) -> Any:
    """Change a link's role or note; a role the contact already holds on the listing is a 409."""
    with transaction.atomic():
        listing, link = _link_for_write(org, actor, property_id, link_id)
        role = data.get("role", link.role)
        if role != link.role:
            taken = PropertyContact.objects.for_org(org).filter(property=listing, contact=link.contact, role=role)
            if taken.exists():
                raise field_error("role", "unique", f"This contact is already linked to the listing as {role}.")
        changes = {name: [getattr(link, name), new] for name, new in data.items() if getattr(link, name) != new}
        if changes:
            for name, (_, new) in changes.items():
                setattr(link, name, new)
            link.updated_by = actor
            link.save()
            entry = {**_link_entry(link), "changes": changes}
            _log_both(listing, link.contact, actor, "contact_link_changed", entry)
    return link


def contact_unlink(*, org: Org, actor: Profile, property_id: Any, link_id: Any) -> None:
    with transaction.atomic():
        listing, link = _link_for_write(org, actor, property_id, link_id)
        entry = _link_entry(link)
        link.delete()
        _log_both(listing, link.contact, actor, "contact_unlinked", entry)


def contact_links_move(*, org: Org, gone: Any, kept: Any) -> int:
    """For merges: the gone contact's links become the kept one's; a role the kept contact already holds on
    the listing is not doubled. Returns how many links moved."""
    links = PropertyContact.objects.for_org(org)
    held_keys = set(links.filter(contact_id=kept.pk).values_list("property_id", "role"))
    moved = 0
    for link in links.filter(contact_id=gone.pk).select_for_update():
        if (link.property_id, link.role) in held_keys:
            link.delete()
            continue
        link.contact_id = kept.pk
        link.save(update_fields=["contact", "updated_at"])
        moved += 1
    return moved
