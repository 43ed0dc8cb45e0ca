"""Telling savers: in-app notifications at once, email at once for instant searches (digests: digests.py).

- In-app: the member who saved the search; for a requirement, the contact's assignees (or whoever created the
  contact when nobody is). Nobody who left the org is notified (timeline.notifications).
- Email: a member's search mails the member unless the search's email is off or the member opted out of
  `listing_match` emails; a requirement mails the contact only if its email is on and the contact has an
  address and is not marked do-not-contact, and only about published listings (an unpublished listing is the
  agency's own business). Every email carries the search's unsubscribe link.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.utils import timezone

from properties.matching.models import Frequency, ListingEvent, MatchNotice, NoticeKind, SavedSearch
from properties.matching.unsubscribe import unsubscribe_url
from properties.models import Property, RateBasis
from records.services import target_type
from tenants.mail import email_send
from tenants.models import Org
from timeline.models import NotificationKind
from timeline.notifications import notify

MatchedRow = tuple[uuid.UUID, uuid.UUID, str]


# --- What a notice says ------------------------------------------------------------------------------------


def _amount(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def price_text(listing: Property) -> str:
    if listing.asking_price is not None:
        return f"{_amount(listing.asking_price)} {listing.currency}".strip()
    if listing.lease_rate is not None:
        per_area = " per unit of area" if listing.lease_rate_basis == RateBasis.PER_AREA else ""
        return (
            f"{_amount(listing.lease_rate)} {listing.currency} per {listing.lease_rate_period}{per_area}".strip()
        )
    return "Price on application"


def headline(kind: str, listing: Property, event: ListingEvent | None = None) -> str:
    """What happened, in a few words: "New listing", "Price reduced to 450,000 EUR", "Now under contract"."""
    if kind == NoticeKind.PRICE_DROP:
        change = event.price_change if event is not None else None
        if change is not None and change.new_value is not None and change.old_value is not None:
            return (
                f"Price reduced to {_amount(change.new_value)} {change.currency} (was {_amount(change.old_value)})"
            )
        return f"Price reduced to {price_text(listing)}"
    if kind == NoticeKind.STATUS_CHANGED:
        return f"Now {listing.get_status_display().lower()}"
    return "New listing"


def listing_summary(listing: Property) -> dict[str, Any]:
    place = ", ".join(part for part in (listing.city, listing.region, listing.postal_code) if part)
    facts = [listing.get_property_type_display()]
    if listing.bedrooms is not None:
        facts.append(f"{listing.bedrooms} bedrooms")
    if listing.floor_area_sqm is not None:
        facts.append(f"{_amount(listing.floor_area_sqm)} m²")
    return {"title": listing.title, "reference": listing.reference, "place": place, "price": price_text(listing),
            "status": listing.get_status_display(), "facts": ", ".join(facts)}  # fmt: skip


def search_label(search: SavedSearch) -> str:
    if search.contact is not None:
        return f'"{search.name}" of {search.contact}'
    return f'"{search.name}"'


def _in_app_message(kind: str, listing: Property, searches: list[SavedSearch], event: ListingEvent) -> str:
    labels = ", ".join(search_label(search) for search in searches)
    what = ("the saved search " if len(searches) == 1 else "the saved searches ") + labels
    if kind == NoticeKind.NEW_LISTING:
        return f'New listing "{listing.title}" matches {what}.'
    return f'"{listing.title}": {headline(kind, listing, event)} ({what}).'


# --- Who is told -------------------------------------------------------------------------------------------


def in_app_recipients(search: SavedSearch) -> list[uuid.UUID]:
    if search.contact is not None:
        contact = search.contact
        return list(contact.assigned_to) or ([contact.created_by_id] if contact.created_by_id else [])
    return [search.owner_id] if search.owner_id else []


def email_recipient(search: SavedSearch, listing: Property | None = None) -> tuple[str, str] | None:
    """(address, name) the search's email goes to, or None; with `listing`, whether it may be about that one."""
    if not search.email_enabled:
        return None
    contact = search.contact
    if contact is not None:
        if contact.archived_at is not None or contact.do_not_contact or not contact.email:
            return None
        if listing is not None and not listing.is_published:
            return None
        return contact.email, str(contact)
    owner = search.owner
    if owner is None or not owner.is_active or owner.removed_at is not None:
        return None
    user = owner.user
    if NotificationKind.LISTING_MATCH in user.email_opt_outs or not user.email:
        return None
    return user.email, user.name or user.email


def email_context(org: Org, search: SavedSearch, recipient_name: str) -> dict[str, Any]:
    return {
        "org_name": org.name,
        "recipient_name": recipient_name,
        "search_name": search.name,
        "is_requirement": search.contact_id is not None,
        "unsubscribe_url": unsubscribe_url(search),
    }


# --- Delivering one event's notices ------------------------------------------------------------------------


def notices_deliver(*, org: Org, event: ListingEvent, listing: Property, made: list[MatchedRow]) -> None:
    """Notify in-app (one notification per member and kind of news) and email the instant searches; mark what
    was emailed. Inside the matching transaction: emails leave once it commits."""
    if not made:
        return
    searches = (
        SavedSearch.objects.for_org(org)
        .select_related("owner__user", "contact")
        .in_bulk([search_id for _, search_id, _ in made])
    )
    told: dict[tuple[uuid.UUID, str], list[SavedSearch]] = defaultdict(list)
    for _, search_id, kind in made:
        for recipient in in_app_recipients(searches[search_id]):
            told[(recipient, kind)].append(searches[search_id])
    for (recipient, kind), for_searches in told.items():
        notify(
            org=org, actor=None, recipient_ids=[recipient], kind=NotificationKind.LISTING_MATCH,
            target_type=target_type(Property), target_id=listing.pk,
            message=_in_app_message(kind, listing, for_searches, event),
        )  # fmt: skip
    emailed = []
    for notice_id, search_id, kind in made:
        search = searches[search_id]
        addressed = email_recipient(search, listing) if search.frequency == Frequency.INSTANT else None
        if addressed is None:
            continue
        address, name = addressed
        item = {**listing_summary(listing), "headline": headline(kind, listing, event)}
        email_send(
            to=address, template="saved_search_match", context={**email_context(org, search, name), "item": item},
            org_id=org.pk,
        )  # fmt: skip
        emailed.append(notice_id)
    if emailed:
        MatchNotice.objects.for_org(org).filter(pk__in=emailed).update(emailed_at=timezone.now())
