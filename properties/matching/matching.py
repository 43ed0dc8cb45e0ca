"""Matching one listing event against every saved search of the org: one INSERT ... SELECT statement.

The SELECT is the org's live searches filtered by the listing's values (criteria.listing_condition); the
INSERT writes a notice per search, and the unique (search, event) row with ON CONFLICT DO NOTHING makes a rerun
(a retried job, the sweep, a second worker) add nothing. RETURNING hands back only the notices this run made,
so only those are delivered.

What each event means to a saver:
- the listing became active, or moved to another status: searches it satisfies now hear of it as a new
  listing; searches that were sent this listing before (for an earlier event) hear of the status change,
  whether or not the listing still suits them ("under contract", "sold", "back on the market").
- its price dropped: searches it satisfies now hear of the drop (including one it newly fits).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    DateTimeField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    UUIDField,
    Value,
    When,
)
from django.utils import timezone

from properties.matching.criteria import listing_condition
from properties.matching.models import EventKind, ListingEvent, MatchNotice, NoticeKind, SavedSearch
from properties.models import Property
from tenants.models import Org

# The columns the statement fills, in the order of the SELECT below.
NOTICE_COLUMNS = ("id", "org_id", "created_at", "updated_at", "search_id", "event_id", "property_id", "kind")


def live_searches(org: Org) -> QuerySet[SavedSearch]:
    """Searches that may match: not paused, their member still in the org, their contact not archived."""
    return SavedSearch.objects.for_org(org).filter(
        Q(is_active=True)
        & (Q(owner__isnull=True) | Q(owner__is_active=True, owner__removed_at__isnull=True))
        & (Q(contact__isnull=True) | Q(contact__archived_at__isnull=True))
    )


def searches_wanting(org: Org, listing: Property) -> QuerySet[SavedSearch]:
    """Who wants this listing: the live searches whose criteria it satisfies, whatever its status now (an agent
    asks before the launch as much as after)."""
    return live_searches(org).filter(listing_condition(listing, with_status=False))


def notice_rows(org: Org, event: ListingEvent, listing: Property) -> QuerySet[Any]:
    suited = listing_condition(listing)
    if event.kind == EventKind.PRICE_DROP:
        searches = live_searches(org).filter(suited)
        kind: Any = Value(str(NoticeKind.PRICE_DROP))
    else:
        sent_before = Exists(
            MatchNotice.objects.for_org(org).filter(search=OuterRef("pk"), property=listing).exclude(event=event)
        )
        searches = live_searches(org).filter(suited | Q(sent_before))
        kind = Case(
            When(sent_before, then=Value(str(NoticeKind.STATUS_CHANGED))),
            default=Value(str(NoticeKind.NEW_LISTING)),
            output_field=CharField(),
        )
    # Stamped by the app's clock, as every other row's created_at (digests compare it with app times).
    now = timezone.now()
    # Every column an annotation, so values_list keeps exactly NOTICE_COLUMNS' order. Ids are random (v4):
    # PostgreSQL 15 has no UUIDv7, and these rows are never paged by id.
    return (
        searches.order_by()
        .annotate(
            n_id=Func(function="gen_random_uuid", output_field=UUIDField()),
            n_org=Value(org.pk, output_field=UUIDField()),
            n_created=Value(now, output_field=DateTimeField()),
            n_updated=Value(now, output_field=DateTimeField()),
            n_search=F("pk"),
            n_event=Value(event.pk, output_field=UUIDField()),
            n_property=Value(listing.pk, output_field=UUIDField()),
            n_kind=kind,
        )
        .values_list("n_id", "n_org", "n_created", "n_updated", "n_search", "n_event", "n_property", "n_kind")
    )


def notices_insert(*, org: Org, event: ListingEvent, listing: Property) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
    """Write the notices of `event` in one statement; returns (notice id, search id, kind) of those it made."""
    sql, params = notice_rows(org, event, listing).query.sql_with_params()
    table = connection.ops.quote_name(MatchNotice._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in NOTICE_COLUMNS)
    # The names are ours and every value is a parameter of the SELECT.
    statement = f"INSERT INTO {table} ({columns}) {sql} ON CONFLICT DO NOTHING RETURNING id, search_id, kind"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return [(row[0], row[1], row[2]) for row in cursor.fetchall()]
