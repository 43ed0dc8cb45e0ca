"""Reading saved searches as the caller may see them, the listings a search matched, and who wants a listing.

Who sees a saved search: its owner; owners, admins and managers see every search of the org. A contact's
requirement is seen by whoever sees the contact (records.visibility), and changed by whoever may change it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from common.access import MANAGERS
from common.errors import NotFound
from common.models import Profile
from contacts.models import Contact
from properties.matching.matching import searches_wanting
from properties.matching.models import MatchNotice, SavedSearch
from properties.models import Property
from records.visibility import may_write, visible_records
from tenants.models import Org


def searches_visible(*, org: Org, actor: Profile) -> QuerySet[SavedSearch]:
    searches = SavedSearch.objects.for_org(org)
    if actor.role in MANAGERS:
        return searches
    contacts = visible_records(Contact.objects.for_org(org), actor)
    return searches.filter(Q(owner=actor) | Q(contact__in=contacts.values("pk")))


def search_visible(*, org: Org, actor: Profile, search_id: Any, for_update: bool = False) -> SavedSearch:
    """One search the actor sees (row-locked if asked); missing, another org's and someone else's are the same
    404."""
    try:
        pk = uuid.UUID(str(search_id))
    except ValueError:
        raise NotFound() from None
    searches = searches_visible(org=org, actor=actor).select_related("contact")
    if for_update:
        searches = searches.select_for_update(of=("self",))
    search: SavedSearch | None = searches.filter(pk=pk).first()
    if search is None:
        raise NotFound()
    return search


def may_change_search(actor: Profile, search: SavedSearch) -> bool:
    """A member's search: its owner (viewers included) and managers and above. A requirement: whoever may
    change its contact."""
    if search.contact is not None:
        return may_write(actor, search.contact)
    return search.owner_id == actor.pk or actor.role in MANAGERS


def contact_visible(*, org: Org, actor: Profile, contact_id: Any) -> Contact:
    contact: Contact | None = visible_records(Contact.objects.for_org(org), actor).filter(pk=contact_id).first()
    if contact is None:
        raise NotFound()
    return contact


def requirements_of(*, org: Org, contact: Contact) -> QuerySet[SavedSearch]:
    return SavedSearch.objects.for_org(org).filter(contact=contact).order_by("-created_at", "-id")


def listings_matched(*, org: Org, search: SavedSearch) -> QuerySet[Any]:
    """The listings the search was told about, the latest notice first (one row per listing, with when and
    why it was last told). Archived listings are left out."""
    notices = MatchNotice.objects.for_org(org).filter(search=search, property=OuterRef("pk"))
    latest = notices.order_by("-created_at", "-id")
    return (
        Property.objects.for_org(org)
        .filter(
            archived_at__isnull=True,
            pk__in=MatchNotice.objects.for_org(org).filter(search=search).values("property"),
        )
        .annotate(
            matched_at=Subquery(latest.values("created_at")[:1]),
            match_kind=Subquery(latest.values("kind")[:1]),
        )
        .order_by("-matched_at", "-id")
    )


def searches_for_listing(*, org: Org, actor: Profile, listing: Property) -> QuerySet[SavedSearch]:
    """The searches (and requirements) the actor sees that want this listing, with when each was last told
    about it (null: not yet), newest first."""
    visible = searches_visible(org=org, actor=actor).values("pk")
    told = MatchNotice.objects.for_org(org).filter(search=OuterRef("pk"), property=listing).order_by("-created_at")
    return (
        searches_wanting(org, listing)
        .filter(pk__in=visible)
        .select_related("contact")
        .annotate(notified_at=Subquery(told.values("created_at")[:1]))
        .order_by("-created_at", "-id")
    )
