"""Saved searches and requirements: writing them, recording what happens to listings, matching events, and the
unsubscribe link.

- A member saves their own searches; viewers too (a saved search changes nothing of the agency's). A
  requirement belongs to a contact: only someone who may change the contact may add or change one (viewers
  may not). The contact of a requirement never changes; a requirement emails the contact only when
  `email_enabled` is asked for.
- Turning email on or off, or changing the frequency, restarts the digest clock: a digest never carries
  notices from before.
- Listing events are written by properties.services in the transaction of the change (listing_events_record)
  and matched by a Celery job after it commits; `properties.matching.sweep` matches any a lost worker left.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from common.context import org_context
from common.errors import NotFound
from common.models import Profile, RecordModel
from contacts.models import Contact
from properties.matching import delivery
from properties.matching.criteria import criteria_clean
from properties.matching.matching import notices_insert
from properties.matching.models import EventKind, ListingEvent, SavedSearch
from properties.matching.selectors import may_change_search, search_visible
from properties.matching.unsubscribe import unsubscribe_target
from properties.models import PriceChange, Property, PropertyStatus
from records.services import NotYoursToChange
from records.visibility import may_write
from tenants.models import Org, OrgStatus

logger = logging.getLogger("crm.matching")

# An event the job has not matched after this long was lost (a worker died); the sweep matches it.
SWEEP_GRACE = datetime.timedelta(minutes=2)
SWEEP_BATCH = 200
STATUS_KINDS = (EventKind.LISTED, EventKind.STATUS_CHANGED)
PRICE_FIELDS = ("asking_price", "lease_rate", "currency")


class RequirementRefused(NotYoursToChange):
    default_detail = "You may not change this contact's requirements: only those who may change the contact may."


class SearchRefused(NotYoursToChange):
    default_detail = "You may not change this saved search: only its owner and managers may."


# --- Saved searches ----------------------------------------------------------------------------------------


def search_write_check(actor: Profile, search: SavedSearch) -> None:
    if not may_change_search(actor, search):
        raise RequirementRefused() if search.contact_id else SearchRefused()


def saved_search_create(*, org: Org, actor: Profile, data: dict[str, Any]) -> SavedSearch:
    """A member's own search, or (with `contact`) a requirement of a contact the actor may change."""
    data = dict(data)
    contact: Contact | None = data.pop("contact", None)
    if contact is not None and not may_write(actor, contact):
        raise RequirementRefused()
    criteria = criteria_clean(data.pop("criteria", {}), org=org)
    data.setdefault("email_enabled", contact is None)
    with transaction.atomic():
        search = SavedSearch(
            org=org, owner=None if contact else actor, contact=contact, criteria=criteria.shown,
            created_by=actor, updated_by=actor, **data, **criteria.columns,
        )  # fmt: skip
        search.save()
    return search


def saved_search_update(*, org: Org, actor: Profile, search_id: Any, data: dict[str, Any]) -> SavedSearch:
    """Change a search; `criteria`, when given, replaces the criteria as a whole."""
    data = dict(data)
    with transaction.atomic():
        search = search_visible(org=org, actor=actor, search_id=search_id, for_update=True)
        search_write_check(actor, search)
        if "criteria" in data:
            criteria = criteria_clean(data.pop("criteria"), org=org)
            data.update(criteria=criteria.shown, **criteria.columns)
        restarts_digest = any(
            name in data and data[name] != getattr(search, name) for name in ("email_enabled", "frequency")
        )
        for name, value in data.items():
            setattr(search, name, value)
        if restarts_digest:
            search.last_digest_at = timezone.now()
        search.updated_by = actor
        search.save()
    return search


def saved_search_delete(*, org: Org, actor: Profile, search_id: Any) -> None:
    with transaction.atomic():
        search = search_visible(org=org, actor=actor, search_id=search_id, for_update=True)
        search_write_check(actor, search)
        search.delete()


def requirements_move(*, org: Org, actor: Profile, gone: RecordModel, kept: RecordModel) -> int:
    """For contact merges: the gone contact's requirements become the kept one's."""
    if not isinstance(gone, Contact):
        return 0
    return SavedSearch.objects.for_org(org).filter(contact=gone).update(contact=kept, updated_by=actor)


# --- The unsubscribe link ----------------------------------------------------------------------------------


def saved_search_unsubscribe(*, token: str) -> SavedSearch:
    """Turn the search's email off (idempotent). A link that was tampered with is a 400 and changes nothing; a
    search or org that is gone is a 404."""
    org_id, search_id = unsubscribe_target(token)
    org = Org.objects.filter(pk=org_id, status__in=(OrgStatus.ACTIVE, OrgStatus.SUSPENDED)).first()
    if org is None:
        raise NotFound()
    with org_context(org), transaction.atomic():
        search: SavedSearch | None = (
            SavedSearch.objects.for_org(org).select_for_update().filter(pk=search_id).first()
        )
        if search is None:
            raise NotFound()
        if search.email_enabled:
            search.email_enabled = False
            search.last_digest_at = timezone.now()
            search.save(update_fields=["email_enabled", "last_digest_at", "updated_at"])
    return search


# --- Listing events ----------------------------------------------------------------------------------------


def _status_event_kind(org: Org, listing: Property, data: dict[str, Any], created: bool) -> str | None:
    """A listing created in any status but draft, or whose status differs from the last one recorded (a
    listing with none recorded, made before matching or outside the services, counts as changed when the
    write names a status)."""
    if created:
        if listing.status == PropertyStatus.DRAFT:
            return None
    else:
        if "status" not in data:
            return None
        last = (
            ListingEvent.objects.for_org(org)
            .filter(property=listing, kind__in=STATUS_KINDS)
            .order_by("-created_at", "-id")
            .values_list("status", flat=True)
            .first()
        )
        if last == listing.status:
            return None
    return EventKind.LISTED if listing.status == PropertyStatus.ACTIVE else EventKind.STATUS_CHANGED


def _new_drops(org: Org, listing: Property, data: dict[str, Any]) -> list[PriceChange]:
    """The price drops this write recorded (properties.services writes them after saving the listing, so
    they are no older than its `updated_at`), each evented once."""
    if not any(name in data for name in PRICE_FIELDS):
        return []
    evented = ListingEvent.objects.for_org(org).filter(property=listing, price_change__isnull=False)
    return list(
        PriceChange.objects.for_org(org)
        .filter(property=listing, is_drop=True, changed_at__gte=listing.updated_at)
        .exclude(pk__in=evented.values("price_change"))
        .order_by("changed_at", "id")
    )


def listing_events_record(
    *, org: Org, listing: Property, data: dict[str, Any], created: bool = False
) -> list[ListingEvent]:
    """Called by properties.services after a listing was created or changed, inside that write: records that
    it became active, changed status or dropped its price, and matches each event once the write commits."""
    from properties.matching.tasks import match_listing_event
    from tenants.pipeline.tasks import enqueue

    events: list[ListingEvent] = []
    kind = _status_event_kind(org, listing, data, created)
    if kind is not None:
        events.append(ListingEvent(org=org, property=listing, kind=kind, status=listing.status))
    for drop in [] if created else _new_drops(org, listing, data):  # a first price is never a drop
        events.append(
            ListingEvent(
                org=org, property=listing, kind=EventKind.PRICE_DROP, status=listing.status, price_change=drop
            )
        )
    if not events:
        return []
    made = ListingEvent.objects.bulk_create(events)
    for event in made:
        enqueue(match_listing_event, str(event.pk))
    return made


def _still_current(event: ListingEvent, listing: Property | None) -> bool:
    """An archived listing tells nobody; a status event whose listing has since moved on is left to the later
    event."""
    if listing is None or listing.archived_at is not None:
        return False
    return event.kind == EventKind.PRICE_DROP or listing.status == event.status


def listing_event_match(*, org: Org, event_id: Any) -> int:
    """Match one event: its notices, in-app notifications and instant emails, and `matched_at`, in one
    transaction. An event already matched, or being matched by another worker, is left alone. Returns how many
    notices were made."""
    with transaction.atomic():
        event: ListingEvent | None = (
            ListingEvent.objects.for_org(org)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("price_change")
            .filter(pk=event_id, matched_at__isnull=True)
            .first()
        )
        if event is None:
            return 0
        listing = Property.objects.for_org(org).filter(pk=event.property_id).first()
        made = []
        if listing is not None and _still_current(event, listing):
            made = notices_insert(org=org, event=event, listing=listing)
            delivery.notices_deliver(org=org, event=event, listing=listing, made=made)
        event.matched_at = timezone.now()
        event.save(update_fields=["matched_at", "updated_at"])
    return len(made)


def unmatched_events_match(*, org: Org, now: datetime.datetime | None = None) -> int:
    """The sweep: match the org's events that are still unmatched a while after they were written, oldest
    first; each in its own transaction, so one bad event does not hold back the others."""
    cutoff = (now or timezone.now()) - SWEEP_GRACE
    pending = list(
        ListingEvent.objects.for_org(org)
        .filter(matched_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    made = 0
    for event_id in pending:
        try:
            made += listing_event_match(org=org, event_id=event_id)
        except Exception:
            logger.exception("matching event %s of org %s failed", event_id, org.pk)
    return made
